// `cimmc infer`: the test set through the network three ways - float, ideal
// integer-quantized (exact integer products), and through the macro model on
// `chips` chip instances - with top-1 accuracy and its confidence intervals,
// and the energy and latency of the macro inference priced from the same
// sampled events.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/engine.hpp"
#include "infer/macro_gemm.hpp"
#include "infer/network.hpp"
#include "infer/quant.hpp"
#include "spec/spec.hpp"

namespace cimmc::infer {

// The test set and calibration images as the network takes them (pixel / 255).
struct TaskData {
  int count = 0, sample_size = 0;
  std::vector<float> x;             // count x sample_size
  std::vector<int> labels;
  std::vector<float> calibration;   // calibration_count x sample_size
  int calibration_count = 0;
};
TaskData load_task_data(const TaskSpec& t, const Network& net);

struct ChipResult {
  std::vector<int> pred;            // per image
  int correct = 0;
  double energy_pj = 0, latency_ns = 0;  // the whole test set, summed over its tile jobs
  std::uint64_t conversions = 0, clipped = 0, mvms = 0, cell_reads = 0;
  std::vector<TileEnergy> tiles;    // every tile job of every batch
};

struct TaskResult {
  int images = 0;
  std::vector<int> float_pred, quant_pred;
  int float_correct = 0, quant_correct = 0;
  Quantization quant;
  std::vector<ChipResult> chips;
  double macro_seconds = 0;         // wall time of the macro passes
  double float_seconds = 0, quant_seconds = 0;  // the float and exact-integer passes (quantizer calibration included)
  EngineTimes engine;               // the macro passes' run_jobs phases; the rest of macro_seconds is host work
};

// Accuracy over chips and images: mean top-1 over all (chip, image) pairs;
// ci_images is the 95% half-width of a binomial proportion over the images
// (normal approximation, n = images x chips); ci_chips the Student-t half-width
// over the chips' accuracies (NaN with one chip).
struct AccuracyStats {
  double mean = 0, ci_images = 0, ci_chips = 0;
};
AccuracyStats accuracy_stats(const TaskResult& r);

QuantBits task_bits(const Config& cfg);

// `progress(done, total)` after every batch of every chip (may be empty).
TaskResult run_task(const Config& cfg, const Network& net, const TaskData& data, const EngineOptions& opt,
                    const std::function<void(int, int)>& progress = {});

}  // namespace cimmc::infer

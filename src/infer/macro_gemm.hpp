// A layer's integer products computed by the macro model: K is cut into tiles
// of `rows` rows and N into tiles of as many weights as the columns hold;
// every tile is a tile job whose array holds the layer's real integer weights
// and whose samples are the layer's real lowered inputs (JobView w_given,
// x_given); the macro's outputs (y_out) of a layer's K tiles are added
// digitally, in tile order. All tiles of a layer go in one launch, on the CPU
// threads or the GPU: the per-sample model is kernels/macro_model.hpp.
//
// A chip is one set of programmed arrays: tile jobs are keyed by (layer, K
// tile, N tile, chip), programming variation and faults are drawn once per
// chip, and read noise per (chip, sample), where the sample index counts the
// layer's rows from the first image of the test set: results do not depend on
// the batch size or the thread count.
#pragma once
#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "engine/engine.hpp"
#include "infer/quant.hpp"
#include "spec/spec.hpp"

namespace cimmc::infer {

// One tile job of one batch, as sampled and priced.
struct TileEnergy {
  int layer = 0, k_tile = 0, n_tile = 0;
  int rows = 0, weights = 0;       // K and N of the tile
  std::uint64_t mvms = 0;          // samples (input vectors)
  double energy_pj = 0;            // all its MVMs
  double latency_ns = 0;           // all its MVMs on one macro, back to back
  std::uint64_t conversions = 0, clipped = 0;
  std::uint64_t cell_reads = 0;    // (input cycle, row, column) reads
};

class MacroGemm {
 public:
  // cfg: the macro, energy and run (seed, inputs_per_instance) sections.
  MacroGemm(const Config& cfg, const QuantBits& bits, const EngineOptions& opt, int chip)
      : cfg_(cfg), bits_(bits), opt_(opt), chip_(chip) {}

  // The images of the next forward pass: samples of a conv layer with P x Q
  // outputs are numbered from first_image x P x Q.
  void set_batch(int first_image, int images) { first_image_ = first_image, images_ = images; }

  void operator()(int layer, const LayerQuant& q, const Op& op, const std::vector<std::int32_t>& X, std::int64_t M,
                  std::vector<double>& acc);

  const std::vector<TileEnergy>& tiles() const { return tiles_; }

 private:
  // Inputs per array instance of a tile job of `samples` inputs: the configured
  // value, or on the CUDA backend a smaller one that fills the GPU.
  std::uint64_t gpu_inputs_per_instance(std::uint64_t configured, std::int64_t samples) const;

  const Config& cfg_;
  QuantBits bits_;
  EngineOptions opt_;
  int chip_ = 0, first_image_ = 0, images_ = 1;
  // A calibrated ADC keeps the full scale its tile found on the first batch.
  std::map<std::tuple<int, int, int>, double> full_scale_;
  std::vector<TileEnergy> tiles_;
};

// The macro tile's capacity for a layer's operands: rows, and weights per tile.
int tile_rows(const MacroSpec& m);
int tile_weights(const MacroSpec& m, const QuantBits& bits);

}  // namespace cimmc::infer

// Inference through the macro model (issue 17's speed target): the
// Fashion-MNIST CNN (data/models/fashion_cnn.onnx) on configs/fashion-cnn.yaml's
// macro (128x128, 8b x 8b, bit-serial, 6-bit calibrated ADC, read noise and
// programming variation), on one CPU thread.
//   BM_infer_fashion_cnn/<images>: the first `images` test images through
//     run_task. The Time and CPU columns are the whole call (float and
//     exact-integer reference passes included; on one thread, CPU is that one
//     core's time); the counters images_per_s and cell_reads_per_s are per
//     wall second of the macro passes alone (TaskResult::macro_seconds).
//   BM_onnx_load/<0 CNN, 1 MLP>: reading, decoding and importing a shipped
//     ONNX file (file read, batch-norm folding included): cimmc's own
//     wire-format decoder, the figure docs/config.md sets beside python3-onnx's.
// The target is the 10,000-image test set in under 60 s on one core:
// images_per_s above 167.
#include <benchmark/benchmark.h>

#include <string>

#include "config/config.hpp"
#include "infer/task.hpp"
#include "onnx/import.hpp"

using namespace cimmc;

namespace {

void BM_infer_fashion_cnn(benchmark::State& state) {
  Config c = load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/fashion-cnn.yaml");
  c.task.count = static_cast<int>(state.range(0));
  c.task.calibration_count = 500;
  const infer::Network net = onnx::load_network(c.task.model);
  const infer::TaskData data = infer::load_task_data(c.task, net);
  EngineOptions opt;
  opt.backend = Backend::cpu;
  opt.threads = 1;
  double seconds = 0, cells = 0, top1 = 0;
  for (auto _ : state) {
    const infer::TaskResult r = infer::run_task(c, net, data, opt);
    seconds += r.macro_seconds;
    cells += static_cast<double>(r.chips[0].cell_reads);
    top1 = static_cast<double>(r.chips[0].correct) / r.images;
  }
  state.counters["images_per_s"] = static_cast<double>(state.iterations()) * c.task.count / seconds;
  state.counters["cell_reads_per_s"] = cells / seconds;
  state.counters["top1"] = top1;
}

void BM_onnx_load(benchmark::State& state) {
  const std::string path =
      std::string(CIMMC_SOURCE_DIR) + (state.range(0) == 0 ? "/data/models/fashion_cnn.onnx" : "/data/models/fashion_mlp.onnx");
  for (auto _ : state) benchmark::DoNotOptimize(onnx::load_network(path));
}

}  // namespace

BENCHMARK(BM_onnx_load)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_infer_fashion_cnn)->Arg(1000)->Arg(10000)->Unit(benchmark::kSecond)->Iterations(1);

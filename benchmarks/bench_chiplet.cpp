// The chiplet study of issue 15 on one core: ResNet-50 on a SIAM-like chiplet
// system swept over the chiplet size, statistical, parsed and run as `cimmc
// run --model statistical --threads 1` does (the full model: the SRAM cells'
// bitline energy follows the column value, which --energy-only does not predict).
//   BM_chiplet_resnet50_sweep/0: configs/chiplet-resnet50.yaml as shipped
//     (16 chiplet sizes, 1-72 chiplets).
//   BM_chiplet_resnet50_sweep/1: every size from 4 to 256 tiles per chiplet
//     (253 points, 1-54 chiplets).
//   Counters: points, chiplets_min / chiplets_max over the sweep, cpu_ms_per_point.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

#include "config/sweep.hpp"
#include "study/runner.hpp"

using namespace cimmc;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void BM_chiplet_resnet50_sweep(benchmark::State& state) {
  const std::string path = std::string(CIMMC_SOURCE_DIR) + "/configs/chiplet-resnet50.yaml";
  std::string text = read_text(path);
  if (state.range(0) == 1) {  // every chiplet size from 4 to 256 tiles
    const std::string key = "architecture.chiplets.tiles_per_chiplet: ";
    const std::size_t at = text.find(key) + key.size();
    std::string all = "[4";
    for (int t = 5; t <= 256; ++t) all += ", " + std::to_string(t);
    text.replace(at, text.find('\n', at) - at, all + "]");
  }
  StudyOptions o;
  o.model = Model::statistical;
  o.engine.backend = Backend::cpu;
  o.engine.threads = 1;
  StudyFile f;
  StudyStats st;
  double cpu_s = 0;  // process CPU time of the last iteration (the machine may be shared)
  for (auto _ : state) {
    const std::clock_t t0 = std::clock();
    const Sweep s = parse_sweep(text, path);
    st = StudyStats{};
    f = run_study(s, o, st);
    cpu_s = double(std::clock() - t0) / CLOCKS_PER_SEC;
  }
  const auto& chiplets = std::get<std::vector<std::int64_t>>(f.network.find("chiplets")->data);
  state.counters["points"] = double(st.points);
  state.counters["chiplets_min"] = double(*std::min_element(chiplets.begin(), chiplets.end()));
  state.counters["chiplets_max"] = double(*std::max_element(chiplets.begin(), chiplets.end()));
  state.counters["cpu_ms_per_point"] = 1e3 * cpu_s / double(st.points);
}

}  // namespace

BENCHMARK(BM_chiplet_resnet50_sweep)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(1);

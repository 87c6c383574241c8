// Analytic loop-nest evaluations per second on one core (issue 12 target:
// 10^6 mappings/s/core on ResNet-18 layers).
//   BM_loopnest_analyze/<layer>: analyze_unchecked() over a pool of 4,096
//     legal random mappings of the layer on a 4-level CiM hierarchy.
//   BM_loopnest_check_and_analyze/<layer>: mapping_error() then
//     analyze_unchecked() on the same pool: what a search pays per legal
//     candidate when it validates each one.
// Layers (ResNet-18, batch 1, as convs): 0 conv1 7x7/2 3->64 at 112x112,
// 1 conv2_x 3x3 64->64 at 56x56, 2 conv3_1 3x3/2 64->128 at 28x28,
// 3 conv4_x 3x3 256->256 at 14x14, 4 conv5_x 3x3 512->512 at 7x7,
// 5 downsample 1x1/2 128->256 at 14x14, 6 fc 512->1000.
//   BM_loopnest_analyze_im2col/<layer>: the six GEMMs im2col lowers conv1,
//     conv2_x .. conv5_x and fc to (0 12544x147x64, 1 3136x576x64,
//     2 784x1152x128, 3 196x2304x256, 4 49x4608x512, 5 1x512x1000), as
//     the model measured them before it knew convs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "loopnest/loopnest.hpp"
#include "loopnest_layers.hpp"

using namespace cimmc::loopnest;
using namespace loopnest_bench;

namespace {

// Random legal mappings: prime factors of each dimension dealt to random
// levels, temporally or spatially where the fan-out has room; random orders;
// kept only when mapping_error() accepts them (capacities included).
std::vector<LoopNest> legal_pool(const Hierarchy& h, const ConvShape& g, std::size_t want) {
  std::mt19937_64 rng(12);
  std::vector<LoopNest> pool;
  for (std::int64_t tries = 0; pool.size() < want; ++tries) {
    if (tries > 50'000'000) throw std::runtime_error("bench_loopnest: too few legal mappings found");
    LoopNest n = random_nest(rng, h, g);
    if (mapping_error(h, g, n).empty()) pool.push_back(std::move(n));
  }
  return pool;
}

void analyze_pool(benchmark::State& state, const ConvShape& g) {
  const Hierarchy h = cim_hierarchy();
  const std::vector<LoopNest> pool = legal_pool(h, g, 4096);
  std::size_t i = 0;
  std::int64_t sink = 0;
  for (auto _ : state) {
    const NestCounts c = analyze_unchecked(h, g, pool[i]);
    sink += c.at(0, Operand::weights).reads + c.at(1, Operand::inputs).fills;
    benchmark::DoNotOptimize(sink);
    i = (i + 1) & 4095;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(label(g));
}

void BM_loopnest_analyze(benchmark::State& state) { analyze_pool(state, kLayers[state.range(0)]); }
void BM_loopnest_analyze_im2col(benchmark::State& state) { analyze_pool(state, kIm2col[state.range(0)]); }

void BM_loopnest_check_and_analyze(benchmark::State& state) {
  const Hierarchy h = cim_hierarchy();
  const ConvShape g = kLayers[state.range(0)];
  const std::vector<LoopNest> pool = legal_pool(h, g, 4096);
  std::size_t i = 0;
  std::int64_t sink = 0;
  for (auto _ : state) {
    if (mapping_error(h, g, pool[i]).empty()) sink += analyze_unchecked(h, g, pool[i]).at(0, Operand::weights).reads;
    benchmark::DoNotOptimize(sink);
    i = (i + 1) & 4095;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(label(g));
}

}  // namespace

BENCHMARK(BM_loopnest_analyze)->DenseRange(0, 6);
BENCHMARK(BM_loopnest_check_and_analyze)->DenseRange(0, 6);
BENCHMARK(BM_loopnest_analyze_im2col)->DenseRange(0, 5);

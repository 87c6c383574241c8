// Analytic loop-nest evaluations per second on one core (issue 12 target:
// 10^6 mappings/s/core on ResNet-18 layers).
//   BM_loopnest_analyze/<layer>: analyze_unchecked() over a pool of 4,096
//     legal random mappings of the layer on a 4-level CiM hierarchy.
//   BM_loopnest_check_and_analyze/<layer>: mapping_error() then
//     analyze_unchecked() on the same pool: what a search pays per legal
//     candidate when it validates each one.
// Layers (batch 1, conv lowered by im2col): 0 conv1 12544x147x64,
// 1 conv2_x 3136x576x64, 2 conv3_x 784x1152x128, 3 conv4_x 196x2304x256,
// 4 conv5_x 49x4608x512, 5 fc 1x512x1000.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "loopnest/loopnest.hpp"

using namespace cimmc::loopnest;

namespace {

const GemmShape kLayers[] = {{12544, 147, 64}, {3136, 576, 64},  {784, 1152, 128},
                             {196, 2304, 256}, {49, 4608, 512}, {1, 512, 1000}};

StorageLevel make_level(const char* name, std::int64_t fanout, std::array<bool, 3> holds, Capacity cap) {
  StorageLevel l;
  l.name = name;
  l.set_fanout(fanout);
  l.holds = holds;
  l.capacity = cap;
  return l;
}

// DRAM -> global buffer (64 Ki words, 4 tiles) -> tile buffer (8 Ki words,
// inputs and outputs only, 4 macros) -> macro (128-word input register,
// 128 x 32 weight cells, 32 accumulators; its array spreads K over 128 rows
// and N over 32 columns: two fan-out axes, 128 rows admit K, 32 columns N).
Hierarchy cim_hierarchy() {
  Hierarchy h{{make_level("DRAM", 1, {true, true, true}, Capacity::unbounded()),
               make_level("GLB", 4, {true, true, true}, Capacity::shared(65536)),
               make_level("TileBuf", 4, {true, false, true}, Capacity::shared(8192)),
               make_level("Macro", 1, {true, true, true}, Capacity::per_operand(128, 4096, 32))}};
  h.levels[3].fanout = {FanoutAxis{128, 1u << int(Dim::K)}, FanoutAxis{32, 1u << int(Dim::N)}};
  return h;
}

// Random legal mappings: prime factors of each dimension dealt to random
// levels, temporally or spatially where the fan-out has room; random orders;
// kept only when mapping_error() accepts them (capacities included).
std::vector<LoopNest> legal_pool(const Hierarchy& h, const GemmShape& g, std::size_t want) {
  std::mt19937_64 rng(12);
  std::vector<LoopNest> pool;
  for (std::int64_t tries = 0; pool.size() < want; ++tries) {
    if (tries > 50'000'000) throw std::runtime_error("bench_loopnest: too few legal mappings found");
    LoopNest n = random_nest(rng, h, g);
    if (mapping_error(h, g, n).empty()) pool.push_back(std::move(n));
  }
  return pool;
}

// Built piece by piece: chained operator+ trips a false -Wrestrict in g++ 12.
std::string label(const GemmShape& g) {
  std::string s = "M";
  s += std::to_string(g.M);
  s += " K";
  s += std::to_string(g.K);
  s += " N";
  s += std::to_string(g.N);
  return s;
}

void BM_loopnest_analyze(benchmark::State& state) {
  const Hierarchy h = cim_hierarchy();
  const GemmShape g = kLayers[state.range(0)];
  const std::vector<LoopNest> pool = legal_pool(h, g, 4096);
  std::size_t i = 0;
  std::int64_t sink = 0;
  for (auto _ : state) {
    const NestCounts c = analyze_unchecked(h, g, pool[i]);
    sink += c.at(0, Operand::weights).reads;
    benchmark::DoNotOptimize(sink);
    i = (i + 1) & 4095;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(label(g));
}

void BM_loopnest_check_and_analyze(benchmark::State& state) {
  const Hierarchy h = cim_hierarchy();
  const GemmShape g = kLayers[state.range(0)];
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

BENCHMARK(BM_loopnest_analyze)->DenseRange(0, 5);
BENCHMARK(BM_loopnest_check_and_analyze)->DenseRange(0, 5);

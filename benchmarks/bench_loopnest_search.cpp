// Cost model and mapping search speed on one core (issue 12 targets: 10^6
// evaluations/s/core; a 10^5-mapping budget per ResNet-18 layer).
//   BM_loopnest_analyze_cost/<layer>: analyze_unchecked() + cost() over a
//     pool of 4,096 legal sampled mappings (Mapspace::sample) of the layer.
//   BM_loopnest_search/<layer>: search() with a 10^5 budget, energy
//     objective, best 1; counters: legal and evaluated mappings, exhaustive.
// Layers as in bench_loopnest.cpp (batch 1, im2col GEMMs). The hierarchy is
// bench_loopnest.cpp's (same capacities and fan-outs) with prices added; the
// prices are placeholders that only exercise every cost term (speed does
// not depend on their values).
#include <benchmark/benchmark.h>

#include <stdexcept>
#include <vector>

#include "loopnest/loopnest.hpp"
#include "loopnest/mapspace.hpp"
#include "loopnest/search.hpp"

using namespace cimmc::loopnest;

namespace {

const GemmShape kResNet18[] = {{12544, 147, 64}, {3136, 576, 64},  {784, 1152, 128},
                               {196, 2304, 256}, {49, 4608, 512}, {1, 512, 1000}};

Hierarchy priced_cim() {
  auto level = [](const char* name, std::array<bool, 3> holds, Capacity cap, double pj, double bw) {
    StorageLevel l;
    l.name = name;
    l.holds = holds;
    l.capacity = cap;
    for (PortEnergy& e : l.energy) e = {pj, 1.2 * pj};
    l.bandwidth_bits_per_cycle = bw;
    return l;
  };
  Hierarchy h{{level("DRAM", {true, true, true}, Capacity::unbounded(), 20, 64),
               level("GLB", {true, true, true}, Capacity::shared(65536), 1, 256),
               level("TileBuf", {true, false, true}, Capacity::shared(8192), 0.3, 128),
               level("Macro", {true, true, true}, Capacity::per_operand(128, 4096, 32), 0.05, 0)},
              1.0};
  h.levels[1].set_fanout(4);
  h.levels[1].link = {Topology::mesh, 2, 2, 0.1, 256};
  h.levels[2].set_fanout(4);
  h.levels[2].link = {Topology::tree, 0, 0, 0.05, 0};
  h.levels[2].double_buffered = true;
  h.levels[3].fanout = {FanoutAxis{128, 1u << int(Dim::K)}, FanoutAxis{32, 1u << int(Dim::N)}};
  return h;
}

CostParams bench_params() {
  CostParams p;
  p.bits = {8, 8, 24, 8};
  p.job_energy_pj = 500;
  p.cycles_per_run = 8;
  return p;
}

void BM_loopnest_analyze_cost(benchmark::State& state) {
  const Hierarchy h = priced_cim();
  const GemmShape g = kResNet18[state.range(0)];
  const Mapspace ms(h, g);
  SplitMix64 rng{7};
  std::vector<LoopNest> pool;
  LoopNest n;
  n.levels.resize(std::size_t(h.size()));
  for (std::int64_t tries = 0; pool.size() < 4096; ++tries) {
    if (tries > 50'000'000) throw std::runtime_error("bench: too few legal mappings found");
    ms.sample(rng, n);
    if (ms.fits(n)) pool.push_back(n);
  }
  const CostParams p = bench_params();
  std::size_t i = 0;
  double sink = 0;
  for (auto _ : state) {
    const LoopNest& m = pool[i];
    sink += cost(h, g, m, analyze_unchecked(h, g, m), p).total_pj;
    benchmark::DoNotOptimize(sink);
    i = (i + 1) & 4095;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_loopnest_search(benchmark::State& state) {
  const Hierarchy h = priced_cim();
  const GemmShape g = kResNet18[state.range(0)];
  SearchOptions o;
  o.budget = 100'000;
  SearchReport r;
  for (auto _ : state) {
    r = search(h, g, bench_params(), o);
    benchmark::DoNotOptimize(r.best.data());
  }
  state.counters["legal"] = double(r.legal);
  state.counters["evaluated"] = double(r.evaluated);
  state.counters["exhaustive"] = r.exhaustive ? 1 : 0;
  state.counters["best_uJ"] = r.best.empty() ? 0 : r.best[0].score * 1e-6;
}

}  // namespace

BENCHMARK(BM_loopnest_analyze_cost)->DenseRange(0, 5);
BENCHMARK(BM_loopnest_search)->DenseRange(0, 5)->Unit(benchmark::kMillisecond)->Iterations(3);

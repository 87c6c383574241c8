// Cost model and mapping search speed on one core (issue 12 targets: 10^6
// evaluations/s/core; a 10^5-mapping budget per ResNet-18 layer).
//   BM_loopnest_analyze_cost/<layer>: analyze_unchecked() + cost() over a
//     pool of 4,096 legal guided draws (Mapspace::sample) of the layer.
//   BM_loopnest_search/<layer>/<strategy>: search() with a 10^5 budget,
//     energy objective, best 1; strategy 0 = guided draws only, 1 = uniform
//     draws only (neither refined: the search before refinement), 2 = the
//     default (mixed guided and filled draws, a quarter of the budget
//     refining the best 4); counters: legal candidates and their fraction,
//     distinct factor splits among the legal draws of one run (strategy 2:
//     mixed draws), exhaustive, the best energy found, refinement moves taken.
// Layers and hierarchy: loopnest_layers.hpp (ResNet-18 convs and fc; macro
// fan-out rows admit C, R, S, columns admit M), with prices added and the
// tile buffer double-buffered (so it must hold two tiles). The prices are
// placeholders that only exercise every cost term (speed does not depend on
// their values).
#include <benchmark/benchmark.h>

#include <set>
#include <stdexcept>
#include <vector>

#include "loopnest/loopnest.hpp"
#include "loopnest/mapspace.hpp"
#include "loopnest/search.hpp"
#include "loopnest_layers.hpp"

using namespace cimmc::loopnest;
using namespace loopnest_bench;

namespace {

Hierarchy priced_cim() {
  Hierarchy h = cim_hierarchy();
  const double pj[] = {20, 1, 0.3, 0.05}, bw[] = {64, 256, 128, 0};
  for (int i = 0; i < h.size(); ++i) {
    StorageLevel& l = h.levels[std::size_t(i)];
    for (PortEnergy& e : l.energy) e = {pj[i], 1.2 * pj[i]};
    l.bandwidth_bits_per_cycle = bw[i];
  }
  h.levels[1].link = {Topology::mesh, 2, 2, 0.1, 256};
  h.levels[2].link = {Topology::tree, 0, 0, 0.05, 0};
  h.levels[2].double_buffered = true;
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
  const ConvShape g = kLayers[state.range(0)];
  const Mapspace ms(h, g);
  SplitMix64 rng{7};
  std::vector<LoopNest> pool;
  LoopNest n;
  n.levels.resize(std::size_t(h.size()));
  for (std::int64_t tries = 0; pool.size() < 4096; ++tries) {
    if (tries > 50'000'000) throw std::runtime_error("bench: too few legal mappings found");
    if (ms.sample(rng, n)) pool.push_back(n);
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
  state.SetLabel(label(g));
}

// Distinct factor splits among the legal draws of `draws` draws (outside the
// timed loop: a property of the sampler, not of the search's speed).
std::int64_t distinct_splits(const Mapspace& ms, Sampler sampler, std::int64_t draws) {
  SplitMix64 rng{1};
  LoopNest n;
  n.levels.resize(std::size_t(ms.hierarchy().size()));
  std::set<std::vector<std::int64_t>> seen;
  for (std::int64_t k = 0; k < draws; ++k) {
    bool ok;
    if (sampler == Sampler::uniform) {
      ms.sample_uniform(rng, n);
      ok = ms.fits(n);
    } else {
      ok = sampler == Sampler::guided || k % 2 == 0 ? ms.sample(rng, n) : ms.sample_filled(rng, n);
    }
    if (!ok) continue;
    std::vector<std::int64_t> f;
    for (const LevelLoops& l : n.levels) {
      f.insert(f.end(), l.temporal.begin(), l.temporal.end());
      f.insert(f.end(), l.spatial.begin(), l.spatial.end());
    }
    seen.insert(std::move(f));
  }
  return std::int64_t(seen.size());
}

void BM_loopnest_search(benchmark::State& state) {
  const Hierarchy h = priced_cim();
  const ConvShape g = kLayers[state.range(0)];
  SearchOptions o;
  o.budget = 100'000;
  const Sampler strategies[] = {Sampler::guided, Sampler::uniform, Sampler::mixed};
  o.sampler = strategies[state.range(1)];
  if (o.sampler != Sampler::mixed) o.refine_fraction = 0;
  SearchReport r;
  for (auto _ : state) {
    r = search(h, g, bench_params(), o);
    benchmark::DoNotOptimize(r.best.data());
  }
  state.counters["legal"] = double(r.legal);
  state.counters["legal_frac"] = double(r.legal) / double(r.candidates);
  state.counters["distinct"] = double(distinct_splits(Mapspace(h, g), o.sampler, r.draws));
  state.counters["moves_taken"] = double(r.refine_improved);
  state.counters["exhaustive"] = r.exhaustive ? 1 : 0;
  state.counters["best_uJ"] = r.best.empty() ? 0 : r.best[0].score * 1e-6;
  state.SetLabel(label(g));
}

}  // namespace

BENCHMARK(BM_loopnest_analyze_cost)->DenseRange(0, 6);
BENCHMARK(BM_loopnest_search)
    ->ArgsProduct({benchmark::CreateDenseRange(0, 6, 1), {0, 1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

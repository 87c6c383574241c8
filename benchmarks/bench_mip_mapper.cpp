// The MIP mapper against the random (sampled + refined) search on every
// layer of ResNet-18 (arg 0: EDP, 1: energy) or MobileNetV3 (arg 2: EDP) on
// configs/arch-miredo-dcim.yaml (issue 16):
//   BM_mip_vs_random: per layer, `--mapper mip` as plan runs it (the sampled
//   search at mapping.search_budget, whose best seeds the MIP, then the MIP
//   with a 10 s CPU limit), then the random search given at least the MIP's
//   whole CPU time, seed search included (its budget doubled from 10^3
//   draws until it has run that long: equal time or more), and
//   prints one table row per layer: the MIP's objective, status, gap, solves
//   and CPU seconds; the random search's objective, draws and seconds; and
//   their ratio. Counters: layers where the MIP is optimal, better, equal.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <ctime>
#include <string>

#include "config/config.hpp"
#include "hiermap/hiermap.hpp"
#include "study/hier_layers.hpp"

using namespace cimmc;
namespace ln = cimmc::loopnest;

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

void BM_mip_vs_random(benchmark::State& state) {
  Config c = load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/arch-miredo-dcim.yaml");
  if (state.range(0) == 1) c.mapping.objective = Objective::energy;
  if (state.range(0) == 2)
    c.network = load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/mobilenetv3.yaml").network;
  int optimal = 0, better = 0, equal = 0;
  for (auto _ : state) {
    std::printf("| layer | MIP %s | status | gap | solves | MIP s | random %s | draws | random s | random / MIP |\n",
                to_string(c.mapping.objective), to_string(c.mapping.objective));
    std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
    for (const LayerSpec& layer : c.network.layers) {
      MvmFiguresCache cache(c, layer);
      const hiermap::MvmFiguresFn mvm = [&](const hiermap::TileShape& t) { return cache(t); };
      const double t_seed = cpu_seconds();
      const hiermap::LayerSearch seed = hiermap::search_layer(c, layer, mvm, 1, c.mapping.search_budget);
      mipmap::MipOptions mo;
      mo.max_seconds = 10;
      mo.incumbents = seed.report.best;
      hiermap::LayerSearch m;
      if (!seed.report.exhaustive) m = hiermap::map_layer_mip(c, layer, mvm, mo);
      mipmap::MipReport r = m.mip_report;
      if (seed.report.exhaustive) {  // the enumeration is the proof, as in plan
        r.status = "enumerated";
        r.optimal = true;
        r.best = seed.report.best.front().score;
      }
      r.seconds = cpu_seconds() - t_seed;
      double rs = 0, best = 0;
      std::int64_t budget = 1000;
      for (;; budget *= 2) {
        ln::SearchOptions so;
        so.mode = ln::SearchMode::sampled;
        so.budget = budget;
        const double t0 = cpu_seconds();
        const hiermap::LayerSearch s = hiermap::search_layer(c, layer, mvm, so);
        rs = cpu_seconds() - t0;
        best = s.report.best.front().score;
        if (rs >= r.seconds) break;
      }
      optimal += r.optimal;
      better += r.best < best * (1 - 1e-9);
      equal += std::abs(r.best - best) <= 1e-9 * best;
      std::printf("| %s | %.4g | %s | %.2g | %lld | %.2f | %.4g | %lld | %.2f | %.3f |\n", layer.name.c_str(), r.best,
                  r.status.c_str(), r.gap, static_cast<long long>(r.solves), r.seconds, best,
                  static_cast<long long>(budget), rs, best / r.best);
      std::fflush(stdout);
    }
  }
  state.counters["optimal"] = optimal;
  state.counters["mip_better"] = better;
  state.counters["equal"] = equal;
}

}  // namespace

BENCHMARK(BM_mip_vs_random)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->Iterations(1);

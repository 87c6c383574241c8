// The MIP mapper against the random search and the default (pruned, guided)
// search at equal CPU time, on every layer of ResNet-18 (arg 0: EDP, 1:
// energy) or MobileNetV3 (arg 2: EDP) on configs/arch-miredo-dcim.yaml
// (issue 16's comparison table). One thread; CPU seconds of this thread,
// because the machine it was measured on is shared with other builds.
//   MIP: `--mapper mip` as plan runs it: the default search at
//     mapping.search_budget (enumeration when the pruned space fits, which is
//     then the proof), its best as the incumbent, then the MIP with a 10 s
//     CPU limit. T = the CPU time of both.
//   random: Mapspace::sample_uniform draws only (no guided draws, no hill
//     climbing), its budget grown until one run has used at least T.
//   default: loopnest::search's defaults (automatic: enumerates when the
//     pruned space fits the budget; else guided + filled draws refined by hill
//     climbing), its budget grown the same way (or until it enumerates).
// The macro's figures per tile shape are cached across the three (filled
// during the MIP's run): the searches after it get them free, so the
// comparison, if anything, favours them.
// One table row per layer and a network row: the objective of the layers'
// best mappings run in sequence (EDP: sum E x sum T), and a line of the sums
// of E and T per method, so that runs over parts of a network add up.
// CIMMC_BENCH_LAYERS=FIRST-LAST (0-based, inclusive) maps only those layers:
// the parts of a network can run as separate processes, one thread each.
// CIMMC_BENCH_MIP_ONLY=1 gives the two searches only their 1000-draw probe
// (the MIP's columns alone, in a third of the time); CIMMC_BENCH_NO_STRONG=1
// solves without CBC's strong branching from the start, CIMMC_BENCH_ROOT_ROUNDS=N
// sets the LP relaxation's cut rounds before the first solve; CIMMC_BENCH_DECOMPOSE=1
// solves one program per tile shape, CIMMC_BENCH_SHAPE_ROUNDS=N the LP rounds
// per shape before, CIMMC_BENCH_SPLIT_OUTER=1 splits each shape by the outer fan-outs' factors, CIMMC_BENCH_CBC_CUTS=1 turns CBC's cut generators on (off by default), CIMMC_BENCH_CBC_ARGS="-strong 10 ..." more options for CBC's driver (mipmap::MipOptions).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <sstream>
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

struct Timed {
  ln::RankedMapping best;
  std::int64_t budget = 0;
  double seconds = 0;
  bool enumerated = false;
};

// `so` run once with a budget large enough to use at least `seconds` of CPU:
// a probe of 1000 candidates gives the rate, then the budget is scaled (5%
// over) until one run is long enough, or the search enumerated the space.
Timed run_for(const Config& c, const LayerSpec& layer, const hiermap::MvmFiguresFn& mvm, ln::SearchOptions so,
              double seconds) {
  Timed r;
  for (so.budget = 1000;;) {
    const double t0 = cpu_seconds();
    const hiermap::LayerSearch s = hiermap::search_layer(c, layer, mvm, so);
    r = {s.report.best.front(), so.budget, cpu_seconds() - t0, s.report.exhaustive};
    if (r.seconds >= seconds || r.enumerated) return r;
    const double scale = std::max(1.05 * seconds / std::max(r.seconds, 1e-3), 1.5);
    so.budget = std::int64_t(std::ceil(double(so.budget) * scale));
  }
}

// The network's objective from its layers' best mappings, run in sequence.
struct Network {
  Objective objective;
  double pj = 0, ns = 0;
  void add(const ln::NestCost& c) { pj += c.total_pj, ns += c.ns; }
  double value() const { return objective == Objective::energy ? pj : objective == Objective::latency ? ns : pj * ns; }
};

// The layers CIMMC_BENCH_LAYERS names (all when unset).
std::pair<std::size_t, std::size_t> layer_range(std::size_t layers) {
  const char* e = std::getenv("CIMMC_BENCH_LAYERS");
  unsigned long first = 0, last = layers - 1;
  if (e && std::sscanf(e, "%lu-%lu", &first, &last) != 2) {
    std::fprintf(stderr, "CIMMC_BENCH_LAYERS: value '%s': must be FIRST-LAST\n", e);
    std::exit(2);
  }
  return {first, std::min<std::size_t>(last + 1, layers)};
}

void BM_mip_vs_random(benchmark::State& state) {
  Config c = load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/arch-miredo-dcim.yaml");
  if (state.range(0) == 1) c.mapping.objective = Objective::energy;
  if (state.range(0) == 2)
    c.network = load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/mobilenetv3.yaml").network;
  int optimal = 0, not_worse = 0, better = 0, not_worse_default = 0, better_default = 0;
  Network n_mip{c.mapping.objective}, n_random = n_mip, n_default = n_mip;
  double mip_seconds = 0;
  const char* obj = to_string(c.mapping.objective);
  for (auto _ : state) {
    std::printf("| layer | MIP %s | status | gap | solves | MIP s | random %s | random s | default %s | default s "
                "| random / MIP | default / MIP |\n",
                obj, obj, obj);
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    const auto [first, end] = layer_range(c.network.layers.size());
    for (std::size_t l = first; l < end; ++l) {
      const LayerSpec& layer = c.network.layers[l];
      MvmFiguresCache cache(c, layer);
      const hiermap::MvmFiguresFn mvm = [&](const hiermap::TileShape& t) { return cache(t); };
      const double t_seed = cpu_seconds();
      const hiermap::LayerSearch seed = hiermap::search_layer(c, layer, mvm, 1, c.mapping.search_budget);
      mipmap::MipOptions mo;
      mo.max_seconds = 10;
      mo.incumbents = seed.report.best;
      mo.strong_branching = std::getenv("CIMMC_BENCH_NO_STRONG") == nullptr;  // to compare CBC's settings
      if (const char* rr = std::getenv("CIMMC_BENCH_ROOT_ROUNDS")) mo.root_rounds = std::atoi(rr);
      mo.decompose = std::getenv("CIMMC_BENCH_DECOMPOSE") != nullptr;
      mo.split_outer = std::getenv("CIMMC_BENCH_SPLIT_OUTER") != nullptr;
      mo.cuts = std::getenv("CIMMC_BENCH_CBC_CUTS") != nullptr;
      if (const char* sr = std::getenv("CIMMC_BENCH_SHAPE_ROUNDS")) mo.shape_rounds = std::atoi(sr);
      if (const char* ca = std::getenv("CIMMC_BENCH_CBC_ARGS")) {  // e.g. "-preprocess off"
        std::istringstream words(ca);
        for (std::string w; words >> w;) mo.solver_args.push_back(w);
      }
      mipmap::MipReport r;
      if (seed.report.exhaustive) {  // the enumeration is the proof, as in plan
        r.status = "enumerated";
        r.optimal = true;
        r.best_mappings = seed.report.best;
        r.best = seed.report.best.front().score;
      } else {
        r = hiermap::map_layer_mip(c, layer, mvm, mo).mip_report;
      }
      r.seconds = cpu_seconds() - t_seed + r.solver_seconds;  // CBC runs in child processes
      if (mo.decompose)
        std::fprintf(stderr, "%s: shapes solved %lld, closed by their LP bound %lld\n", layer.name.c_str(),
                     static_cast<long long>(r.shapes_solved), static_cast<long long>(r.pruned));
      mip_seconds += r.seconds;

      ln::SearchOptions random;
      random.mode = ln::SearchMode::sampled;
      random.sampler = ln::Sampler::uniform;
      random.refine_fraction = 0;
      // CIMMC_BENCH_MIP_ONLY=1: the MIP column alone (the searches get 1000 draws).
      const bool mip_only = std::getenv("CIMMC_BENCH_MIP_ONLY") != nullptr;
      const Timed rs = run_for(c, layer, mvm, random, mip_only ? 0 : r.seconds);
      const Timed ds = run_for(c, layer, mvm, ln::SearchOptions{}, mip_only ? 0 : r.seconds);

      n_mip.add(r.best_mappings.front().cost);
      n_random.add(rs.best.cost);
      n_default.add(ds.best.cost);
      optimal += r.optimal;
      const auto le = [](double a, double b) { return a <= b * (1 + 1e-9); };
      not_worse += le(r.best, rs.best.score);
      better += r.best < rs.best.score * (1 - 1e-9);
      not_worse_default += le(r.best, ds.best.score);
      better_default += r.best < ds.best.score * (1 - 1e-9);
      std::printf("| %s | %.4g | %s%s | %.2g | %lld | %.2f | %.4g | %.2f | %.4g%s | %.2f | %.3f | %.3f |\n",
                  layer.name.c_str(), r.best, r.status.c_str(), r.retries ? " (retried)" : "", r.gap, static_cast<long long>(r.solves), r.seconds,
                  rs.best.score, rs.seconds, ds.best.score, ds.enumerated ? " (enum.)" : "", ds.seconds,
                  rs.best.score / r.best, ds.best.score / r.best);
      std::fflush(stdout);
    }
    std::printf("| network | %.4g | | | | %.1f | %.4g | | %.4g | | %.3f | %.3f |\n", n_mip.value(), mip_seconds,
                n_random.value(), n_default.value(), n_random.value() / n_mip.value(),
                n_default.value() / n_mip.value());
    std::printf("sums (pJ, ns): mip %.10g %.10g random %.10g %.10g default %.10g %.10g\n", n_mip.pj, n_mip.ns,
                n_random.pj, n_random.ns, n_default.pj, n_default.ns);
  }
  state.counters["layers"] = double(layer_range(c.network.layers.size()).second - layer_range(c.network.layers.size()).first);
  state.counters["optimal"] = optimal;
  state.counters["mip_le_random"] = not_worse;
  state.counters["mip_lt_random"] = better;
  state.counters["mip_le_default"] = not_worse_default;
  state.counters["mip_lt_default"] = better_default;
}

}  // namespace

BENCHMARK(BM_mip_vs_random)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->Iterations(1);

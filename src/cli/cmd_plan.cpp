// `cimmc plan CONFIG`: what a run would do, without sampling: points, layers,
// mappings (and why some were pruned), tile-job uses, unique jobs after
// dedupe, and an estimate of the sampling time.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

#include "cli/commands.hpp"
#include "engine/engine.hpp"
#include "study/estimate.hpp"
#include "study/partition.hpp"
#include "study/plan.hpp"
#include "study/shard.hpp"

namespace cimmc {

namespace {

// `--ranks N`: the partition an MPI run on N ranks would make (the run's own
// functions), priced in the run's units for the balance and in this machine's
// timed seconds for the wall time.
void print_ranks(const StudyPlan& plan, const SamplingEstimate& est, std::size_t ranks, std::size_t chunk_points,
                 int threads) {
  const std::size_t span = chunk_span(chunk_points, ranks);
  const PointRange all{0, plan.points.size()};
  const RankLoad units = rank_load(plan, all, span, ranks, [](const Config& j) { return job_cost(j); });
  const RankLoad secs = rank_load(plan, all, span, ranks, [&](const Config& j) {
    return (est.fixed_seconds + est.seconds_per_cell_read * job_cell_reads(j, j.run.samples, true)) / threads;
  });
  const auto [lo, hi] = std::minmax_element(units.jobs.begin(), units.jobs.end());
  std::printf("  on %zu MPI rank(s) x %d thread(s): chunks of %zu point(s), tile jobs dealt by estimated cost (LPT)\n",
              ranks, threads, span);
  std::printf("    load balance:     %.4f (largest rank's cost / mean; %zu to %zu jobs per rank)\n", units.balance(),
              *lo, *hi);
  std::printf("    predicted:        %.1f s sampling, %.1f%% parallel efficiency (ranks wait at each chunk's end)\n",
              secs.wall, 100.0 * secs.efficiency());
}

}  // namespace

int cmd_plan(const CliArgs& a) {
  const Sweep sweep = load_study(a);
  std::vector<const Config*> points;
  for (const SweepPoint& p : sweep.points) points.push_back(&p.config);
  const StudyPlan plan = make_plan(points, 0, points.size());
  std::map<std::string, std::size_t> reasons;
  std::size_t layers = 0;
  for (const PointPlan& pp : plan.points)
    for (const LayerPlan& lp : pp.layers) {
      ++layers;
      for (const std::string& r : lp.space.pruned) ++reasons[r];
    }
  const int threads = a.threads > 0 ? a.threads : omp_get_max_threads();
  EngineOptions eo;
  eo.backend = Backend::cpu;
  eo.cpu_isa = parse_cpu_isa(a.cpu_isa);
  const SamplingEstimate est = estimate_sampling(plan, eo, threads);
  std::printf("%s: %zu hardware point(s)", sweep.points.front().config.name.c_str(), sweep.points.size());
  if (!sweep.keys.empty()) {
    std::printf(" over");
    for (const std::string& k : sweep.keys) std::printf(" %s", k.c_str());
  }
  std::printf("\n  layer evaluations:  %zu\n", layers);
  std::printf("  mappings:           %zu feasible, %zu pruned\n", plan.mappings, plan.pruned);
  for (const auto& [reason, count] : reasons) std::printf("    pruned x%zu: %s\n", count, reason.c_str());
  std::printf("  tile-job uses:      %zu\n", plan.job_refs);
  std::printf("  unique tile jobs:   %zu (dedupe saves %.1f%%)\n", plan.jobs.size(),
              plan.job_refs ? 100.0 * (1.0 - static_cast<double>(plan.jobs.size()) / plan.job_refs) : 0.0);
  std::printf("  cell reads:         %.3g\n", plan.cell_reads);
  std::printf("  estimated sampling: %.1f s on %d CPU thread(s) (%zu tile job(s) timed here", est.seconds, threads,
              est.jobs_timed);
  if (est.seconds_per_cell_read > 0)
    std::printf(": %.2g s each before sampling, then %.2g cell reads/s per core)\n", est.fixed_seconds,
                1.0 / est.seconds_per_cell_read);
  else
    std::printf(", whole: one array instance each)\n");
  if (a.ranks > 0) print_ranks(plan, est, a.ranks, a.chunk_points, threads);
  return 0;
}

}  // namespace cimmc

// `cimmc plan CONFIG`: what a run would do, without sampling: points, layers,
// mappings (and why some were pruned), tile-job uses, unique jobs after
// dedupe, and an estimate of the sampling time.
#include <omp.h>

#include <cstdio>
#include <iostream>
#include <map>

#include "cli/commands.hpp"
#include "engine/engine.hpp"
#include "study/estimate.hpp"
#include "study/plan.hpp"

namespace cimmc {

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
  return 0;
}

}  // namespace cimmc

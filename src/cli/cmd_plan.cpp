// `cimmc plan CONFIG`: what a run would do, without sampling: points, layers,
// mappings (and why some were pruned), tile-job uses, unique jobs after
// dedupe, and an estimate of the sampling time. Sweeps are planned a chunk at
// a time; beyond study/plan_summary.hpp's exact limit they are summarised
// from a sample, and the output says so.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "cli/commands.hpp"
#include "engine/engine.hpp"
#include "study/estimate.hpp"
#include "study/partition.hpp"
#include "study/pipeline.hpp"
#include "study/plan.hpp"
#include "study/plan_summary.hpp"
#include "study/shard.hpp"

namespace cimmc {

namespace {

// `--ranks N[,N...]`: the partition an MPI run on N ranks would make (the
// run's own functions), priced in the run's units for the balance and in this
// machine's timed seconds for the wall time (the run's schedule replayed by
// PipelineClock). The sweep is planned a chunk at a
// time, once for all the rank counts (stream_rank_load), so any size works,
// in time proportional to its points.
void print_ranks(const SweepSource& sweep, const CliArgs& a, const SamplingEstimate& est, int threads) {
  std::vector<RankLayout> layouts;
  for (std::size_t r : a.ranks) layouts.push_back({r, chunk_span(a.chunk_points, r)});
  const auto plan_points = [&](std::size_t first, std::size_t last) {
    std::vector<SweepPoint> pts = sweep.points(first, last);
    std::vector<const Config*> cfgs;
    for (SweepPoint& p : pts) {
      apply_overrides(p.config, a);
      cfgs.push_back(&p.config);
    }
    return make_plan(cfgs, 0, cfgs.size());
  };
  const auto loads = stream_rank_load(
      plan_points, sweep.size(), layouts, 256,
      {[](const Config& j) { return job_cost(j); },
       [&](const Config& j) {
         return (est.fixed_seconds + est.seconds_per_cell_read * job_cell_reads(j, j.run.samples, true)) / threads;
       }});
  for (std::size_t l = 0; l < layouts.size(); ++l) {
    const RankLoad &units = loads[l][0], &secs = loads[l][1];
    const auto [lo, hi] = std::minmax_element(units.jobs.begin(), units.jobs.end());
    std::printf("  on %zu MPI rank(s) x %d thread(s): chunks of %zu point(s), tile jobs dealt by estimated cost (LPT)\n",
                layouts[l].ranks, threads, layouts[l].span);
    std::printf("    load balance:     %.4f (largest rank's cost / mean; %zu to %zu jobs per rank)\n", units.balance(),
                *lo, *hi);
    // Two efficiencies: in the cost the deal balances (cell reads plus a
    // fixed cost per job), and in this machine's timed seconds, which weigh
    // the fixed cost differently: the gap is the deal's cost model, not the
    // schedule.
    std::printf("    predicted:        %.1f s sampling, %.1f%% parallel efficiency (%.1f%% in the dealt cost units; "
                "ranks run up to %zu chunks ahead of rank 0; largest job %.2f s)\n",
                secs.wall, 100.0 * secs.efficiency(), 100.0 * units.efficiency(), kRoundsAhead, secs.largest);
  }
}

}  // namespace

int cmd_plan(const CliArgs& a) {
  const SweepSource sweep = SweepSource::load(a.config);
  SummaryOptions opt;
  opt.adjust = [&](Config& c) { apply_overrides(c, a); };
  opt.threads = a.threads > 0 ? a.threads : omp_get_max_threads();
  opt.engine.backend = Backend::cpu;
  opt.engine.cpu_isa = parse_cpu_isa(a.cpu_isa);
  std::optional<PointPlan> first_plan;  // point 0 as planned: its hierarchy searches are reported, not redone
  std::optional<Config> first_config;
  opt.first_point = [&](const PointPlan& p, const Config& c) {
    first_plan = p;
    first_config = c;
  };
  const PlanSummary s = summarize_plan(sweep, opt);
  const char* about = s.exact ? "" : "~";
  const std::string name = sweep.points_at({0}).front().config.name;
  std::printf("%s: %zu hardware point(s)", name.c_str(), s.points);
  if (!sweep.keys().empty()) {
    std::printf(" over");
    for (const std::string& k : sweep.keys()) std::printf(" %s", k.c_str());
  }
  std::printf("\n");
  if (!s.exact) {
    std::printf("  summarised from %zu planned point(s): every swept value once, and an even sample; '~' marks "
                "estimates\n", s.points_planned);
    std::printf("  axes that change tile jobs:");
    for (const std::string& k : s.job_axes) std::printf(" %s", k.c_str());
    std::printf("%s\n", s.job_axes.empty() ? " none" : "");
  }
  std::printf("  layer evaluations:  %s%.0f\n", about, s.layer_evaluations);
  std::printf("  mappings:           %s%.0f feasible, %s%.0f pruned\n", about, s.mappings, about, s.pruned);
  for (const auto& [reason, count] : s.pruned_reasons) std::printf("    pruned x%s%.0f: %s\n", about, count, reason.c_str());
  std::printf("  tile-job uses:      %s%.0f\n", about, s.job_refs);
  std::printf("  unique tile jobs:   %s%.0f (dedupe saves %.1f%%)\n", about, s.unique_jobs,
              s.job_refs > 0 ? 100.0 * (1.0 - s.unique_jobs / s.job_refs) : 0.0);
  std::printf("  cell reads:         %s%.3g\n", about, s.cell_reads);
  const SamplingEstimate& est = s.estimate;
  std::printf("  estimated sampling: %.1f s on %d CPU thread(s) (%zu tile job(s) timed here", est.seconds, opt.threads,
              est.jobs_timed);
  if (est.seconds_per_cell_read > 0)
    std::printf(": %.2g s each before sampling, then %.2g cell reads/s per core)\n", est.fixed_seconds,
                1.0 / est.seconds_per_cell_read);
  else
    std::printf(", whole: one array instance each)\n");
  if (first_plan && uses_hierarchy(*first_config)) print_hierarchy_plan(*first_plan, *first_config);
  if (first_plan && uses_chiplets(*first_config)) print_chiplet_plan(*first_plan);
  if (!a.ranks.empty()) print_ranks(sweep, a, est, opt.threads);
  return 0;
}

}  // namespace cimmc

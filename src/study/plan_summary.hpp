// What `cimmc plan` reports, computed in bounded memory for sweeps of any
// size. Up to `exact_limit` points, every point is built, validated and
// planned, a chunk at a time (only the unique job ids are kept across
// chunks): the counts are exact. Beyond it (issue 10: a 10^7-point sweep in
// under a minute and a gigabyte), the sweep is summarised from
//   - its star: point 0 and every step of every grid axis with the other axes
//     at step 0 (so every swept value is validated once), and
//   - `sample_points` points spread evenly over the whole index range,
// and the counts are estimates, said so in the output:
//   - layer evaluations, mappings, pruned mappings and tile-job uses: the
//     sample's mean per point times the points;
//   - unique tile jobs: an axis is job-relevant when its steps along the
//     star give different sets of tile jobs; the grid's distinct job-relevant
//     combinations are the product, over those axes, of their distinct job
//     sets, and each combination is taken to bring the sample's mean number of
//     unique jobs per combination seen (exact when relevant axes combine
//     freely and no two combinations share a job); explicit points add theirs
//     in proportion to the ones sampled;
//   - cell reads: the sample's mean per unique job times the unique jobs.
#pragma once
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "config/sweep.hpp"
#include "engine/engine.hpp"
#include "study/estimate.hpp"
#include "study/plan.hpp"

namespace cimmc {

struct SummaryOptions {
  std::size_t exact_limit = 20000;   // more points than this: summarised from a sample
  std::size_t sample_points = 1000;  // evenly spaced points of a summarised sweep
  std::size_t chunk_points = 64;     // points built and planned at once
  std::function<void(Config&)> adjust;  // CLI overrides applied to every point (then validated by the caller's rule)
  EngineOptions engine;              // for timing the estimate
  int threads = 1;
  std::size_t timed_jobs = 8;        // jobs sampled briefly for the time estimate
  // Called with point 0's plan and config when it is planned (for reports
  // that would otherwise plan it again, e.g. its hierarchy searches).
  std::function<void(const PointPlan&, const Config&)> first_point;
};

struct PlanSummary {
  std::size_t points = 0;
  bool exact = true;
  std::size_t points_planned = 0;    // points built, validated and planned
  double layer_evaluations = 0, mappings = 0, pruned = 0, job_refs = 0;
  std::map<std::string, double> pruned_reasons;
  double unique_jobs = 0;
  double cell_reads = 0;             // sampling work of the unique jobs, without pilots
  std::vector<std::string> job_axes;  // summarised grid: the axes (their first key) that change tile jobs
  SamplingEstimate estimate;
};

PlanSummary summarize_plan(const SweepSource& sweep, const SummaryOptions& opt);

}  // namespace cimmc

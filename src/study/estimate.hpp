// How long sampling a plan will take on this machine: a few of its tile jobs
// are sampled briefly at two sizes and timed, which separates each job's fixed
// cost (operand tables, pilot set-up) from its cost per sample, and the plan's
// cell reads are priced with what was measured. A constant throughput from the
// macro benchmark underestimated the shipped 1,024-point sweep 25-fold: its
// jobs are small and mostly on the conductance path.
#pragma once
#include <cstddef>
#include <vector>

#include "engine/engine.hpp"
#include "study/plan.hpp"

namespace cimmc {

struct SamplingEstimate {
  double seconds = 0;              // the whole plan on `threads` threads
  std::size_t jobs_timed = 0;
  double fixed_seconds = 0;        // per job, mean of the timed ones
  double seconds_per_cell_read = 0;
};

// Times up to `max_jobs` jobs spread evenly over the plan, stopping early once
// `budget_seconds` are spent (at least one job is always timed).
SamplingEstimate estimate_sampling(const StudyPlan& plan, const EngineOptions& opt, int threads,
                                   std::size_t max_jobs = 8, double budget_seconds = 1.0);

// The same measurement on jobs the caller picked (`timed`, all of them unless
// the budget runs out first), priced for a study of `unique_jobs` jobs with
// `total_reads` cell reads (job_cell_reads with the pilot): for plans that
// are streamed or sampled and never hold every job.
SamplingEstimate estimate_sampling(const std::vector<const Config*>& timed, double unique_jobs, double total_reads,
                                   const EngineOptions& opt, int threads, double budget_seconds = 1.0);

}  // namespace cimmc

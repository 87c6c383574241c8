// Shards of a sweep for Slurm job arrays (`cimmc run --shard I/N`): the
// points are cut into N contiguous ranges of about equal sampling work, and
// the same plan gives the same cut on every machine and for every I. A shard
// samples every tile job its points use, including jobs another shard uses
// too: jobs are keyed by their content, so both draw the same numbers and
// `cimmc merge` keeps one row of each (study/merge.hpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/study_file.hpp"
#include "study/plan.hpp"

namespace cimmc {

struct PointRange {
  std::size_t begin = 0, end = 0;  // plan.points[begin, end)
};

// Sampling work of one tile job in cell reads: its samples and calibration
// pilot, plus a fixed cost per job (operand tables, set-up) expressed in cell
// reads. Pure arithmetic on the job, so every machine gets the same number.
double job_cost(const Config& job);

// Work of a shard of points [r.begin, r.end): each tile job they use, once.
double range_cost(const StudyPlan& plan, PointRange r);

// Cuts the plan's points into `count` contiguous non-empty ranges, in order,
// that minimize the largest range_cost (exact: the cost only grows as a range
// grows, so filling greedily up to a bound is optimal, and the bound is found
// by bisection). Throws std::invalid_argument when count is 0 or more than
// the points.
std::vector<PointRange> split_points(const StudyPlan& plan, std::size_t count);

// What split_points needs of a plan, in 4 bytes per (point, unique job) and a
// cost per job, so a sweep too large for one plan can be cut
// (study/stream_pass.cpp gathers it a chunk of points at a time): point p's
// unique jobs are job[end[p-1] .. end[p]) (from 0 for p = 0), indices into cost.
struct PointJobs {
  std::vector<std::uint64_t> end;
  std::vector<std::uint32_t> job;
  std::vector<double> cost;  // job_cost of each job
  std::size_t points() const { return end.size(); }
};
std::vector<PointRange> split_points(const PointJobs& uses, std::size_t count);
// Appends `plan`'s points to `uses`: each point's unique jobs in first-use
// order, plan job j as `index(j)` (which appends a new job's cost to
// uses.cost when it returns a new index).
void append_point_jobs(const StudyPlan& plan, PointJobs& uses, const std::function<std::uint32_t(std::size_t)>& index);

// The cut of statistical shards: `count` contiguous ranges of points as equal
// in number as they can be (the first total % count hold one more), shard
// `index`'s given. Known from the point count alone, so a shard builds only
// its own points (study/stream_pass.hpp). split_points's cost is sampling
// work, which analytic jobs do not have; what a statistical point costs is
// its planning and roll-up, about the same for every point. Throws
// std::invalid_argument as split_points does.
PointRange equal_points(std::size_t total, std::size_t count, std::size_t index);

// "I/N" with 0 <= I < N; throws std::invalid_argument naming the rule.
ShardLayout parse_shard(const std::string& text);

}  // namespace cimmc

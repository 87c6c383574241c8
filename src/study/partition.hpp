// How an MPI run spreads a study's sampling over its ranks, and what that
// predicts. The run is cut into chunks of points; each chunk's tile jobs that
// no earlier chunk sampled are dealt to the ranks by LPT (longest processing
// time first) on their estimated cost (job_cost, study/shard.hpp), onto the
// loads the ranks already carry from earlier chunks. The ranks do not meet at
// a chunk's end: each sends its share to rank 0 and goes on with the next
// chunk, while rank 0 rolls up, appends the rows and checkpoints
// (study/pipeline.hpp). `cimmc run` under mpirun and `cimmc plan --ranks` both
// call these functions, so the plan predicts the partition the run makes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "study/plan.hpp"
#include "study/shard.hpp"

namespace cimmc {

// Points per chunk of a run on `ranks` ranks: --chunk-points per rank, so
// that each rank has jobs to sample in every chunk however many ranks there
// are (one process: chunk_points itself).
std::size_t chunk_span(std::size_t chunk_points, std::size_t ranks);

// LPT: items in decreasing cost (equal costs in index order), each to the
// rank with the least cost so far (equal loads: the lowest rank). Returns the
// rank of each item. Pure arithmetic in a fixed order: the same costs give
// the same partition on every rank and machine. Throws std::invalid_argument
// when ranks is 0.
std::vector<std::uint32_t> partition_lpt(const std::vector<double>& cost, std::size_t ranks);

// LPT onto loads the ranks already carry (loads.size() ranks; it adds the
// items' costs to them). Dealt so round after round, a chunk of fewer jobs
// than ranks goes to the ranks that have had least so far, not always to the
// low ranks: with no barrier per chunk, that is what balances the whole run.
std::vector<std::uint32_t> deal_lpt(const std::vector<double>& cost, std::vector<double>& loads);

// The tile jobs each chunk of points [range.begin, range.end) samples: those
// its points use that no earlier chunk of the range did, in first-use order.
std::vector<std::vector<std::size_t>> chunk_jobs(const StudyPlan& plan, PointRange range, std::size_t span);

// deal_lpt of plan jobs `jobs` by job_cost onto `loads`.
std::vector<std::uint32_t> deal_jobs(const StudyPlan& plan, const std::vector<std::size_t>& jobs,
                                     std::vector<double>& loads);

// What the partition of a whole run gives, priced by `price` (job_cost for
// the run's own units, or seconds from estimate_sampling).
struct RankLoad {
  std::vector<double> cost;       // per rank, all chunks
  std::vector<std::size_t> jobs;  // per rank, all chunks
  double total = 0;               // all ranks
  double wall = 0;                // when rank 0 has taken the last chunk (PipelineClock)
  double largest = 0;             // the largest single job: no rank count finishes sooner
  double balance() const;         // largest rank total / mean rank total (1 = perfect)
  double efficiency() const;      // total / (ranks * wall)
};
RankLoad rank_load(const StudyPlan& plan, PointRange range, std::size_t span, std::size_t ranks,
                   const std::function<double(const Config&)>& price);

// A run's layout for stream_rank_load: ranks, and points per chunk (chunk_span).
struct RankLayout {
  std::size_t ranks = 1, span = 1;
};

// rank_load of a whole sweep of `points` points that is never planned at
// once: plan_points(first, last) plans points [first, last) (at most `step`
// at a time, with their own job indices), and only the keys of the jobs seen
// stay between calls. One pass serves several layouts (`cimmc plan --ranks
// 64,512,4096`): out[layout][price] is the same numbers as rank_load on the
// whole plan with that layout and price, for sweeps beyond what one plan
// holds (10^6 points).
std::vector<std::vector<RankLoad>> stream_rank_load(
    const std::function<StudyPlan(std::size_t first, std::size_t last)>& plan_points, std::size_t points,
    const std::vector<RankLayout>& layouts, std::size_t step,
    const std::vector<std::function<double(const Config&)>>& prices);

}  // namespace cimmc

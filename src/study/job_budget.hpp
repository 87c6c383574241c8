// The memory a sampled study spends on tile-job results, bounded by a byte
// budget (issue 10: with a 16-bit ADC every job holds 65,536 codes x 32 batch
// groups of histograms, and a chunk of 8 ResNet-18 points took 5.7 GB).
//
// A chunk's jobs are sampled in sub-batches that fit the budget; each job is
// priced for the chunk's uses right after its sub-batch, so its histograms can
// go. Only jobs a later chunk uses are kept, and only while the kept ones fill
// at most half the budget (the other half is for sampling); a job that does
// not fit is dropped and sampled again by the next chunk that needs it. Its
// draws depend only on (seed, job id, job), so the tables are bit-identical
// for any budget; only time grows. A job larger than the whole budget is
// sampled alone: the budget then holds for everything but that one job.
//
// Every decision depends only on the plan and job_bytes estimates, so all the
// ranks of an MPI run make the same ones (rank 0 alone holds the results).
#pragma once
#include <cstddef>
#include <vector>

#include "study/plan.hpp"

namespace cimmc {

class JobBudget {
 public:
  JobBudget(const StudyPlan& plan, std::size_t budget_bytes);

  // `need` cut into consecutive sub-batches, each within what the kept jobs
  // leave of the budget (a job too large for that alone forms its own batch).
  std::vector<std::vector<std::size_t>> batches(const std::vector<std::size_t>& need);
  // After job j's batch: whether to keep its result for a later chunk (it is
  // then counted as kept until release).
  bool keep(std::size_t j);
  bool kept(std::size_t j) const { return kept_[j]; }
  void release(std::size_t j);

  // The largest estimate of result bytes held at once (kept + one batch).
  std::size_t peak() const { return peak_; }
  std::size_t budget() const { return budget_; }

 private:
  const StudyPlan& plan_;
  std::size_t budget_, kept_bytes_ = 0, peak_ = 0;
  std::vector<std::size_t> sampling_, result_;  // per job, 0 until first needed
  std::vector<char> kept_;
  void estimate(std::size_t j);
};

}  // namespace cimmc

#include "study/job_budget.hpp"

#include <algorithm>

#include "engine/engine.hpp"

namespace cimmc {

JobBudget::JobBudget(const StudyPlan& plan, std::size_t budget_bytes)
    : plan_(plan), budget_(budget_bytes), sampling_(plan.jobs.size(), 0), result_(plan.jobs.size(), 0),
      kept_(plan.jobs.size(), 0) {}

void JobBudget::estimate(std::size_t j) {
  if (sampling_[j] > 0) return;
  const JobBytes b = job_bytes(plan_.jobs[j]);
  sampling_[j] = b.sampling;
  result_[j] = b.result;
}

std::vector<std::vector<std::size_t>> JobBudget::batches(const std::vector<std::size_t>& need) {
  const std::size_t room = budget_ > kept_bytes_ ? budget_ - kept_bytes_ : 0;
  std::vector<std::vector<std::size_t>> out;
  std::size_t bytes = 0;
  for (std::size_t j : need) {
    estimate(j);
    if (out.empty() || bytes + sampling_[j] > room) {
      if (!out.empty()) peak_ = std::max(peak_, kept_bytes_ + bytes);
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(j);
    bytes += sampling_[j];
  }
  if (!out.empty()) peak_ = std::max(peak_, kept_bytes_ + bytes);
  return out;
}

bool JobBudget::keep(std::size_t j) {
  estimate(j);
  if (kept_[j] || kept_bytes_ + result_[j] > budget_ / 2) return kept_[j];
  kept_[j] = 1;
  kept_bytes_ += result_[j];
  return true;
}

void JobBudget::release(std::size_t j) {
  if (!kept_[j]) return;
  kept_[j] = 0;
  kept_bytes_ -= result_[j];
}

}  // namespace cimmc

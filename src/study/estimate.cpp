#include "study/estimate.hpp"

#include <algorithm>
#include <chrono>

namespace cimmc {
namespace {

double seconds_of(const Config& job, const EngineOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  run_jobs({&job}, {philox::JobId{}}, opt);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double reads(const Config& job, std::uint64_t samples) { return job_cell_reads(job, samples, true); }

}  // namespace

SamplingEstimate estimate_sampling(const std::vector<const Config*>& timed, double unique_jobs, double total_reads,
                                   const EngineOptions& opt_in, int threads, double budget_seconds) {
  SamplingEstimate e;
  if (timed.empty()) return e;
  EngineOptions opt = opt_in;
  opt.threads = 1;
  opt.progress = nullptr;
  const auto t0 = std::chrono::steady_clock::now();
  double fixed = 0, slope = 0;
  for (const Config* jp : timed) {
    const Config& job = *jp;
    // One array instance, then up to 16: the difference is the cost of the
    // extra samples, the rest is what a job costs before its first sample.
    const std::uint64_t per = static_cast<std::uint64_t>(job.run.inputs_per_instance);
    const std::uint64_t a = std::min<std::uint64_t>(job.run.samples, per);
    const std::uint64_t b = std::min<std::uint64_t>(job.run.samples, 16 * per);
    Config small = job;
    small.run.samples = a;
    const double ta = seconds_of(small, opt);
    double s = 0;
    if (b > a) {
      small.run.samples = b;
      s = std::max(0.0, (seconds_of(small, opt) - ta) / (reads(job, b) - reads(job, a)));
    }
    slope += s;
    fixed += std::max(0.0, ta - s * reads(job, a));
    ++e.jobs_timed;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > budget_seconds) break;
  }
  e.fixed_seconds = fixed / e.jobs_timed;
  e.seconds_per_cell_read = slope / e.jobs_timed;
  e.seconds = (e.fixed_seconds * unique_jobs + e.seconds_per_cell_read * total_reads) / std::max(1, threads);
  return e;
}

SamplingEstimate estimate_sampling(const StudyPlan& plan, const EngineOptions& opt, int threads,
                                   std::size_t max_jobs, double budget_seconds) {
  const std::size_t n = plan.jobs.size(), k = std::min(max_jobs, n);
  std::vector<const Config*> timed;
  for (std::size_t i = 0; i < k; ++i) timed.push_back(&plan.jobs[i * n / k]);
  double total_reads = 0;
  for (const Config& job : plan.jobs) total_reads += reads(job, job.run.samples);
  return estimate_sampling(timed, static_cast<double>(n), total_reads, opt, threads, budget_seconds);
}

}  // namespace cimmc

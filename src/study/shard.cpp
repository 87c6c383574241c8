#include "study/shard.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <stdexcept>

namespace cimmc {
namespace {

// What a tile job costs before its first sample, in cell reads. `cimmc plan
// configs/sweep-resnet18.yaml` on the 2-core Xeon build machine timed 0.0015 s
// per job before sampling and 7.9e9 cell reads/s per core: 1.2e7 reads. A
// constant, not a measurement, so that every machine cuts the same shards.
constexpr double kJobFixedReads = 1.0e7;

// Unique jobs of each point, in first-use order.
PointJobs jobs_per_point(const StudyPlan& plan) {
  PointJobs out;
  for (const Config& j : plan.jobs) out.cost.push_back(job_cost(j));
  append_point_jobs(plan, out, [](std::size_t j) { return static_cast<std::uint32_t>(j); });
  return out;
}

// Greedy fill up to `bound`, leaving at least one point for each shard still
// to come; the ranges it cut, or none when `count` ranges do not suffice.
std::vector<PointRange> fill(const PointJobs& uses, std::size_t count, double bound) {
  std::vector<std::size_t> stamp(uses.cost.size(), SIZE_MAX);  // the last shard that took each job
  std::vector<PointRange> out;
  const std::size_t n = uses.points();
  std::size_t begin = 0;
  while (begin < n) {
    if (out.size() == count) return {};
    const std::size_t shard = out.size(), left_after = count - shard - 1;
    double sum = 0;
    std::size_t end = begin;
    while (end < n && n - end > left_after) {
      const std::uint32_t* first = uses.job.data() + (end ? uses.end[end - 1] : 0);
      const std::uint32_t* last = uses.job.data() + uses.end[end];
      double add = 0;
      for (const std::uint32_t* j = first; j != last; ++j)
        if (stamp[*j] != shard) add += uses.cost[*j];
      if (end > begin && sum + add > bound) break;
      for (const std::uint32_t* j = first; j != last; ++j) stamp[*j] = shard;
      sum += add;
      ++end;
    }
    out.push_back({begin, end});
    begin = end;
  }
  return out;  // exactly `count`: each range leaves a point for every later one
}

}  // namespace

void append_point_jobs(const StudyPlan& plan, PointJobs& uses, const std::function<std::uint32_t(std::size_t)>& index) {
  std::vector<std::size_t> stamp(plan.jobs.size(), SIZE_MAX);  // the last point that used each job
  for (std::size_t p = 0; p < plan.points.size(); ++p) {
    for (const LayerPlan& lp : plan.points[p].layers)
      for (const auto& ids : lp.jobs)
        for (std::size_t j : ids)
          if (stamp[j] != p) {
            stamp[j] = p;
            uses.job.push_back(index(j));
          }
    uses.end.push_back(uses.job.size());
  }
}

double job_cost(const Config& job) {
  return job_cell_reads(job, job.run.samples, true) + kJobFixedReads;
}

double range_cost(const StudyPlan& plan, PointRange r) {
  std::vector<bool> seen(plan.jobs.size(), false);
  double sum = 0;
  for (std::size_t p = r.begin; p < r.end; ++p)
    for (const LayerPlan& lp : plan.points[p].layers)
      for (const auto& ids : lp.jobs)
        for (std::size_t j : ids)
          if (!seen[j]) {
            seen[j] = true;
            sum += job_cost(plan.jobs[j]);
          }
  return sum;
}

std::vector<PointRange> split_points(const StudyPlan& plan, std::size_t count) {
  return split_points(jobs_per_point(plan), count);
}

std::vector<PointRange> split_points(const PointJobs& uses, std::size_t count) {
  const std::size_t n = uses.points();
  if (count == 0) throw std::invalid_argument("the number of shards must be at least 1");
  if (count > n)
    throw std::invalid_argument("cannot cut " + std::to_string(n) + " point(s) into " + std::to_string(count) +
                                " shards (at most one shard per point)");
  double total = 0;
  for (double c : uses.cost) total += c;
  // The smallest bound that `count` greedy ranges meet. Bisection on doubles in
  // a fixed number of steps: the same arithmetic, so the same cut, everywhere.
  double lo = 0, hi = total;
  std::vector<PointRange> best = fill(uses, count, hi);
  for (int step = 0; step < 64 && lo < hi; ++step) {
    const double mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    std::vector<PointRange> r = fill(uses, count, mid);
    if (r.empty()) {
      lo = mid;
    } else {
      hi = mid;
      best = std::move(r);
    }
  }
  return best;
}

PointRange equal_points(std::size_t total, std::size_t count, std::size_t index) {
  if (count == 0) throw std::invalid_argument("the number of shards must be at least 1");
  if (count > total)
    throw std::invalid_argument("cannot cut " + std::to_string(total) + " point(s) into " + std::to_string(count) +
                                " shards (at most one shard per point)");
  if (index >= count) throw std::invalid_argument("shard " + std::to_string(index) + " of " + std::to_string(count));
  const std::size_t base = total / count, extra = total % count;
  const auto start = [&](std::size_t i) { return i * base + std::min(i, extra); };
  return {start(index), start(index + 1)};
}

ShardLayout parse_shard(const std::string& text) {
  const auto bad = [&]() {
    return std::invalid_argument("value '" + text + "': must be I/N, shard I (counting from 0) of N shards, 0 <= I < N");
  };
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos) throw bad();
  ShardLayout s;
  const char* b = text.data();
  const char* e = b + text.size();
  auto [p1, ec1] = std::from_chars(b, b + slash, s.index);
  auto [p2, ec2] = std::from_chars(b + slash + 1, e, s.count);
  if (ec1 != std::errc() || p1 != b + slash || ec2 != std::errc() || p2 != e || slash == 0) throw bad();
  if (s.count == 0 || s.index >= s.count) throw bad();
  return s;
}

}  // namespace cimmc

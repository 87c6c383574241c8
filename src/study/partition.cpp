#include "study/partition.hpp"

#include <algorithm>
#include <numeric>
#include <queue>
#include <stdexcept>
#include <utility>

namespace cimmc {

std::size_t chunk_span(std::size_t chunk_points, std::size_t ranks) { return chunk_points * std::max<std::size_t>(1, ranks); }

std::vector<std::uint32_t> partition_lpt(const std::vector<double>& cost, std::size_t ranks) {
  if (ranks == 0) throw std::invalid_argument("the number of ranks must be at least 1");
  std::vector<std::size_t> order(cost.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return cost[a] > cost[b]; });
  // (load, rank), smallest first: ties go to the lower rank.
  using Slot = std::pair<double, std::uint32_t>;
  std::priority_queue<Slot, std::vector<Slot>, std::greater<Slot>> least;
  for (std::uint32_t r = 0; r < ranks; ++r) least.push({0.0, r});
  std::vector<std::uint32_t> out(cost.size());
  for (std::size_t i : order) {
    auto [load, r] = least.top();
    least.pop();
    out[i] = r;
    least.push({load + cost[i], r});
  }
  return out;
}

std::vector<std::vector<std::size_t>> chunk_jobs(const StudyPlan& plan, PointRange range, std::size_t span) {
  std::vector<std::vector<std::size_t>> out;
  std::vector<bool> taken(plan.jobs.size(), false);
  for (std::size_t a = range.begin; a < range.end; a += span) {
    std::vector<std::size_t>& need = out.emplace_back();
    for (std::size_t p = a; p < std::min(range.end, a + span); ++p)
      for (const LayerPlan& lp : plan.points[p].layers)
        for (const auto& ids : lp.jobs)
          for (std::size_t j : ids)
            if (!taken[j]) {
              taken[j] = true;
              need.push_back(j);
            }
  }
  return out;
}

std::vector<std::uint32_t> partition_jobs(const StudyPlan& plan, const std::vector<std::size_t>& jobs,
                                          std::size_t ranks) {
  std::vector<double> cost;
  cost.reserve(jobs.size());
  for (std::size_t j : jobs) cost.push_back(job_cost(plan.jobs[j]));
  return partition_lpt(cost, ranks);
}

double RankLoad::balance() const {
  if (cost.empty() || total <= 0) return 1.0;
  return *std::max_element(cost.begin(), cost.end()) / (total / cost.size());
}

double RankLoad::efficiency() const { return wall > 0 ? total / (cost.size() * wall) : 1.0; }

RankLoad rank_load(const StudyPlan& plan, PointRange range, std::size_t span, std::size_t ranks,
                   const std::function<double(const Config&)>& price) {
  RankLoad load;
  load.cost.assign(ranks, 0.0);
  load.jobs.assign(ranks, 0);
  for (const std::vector<std::size_t>& need : chunk_jobs(plan, range, span)) {
    const std::vector<std::uint32_t> owner = partition_jobs(plan, need, ranks);
    std::vector<double> chunk(ranks, 0.0);
    for (std::size_t k = 0; k < need.size(); ++k) {
      const double c = price(plan.jobs[need[k]]);
      chunk[owner[k]] += c;
      load.cost[owner[k]] += c;
      ++load.jobs[owner[k]];
      load.total += c;
    }
    load.wall += *std::max_element(chunk.begin(), chunk.end());
  }
  return load;
}

}  // namespace cimmc

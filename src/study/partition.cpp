#include "study/partition.hpp"

#include <algorithm>
#include <numeric>
#include <queue>
#include <string>
#include <unordered_set>
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

namespace {

RankLoad empty_load(std::size_t ranks) {
  RankLoad load;
  load.cost.assign(ranks, 0.0);
  load.jobs.assign(ranks, 0);
  return load;
}

// One chunk's newly needed jobs, dealt by `lpt` (job_cost) and priced by `priced`.
void add_chunk(RankLoad& load, const std::vector<double>& lpt, const std::vector<double>& priced) {
  const std::vector<std::uint32_t> owner = partition_lpt(lpt, load.cost.size());
  std::vector<double> chunk(load.cost.size(), 0.0);
  for (std::size_t k = 0; k < lpt.size(); ++k) {
    chunk[owner[k]] += priced[k];
    load.cost[owner[k]] += priced[k];
    ++load.jobs[owner[k]];
    load.total += priced[k];
  }
  load.wall += *std::max_element(chunk.begin(), chunk.end());
}

}  // namespace

RankLoad rank_load(const StudyPlan& plan, PointRange range, std::size_t span, std::size_t ranks,
                   const std::function<double(const Config&)>& price) {
  RankLoad load = empty_load(ranks);
  for (const std::vector<std::size_t>& need : chunk_jobs(plan, range, span)) {
    std::vector<double> lpt, priced;
    for (std::size_t j : need) {
      lpt.push_back(job_cost(plan.jobs[j]));
      priced.push_back(price(plan.jobs[j]));
    }
    add_chunk(load, lpt, priced);
  }
  return load;
}

std::vector<std::vector<RankLoad>> stream_rank_load(
    const std::function<StudyPlan(std::size_t first, std::size_t last)>& plan_points, std::size_t points,
    const std::vector<RankLayout>& layouts, std::size_t step,
    const std::vector<std::function<double(const Config&)>>& prices) {
  struct State {
    std::vector<RankLoad> loads;
    std::unordered_set<std::string> seen;  // job keys of earlier chunks and of this one so far
    std::vector<double> lpt;               // this chunk's new jobs so far
    std::vector<std::vector<double>> priced;
  };
  std::vector<State> st(layouts.size());
  for (std::size_t l = 0; l < layouts.size(); ++l) {
    st[l].loads.assign(prices.size(), empty_load(layouts[l].ranks));
    st[l].priced.resize(prices.size());
  }
  const auto chunk_end = [&](std::size_t l, std::size_t p) {
    return std::min(points, (p / layouts[l].span + 1) * layouts[l].span);
  };
  for (std::size_t p = 0; p < points;) {
    std::size_t q = std::min(points, p + step);  // a plan never crosses a chunk's end
    for (std::size_t l = 0; l < layouts.size(); ++l) q = std::min(q, chunk_end(l, p));
    const StudyPlan plan = plan_points(p, q);
    const auto order = chunk_jobs(plan, PointRange{0, plan.points.size()}, plan.points.size());
    for (std::size_t l = 0; l < layouts.size(); ++l) {
      State& s = st[l];
      for (std::size_t j : order.front())
        if (s.seen.insert(plan.job_keys[j]).second) {
          s.lpt.push_back(job_cost(plan.jobs[j]));
          for (std::size_t k = 0; k < prices.size(); ++k) s.priced[k].push_back(prices[k](plan.jobs[j]));
        }
      if (q == chunk_end(l, p)) {
        for (std::size_t k = 0; k < prices.size(); ++k) {
          add_chunk(s.loads[k], s.lpt, s.priced[k]);
          s.priced[k].clear();
        }
        s.lpt.clear();
      }
    }
    p = q;
  }
  std::vector<std::vector<RankLoad>> out;
  for (State& s : st) out.push_back(std::move(s.loads));
  return out;
}

}  // namespace cimmc

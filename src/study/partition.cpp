#include "study/partition.hpp"

#include <algorithm>
#include <numeric>
#include <queue>
#include <string>
#include <unordered_set>
#include <stdexcept>
#include <utility>

#include "study/pipeline.hpp"

namespace cimmc {

std::size_t chunk_span(std::size_t chunk_points, std::size_t ranks) { return chunk_points * std::max<std::size_t>(1, ranks); }

std::vector<std::uint32_t> deal_lpt(const std::vector<double>& cost, std::vector<double>& loads) {
  if (loads.empty()) throw std::invalid_argument("the number of ranks must be at least 1");
  std::vector<std::size_t> order(cost.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return cost[a] > cost[b]; });
  // (load, rank), smallest first: ties go to the lower rank.
  using Slot = std::pair<double, std::uint32_t>;
  std::vector<Slot> slots;
  for (std::uint32_t r = 0; r < loads.size(); ++r) slots.push_back({loads[r], r});
  std::priority_queue<Slot, std::vector<Slot>, std::greater<Slot>> least(std::greater<Slot>{}, std::move(slots));
  std::vector<std::uint32_t> out(cost.size());
  for (std::size_t i : order) {
    auto [load, r] = least.top();
    least.pop();
    out[i] = r;
    loads[r] = load + cost[i];
    least.push({loads[r], r});
  }
  return out;
}

std::vector<std::uint32_t> partition_lpt(const std::vector<double>& cost, std::size_t ranks) {
  std::vector<double> loads(ranks, 0.0);
  return deal_lpt(cost, loads);
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

std::vector<std::uint32_t> deal_jobs(const StudyPlan& plan, const std::vector<std::size_t>& jobs,
                                     std::vector<double>& loads) {
  std::vector<double> cost;
  cost.reserve(jobs.size());
  for (std::size_t j : jobs) cost.push_back(job_cost(plan.jobs[j]));
  return deal_lpt(cost, loads);
}

double RankLoad::balance() const {
  if (cost.empty() || total <= 0) return 1.0;
  return *std::max_element(cost.begin(), cost.end()) / (total / cost.size());
}

double RankLoad::efficiency() const { return wall > 0 ? total / (cost.size() * wall) : 1.0; }

namespace {

// A RankLoad being built chunk by chunk, with the clock of its schedule.
struct LoadBuilder {
  RankLoad load;
  PipelineClock clock;
  explicit LoadBuilder(std::size_t ranks) : clock(ranks) {
    load.cost.assign(ranks, 0.0);
    load.jobs.assign(ranks, 0);
  }
  // One chunk's new jobs, dealt to `owner` and priced by `priced`.
  void add(const std::vector<std::uint32_t>& owner, const std::vector<double>& priced) {
    std::vector<double> chunk(load.cost.size(), 0.0);
    std::vector<std::size_t> jobs(load.cost.size(), 0);
    for (std::size_t k = 0; k < owner.size(); ++k) {
      chunk[owner[k]] += priced[k];
      load.cost[owner[k]] += priced[k];
      ++load.jobs[owner[k]];
      ++jobs[owner[k]];
      load.total += priced[k];
      load.largest = std::max(load.largest, priced[k]);
    }
    clock.round(chunk, jobs);
    load.wall = clock.wall();
  }
};

}  // namespace

RankLoad rank_load(const StudyPlan& plan, PointRange range, std::size_t span, std::size_t ranks,
                   const std::function<double(const Config&)>& price) {
  LoadBuilder b(ranks);
  std::vector<double> dealt(ranks, 0.0);
  for (const std::vector<std::size_t>& need : chunk_jobs(plan, range, span)) {
    std::vector<double> priced;
    for (std::size_t j : need) priced.push_back(price(plan.jobs[j]));
    b.add(deal_jobs(plan, need, dealt), priced);
  }
  return b.load;
}

std::vector<std::vector<RankLoad>> stream_rank_load(
    const std::function<StudyPlan(std::size_t first, std::size_t last)>& plan_points, std::size_t points,
    const std::vector<RankLayout>& layouts, std::size_t step,
    const std::vector<std::function<double(const Config&)>>& prices) {
  struct State {
    std::vector<LoadBuilder> loads;        // per price
    std::vector<double> dealt;             // per rank: job_cost dealt so far
    std::unordered_set<std::string> seen;  // job keys of earlier chunks and of this one so far
    std::vector<double> lpt;               // this chunk's new jobs so far
    std::vector<std::vector<double>> priced;
  };
  std::vector<State> st(layouts.size());
  for (std::size_t l = 0; l < layouts.size(); ++l) {
    st[l].loads.assign(prices.size(), LoadBuilder(layouts[l].ranks));
    st[l].dealt.assign(layouts[l].ranks, 0.0);
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
        const std::vector<std::uint32_t> owner = deal_lpt(s.lpt, s.dealt);
        for (std::size_t k = 0; k < prices.size(); ++k) {
          s.loads[k].add(owner, s.priced[k]);
          s.priced[k].clear();
        }
        s.lpt.clear();
      }
    }
    p = q;
  }
  std::vector<std::vector<RankLoad>> out;
  for (State& s : st) {
    std::vector<RankLoad>& o = out.emplace_back();
    for (LoadBuilder& b : s.loads) o.push_back(std::move(b.load));
  }
  return out;
}

}  // namespace cimmc

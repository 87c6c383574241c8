#include "loopnest/search.hpp"

#include <algorithm>

#include "loopnest/analysis.hpp"
#include "loopnest/mapspace.hpp"
#include "loopnest/refine.hpp"

namespace cimmc::loopnest {

namespace {

// The nest's lexicographic key, level by level: the deterministic tie-break.
bool nest_less(const LoopNest& a, const LoopNest& b) {
  for (std::size_t i = 0; i < a.levels.size(); ++i) {
    const LevelLoops &x = a.levels[i], &y = b.levels[i];
    if (x.temporal != y.temporal) return x.temporal < y.temporal;
    if (x.spatial != y.spatial) return x.spatial < y.spatial;
    if (x.order != y.order) return x.order < y.order;
  }
  return false;
}

// The best `keep` so far, sorted; a candidate is copied only when it enters.
class TopK {
 public:
  explicit TopK(int keep) : keep_(std::size_t(keep)) { best_.reserve(keep_ + 1); }
  void offer(const LoopNest& n, const NestCost& c, double score) {
    if (best_.size() == keep_) {
      const RankedMapping& worst = best_.back();
      if (score > worst.score || (score == worst.score && !nest_less(n, worst.nest))) return;
    }
    RankedMapping m{n, c, score};
    const auto at = std::upper_bound(best_.begin(), best_.end(), m, ranks_before);
    // A nest drawn twice, or met again by a climb, is kept once.
    if (at != best_.begin() && !ranks_before(*(at - 1), m)) return;
    best_.insert(at, std::move(m));
    if (best_.size() > keep_) best_.pop_back();
  }
  const std::vector<RankedMapping>& best() const { return best_; }
  std::vector<RankedMapping> take(std::size_t keep) {
    if (best_.size() > keep) best_.resize(keep);
    return std::move(best_);
  }

 private:
  std::size_t keep_;
  std::vector<RankedMapping> best_;
};

std::uint64_t layer_seed(std::uint64_t seed, const ConvShape& shape) {
  SplitMix64 mix{seed};
  std::uint64_t s = mix();
  // Every number that makes the layer what it is, so layers that differ only
  // in stride or dilation get different streams.
  auto mix_in = [&s](std::int64_t v) {
    SplitMix64 m{s ^ std::uint64_t(v)};
    s = m();
  };
  for (int d = 0; d < kDims; ++d) mix_in(shape.size(d));
  for (std::int64_t v : {shape.stride_h, shape.stride_w, shape.dilation_h, shape.dilation_w}) mix_in(v);
  return s;
}

}  // namespace

double objective_value(Objective o, const NestCost& c) {
  switch (o) {
    case Objective::energy: return c.total_pj;
    case Objective::latency: return c.ns;
    case Objective::edp: return c.edp();
  }
  return c.total_pj;
}

bool ranks_before(const RankedMapping& a, const RankedMapping& b) {
  if (a.score != b.score) return a.score < b.score;
  return nest_less(a.nest, b.nest);
}

SearchReport search(const Hierarchy& h, const ConvShape& shape, const CostParams& params, const SearchOptions& opt) {
  if (opt.budget < 1) throw LoopNestError("search: budget must be at least 1 mapping");
  if (opt.keep < 1) throw LoopNestError("search: must keep at least 1 mapping");
  if (!(opt.refine_fraction >= 0 && opt.refine_fraction <= 1)) throw LoopNestError("search: refine_fraction must be in [0, 1]");
  if (opt.refine_starts < 0) throw LoopNestError("search: refine_starts must not be negative");
  if (std::string e = cost_params_error(h, params); !e.empty()) throw LoopNestError(e);
  const Mapspace ms(h, shape);
  SearchReport r;
  r.size = ms.size();
  r.factorizations = ms.factorizations();

  // Keeps at least the refinement's starts; the first `keep` of a longer
  // list are the same as a list of `keep`, so the result is consistent across keep.
  const int held = std::max(opt.keep, opt.refine_starts);
  TopK top(held);
  auto evaluate = [&](const LoopNest& n) {
    const NestCounts counts = analyze_unchecked(h, shape, n);
    const NestCost c = cost(h, shape, n, counts, params);
    const double score = objective_value(opt.objective, c);
    top.offer(n, c, score);
    ++r.evaluated;
    return score;
  };

  if (opt.mode != SearchMode::sampled) {
    r.exhaustive = ms.enumerate(evaluate, opt.budget, 16 * opt.budget);
    if (r.exhaustive) {
      r.candidates = r.legal = r.evaluated;
    } else if (opt.mode == SearchMode::exhaustive) {
      throw BudgetExceeded("search: the mapspace has more legal mappings than the budget allows");
    } else {
      top = TopK(held);
      r.evaluated = 0;
    }
  }
  if (!r.exhaustive) {
    const std::int64_t refine_budget =
        opt.budget < kMinRefineBudget || opt.refine_starts == 0 ? 0 : std::int64_t(opt.refine_fraction * double(opt.budget));
    const std::uint64_t seed = layer_seed(opt.seed, shape);
    SplitMix64 rng{seed};
    LoopNest n;
    n.levels.resize(std::size_t(h.size()));
    // Draw k of the stream (k counts every draw, restarts included, so the
    // mixed sampler keeps alternating); true when the draw is legal.
    auto draw = [&](std::int64_t k) {
      ++r.draws;
      switch (opt.sampler) {
        case Sampler::guided: return ms.sample(rng, n);
        case Sampler::filled: return ms.sample_filled(rng, n);
        case Sampler::mixed: return k % 2 == 0 ? ms.sample(rng, n) : ms.sample_filled(rng, n);
        case Sampler::uniform:
        default: ms.sample_uniform(rng, n); return ms.fits(n);
      }
    };
    for (std::int64_t k = 0; k < opt.budget - refine_budget; ++k) {
      if (!draw(k)) continue;
      ++r.legal;
      evaluate(n);
    }
    // Refinement: its own stream, so the draws do not depend on it.
    SplitMix64 climb{seed ^ 0x5bd1e995a3c4f00dULL};
    std::vector<RankedMapping> starts(top.best().begin(),
                                      top.best().begin() + std::min<std::ptrdiff_t>(opt.refine_starts, std::ptrdiff_t(top.best().size())));
    RefineStats st;
    std::int64_t left = refine_budget;
    for (std::size_t s = 0; s < starts.size() && left > 0; ++s) {
      const std::int64_t before = st.tried;
      refine(ms, starts[s].nest, starts[s].score, evaluate, climb, left / std::int64_t(starts.size() - s), st);
      left -= st.tried - before;
    }
    // What the climbs left at their local optima goes to restarts: a new
    // draw (one candidate), then a climb from it with all that is left, until
    // the budget is spent, so candidates = budget.
    for (std::int64_t k = opt.budget - refine_budget; left > 0; ++k) {
      --left;
      if (!draw(k)) continue;
      ++r.legal;
      const double s0 = evaluate(n);
      const std::int64_t before = st.tried;
      refine(ms, n, s0, evaluate, climb, left, st);
      left -= st.tried - before;
    }
    r.refine_tried = st.tried;
    r.refine_improved = st.improved;
    r.legal += st.legal;
    r.candidates = r.draws + r.refine_tried;
  }
  r.best = top.take(std::size_t(opt.keep));
  r.kept = std::int64_t(r.best.size());
  return r;
}

}  // namespace cimmc::loopnest

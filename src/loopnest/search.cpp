#include "loopnest/search.hpp"

#include <algorithm>

#include "loopnest/analysis.hpp"
#include "loopnest/mapspace.hpp"

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
    best_.insert(std::upper_bound(best_.begin(), best_.end(), m, ranks_before), std::move(m));
    if (best_.size() > keep_) best_.pop_back();
  }
  std::vector<RankedMapping> take() { return std::move(best_); }

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
  if (std::string e = cost_params_error(h, params); !e.empty()) throw LoopNestError(e);
  const Mapspace ms(h, shape);
  SearchReport r;
  r.size = ms.size();
  r.factorizations = ms.factorizations();

  TopK top(opt.keep);
  auto evaluate = [&](const LoopNest& n) {
    const NestCounts counts = analyze_unchecked(h, shape, n);
    const NestCost c = cost(h, shape, n, counts, params);
    top.offer(n, c, objective_value(opt.objective, c));
    ++r.evaluated;
  };

  if (opt.mode != SearchMode::sampled) {
    r.exhaustive = ms.enumerate(evaluate, opt.budget, 16 * opt.budget);
    if (r.exhaustive) {
      r.candidates = r.legal = r.evaluated;
    } else if (opt.mode == SearchMode::exhaustive) {
      throw LoopNestError("search: the mapspace has more legal mappings than the budget allows");
    } else {
      top = TopK(opt.keep);
      r.evaluated = 0;
    }
  }
  if (!r.exhaustive) {
    SplitMix64 rng{layer_seed(opt.seed, shape)};
    LoopNest n;
    n.levels.resize(std::size_t(h.size()));
    for (std::int64_t k = 0; k < opt.budget; ++k) {
      ++r.candidates;
      if (opt.sampler == Sampler::guided) {
        if (!ms.sample(rng, n)) continue;
      } else {
        ms.sample_uniform(rng, n);
        if (!ms.fits(n)) continue;
      }
      ++r.legal;
      evaluate(n);
    }
  }
  r.best = top.take();
  r.kept = std::int64_t(r.best.size());
  return r;
}

}  // namespace cimmc::loopnest

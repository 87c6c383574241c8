#include "loopnest/refine.hpp"

#include <utility>
#include <vector>

namespace cimmc::loopnest {

namespace {

struct Move {
  bool swap;
  int a, b, c;        // factor: dim, from slot, to slot; swap: level, two order positions
  std::int64_t p = 1;  // factor: the prime moved
};

std::int64_t& factor(LoopNest& n, const Mapspace::Slot& s, int d) {
  LevelLoops& l = n.levels[std::size_t(s.level)];
  return (s.spatial ? l.spatial : l.temporal)[std::size_t(d)];
}

void list_moves(const Mapspace& ms, LoopNest& n, std::vector<Move>& out) {
  out.clear();
  for (int d = 0; d < kDims; ++d) {
    const auto& slots = ms.slot_list(d);
    for (const Mapspace::Prime& pr : ms.primes(d))
      for (int from = 0; from < int(slots.size()); ++from) {
        if (factor(n, slots[std::size_t(from)], d) % pr.p != 0) continue;
        for (int to = 0; to < int(slots.size()); ++to)
          if (to != from) out.push_back({false, d, from, to, pr.p});
      }
  }
  // Only loops with bound > 1 change anything by moving (mapspace.hpp PRUNING).
  for (int i = 0; i < int(n.levels.size()); ++i) {
    const LevelLoops& l = n.levels[std::size_t(i)];
    for (int x = 0; x < kDims; ++x) {
      if (l.temporal[std::size_t(l.order[std::size_t(x)])] == 1) continue;
      for (int y = x + 1; y < kDims; ++y)
        if (l.temporal[std::size_t(l.order[std::size_t(y)])] > 1) out.push_back({true, i, x, y});
    }
  }
}

void apply(const Mapspace& ms, const Move& m, LoopNest& n) {
  if (m.swap) {
    auto& o = n.levels[std::size_t(m.a)].order;
    std::swap(o[std::size_t(m.b)], o[std::size_t(m.c)]);
    return;
  }
  const auto& slots = ms.slot_list(m.a);
  factor(n, slots[std::size_t(m.b)], m.a) /= m.p;
  factor(n, slots[std::size_t(m.c)], m.a) *= m.p;
}

}  // namespace

double refine(const Mapspace& ms, LoopNest& start, double start_score, const ScoreFn& score, SplitMix64& rng,
              std::int64_t max_tries, RefineStats& stats) {
  std::vector<Move> moves;
  LoopNest cand = start;
  double best = start_score;
  std::int64_t tries = 0;
  stats.local_optimum = false;
  for (;;) {
    list_moves(ms, start, moves);
    for (std::size_t k = moves.size(); k > 1; --k) std::swap(moves[k - 1], moves[rng.below(k)]);
    bool improved = false;
    for (const Move& m : moves) {
      if (tries == max_tries) return best;
      ++tries;
      ++stats.tried;
      cand.levels = start.levels;  // same size: no allocation
      apply(ms, m, cand);
      if (!ms.fits(cand)) continue;
      ++stats.legal;
      const double s = score(cand);
      if (s < best) {
        best = s;
        start.levels = cand.levels;
        ++stats.improved;
        improved = true;
        break;
      }
    }
    if (!improved) {
      stats.local_optimum = true;
      return best;
    }
  }
}

}  // namespace cimmc::loopnest

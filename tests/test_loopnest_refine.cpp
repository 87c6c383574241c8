// Filled draws (Mapspace::sample_filled) and local refinement (refine.hpp):
// filled draws are legal and put near-maximal tiles on an array where guided
// draws do not; a climb never ends worse than it started, ends at a local
// optimum checked against an independent walk over every single move, and
// respects its move budget; the search splits its budget as search.hpp says.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "loopnest/loopnest.hpp"
#include "loopnest/mapspace.hpp"
#include "loopnest/refine.hpp"
#include "loopnest/search.hpp"
#include "loopnest_search_util.hpp"

using namespace cimmc::loopnest;
using namespace loopnest_search_test;

namespace {

// DRAM -> GLB (4 tiles, any dim) -> macro whose 128 rows take C, R, S and 32
// columns M, with room for a full tile (128 inputs, 128 x 32 weights, 32
// outputs) so only the axes limit the fill.
Hierarchy array_hierarchy() {
  Hierarchy h{{lvl("DRAM", 10, 12, 0, Capacity::unbounded(), {true, true, true}),
               lvl("GLB", 1, 1, 0, Capacity::shared(1 << 20), {true, true, true}),
               lvl("Macro", 0.1, 0.1, 0, Capacity::per_operand(128, 4096, 32), {true, true, true})},
              1.0};
  h.levels[1].set_fanout(4);
  const DimMask rows = 1u << int(Dim::C) | 1u << int(Dim::R) | 1u << int(Dim::S);
  h.levels[2].fanout = {FanoutAxis{128, rows}, FanoutAxis{32, 1u << int(Dim::M)}};
  return h;
}

ConvShape conv2_1() {  // ResNet-18 conv2_1: 3x3, 64 -> 64 channels, 56 x 56
  ConvShape s;
  s.C = s.M = 64;
  s.P = s.Q = 56;
  s.R = s.S = 3;
  return s;
}

std::int64_t macro_rows(const LoopNest& n) {
  const LevelLoops& l = n.levels.back();
  return l.spatial[int(Dim::C)] * l.spatial[int(Dim::R)] * l.spatial[int(Dim::S)];
}

double energy(const Hierarchy& h, const ConvShape& g, const LoopNest& n) {
  return cost(h, g, n, analyze(h, g, n), prices()).total_pj;
}

}  // namespace

// The largest row product C, R, S divisors reach on 128 rows is 96 (C32 R3):
// counted here over every divisor triple. Filled draws reach 3/4 of it on
// most draws; guided draws, which spread each prime over 5-6 slots, rarely.
TEST(LoopNestRefine, FilledDrawsFillTheArray) {
  const Hierarchy h = array_hierarchy();
  const ConvShape g = conv2_1();
  std::int64_t best_rows = 0;
  for (std::int64_t c = 1; c <= 64; c *= 2)
    for (std::int64_t r : {1, 3})
      for (std::int64_t s : {1, 3})
        if (c * r * s <= 128) best_rows = std::max(best_rows, c * r * s);
  ASSERT_EQ(best_rows, 96);
  const Mapspace ms(h, g);
  SplitMix64 rng{11};
  LoopNest n;
  n.levels.resize(3);
  int filled_full = 0, guided_full = 0, cols_full = 0;
  const int draws = 2000;
  for (int k = 0; k < draws; ++k) {
    ASSERT_TRUE(ms.sample_filled(rng, n));
    ASSERT_EQ(mapping_error(h, g, n), "") << describe(h, n);
    filled_full += 4 * macro_rows(n) >= 3 * best_rows;
    cols_full += n.levels.back().spatial[int(Dim::M)] == 32;
    ASSERT_TRUE(ms.sample(rng, n));
    guided_full += 4 * macro_rows(n) >= 3 * best_rows;
  }
  EXPECT_GT(filled_full, draws * 8 / 10);
  EXPECT_GT(cols_full, draws * 8 / 10);  // 32 divides 64: a greedy fill always gets it unless it steps down
  EXPECT_LT(guided_full, draws / 10);
}

// From guided starts on both small layers, climbs to the end: never worse,
// legal, its score the nest's own, and no single move (every prime of every
// dim between every two of its slots, every swap of two loops of a level:
// walked here independently of refine's move list) scores strictly lower.
TEST(LoopNestRefine, ClimbEndsAtALocalOptimumNoWorseThanItsStart) {
  const Hierarchy h = small();
  for (const ConvShape& g : kShapes) {
    const Mapspace ms(h, g);
    SplitMix64 rng{3}, climb{4};
    LoopNest n;
    n.levels.resize(std::size_t(h.size()));
    for (int start = 0; start < 12; ++start) {
      ASSERT_TRUE(ms.sample(rng, n));
      const double s0 = energy(h, g, n);
      RefineStats st;
      const ScoreFn score = [&](const LoopNest& x) { return energy(h, g, x); };
      const double s = refine(ms, n, s0, score, climb, 1'000'000, st);
      ASSERT_EQ(mapping_error(h, g, n), "");
      EXPECT_LE(s, s0);
      EXPECT_EQ(s, energy(h, g, n));
      EXPECT_TRUE(st.local_optimum);
      EXPECT_EQ(st.improved > 0, s < s0);
      for (int d = 0; d < kDims; ++d)
        for (std::int64_t p = 2; p <= g.size(d); ++p) {
          bool prime = true;
          for (std::int64_t q = 2; q * q <= p; ++q) prime = prime && p % q != 0;
          if (!prime || g.size(d) % p != 0) continue;
          const auto& slots = ms.slot_list(d);
          for (const auto& from : slots)
            for (const auto& to : slots) {
              LoopNest m = n;
              auto& f = (from.spatial ? m.levels[std::size_t(from.level)].spatial : m.levels[std::size_t(from.level)].temporal)[std::size_t(d)];
              auto& t = (to.spatial ? m.levels[std::size_t(to.level)].spatial : m.levels[std::size_t(to.level)].temporal)[std::size_t(d)];
              if (&f == &t || f % p != 0) continue;
              f /= p;
              t *= p;
              if (mapping_error(h, g, m).empty()) {
                EXPECT_GE(energy(h, g, m), s) << describe(h, m);
              }
            }
        }
      for (std::size_t i = 0; i < n.levels.size(); ++i)
        for (int x = 0; x < kDims; ++x)
          for (int y = x + 1; y < kDims; ++y) {
            LoopNest m = n;
            std::swap(m.levels[i].order[std::size_t(x)], m.levels[i].order[std::size_t(y)]);
            EXPECT_GE(energy(h, g, m), s) << describe(h, m);
          }
    }
  }
}

// A budget of 5 moves stops the climb after 5, improved or not.
TEST(LoopNestRefine, ClimbRespectsItsMoveBudget) {
  const Hierarchy h = small();
  const Mapspace ms(h, kConv);
  SplitMix64 rng{5};
  LoopNest n;
  n.levels.resize(std::size_t(h.size()));
  ASSERT_TRUE(ms.sample(rng, n));
  RefineStats st;
  const ScoreFn score = [&](const LoopNest& x) { return energy(h, kConv, x); };
  const double s = refine(ms, n, energy(h, kConv, n), score, rng, 5, st);
  EXPECT_EQ(st.tried, 5);
  EXPECT_FALSE(st.local_optimum);
  EXPECT_EQ(s, energy(h, kConv, n));
}

// Budget 1000: 750 draws, then 250 candidates of climbing and restarts; the
// first 750 draws are the same as a 750-draw search without refinement, so
// refining can only improve on it.
TEST(LoopNestRefine, SearchSplitsItsBudgetAndRefiningOnlyHelps) {
  const ConvShape g = conv2_1();
  const Hierarchy h = array_hierarchy();
  SearchOptions o;
  o.mode = SearchMode::sampled;
  o.budget = 1000;
  o.keep = 3;
  const SearchReport r = search(h, g, prices(), o);
  EXPECT_GE(r.draws, 750);
  EXPECT_GT(r.refine_tried, 0);
  EXPECT_LE(r.refine_tried, 250);
  EXPECT_EQ(r.candidates, r.draws + r.refine_tried);
  EXPECT_EQ(r.candidates, o.budget);
  EXPECT_EQ(r.legal, r.evaluated);
  for (std::size_t k = 1; k < r.best.size(); ++k) EXPECT_TRUE(ranks_before(r.best[k - 1], r.best[k]));  // distinct
  o.budget = 750;
  o.refine_fraction = 0;
  const SearchReport plain = search(h, g, prices(), o);
  EXPECT_EQ(plain.draws, 750);
  EXPECT_EQ(plain.refine_tried, 0);
  EXPECT_LE(r.best[0].score, plain.best[0].score);
  EXPECT_GT(r.refine_improved, 0);
  EXPECT_LT(r.best[0].score, plain.best[0].score);  // 250 moves from a 750-draw best do find something
  o.refine_fraction = 1.5;
  EXPECT_THROW(search(h, g, prices(), o), LoopNestError);
}

// The whole budget is spent (issue 12: "tried" = budget on a mapspace larger
// than it): climbs that stop at local optima leave moves that restarts (new
// draws, then climbs) use, and the draws + moves come to exactly the budget,
// with restarts actually taken on some budget. Same figures and best nests
// on every call, serially or from two threads at once (the search shares no
// state).
TEST(LoopNestRefine, SearchSpendsItsWholeBudgetDeterministically) {
  const ConvShape g = conv2_1();
  const Hierarchy h = array_hierarchy();
  bool restarted = false;
  for (std::int64_t budget : {100, 401, 1000, 3000}) {
    for (Sampler sampler : {Sampler::mixed, Sampler::uniform}) {
      SearchOptions o;
      o.mode = SearchMode::sampled;
      o.budget = budget;
      o.keep = 4;
      o.sampler = sampler;
      const std::int64_t first_draws = budget - std::int64_t(o.refine_fraction * double(budget));
      const SearchReport r = search(h, g, prices(), o);
      EXPECT_EQ(r.candidates, budget);
      EXPECT_EQ(r.draws + r.refine_tried, budget);
      EXPECT_EQ(r.evaluated, r.legal);
      restarted |= r.draws > first_draws;
      SearchReport t1, t2;
      std::thread a([&] { t1 = search(h, g, prices(), o); });
      std::thread b([&] { t2 = search(h, g, prices(), o); });
      a.join();
      b.join();
      for (const SearchReport* x : {&t1, &t2}) {
        EXPECT_EQ(x->draws, r.draws);
        EXPECT_EQ(x->legal, r.legal);
        EXPECT_EQ(x->refine_tried, r.refine_tried);
        EXPECT_EQ(x->refine_improved, r.refine_improved);
        ASSERT_EQ(x->best.size(), r.best.size());
        for (std::size_t k = 0; k < r.best.size(); ++k) {
          EXPECT_EQ(describe(h, x->best[k].nest), describe(h, r.best[k].nest));
          EXPECT_EQ(x->best[k].score, r.best[k].score);
        }
      }
    }
  }
  EXPECT_TRUE(restarted);
}

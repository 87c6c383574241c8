// Mapspace sampling and the capacity rule (src/loopnest/mapspace.hpp,
// nest.hpp): guided draws are legal exactly when they say so, reach every
// legal factor split the brute force finds, and are illegal only when level
// 0 cannot hold the layer; a double-buffered level must hold two tiles, and
// mapping_error and Mapspace::fits agree on it.
#include <gtest/gtest.h>

#include <iostream>
#include <random>
#include <set>
#include <string>

#include "loopnest/loopnest.hpp"
#include "loopnest/mapspace.hpp"
#include "loopnest_search_util.hpp"
#include "loopnest_test_util.hpp"

using namespace cimmc::loopnest;
using loopnest_search_test::Factors;
using loopnest_search_test::factors;
using loopnest_search_test::kShapes;
using loopnest_search_test::small;

namespace {

std::string name(const ConvShape& g) { return g.R > 1 ? "conv" : "gemm"; }

}  // namespace

// Every guided draw that reports legal passes mapping_error and every one
// that reports illegal fails it; 20,000 draws reach every legal factor split
// of the brute force (so the retries exclude nothing legal); on this
// hierarchy every guided draw is legal, while most uniform ones are not.
TEST(LoopNestMapspace, GuidedDrawsAreLegalAndReachEverySplit) {
  const Hierarchy h = small();
  for (const ConvShape& g : kShapes) {
    SCOPED_TRACE(name(g));
    std::set<Factors> all;
    loopnest_search_test::brute_force(h, g, [&](const LoopNest& n) { all.insert(factors(n)); }, false);
    const Mapspace ms(h, g);
    SplitMix64 rng{11}, uni{11};
    LoopNest n;
    n.levels.resize(std::size_t(h.size()));
    std::set<Factors> reached;
    int guided_legal = 0, uniform_legal = 0;
    const int draws = 20'000;
    for (int k = 0; k < draws; ++k) {
      const bool ok = ms.sample(rng, n);
      ASSERT_EQ(ok, mapping_error(h, g, n).empty()) << describe(h, n);
      if (ok) {
        reached.insert(factors(n));
        ++guided_legal;
      }
      ms.sample_uniform(uni, n);
      uniform_legal += mapping_error(h, g, n).empty();
    }
    EXPECT_GT(all.size(), 20u);
    EXPECT_EQ(reached, all);
    std::cout << name(g) << ": legal draws guided " << guided_legal << ", uniform " << uniform_legal << " of "
              << draws << "\n";
    EXPECT_EQ(guided_legal, draws);  // the level-0 fallback always fits here
    EXPECT_LT(uniform_legal, draws / 2);
  }
}

// Level 0 too small for the layer: no mapping is legal, and every guided
// draw says so; one word more and the draws are legal again.
TEST(LoopNestMapspace, GuidedDrawIllegalOnlyWhenLevelZeroIsTooSmall) {
  Hierarchy h = small();
  const ConvShape& g = loopnest_search_test::kConv;
  h.levels[0].capacity = Capacity::shared(g.words(Operand::inputs) + g.words(Operand::weights) +
                                          g.words(Operand::outputs) - 1);
  const Mapspace ms(h, g);
  SplitMix64 rng{5};
  LoopNest n;
  n.levels.resize(std::size_t(h.size()));
  for (int k = 0; k < 200; ++k) {
    EXPECT_FALSE(ms.sample(rng, n));
    EXPECT_NE(mapping_error(h, g, n), "");
  }
  h.levels[0].capacity.shared_words += 1;  // exactly the three tensors
  const Mapspace fits(h, g);
  EXPECT_TRUE(fits.sample(rng, n));
  EXPECT_EQ(mapping_error(h, g, n), "");
}

// A pure function of the generator: equal seeds give equal draws.
TEST(LoopNestMapspace, GuidedDrawsAreDeterministic) {
  const Hierarchy h = small();
  const Mapspace ms(h, loopnest_search_test::kConv);
  SplitMix64 a{3}, b{3}, c{4};
  LoopNest x, y, z;
  for (LoopNest* n : {&x, &y, &z}) n->levels.resize(std::size_t(h.size()));
  int differ = 0;
  for (int k = 0; k < 200; ++k) {
    const bool ox = ms.sample(a, x), oy = ms.sample(b, y);
    ms.sample(c, z);
    ASSERT_EQ(ox, oy);
    ASSERT_EQ(describe(h, x), describe(h, y));
    ASSERT_EQ(factors(x), factors(y));
    differ += factors(x) != factors(z);
  }
  EXPECT_GT(differ, 100);
}

// GEMM 2x2x2, Buf holds k = 2 (m = n = 1): tiles of 2 inputs, 2 weights,
// 1 output = 5 words. Shared 8: one copy fits, two (10) do not. Per operand
// 3 words each: one copy fits, two inputs (4) do not.
TEST(LoopNestMapspace, DoubleBufferedLevelHoldsTwoTiles) {
  using namespace loopnest_test;
  const ConvShape g = gemm(2, 2, 2);
  const LoopNest n{{loops({2, 1, 2}, {gM, gK, gN}), loops({1, 2, 1}, {gM, gK, gN})}};
  for (bool shared : {true, false}) {
    Hierarchy h = two_levels();
    h.levels[1].capacity = shared ? Capacity::shared(8) : Capacity::per_operand(3, 3, 3);
    const Mapspace ms(h, g);
    EXPECT_EQ(mapping_error(h, g, n), "");
    EXPECT_TRUE(ms.fits(n));
    h.levels[1].double_buffered = true;
    const Mapspace db(h, g);
    EXPECT_FALSE(db.fits(n));
    EXPECT_EQ(mapping_error(h, g, n),
              shared ? "level 1 'Buf': tiles (double-buffered: two tiles) of 10 words (inputs 4 + weights 4 + "
                       "outputs 2) exceed its shared capacity of 8 words"
                     : "level 1 'Buf': inputs tile (double-buffered: two tiles) of 4 words exceeds its capacity "
                       "of 3 words");
  }
}

// fits() and mapping_error agree on random factor-complete nests of the
// conv, with every combination of double-buffered GLB and Reg.
TEST(LoopNestMapspace, FitsAgreesWithMappingError) {
  std::mt19937_64 rng(17);
  for (int buffering = 0; buffering < 4; ++buffering) {
    Hierarchy h = small();
    h.levels[1].double_buffered = buffering & 1;
    h.levels[2].double_buffered = buffering & 2;
    const ConvShape& g = loopnest_search_test::kConv;
    const Mapspace ms(h, g);
    int legal = 0;
    for (int k = 0; k < 3000; ++k) {
      const LoopNest n = random_nest(rng, h, g);
      const bool ok = mapping_error(h, g, n).empty();
      ASSERT_EQ(ms.fits(n), ok) << describe(h, n);
      legal += ok;
    }
    EXPECT_GT(legal, 20) << buffering;
    EXPECT_LT(legal, 2980) << buffering;
  }
}

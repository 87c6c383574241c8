// Loop-nest access counts of convolutions (src/loopnest): hand-computed 1-D
// convs (halo reuse along P at stride 1 and 2, dilation, where the R loop
// sits, halos between spatial siblings), depthwise and grouped convs; then
// the acceptance test of issue 12 item 2: the analytic model against the
// brute-force simulator on 1,200 random GEMM and 1,200 random conv (layer,
// hierarchy, mapping) triples, capacity checks included.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

#include "loopnest_test_util.hpp"

using namespace loopnest_test;

namespace {

// A 1-D conv along H: P output rows, R filter taps.
ConvShape conv1d(std::int64_t p, std::int64_t r, std::int64_t stride = 1, std::int64_t dilation = 1) {
  ConvShape s;
  s.P = p;
  s.R = r;
  s.stride_h = stride;
  s.dilation_h = dilation;
  return s;
}

template <std::size_t n>
LevelLoops at(std::initializer_list<std::pair<Dim, std::int64_t>> t, std::array<Dim, n> o,
              std::initializer_list<std::pair<Dim, std::int64_t>> s = {}) {
  return {factors(t), order(o), factors(s)};
}
LevelLoops none() { return {}; }

}  // namespace

// P=4, R=3, stride 1: 6 input rows. DRAM loops P4, Buf loops R3, so Buf holds
// the window of one output row: rows p..p+2, 3 words.
//   inputs: first window 3 rows; each of the 3 P steps shifts it by 1 and
//     fetches the 1 new row: 3 + 3 = 6 fills, each input row once; 6 DRAM reads.
//     Compute reads Buf every MAC: 12.
//   weights: all 3 taps in Buf; P is irrelevant to them: 3 fills, 3 DRAM reads.
//   outputs: one word per P: 4 residencies, 4 drains, 12 updates (4 first
//     writes, 8 RMW reads); DRAM 4 updates, all first writes.
TEST(LoopNestConv, StrideOneHaloReuseAlongPByHand) {
  const NestCounts c =
      counts(two_levels(), conv1d(4, 3), {{at({{Dim::P, 4}}, std::array{Dim::P}), at({{Dim::R, 3}}, std::array{Dim::R})}});
  EXPECT_EQ(c.level[1].tile_words, (std::array<std::int64_t, 3>{3, 3, 1}));
  expect_access(c, 0, I, 0, 6, 0, 0);
  expect_access(c, 0, W, 0, 3, 0, 0);
  expect_access(c, 0, O, 0, 0, 4, 0);
  expect_access(c, 1, I, 6, 12, 0, 0);
  expect_access(c, 1, W, 3, 12, 0, 0);
  expect_access(c, 1, O, 0, 8, 12, 4);
  EXPECT_EQ(c.time_steps, 12);
}

// The same nest at stride 2: 9 input rows; each P step shifts the 3-row
// window by 2, keeping 1 row: 3 + 3 x 2 = 9 fills, 9 DRAM reads.
// With R3 at DRAM inside P4 instead (Buf holds 1 row), R steps fetch a row
// (4 x 2 = 8 times) and a P step with R wrapping moves the row by 2 - 2 = 0:
// row 2p+2 is row 2(p+1)+0, kept: 1 + 8 = 9 fills, although every MAC runs
// with Buf holding a single row. At stride 1 that move is 1 - 2 = -1, a new
// row: 1 + 8 + 3 = 12.
// Dilation 2 (P=2, R=2): the window of one output row spans rows p..p+2, 3
// words though the row p+1 in between is not read (loopnest.hpp: windows).
TEST(LoopNestConv, StrideTwoAndDilationByHand) {
  const LoopNest buf_r{{at({{Dim::P, 4}}, std::array{Dim::P}), at({{Dim::R, 3}}, std::array{Dim::R})}};
  const NestCounts c = counts(two_levels(), conv1d(4, 3, 2), buf_r);
  EXPECT_EQ(c.level[1].tile_words, (std::array<std::int64_t, 3>{3, 3, 1}));
  expect_access(c, 0, I, 0, 9, 0, 0);
  expect_access(c, 1, I, 9, 12, 0, 0);
  expect_access(c, 1, W, 3, 12, 0, 0);
  expect_access(c, 1, O, 0, 8, 12, 4);

  const LoopNest dram_r{{at({{Dim::P, 4}, {Dim::R, 3}}, std::array{Dim::P, Dim::R}), none()}};
  const NestCounts s2 = counts(two_levels(), conv1d(4, 3, 2), dram_r);
  expect_access(s2, 0, I, 0, 9, 0, 0);
  expect_access(s2, 1, I, 9, 12, 0, 0);
  expect_access(s2, 1, W, 12, 12, 0, 0);  // R is innermost: a new tap every step
  expect_access(s2, 1, O, 0, 8, 12, 4);   // R inside P accumulates in Buf
  expect_access(counts(two_levels(), conv1d(4, 3, 1), dram_r), 1, I, 12, 12, 0, 0);

  const NestCounts d = counts(two_levels(), conv1d(2, 2, 1, 2),
                              {{at({{Dim::P, 2}}, std::array{Dim::P}), at({{Dim::R, 2}}, std::array{Dim::R})}});
  EXPECT_EQ(d.level[1].tile_words[0], 3);
  expect_access(d, 1, I, 3 + 1, 4, 0, 0);  // the second window shares rows 1, 2
}

// Where the R loop sits decides the input traffic (P=4, R=3, stride 1):
//   DRAM [P4 R3]: 12 fills (above), DRAM [P4] Buf [R3]: 6.
//   DRAM [P2 R3] Buf [P2]: Buf holds 2 rows at 2p'+r. R steps move them by 1
//     (2 x 2 = 4 times, 1 new row each); the P step with R wrapping moves
//     them by 2 - 2 = 0: nothing. 2 + 4 = 6 fills. Weights: 1 tap per
//     window, R is the innermost weight loop: 6 fills. Outputs: 2 words,
//     2 residencies: 4 drains; 12 updates, 4 first writes.
TEST(LoopNestConv, RLoopPlacementByHand) {
  const ConvShape s = conv1d(4, 3);
  expect_access(counts(two_levels(), s, {{at({{Dim::P, 4}}, std::array{Dim::P}), at({{Dim::R, 3}}, std::array{Dim::R})}}),
                1, I, 6, 12, 0, 0);
  const NestCounts c = counts(two_levels(), s,
                              {{at({{Dim::P, 2}, {Dim::R, 3}}, std::array{Dim::P, Dim::R}),
                                at({{Dim::P, 2}}, std::array{Dim::P})}});
  EXPECT_EQ(c.level[1].tile_words, (std::array<std::int64_t, 3>{2, 1, 2}));
  expect_access(c, 0, I, 0, 6, 0, 0);
  expect_access(c, 1, I, 6, 12, 0, 0);
  expect_access(c, 1, W, 6, 12, 0, 0);
  expect_access(c, 1, O, 0, 8, 12, 4);
  expect_access(c, 0, O, 0, 0, 4, 0);
}

// P=4, R=3, stride 1 over two Bufs: DRAM P2 in time, P2 across its fan-out,
// Buf R3. Buf x holds rows p..p+2 for p = x, then x+2: 3 + 2 fills each, 10
// in all. The two Bufs differ in P (relevant to inputs): separate
// destinations, so DRAM reads their rows separately although their windows
// overlap ({0,1,2} and {1,2,3}, then {3,4} and {4,5}): 10 reads, where
// merging the halos would read 7. Weights (P irrelevant) are multicast: each
// Buf fills the 3 taps, DRAM reads them once.
TEST(LoopNestConv, HaloBetweenSpatialSiblingsByHand) {
  const NestCounts c = counts(two_levels(2), conv1d(4, 3),
                              {{at({{Dim::P, 2}}, std::array{Dim::P}, {{Dim::P, 2}}), at({{Dim::R, 3}}, std::array{Dim::R})}});
  expect_access(c, 0, I, 0, 10, 0, 0);
  expect_access(c, 0, W, 0, 3, 0, 0);
  expect_access(c, 0, O, 0, 0, 4, 0);
  expect_access(c, 1, I, 10, 12, 0, 0);
  expect_access(c, 1, W, 6, 12, 0, 0);
  expect_access(c, 1, O, 0, 8, 12, 4);
  EXPECT_EQ(c.job.runs, 12);
}

// Depthwise: G=2 groups of one channel, P=3, R=2, stride 1 (4 rows per
// group). DRAM G2 then P3 (inner), Buf R2.
//   inputs: a 2-row window; P steps (2 x 2 = 4) fetch 1 row, the G step a
//     whole new window (other group: no overlap): 2 + 4 + 2 = 8, each input
//     once. weights: G is the innermost weight loop: 2 visits x 2 taps = 4.
//   outputs: 6 residencies of 1 word: 6 drains; 12 updates, 6 first writes.
// Grouped 1x1: G=2, C=2, M=2 per group; DRAM G2 then M2, Buf C2.
//   inputs: 2 words per group; the M step keeps them (M is irrelevant), the
//     G step replaces them: 2 + 2 = 4 fills. weights: 4 visits x 2 = 8.
//   outputs: 4 residencies, 4 drains, 8 updates, 4 RMW reads.
TEST(LoopNestConv, DepthwiseAndGroupedByHand) {
  ConvShape dw = conv1d(3, 2);
  dw.G = 2;
  const NestCounts c = counts(two_levels(), dw,
                              {{at({{Dim::G, 2}, {Dim::P, 3}}, std::array{Dim::G, Dim::P}), at({{Dim::R, 2}}, std::array{Dim::R})}});
  expect_access(c, 0, I, 0, 8, 0, 0);
  expect_access(c, 0, W, 0, 4, 0, 0);
  expect_access(c, 0, O, 0, 0, 6, 0);
  expect_access(c, 1, I, 8, 12, 0, 0);
  expect_access(c, 1, W, 4, 12, 0, 0);
  expect_access(c, 1, O, 0, 6, 12, 6);

  ConvShape grouped;
  grouped.G = 2;
  grouped.C = 2;
  grouped.M = 2;
  const NestCounts g = counts(two_levels(), grouped,
                              {{at({{Dim::G, 2}, {Dim::M, 2}}, std::array{Dim::G, Dim::M}), at({{Dim::C, 2}}, std::array{Dim::C})}});
  expect_access(g, 0, I, 0, 4, 0, 0);
  expect_access(g, 0, W, 0, 8, 0, 0);
  expect_access(g, 0, O, 0, 0, 4, 0);
  expect_access(g, 1, I, 4, 8, 0, 0);
  expect_access(g, 1, W, 8, 8, 0, 0);
  expect_access(g, 1, O, 0, 4, 8, 4);
  EXPECT_EQ(g.level[1].tile_words, (std::array<std::int64_t, 3>{2, 2, 1}));
}

TEST(LoopNestConv, GemmHelperIsTheConv) {
  const ConvShape s = gemm(4, 3, 2);
  EXPECT_EQ(s.N, 4);
  EXPECT_EQ(s.C, 3);
  EXPECT_EQ(s.M, 2);
  EXPECT_EQ(s.macs(), 24);
  EXPECT_EQ(s.words(I), 12);
  EXPECT_EQ(s.words(W), 6);
  EXPECT_EQ(s.words(O), 8);
  const ConvShape c = GemmShape{4, 3, 2};
  EXPECT_EQ(c.macs(), s.macs());
  ConvShape conv1 = s;  // ResNet-18 conv1's input: 7x7 taps at stride 2 over 112 output rows
  conv1.P = conv1.Q = 112;
  conv1.R = conv1.S = 7;
  conv1.stride_h = conv1.stride_w = 2;
  EXPECT_EQ(conv1.input_h(), 229);  // 224 + 2 x 3 padding, less the row stride 2 never reaches
}

namespace {

Hierarchy random_hierarchy(std::mt19937_64& rng) {
  static const std::int64_t fanouts[] = {1, 1, 2, 3, 4, 6, 8};
  const int L = 1 + int(rng() % 4);
  Hierarchy h;
  for (int i = 0; i < L; ++i) {
    std::string name = "L";  // appended, not "L" + ...: g++ 12 warns falsely (-Wrestrict) on that
    name += std::to_string(i);
    StorageLevel l = level(name, fanouts[rng() % 7]);
    if (rng() % 4 == 0) {  // two axes with a random split of the dimensions
      const DimMask x = DimMask(rng() % (1u << kDims));
      l.fanout = {FanoutAxis{fanouts[rng() % 7], x}, FanoutAxis{fanouts[rng() % 7], ~x}};
    }
    if (i > 0)
      for (bool& k : l.holds) k = rng() % 10 < 7;
    h.levels.push_back(l);
  }
  return h;
}

// Capacities just at (fits) or one word under (overflows) the tiles the
// simulator saw; returns whether any level overflows.
bool set_random_capacities(std::mt19937_64& rng, Hierarchy& h, const NestCounts& sim) {
  bool over = false;
  for (int i = 1; i < h.size(); ++i) {
    StorageLevel& l = h.levels[std::size_t(i)];
    const auto& words = sim.level[std::size_t(i)].tile_words;
    const std::int64_t total = words[0] + words[1] + words[2];
    const bool squeeze = rng() % 8 == 0;
    switch (rng() % 3) {
      case 0: l.capacity = Capacity::unbounded(); break;
      case 1:
        l.capacity = Capacity::shared(std::max<std::int64_t>(1, total - (squeeze ? 1 : 0) + std::int64_t(rng() % 2)));
        over |= l.capacity.shared_words < total;
        break;
      default: {
        std::array<std::int64_t, 3> cap{};
        for (int o = 0; o < 3; ++o) {
          cap[std::size_t(o)] = std::max<std::int64_t>(1, words[std::size_t(o)] - (squeeze ? 1 : 0));
          over |= cap[std::size_t(o)] < words[std::size_t(o)];
        }
        l.capacity = Capacity::per_operand(cap[0], cap[1], cap[2]);
      }
    }
  }
  return over;
}

std::string label(const ConvShape& s) {
  std::string t;
  for (int d = 0; d < kDims; ++d) {
    t += dim_name(d);
    t += std::to_string(s.size(d));
    t += ' ';
  }
  for (std::int64_t v : {s.stride_h, s.stride_w, s.dilation_h, s.dilation_w}) {
    t += std::to_string(v);
    t += ' ';
  }
  return t;
}

struct Tally {
  int compared = 0, multi_level = 0, spatial = 0, bypassing = 0, overflowing = 0, halo = 0;
};

// Random small layers from `draw`, hierarchies (1-4 levels, random bypass and
// 1- or 2-axis fan-outs) and mappings (random factor splits, orders, spatial
// factors): analytic counts == simulated counts. Then random capacities at or
// just below the simulator's occupancy: the capacity check must reject
// exactly the nests whose tiles the simulator saw overflow.
template <class Draw>
Tally compare_random(std::mt19937_64& rng, int triples, Draw draw) {
  Tally t;
  for (int k = 0; k < triples; ++k) {
    const ConvShape s = draw();
    Hierarchy h = random_hierarchy(rng);
    const LoopNest n = random_nest(rng, h, s);
    const std::string what = "triple " + std::to_string(k) + ": " + label(s) + describe(h, n);
    EXPECT_EQ(mapping_error(h, s, n), "") << what;
    const NestCounts sim = simulate(h, s, n);
    expect_same(analyze(h, s, n), sim, what);
    if (::testing::Test::HasFailure()) break;  // one triple's diff is enough to read
    ++t.compared;
    t.multi_level += h.size() > 2;
    bool any_spatial = false, any_bypass = false, any_halo = false;
    for (int i = 0; i < h.size(); ++i) {
      any_spatial |= n.levels[std::size_t(i)].spatial != kUnitFactors;
      for (bool keep : h.levels[std::size_t(i)].holds) any_bypass |= !keep;
      // Partial fetches: fills that are not whole tiles.
      const std::int64_t tile = sim.level[std::size_t(i)].tile_words[0];
      any_halo |= i > 0 && tile > 0 && sim.at(i, I).fills % (tile * sim.level[std::size_t(i)].instances) != 0;
    }
    t.spatial += any_spatial;
    t.bypassing += any_bypass;
    t.halo += any_halo;

    const bool over = set_random_capacities(rng, h, sim);
    t.overflowing += over;
    const std::string e = mapping_error(h, s, n);
    EXPECT_EQ(!e.empty(), over) << what << ": " << e;
    if (!over) {
      EXPECT_TRUE(analyze(h, s, n) == sim) << what;
    }
  }
  return t;
}

// Every triple compared, and the draw exercises what it claims to (the
// numbers go in the commit message).
void expect_coverage(const Tally& t, const char* what) {
  EXPECT_EQ(t.compared, 1200);
  EXPECT_GT(t.multi_level, 300);
  EXPECT_GT(t.spatial, 300);
  EXPECT_GT(t.bypassing, 300);
  EXPECT_GT(t.overflowing, 50);
  std::printf("%s: compared %d triples: %d with 3-4 levels, %d with spatial factors, %d with bypass, %d over "
              "capacity, %d with partial (halo) fetches\n",
              what, t.compared, t.multi_level, t.spatial, t.bypassing, t.overflowing, t.halo);
}

}  // namespace

TEST(LoopNest, AnalyticEqualsSimulatorOnRandomGemms) {
  std::mt19937_64 rng(20240612);
  static const std::int64_t sizes[] = {1, 2, 3, 4, 5, 6, 8, 9, 12, 16};
  const Tally t = compare_random(rng, 1200, [&] {
    ConvShape s;
    do {
      s = gemm(sizes[rng() % 10], sizes[rng() % 10], sizes[rng() % 10]);
    } while (s.macs() > 1200);
    return s;
  });
  expect_coverage(t, "GEMMs");
  EXPECT_EQ(t.halo, 0);  // GEMM tiles never overlap partially
}

// Small convs: groups, batch, channels, 1-6 output rows and columns, 1-3 taps,
// strides and dilations 1-2.
TEST(LoopNest, AnalyticEqualsSimulatorOnRandomConvs) {
  std::mt19937_64 rng(20251203);
  static const std::int64_t small[] = {1, 1, 2, 3, 4}, rows[] = {1, 2, 3, 4, 6}, taps[] = {1, 2, 3};
  const Tally t = compare_random(rng, 1200, [&] {
    ConvShape s;
    do {
      s.G = 1 + std::int64_t(rng() % 2);
      s.N = 1 + std::int64_t(rng() % 2);
      s.M = small[rng() % 5];
      s.C = small[rng() % 5];
      s.P = rows[rng() % 5];
      s.Q = rows[rng() % 5];
      s.R = taps[rng() % 3];
      s.S = taps[rng() % 3];
      s.stride_h = 1 + std::int64_t(rng() % 2);
      s.stride_w = 1 + std::int64_t(rng() % 2);
      s.dilation_h = 1 + std::int64_t(rng() % 2);
      s.dilation_w = 1 + std::int64_t(rng() % 2);
    } while (s.macs() > 1500);
    return s;
  });
  expect_coverage(t, "convs");
  EXPECT_GT(t.halo, 100);
}

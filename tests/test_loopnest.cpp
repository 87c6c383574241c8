// Loop-nest access counts (src/loopnest): hand-computed cases on 2-level
// hierarchies (weight- vs output-stationary, temporal K accumulation with
// spatial K rows, multicast, spatial reduction, bypass), rejection of illegal
// nests, and the analytic model against the brute-force simulator on 1,200
// random (layer, hierarchy, mapping) triples, capacity checks included.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "loopnest/loopnest.hpp"

using namespace cimmc::loopnest;

namespace {

constexpr Operand I = Operand::inputs, W = Operand::weights, O = Operand::outputs;

StorageLevel level(const std::string& name, std::int64_t fanout = 1, std::array<bool, 3> holds = {true, true, true},
                   Capacity cap = Capacity::unbounded()) {
  StorageLevel l;
  l.name = name;
  l.holds = holds;
  l.capacity = cap;
  l.set_fanout(fanout);
  return l;
}

LevelLoops loops(std::array<std::int64_t, 3> t, std::array<Dim, 3> order, std::array<std::int64_t, 3> s = {1, 1, 1}) {
  return {t, order, s};
}

// Field-by-field comparison with readable failures (operator== says only "differ").
void expect_same(const NestCounts& a, const NestCounts& s, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_EQ(a.levels, s.levels);
  for (int i = 0; i < a.levels; ++i) {
    EXPECT_EQ(a.level[std::size_t(i)].instances, s.level[std::size_t(i)].instances) << "level " << i;
    for (Operand op : kAllOperands) {
      const AccessCounts &x = a.at(i, op), &y = s.at(i, op);
      const std::string where = "level " + std::to_string(i) + " " + operand_name(op);
      EXPECT_EQ(a.level[std::size_t(i)].tile_words[std::size_t(op)], s.level[std::size_t(i)].tile_words[std::size_t(op)])
          << where << " tile_words";
      EXPECT_EQ(x.fills, y.fills) << where << " fills";
      EXPECT_EQ(x.reads, y.reads) << where << " reads";
      EXPECT_EQ(x.updates, y.updates) << where << " updates";
      EXPECT_EQ(x.drains, y.drains) << where << " drains";
    }
  }
  EXPECT_EQ(a.macs, s.macs);
  EXPECT_EQ(a.time_steps, s.time_steps);
  EXPECT_EQ(a.job.shape, s.job.shape);
  EXPECT_EQ(a.job.runs, s.job.runs);
  EXPECT_TRUE(a == s);
}

// Analytic model, checked against the simulator, returned for hand checks.
NestCounts counts(const Hierarchy& h, const GemmShape& g, const LoopNest& n) {
  NestCounts a = analyze(h, g, n);
  expect_same(a, simulate(h, g, n), describe(h, n));
  return a;
}

void expect_access(const NestCounts& c, int lvl, Operand op, std::int64_t fills, std::int64_t reads,
                   std::int64_t updates, std::int64_t drains) {
  SCOPED_TRACE("level " + std::to_string(lvl) + " " + operand_name(op));
  EXPECT_EQ(c.at(lvl, op).fills, fills);
  EXPECT_EQ(c.at(lvl, op).reads, reads);
  EXPECT_EQ(c.at(lvl, op).updates, updates);
  EXPECT_EQ(c.at(lvl, op).drains, drains);
}

Hierarchy two_levels(std::int64_t dram_fanout = 1, std::array<bool, 3> buf_holds = {true, true, true}) {
  return {{level("DRAM", dram_fanout), level("Buf", 1, buf_holds)}};
}

}  // namespace

// M=4, K=3, N=2, every loop at DRAM, so Buf holds one word of each operand.
// Weight-stationary: DRAM order K (outer), N, M (inner).
//   weights: innermost loop relevant to w[k][n] is N; M inside it reuses the
//     word: fills = K*N = 6 (each weight once); DRAM reads 6.
//   inputs: M is relevant and innermost: a new word every step: 24, DRAM reads 24.
//   outputs: M innermost: the word changes every step: 24 residencies, 24
//     drains -> 24 DRAM updates, 8 of them first writes, 16 RMW reads.
//     Buf: 24 updates from compute, each the first of its residency: 0 reads.
//   compute reads Buf's input and weight every MAC: 24 each.
TEST(LoopNest, WeightStationaryByHand) {
  const NestCounts c = counts(two_levels(), {4, 3, 2},
                              {{loops({4, 3, 2}, {Dim::K, Dim::N, Dim::M}), loops({1, 1, 1}, {Dim::M, Dim::K, Dim::N})}});
  expect_access(c, 0, I, 0, 24, 0, 0);
  expect_access(c, 0, W, 0, 6, 0, 0);
  expect_access(c, 0, O, 0, 16, 24, 0);
  expect_access(c, 1, I, 24, 24, 0, 0);
  expect_access(c, 1, W, 6, 24, 0, 0);
  expect_access(c, 1, O, 0, 0, 24, 24);
  EXPECT_EQ(c.time_steps, 24);
  EXPECT_EQ(c.job.runs, 24);
  EXPECT_EQ(c.job.shape, (std::array<std::int64_t, 3>{1, 1, 1}));
}

// Same layer, output-stationary: DRAM order N, M, K (inner).
//   outputs: M is the innermost relevant loop; K inside accumulates in Buf:
//     8 residencies, 8 drains, 8 DRAM updates, all first writes: 0 DRAM reads.
//     Buf: 24 updates, 8 first writes, 16 RMW reads.
//   inputs and weights: K innermost and relevant to both: 24 fills each.
TEST(LoopNest, OutputStationaryByHand) {
  const NestCounts c = counts(two_levels(), {4, 3, 2},
                              {{loops({4, 3, 2}, {Dim::N, Dim::M, Dim::K}), loops({1, 1, 1}, {Dim::M, Dim::K, Dim::N})}});
  expect_access(c, 0, I, 0, 24, 0, 0);
  expect_access(c, 0, W, 0, 24, 0, 0);
  expect_access(c, 0, O, 0, 0, 8, 0);
  expect_access(c, 1, I, 24, 24, 0, 0);
  expect_access(c, 1, W, 24, 24, 0, 0);
  expect_access(c, 1, O, 0, 16, 24, 8);
}

// M=4, K=4, N=2. DRAM: M2 (outer), K2; Buf: N2, M2, K1; spatial K2 below Buf
// (two macro rows). Buf tiles: M 2 x K 2 x N 2 -> 4 words of each operand.
//   inputs: K is the innermost relevant loop above Buf: 2*2 = 4 visits x 4 =
//     16 fills (the input tensor once), 16 DRAM reads.
//   weights: same 4 visits: 16 fills (the 8-word tensor twice, once per M half).
//   outputs: M is the innermost relevant loop, K2 inside it accumulates: 2 visits
//     x 4 = 8 drains -> 8 DRAM updates, all first writes.
//   time steps = 2*2*2*2 = 16; per step the 2 rows read 2 inputs and 2
//     weights (32 each) and reduce into 1 output update (16 at Buf), of which
//     8 are first writes and 8 RMW (the second DRAM K half).
//   tile job: 1 x 2 x 1 (K over 2 rows), 16 runs; 16 * 2 = 32 MACs.
TEST(LoopNest, SpatialRowsAndTemporalAccumulationByHand) {
  Hierarchy h{{level("DRAM"), level("Buf", 2)}};
  const NestCounts c = counts(h, {4, 4, 2},
                              {{loops({2, 2, 1}, {Dim::M, Dim::K, Dim::N}),
                                loops({2, 1, 2}, {Dim::N, Dim::M, Dim::K}, {1, 2, 1})}});
  expect_access(c, 0, I, 0, 16, 0, 0);
  expect_access(c, 0, W, 0, 16, 0, 0);
  expect_access(c, 0, O, 0, 0, 8, 0);
  expect_access(c, 1, I, 16, 32, 0, 0);
  expect_access(c, 1, W, 16, 32, 0, 0);
  expect_access(c, 1, O, 0, 8, 16, 8);
  EXPECT_EQ(c.level[1].tile_words, (std::array<std::int64_t, 3>{4, 4, 4}));
  EXPECT_EQ(c.job.shape, (std::array<std::int64_t, 3>{1, 2, 1}));
  EXPECT_EQ(c.job.runs, 16);
  EXPECT_EQ(c.time_steps, 16);
}

// M=2, K=2, N=2; DRAM M2, K2 (inner) and N2 spatially over 2 Bufs of 1 word.
//   inputs: K innermost relevant: 4 fills per Buf, 8 in all; both Bufs want
//     the same in[m][k] at once (N is irrelevant): multicast, 4 DRAM reads.
//   weights: 4 fills per Buf (refetched per m), 8 DRAM reads (N relevant).
//   outputs: M innermost relevant, K2 inside: 2 residencies per Buf, 4 drains
//     in all, 4 DRAM updates (distinct n); Buf: 8 updates, 4 first writes.
TEST(LoopNest, MulticastByHand) {
  const NestCounts c = counts(two_levels(2), {2, 2, 2},
                              {{loops({2, 2, 1}, {Dim::M, Dim::K, Dim::N}, {1, 1, 2}),
                                loops({1, 1, 1}, {Dim::M, Dim::K, Dim::N})}});
  expect_access(c, 0, I, 0, 4, 0, 0);
  expect_access(c, 0, W, 0, 8, 0, 0);
  expect_access(c, 0, O, 0, 0, 4, 0);
  expect_access(c, 1, I, 8, 8, 0, 0);
  expect_access(c, 1, W, 8, 8, 0, 0);
  expect_access(c, 1, O, 0, 4, 8, 4);
  EXPECT_EQ(c.level[1].instances, 2);
  EXPECT_EQ(c.job.runs, 8);
}

// M=2, K=2, N=2; DRAM M2, N2 (inner), K2 spatially over 2 Bufs.
//   inputs: M innermost relevant (N inside reuses): 2 fills per Buf, 4 DRAM reads.
//   weights: N innermost relevant: 4 per Buf, 8 fills, 8 DRAM reads.
//   compute: each Buf serves its unit every step: 4 x 2 = 8 reads of each.
//   outputs: N innermost: 4 residencies per Buf, 8 drains; the two Bufs hold
//     the same out[m][n] (different k): reduced to 4 DRAM updates, all first.
TEST(LoopNest, SpatialReductionByHand) {
  const NestCounts c = counts(two_levels(2), {2, 2, 2},
                              {{loops({2, 1, 2}, {Dim::M, Dim::N, Dim::K}, {1, 2, 1}),
                                loops({1, 1, 1}, {Dim::M, Dim::K, Dim::N})}});
  expect_access(c, 0, I, 0, 4, 0, 0);
  expect_access(c, 0, W, 0, 8, 0, 0);
  expect_access(c, 0, O, 0, 0, 4, 0);
  expect_access(c, 1, I, 4, 8, 0, 0);
  expect_access(c, 1, W, 8, 8, 0, 0);
  expect_access(c, 1, O, 0, 0, 8, 8);
}

// The weight-stationary nest with Buf keeping only outputs: compute reads
// inputs and weights from DRAM every MAC (24 each); Buf has no tiles of them.
TEST(LoopNest, BypassByHand) {
  const NestCounts c = counts(two_levels(1, {false, false, true}), {4, 3, 2},
                              {{loops({4, 3, 2}, {Dim::K, Dim::N, Dim::M}), loops({1, 1, 1}, {Dim::M, Dim::K, Dim::N})}});
  expect_access(c, 0, I, 0, 24, 0, 0);
  expect_access(c, 0, W, 0, 24, 0, 0);
  expect_access(c, 1, I, 0, 0, 0, 0);
  expect_access(c, 1, W, 0, 0, 0, 0);
  EXPECT_EQ(c.level[1].tile_words, (std::array<std::int64_t, 3>{0, 0, 1}));
  expect_access(c, 1, O, 0, 0, 24, 24);
}

namespace {

// Throws LoopNestError from analyze(), with `message` in it.
void expect_rejected(const Hierarchy& h, const GemmShape& g, const LoopNest& n, const std::string& message) {
  EXPECT_EQ(mapping_error(h, g, n).find(message) != std::string::npos, true)
      << "got: '" << mapping_error(h, g, n) << "'\nwant: '" << message << "'";
  EXPECT_THROW(analyze(h, g, n), LoopNestError);
}

LoopNest two_level_nest(std::array<std::int64_t, 3> dram, std::array<std::int64_t, 3> buf,
                        std::array<std::int64_t, 3> spatial = {1, 1, 1}) {
  return {{loops(dram, {Dim::M, Dim::K, Dim::N}, spatial), loops(buf, {Dim::M, Dim::K, Dim::N})}};
}

}  // namespace

TEST(LoopNest, RejectsIllegalNests) {
  const GemmShape g{4, 3, 2};
  const Hierarchy h = two_levels(2);
  EXPECT_EQ(mapping_error(h, g, two_level_nest({2, 3, 1}, {2, 1, 2})), "");

  expect_rejected(h, g, two_level_nest({2, 2, 1}, {2, 1, 2}), "loop nest: K factors multiply to 2, the layer has K = 3");
  expect_rejected(h, g, two_level_nest({2, 3, 2}, {2, 1, 2}), "loop nest: N factors multiply to 4, the layer has N = 2");
  expect_rejected(h, g, two_level_nest({1, 3, 1}, {2, 1, 1}, {2, 1, 2}),
                  "level 0 'DRAM': spatial factors M2 K1 N2 need 4 instances along fan-out axis 0, it has 2");
  expect_rejected(h, g, two_level_nest({0, 3, 1}, {4, 1, 2}), "level 0 'DRAM': M factors must be at least 1");
  expect_rejected(h, g, LoopNest{{loops({4, 3, 2}, {Dim::M, Dim::K, Dim::N})}},
                  "loop nest: 1 levels of loops for a hierarchy of 2 levels");
  expect_rejected(h, g, {{loops({4, 3, 2}, {Dim::M, Dim::M, Dim::N}), loops({1, 1, 1}, {Dim::M, Dim::K, Dim::N})}},
                  "level 0 'DRAM': loop order must name M, K and N once each");

  // Buf's tiles are M2 x K1 x N2: inputs 2, weights 2, outputs 4 words.
  const LoopNest n = two_level_nest({2, 3, 1}, {2, 1, 2});
  expect_rejected({{level("DRAM"), level("Buf", 1, {true, true, true}, Capacity::per_operand(2, 2, 3))}}, g, n,
                  "level 1 'Buf': outputs tile of 4 words exceeds its capacity of 3 words");
  expect_rejected({{level("DRAM"), level("Buf", 1, {true, true, true}, Capacity::shared(7))}}, g, n,
                  "level 1 'Buf': tiles of 8 words (inputs 2 + weights 2 + outputs 4) exceed its shared capacity of 7 words");
  // Exactly full is legal; a bypassed operand takes no room.
  EXPECT_EQ(mapping_error({{level("DRAM"), level("Buf", 1, {true, true, true}, Capacity::shared(8))}}, g, n), "");
  EXPECT_EQ(mapping_error({{level("DRAM"), level("Buf", 1, {true, true, false}, Capacity::shared(4))}}, g, n), "");

  expect_rejected({{level("DRAM", 1, {true, false, true}), level("Buf")}}, g, n,
                  "level 0 'DRAM': the outermost level must keep weights (it is where the tensors live)");
  expect_rejected({{level("DRAM", 0), level("Buf")}}, g, n, "level 0 'DRAM': fan-out must be at least 1 along each axis");
  expect_rejected({{level("DRAM"), level("Buf", 1, {true, true, true}, Capacity::shared(0))}}, g, n,
                  "level 1 'Buf': shared capacity must be at least 1 word");
  expect_rejected(h, {4, 0, 2}, n, "layer: K must be at least 1");
  EXPECT_THROW(simulate(h, g, two_level_nest({2, 2, 1}, {2, 1, 2})), LoopNestError);

  Hierarchy bad_energy = h;
  bad_energy.levels[1].energy[1].write_pj_per_bit = -1;
  expect_rejected(bad_energy, g, n, "level 1 'Buf': weights energies must be finite and >= 0");
  Hierarchy bad_mesh = h;
  bad_mesh.levels[0].link = {Topology::mesh, 3, 1, 0.1, 0};
  expect_rejected(bad_mesh, g, n, "level 0 'DRAM': a mesh of 3 x 1 does not tile a fan-out of 2 instances");
}

// A macro-like fan-out: 4 rows admit K, 2 columns admit N. Spatial factors
// fill each axis on its own; M cannot unroll at all.
TEST(LoopNest, FanoutAxesPlaceDimensions) {
  Hierarchy h = two_levels();
  h.levels[1].fanout = {FanoutAxis{4, 1u << int(Dim::K)}, FanoutAxis{2, 1u << int(Dim::N)}};
  const GemmShape g{2, 4, 2};
  const LoopNest fits{{loops({2, 1, 1}, {Dim::M, Dim::K, Dim::N}), loops({1, 1, 1}, {Dim::M, Dim::K, Dim::N}, {1, 4, 2})}};
  const NestCounts c = counts(h, g, fits);
  EXPECT_EQ(c.job.shape, (std::array<std::int64_t, 3>{1, 4, 2}));
  EXPECT_EQ(c.job.runs, 2);
  expect_rejected(h, {2, 8, 1}, {{loops({2, 1, 1}, {Dim::M, Dim::K, Dim::N}), loops({1, 1, 1}, {Dim::M, Dim::K, Dim::N}, {1, 8, 1})}},
                  "level 1 'Buf': spatial factors M1 K8 N1 need 8 instances along fan-out axis 0, it has 4");
  expect_rejected(h, g, {{loops({1, 1, 1}, {Dim::M, Dim::K, Dim::N}), loops({1, 1, 1}, {Dim::M, Dim::K, Dim::N}, {2, 4, 2})}},
                  "level 1 'Buf': no fan-out axis admits spatial M2");
  Hierarchy overlap = h;
  overlap.levels[1].fanout[1].dims |= 1u << int(Dim::K);
  expect_rejected(overlap, g, fits, "level 1 'Buf': the two fan-out axes must admit different dimensions");
  // random_nest respects the axes.
  std::mt19937_64 rng(3);
  for (int t = 0; t < 200; ++t) {
    const LoopNest n = random_nest(rng, h, {4, 8, 4});
    EXPECT_EQ(n.levels[1].spatial[0], 1);
    EXPECT_LE(n.levels[1].spatial[1], 4);
    EXPECT_LE(n.levels[1].spatial[2], 2);
  }
}

TEST(LoopNest, DescribeIsReadable) {
  Hierarchy h{{level("DRAM", 4), level("GLB", 2), level("Macro")}};
  LoopNest n{{loops({2, 3, 1}, {Dim::K, Dim::N, Dim::M}, {2, 1, 2}), loops({1, 1, 2}, {Dim::N, Dim::M, Dim::K}),
              loops({1, 4, 1}, {Dim::M, Dim::K, Dim::N}, {1, 2, 1})}};
  EXPECT_EQ(describe(h, n), "DRAM[K3 N1 M2] {M2 N2} GLB[N2 M1 K1] Macro[M1 K4 N1] {K2}");
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
      const DimMask x = DimMask(rng() % 8);
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

}  // namespace

// The acceptance test of issue 12 item 2: analytic counts == simulated counts
// on random small layers, hierarchies (1-4 levels, random bypass and fan-outs)
// and mappings (random factor splits, orders, spatial factors). Then random
// capacities at or just below the simulator's occupancy: the capacity check
// must reject exactly the nests whose tiles the simulator saw overflow.
TEST(LoopNest, AnalyticEqualsSimulatorOnRandomNests) {
  std::mt19937_64 rng(20240612);
  static const std::int64_t sizes[] = {1, 2, 3, 4, 5, 6, 8, 9, 12, 16};
  int compared = 0, overflowing = 0, multi_level = 0, spatial = 0, bypassing = 0;
  for (int t = 0; t < 1200; ++t) {
    GemmShape g;
    do {
      g = {sizes[rng() % 10], sizes[rng() % 10], sizes[rng() % 10]};
    } while (g.macs() > 1200);
    Hierarchy h = random_hierarchy(rng);
    const LoopNest n = random_nest(rng, h, g);
    const std::string what = "triple " + std::to_string(t) + ": M" + std::to_string(g.M) + " K" +
                             std::to_string(g.K) + " N" + std::to_string(g.N) + " " + describe(h, n);
    ASSERT_EQ(mapping_error(h, g, n), "") << what;
    const NestCounts sim = simulate(h, g, n);
    expect_same(analyze(h, g, n), sim, what);
    if (HasFailure()) break;  // one triple's diff is enough to read
    ++compared;
    multi_level += h.size() > 2;
    bool any_spatial = false, any_bypass = false;
    for (int i = 0; i < h.size(); ++i) {
      any_spatial |= n.levels[std::size_t(i)].spatial != std::array<std::int64_t, 3>{1, 1, 1};
      for (bool k : h.levels[std::size_t(i)].holds) any_bypass |= !k;
    }
    spatial += any_spatial;
    bypassing += any_bypass;

    const bool over = set_random_capacities(rng, h, sim);
    overflowing += over;
    const std::string e = mapping_error(h, g, n);
    EXPECT_EQ(!e.empty(), over) << what << ": " << e;
    if (!over) {
      EXPECT_TRUE(analyze(h, g, n) == sim) << what;
    }
  }
  EXPECT_EQ(compared, 1200);
  // The draw must exercise what it claims to (numbers for the commit message).
  EXPECT_GT(multi_level, 300);
  EXPECT_GT(spatial, 300);
  EXPECT_GT(bypassing, 300);
  EXPECT_GT(overflowing, 50);
  std::printf("compared %d triples: %d with 3-4 levels, %d with spatial factors, %d with bypass, %d over capacity\n",
              compared, multi_level, spatial, bypassing, overflowing);
}

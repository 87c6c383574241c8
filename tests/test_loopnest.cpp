// Loop-nest access counts (src/loopnest), GEMMs as convs (problem.hpp):
// hand-computed cases on 2-level hierarchies (weight- vs output-stationary,
// temporal K accumulation with spatial K rows, multicast, spatial reduction,
// bypass), rejection of illegal nests and layers, fan-out axes, describe().
// Conv cases and the random analytic-vs-simulator comparison are in
// test_loopnest_conv.cpp.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "loopnest_test_util.hpp"

using namespace loopnest_test;

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
  const NestCounts c = counts(two_levels(), gemm(4, 3, 2),
                              {{loops({4, 3, 2}, {gK, gN, gM}), loops({1, 1, 1}, {gM, gK, gN})}});
  expect_access(c, 0, I, 0, 24, 0, 0);
  expect_access(c, 0, W, 0, 6, 0, 0);
  expect_access(c, 0, O, 0, 16, 24, 0);
  expect_access(c, 1, I, 24, 24, 0, 0);
  expect_access(c, 1, W, 6, 24, 0, 0);
  expect_access(c, 1, O, 0, 0, 24, 24);
  EXPECT_EQ(c.time_steps, 24);
  EXPECT_EQ(c.job.runs, 24);
  EXPECT_EQ(c.job.shape, gemm_factors({1, 1, 1}));
}

// Same layer, output-stationary: DRAM order N, M, K (inner).
//   outputs: M is the innermost relevant loop; K inside accumulates in Buf:
//     8 residencies, 8 drains, 8 DRAM updates, all first writes: 0 DRAM reads.
//     Buf: 24 updates, 8 first writes, 16 RMW reads.
//   inputs and weights: K innermost and relevant to both: 24 fills each.
TEST(LoopNest, OutputStationaryByHand) {
  const NestCounts c = counts(two_levels(), gemm(4, 3, 2),
                              {{loops({4, 3, 2}, {gN, gM, gK}), loops({1, 1, 1}, {gM, gK, gN})}});
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
  const NestCounts c = counts(h, gemm(4, 4, 2),
                              {{loops({2, 2, 1}, {gM, gK, gN}),
                                loops({2, 1, 2}, {gN, gM, gK}, {1, 2, 1})}});
  expect_access(c, 0, I, 0, 16, 0, 0);
  expect_access(c, 0, W, 0, 16, 0, 0);
  expect_access(c, 0, O, 0, 0, 8, 0);
  expect_access(c, 1, I, 16, 32, 0, 0);
  expect_access(c, 1, W, 16, 32, 0, 0);
  expect_access(c, 1, O, 0, 8, 16, 8);
  EXPECT_EQ(c.level[1].tile_words, (std::array<std::int64_t, 3>{4, 4, 4}));
  EXPECT_EQ(c.job.shape, gemm_factors({1, 2, 1}));
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
  const NestCounts c = counts(two_levels(2), gemm(2, 2, 2),
                              {{loops({2, 2, 1}, {gM, gK, gN}, {1, 1, 2}),
                                loops({1, 1, 1}, {gM, gK, gN})}});
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
  const NestCounts c = counts(two_levels(2), gemm(2, 2, 2),
                              {{loops({2, 1, 2}, {gM, gN, gK}, {1, 2, 1}),
                                loops({1, 1, 1}, {gM, gK, gN})}});
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
  const NestCounts c = counts(two_levels(1, {false, false, true}), gemm(4, 3, 2),
                              {{loops({4, 3, 2}, {gK, gN, gM}), loops({1, 1, 1}, {gM, gK, gN})}});
  expect_access(c, 0, I, 0, 24, 0, 0);
  expect_access(c, 0, W, 0, 24, 0, 0);
  expect_access(c, 1, I, 0, 0, 0, 0);
  expect_access(c, 1, W, 0, 0, 0, 0);
  EXPECT_EQ(c.level[1].tile_words, (std::array<std::int64_t, 3>{0, 0, 1}));
  expect_access(c, 1, O, 0, 0, 24, 24);
}

namespace {

// Throws LoopNestError from analyze(), with `message` in it.
void expect_rejected(const Hierarchy& h, const ConvShape& g, const LoopNest& n, const std::string& message) {
  EXPECT_EQ(mapping_error(h, g, n).find(message) != std::string::npos, true)
      << "got: '" << mapping_error(h, g, n) << "'\nwant: '" << message << "'";
  EXPECT_THROW(analyze(h, g, n), LoopNestError);
}

LoopNest two_level_nest(std::array<std::int64_t, 3> dram, std::array<std::int64_t, 3> buf,
                        std::array<std::int64_t, 3> spatial = {1, 1, 1}) {
  return {{loops(dram, {gM, gK, gN}, spatial), loops(buf, {gM, gK, gN})}};
}

}  // namespace

TEST(LoopNest, RejectsIllegalNests) {
  const GemmShape g{4, 3, 2};
  const Hierarchy h = two_levels(2);
  EXPECT_EQ(mapping_error(h, g, two_level_nest({2, 3, 1}, {2, 1, 2})), "");

  expect_rejected(h, g, two_level_nest({2, 2, 1}, {2, 1, 2}), "loop nest: C factors multiply to 2, the layer has C = 3");
  expect_rejected(h, g, two_level_nest({2, 3, 2}, {2, 1, 2}), "loop nest: M factors multiply to 4, the layer has M = 2");
  expect_rejected(h, g, two_level_nest({1, 3, 1}, {2, 1, 1}, {2, 1, 2}),
                  "level 0 'DRAM': spatial factors N2 M2 need 4 instances along fan-out axis 0, it has 2");
  expect_rejected(h, g, two_level_nest({0, 3, 1}, {4, 1, 2}), "level 0 'DRAM': N factors must be at least 1");
  expect_rejected(h, g, LoopNest{{loops({4, 3, 2}, {gM, gK, gN})}},
                  "loop nest: 1 levels of loops for a hierarchy of 2 levels");
  LoopNest repeated = two_level_nest({4, 3, 2}, {1, 1, 1});
  repeated.levels[0].order[1] = repeated.levels[0].order[0];
  expect_rejected(h, g, repeated, "level 0 'DRAM': loop order must name each of G N M C P Q R S once");

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
  expect_rejected(h, GemmShape{4, 0, 2}, n, "layer: C must be at least 1");
  ConvShape strided = g;
  strided.dilation_w = 0;
  expect_rejected(h, strided, n, "layer: dilation_w must be at least 1");
  ConvShape huge = gemm(1 << 20, 1 << 20, 1 << 20);  // 2^60 MACs, fine at stride 1
  EXPECT_EQ(shape_error(huge), "");
  huge.stride_h = 8;
  EXPECT_EQ(shape_error(huge),
            "layer: MACs x max(stride_h, dilation_h) x max(stride_w, dilation_w) exceed 2^62 (counts would overflow)");
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
  h.levels[1].fanout = {FanoutAxis{4, 1u << int(gK)}, FanoutAxis{2, 1u << int(gN)}};
  const GemmShape g{2, 4, 2};
  const LoopNest fits{{loops({2, 1, 1}, {gM, gK, gN}), loops({1, 1, 1}, {gM, gK, gN}, {1, 4, 2})}};
  const NestCounts c = counts(h, g, fits);
  EXPECT_EQ(c.job.shape, gemm_factors({1, 4, 2}));
  EXPECT_EQ(c.job.runs, 2);
  expect_rejected(h, GemmShape{2, 8, 1}, {{loops({2, 1, 1}, {gM, gK, gN}), loops({1, 1, 1}, {gM, gK, gN}, {1, 8, 1})}},
                  "level 1 'Buf': spatial factors C8 need 8 instances along fan-out axis 0, it has 4");
  expect_rejected(h, g, {{loops({1, 1, 1}, {gM, gK, gN}), loops({1, 1, 1}, {gM, gK, gN}, {2, 4, 2})}},
                  "level 1 'Buf': no fan-out axis admits spatial N2");
  Hierarchy overlap = h;
  overlap.levels[1].fanout[1].dims |= 1u << int(gK);
  expect_rejected(overlap, g, fits, "level 1 'Buf': the two fan-out axes must admit different dimensions");
  // random_nest respects the axes.
  std::mt19937_64 rng(3);
  for (int t = 0; t < 200; ++t) {
    const LoopNest n = random_nest(rng, h, gemm(4, 8, 4));
    EXPECT_EQ(n.levels[1].spatial[std::size_t(gM)], 1);
    EXPECT_LE(n.levels[1].spatial[std::size_t(gK)], 4);
    EXPECT_LE(n.levels[1].spatial[std::size_t(gN)], 2);
  }
}

TEST(LoopNest, DescribeIsReadable) {
  Hierarchy h{{level("DRAM", 4), level("GLB", 2), level("Macro")}};
  LoopNest n{{loops({2, 3, 1}, {gK, gN, gM}, {2, 1, 2}), loops({1, 1, 2}, {gN, gM, gK}),
              loops({1, 4, 1}, {gM, gK, gN}, {1, 2, 1})}};
  // Factors of 1 are left out; GEMM m, k, n print as the conv's N, C, M.
  EXPECT_EQ(describe(h, n), "DRAM[C3 N2] {N2 M2} GLB[M2] Macro[C4] {C2}");
  const LoopNest conv{{LevelLoops{factors({{Dim::P, 4}, {Dim::G, 2}}), order(std::array{Dim::P, Dim::G}), kUnitFactors},
                       LevelLoops{}, LevelLoops{factors({{Dim::R, 3}}), kDimOrder, factors({{Dim::S, 3}})}}};
  EXPECT_EQ(describe(h, conv), "DRAM[P4 G2] GLB[] Macro[R3] {S3}");
}


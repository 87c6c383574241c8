// gpucim/ and `kind: pe_array` (issue 15 part 2): a PE array or a CiM
// primitive priced at a fixed energy per MAC as the innermost hierarchy level.
// Expected values are hand computations (loopnest.hpp's count rules, cost.hpp's
// pricing), the brute-force simulator, or MACs x pJ/MAC.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "arch/hierarchy.hpp"
#include "config/config.hpp"
#include "config_test_util.hpp"
#include "gpucim/pe_array.hpp"
#include "hiermap/hiermap.hpp"
#include "loopnest_test_util.hpp"
#include "shell_util.hpp"

using namespace cimmc;
using namespace loopnest_test;
namespace ln = cimmc::loopnest;

namespace {

hier::LevelSpec spec_level(const std::string& name, std::array<bool, 3> holds, double read, double write) {
  hier::LevelSpec l;
  l.name = name;
  l.holds = holds;
  for (int op = 0; op < 3; ++op)
    if (holds[std::size_t(op)]) {
      l.read_pj_per_bit[std::size_t(op)] = read;
      l.write_pj_per_bit[std::size_t(op)] = write;
    }
  return l;
}

hier::AxisSpec axis(std::int64_t size, hier::DimRole role) { return {size, hier::RoleMask(1u << int(role))}; }

// 8-bit inputs and weights; K = `k` sets the accumulator width.
hier::OperandBits bits8(std::int64_t k) {
  OperandSpec x, w;
  x.bits = w.bits = 8;
  return hier::layer_operand_bits(x, w, k);
}

// The job figures hiermap gives the search for a pe_array level.
ln::JobFiguresFn figures_of(const ln::Hierarchy& h, const hier::LevelSpec& pe) {
  return [&h, pe](const ln::TileJob& job) {
    const hiermap::MvmFigures f = gpucim::op_figures(pe, hiermap::tile_shape(h, job), h.clock_ghz);
    return ln::JobFigures{f.energy_pj, f.ns * h.clock_ghz};
  };
}

ln::CostParams params(const hier::OperandBits& b, const ln::JobFiguresFn& fn) {
  ln::CostParams p;
  p.bits = {double(b[0]), double(b[1]), double(b[2]), 8.0};
  p.job_figures = &fn;
  return p;
}

// dram -> rf (outputs; 2 x 2 PEs: reduction x vectors) -> pe (inputs, one word).
hier::HierarchySpec tensor_core_2x2() {
  hier::HierarchySpec h;
  h.levels.push_back(spec_level("dram", {true, true, true}, 1.0, 1.0));
  hier::LevelSpec rf = spec_level("rf", {false, false, true}, 2.0, 3.0);
  rf.fanout = {axis(2, hier::DimRole::reduction), axis(2, hier::DimRole::vectors)};
  h.levels.push_back(rf);
  hier::LevelSpec pe = spec_level("pe", {true, false, false}, 0.25, 0.5);
  pe.kind = hier::LevelKind::pe_array;
  pe.capacity.kind = hier::CapacityKind::shared;
  pe.capacity.shared_bits = 8;
  pe.pj_per_mac = 0.5;
  pe.cycles_per_op = 3;
  h.levels.push_back(pe);
  return h;
}

}  // namespace

TEST(GpuCim, APeArrayLevelConvertsAsABufferWhoseFanoutIsItsMacUnits) {
  hier::HierarchySpec s = tensor_core_2x2();
  s.levels[2].fanout = {axis(4, hier::DimRole::reduction), axis(3, hier::DimRole::output_channels)};
  const ln::Hierarchy h = hier::to_hierarchy(s, MacroSpec{}, OperandSpec{}, bits8(2), 2.0);
  ASSERT_EQ(h.size(), 3);
  const ln::StorageLevel& pe = h.levels[2];
  EXPECT_EQ(pe.holds, (std::array<bool, 3>{true, false, false}));
  EXPECT_EQ(pe.capacity.kind, ln::CapacityKind::shared);
  EXPECT_EQ(pe.capacity.shared_words, 1);  // 8 bits of 8-bit inputs
  EXPECT_EQ(pe.fanout[0].size, 4);
  EXPECT_EQ(pe.fanout[1].size, 3);
  EXPECT_EQ(pe.fanout[0].dims, hier::role_dims(hier::DimRole::reduction));
  EXPECT_EQ(pe.energy[0].write_pj_per_bit, 0.5);
  EXPECT_EQ(h.levels[1].fanout[1].dims, hier::role_dims(hier::DimRole::vectors));
}

// GEMM M = 2 vectors, K = 2, N = 2; DRAM loops N2; the rf's 2 x 2 PEs take K
// (x) and M (y). Two time steps; in each, PE (k, m) does x[m,k] w[k,n].
//   pe inputs: no loop above it is relevant to inputs, so each PE fetches its
//     word once: 4 fills (4 DRAM reads, 32 bits); compute reads it per MAC: 8.
//   weights bypass rf and pe: per step the two PEs of one k share w[k,n]
//     (M is irrelevant to weights): 2 destinations x 2 steps = 4 DRAM reads.
//   outputs: per step the 2 PEs of one m reduce across k into 1 rf update: 4
//     updates, each the first of its residency (N, relevant, is above rf):
//     0 RMW reads; 4 drains to DRAM, 4 DRAM updates. 4 = the output tensor's
//     words, so every output transfer is final, at 8 bits.
// Energy (pJ): DRAM 4x8 + 4x8 + 4x8 (x 1) = 96; rf 4x8x3 + 4x8x2 = 160;
// pe 4x8x0.5 + 8x8x0.25 = 32; MACs 8 x 0.5 = 4; total 292.
// Latency: 2 time steps x 3 cycles per op = 6 cycles = 3 ns at 2 GHz.
TEST(GpuCim, APeArrayNestCostsWhatTheHandCountGives) {
  const hier::HierarchySpec s = tensor_core_2x2();
  const hier::OperandBits b = bits8(2);
  const ln::Hierarchy h = hier::to_hierarchy(s, MacroSpec{}, OperandSpec{}, b, 2.0);
  const ln::ConvShape g = ln::gemm(2, 2, 2);
  const ln::LoopNest n{{loops({1, 1, 2}, {gM, gK, gN}), loops({1, 1, 1}, {gM, gK, gN}, {2, 2, 1}),
                        loops({1, 1, 1}, {gM, gK, gN})}};
  ASSERT_EQ(ln::mapping_error(h, g, n), "");
  const NestCounts c = counts(h, g, n);  // analytic == simulated
  expect_access(c, 0, I, 0, 4, 0, 0);
  expect_access(c, 0, W, 0, 4, 0, 0);
  expect_access(c, 0, O, 0, 0, 4, 0);
  expect_access(c, 1, O, 0, 0, 4, 4);
  expect_access(c, 2, I, 4, 8, 0, 0);
  EXPECT_EQ(c.job.runs, 8);

  const ln::JobFiguresFn fn = figures_of(h, s.levels[2]);
  const ln::NestCost k = ln::cost(h, g, n, c, params(b, fn));
  EXPECT_DOUBLE_EQ(k.level_pj[0][0] + k.level_pj[0][1] + k.level_pj[0][2], 96.0);
  EXPECT_DOUBLE_EQ(k.level_pj[1][2], 160.0);
  EXPECT_DOUBLE_EQ(k.level_pj[2][0], 32.0);
  EXPECT_DOUBLE_EQ(k.macro_pj, 4.0);
  EXPECT_DOUBLE_EQ(k.total_pj, 292.0);
  EXPECT_DOUBLE_EQ(k.compute_cycles, 6.0);
  EXPECT_DOUBLE_EQ(k.cycles, 6.0);
  EXPECT_DOUBLE_EQ(k.ns, 3.0);
}

// Random small GEMMs on random pe_array hierarchies (an optional buffer with
// random contents and fan-out above a pe_array level with random contents and
// 1- or 2-axis MAC units): the analytic counts equal the brute-force
// simulator's, the compute energy is MACs x pJ/MAC and the compute time is
// time steps x cycles per op.
TEST(GpuCim, PeArrayCountsMatchTheSimulatorAndPriceEveryMacOnce) {
  std::mt19937_64 rng(15);
  const auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  const auto holds = [&] {
    std::array<bool, 3> h{};
    while (!(h[0] || h[1] || h[2]))
      for (bool& v : h) v = pick(0, 1) == 1;
    return h;
  };
  const hier::DimRole roles[3] = {hier::DimRole::vectors, hier::DimRole::reduction, hier::DimRole::output_channels};
  int compared = 0, with_mid = 0, two_axes = 0;
  for (int t = 0; t < 300; ++t) {
    hier::HierarchySpec s;
    s.levels.push_back(spec_level("dram", {true, true, true}, 1.0, 1.5));
    if (pick(0, 1)) {
      hier::LevelSpec mid = spec_level("mid", holds(), 0.5, 0.7);
      mid.fanout[0].size = pick(1, 4);
      s.levels.push_back(mid);
      ++with_mid;
    }
    hier::LevelSpec pe = spec_level("pe", holds(), 0.1, 0.2);
    pe.kind = hier::LevelKind::pe_array;
    const int r0 = int(pick(0, 2)), r1 = (r0 + int(pick(1, 2))) % 3;
    pe.fanout = {axis(pick(1, 4), roles[r0]), axis(pick(1, 3), roles[r1])};
    two_axes += pe.fanout[0].size > 1 && pe.fanout[1].size > 1;
    pe.pj_per_mac = 0.125 * double(pick(1, 8));
    pe.cycles_per_op = double(pick(1, 20));
    s.levels.push_back(pe);

    const ln::ConvShape g = ln::gemm(pick(1, 6), pick(1, 6), pick(1, 6));
    const hier::OperandBits b = bits8(g.C);
    const ln::Hierarchy h = hier::to_hierarchy(s, MacroSpec{}, OperandSpec{}, b, 1.0);
    const ln::LoopNest n = ln::random_nest(rng, h, g);
    const std::string what = "case " + std::to_string(t) + ": " + ln::describe(h, n);
    const NestCounts c = counts(h, g, n);
    const ln::JobFiguresFn fn = figures_of(h, s.levels.back());
    const ln::NestCost k = ln::cost(h, g, n, c, params(b, fn));
    EXPECT_DOUBLE_EQ(k.macro_pj, double(g.N * g.C * g.M) * pe.pj_per_mac) << what;
    EXPECT_DOUBLE_EQ(k.compute_cycles, double(c.time_steps) * pe.cycles_per_op) << what;
    if (::testing::Test::HasFailure()) break;
    ++compared;
  }
  EXPECT_EQ(compared, 300);
  EXPECT_GT(with_mid, 100);
  EXPECT_GT(two_axes, 50);
}

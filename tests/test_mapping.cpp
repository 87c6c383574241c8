// Mapping enumeration against hand computations: tiling (ragged K and N),
// action counts for both loop orders, depthwise packing, duplication, weights
// that do not fit, pruning, objective selection and determinism.
#include <gtest/gtest.h>

#include <random>

#include <cmath>
#include <limits>

#include "mapping/mapping.hpp"
#include "workload/gemm.hpp"

using namespace cimmc;

namespace {

OperandSpec operand(int bits, bool is_signed = false) {
  OperandSpec op;
  op.bits = bits;
  op.is_signed = is_signed;
  return op;
}

// 4-bit unsigned weights on 2-bit cells: 2 slices = 2 physical columns per
// weight. Every ADC conversion takes 10 ns, one ADC per column.
MacroSpec macro(int rows, int cols, int dac_bits = 1, int rows_active = 0) {
  MacroSpec m;
  m.rows = rows;
  m.cols = cols;
  m.rows_active = rows_active;
  m.bits_per_cell = 2;
  m.weight_encoding = WeightEncoding::unsigned_plain;
  m.input_encoding = InputEncoding::unsigned_plain;
  m.dac_bits = dac_bits;
  m.adc.conversion_ns = 10.0;
  return m;
}

ArchSpec arch(int macros) {
  ArchSpec a;
  a.macros = macros;
  return a;
}

// A linear layer: 10 tokens x 300 in -> 100 out, 4-bit operands.
LayerSpec linear_300() {
  LayerSpec l;
  l.name = "fc";
  l.kind = LayerKind::linear;
  l.tokens = 10;
  l.C = 300;
  l.M = 100;
  l.inputs = operand(4);
  l.weights = operand(4);
  return l;
}
const Gemm kLinear{10, 300, 100, 1};

MappingOptions options(bool dup = true) {
  MappingOptions o;
  o.allow_duplication = dup;
  return o;
}

void expect_tile(const TileUse& u, int rows, int cols, std::int64_t tiles, std::int64_t mvms) {
  EXPECT_EQ(u.rows_used, rows);
  EXPECT_EQ(u.cols_used, cols);
  EXPECT_EQ(u.tiles, tiles);
  EXPECT_EQ(u.mvms, mvms);
}

}  // namespace

TEST(Mapping, RaggedKAndNTilesAndCounts) {
  // 128 x 128 macro, ppw = 2 -> wpm = 64. K = 300 -> 128, 128, 44 (3 k tiles);
  // N = 100 -> 64, 36 (2 n tiles); 6 tiles, one per macro, 6 macros -> d = 1 only.
  const MappingSpace s = enumerate_mappings(linear_300(), kLinear, macro(128, 128), arch(6), options());
  ASSERT_TRUE(s.pruned.empty());
  ASSERT_EQ(s.feasible.size(), 2u);
  const Mapping& a = s.feasible[0];
  EXPECT_EQ(a.order, LoopOrder::input_reuse);
  EXPECT_EQ(a.phys_cols_per_weight, 2);
  EXPECT_EQ(a.weights_per_macro, 64);
  EXPECT_EQ(a.cycles, 4);
  EXPECT_EQ(a.k_tiles, 3);
  EXPECT_EQ(a.n_tiles, 2);
  EXPECT_EQ(a.total_tiles, 6);
  EXPECT_EQ(a.tiles_per_macro, 1);
  EXPECT_EQ(a.macros_per_copy, 6);
  EXPECT_EQ(a.rounds, 1);
  EXPECT_TRUE(a.weights_stationary);
  // Tile jobs: full (2 k x 1 n), ragged K (1 x 1), ragged N (2 x 1), both (1); mvms = tiles x M = x10.
  ASSERT_EQ(a.tiles.size(), 4u);
  expect_tile(a.tiles[0], 128, 64, 2, 20);
  expect_tile(a.tiles[1], 44, 64, 1, 10);
  expect_tile(a.tiles[2], 128, 36, 2, 20);
  expect_tile(a.tiles[3], 44, 36, 1, 10);

  EXPECT_DOUBLE_EQ(a.macro_activations, 60.0);
  // dac: 20*128*4 + 10*44*4 + 20*128*4 + 10*44*4 = 10240 + 1760 + 10240 + 1760 (= M*K*n_tiles*cycles)
  EXPECT_DOUBLE_EQ(a.dac_conversions, 24000.0);
  // adc (row_groups 1): 20*4*64*2 + 10*4*64*2 + 20*4*36*2 + 10*4*36*2 = 10240 + 5120 + 5760 + 2880
  EXPECT_DOUBLE_EQ(a.adc_conversions, 24000.0);
  // input buffer: every macro reads rows_used 4-bit inputs per MVM = 10*300*2*4
  EXPECT_DOUBLE_EQ(a.input_buffer_bits, 24000.0);
  // out_bits = 4 + 4 + ceil(log2 300) = 17. Partial sums: 2 * M*N * (3-1) * 17 = 2*1000*2*17
  EXPECT_DOUBLE_EQ(a.output_buffer_bits, 68000.0);
  // global: inputs once 10*300*4 = 12000, outputs 10*100*17 = 17000
  EXPECT_DOUBLE_EQ(a.global_buffer_bits, 29000.0);
  // dram (linear): inputs M*K*4 = 12000 + outputs 17000; weights stationary
  EXPECT_DOUBLE_EQ(a.dram_bits, 29000.0);

  const Mapping& b = s.feasible[1];
  EXPECT_EQ(b.order, LoopOrder::output_reuse);
  EXPECT_DOUBLE_EQ(b.dac_conversions, 24000.0);
  EXPECT_DOUBLE_EQ(b.adc_conversions, 24000.0);
  EXPECT_DOUBLE_EQ(b.input_buffer_bits, 24000.0);
  EXPECT_DOUBLE_EQ(b.output_buffer_bits, 0.0);
  // inputs refetched per n tile: 10*300*4*2 = 24000, + 17000 outputs
  EXPECT_DOUBLE_EQ(b.global_buffer_bits, 41000.0);
  EXPECT_DOUBLE_EQ(b.dram_bits, 29000.0);

  // Latency: largest tile 128 rows, 1 group, 4 cycles, 128 physical columns on
  // 128 ADCs -> 4 * 10 ns = 40 ns per MVM; 10 vectors -> 400 ns. Memory:
  // global 29000 / 512 bit/ns = 56.6 ns, DRAM 29000 / 204.8 = 141.6 ns.
  EXPECT_DOUBLE_EQ(a.mvm_ns, 40.0);
  EXPECT_DOUBLE_EQ(a.compute_ns, 400.0);
  EXPECT_DOUBLE_EQ(a.global_buffer_ns, 29000.0 / 512.0);
  EXPECT_DOUBLE_EQ(a.dram_ns, 29000.0 / 204.8);
  EXPECT_DOUBLE_EQ(a.memory_ns, 29000.0 / 204.8);
  EXPECT_DOUBLE_EQ(a.latency_ns, 400.0);
  EXPECT_DOUBLE_EQ(a.macs, 300000.0);
  EXPECT_DOUBLE_EQ(a.tops, 2 * 300000.0 / 400.0 / 1e3);  // 1.5 TOPS
}

TEST(Mapping, SmallConvBothLoopOrders) {
  // conv 8 -> 24 channels, 4x4 output, 3x3 kernel: M = 16, K = 72, N = 24.
  LayerSpec l;
  l.kind = LayerKind::conv2d;
  l.C = 8; l.M = 24; l.P = 4; l.Q = 4; l.R = 3; l.S = 3;
  l.inputs = operand(4);
  l.weights = operand(4);
  // 32 x 32 macro, ppw 2 -> wpm 16; 2-bit DAC -> 2 cycles; 16 rows per conversion.
  // K: 32, 32, 8 (3 k tiles); N: 16, 8 (2 n tiles); 6 tiles on 6 macros.
  const Gemm g = lower(l);
  ASSERT_EQ(g.M, 16);
  ASSERT_EQ(g.K, 72);
  ASSERT_EQ(g.N, 24);
  const MappingSpace s = enumerate_mappings(l, g, macro(32, 32, 2, 16), arch(6), options());
  ASSERT_EQ(s.feasible.size(), 2u);
  const Mapping& a = s.feasible[0];
  ASSERT_EQ(a.tiles.size(), 4u);
  expect_tile(a.tiles[0], 32, 16, 2, 32);
  expect_tile(a.tiles[1], 8, 16, 1, 16);
  expect_tile(a.tiles[2], 32, 8, 2, 32);
  expect_tile(a.tiles[3], 8, 8, 1, 16);
  // dac: (32*32 + 16*8 + 32*32 + 16*8) * 2 cycles = 2304 * 2
  EXPECT_DOUBLE_EQ(a.dac_conversions, 4608.0);
  // adc: row groups 2 for 32 rows, 1 for 8 rows; physical columns 32 / 16:
  //   32*2*2*32 + 16*2*1*32 + 32*2*2*16 + 16*2*1*16 = 4096 + 1024 + 2048 + 512
  EXPECT_DOUBLE_EQ(a.adc_conversions, 7680.0);
  // input buffer: (32*32 + 16*8 + 32*32 + 16*8) * 4 bits
  EXPECT_DOUBLE_EQ(a.input_buffer_bits, 9216.0);
  // out_bits = 4 + 4 + ceil(log2 72) = 15. psums: 2 * 16*24 * 2 * 15
  EXPECT_DOUBLE_EQ(a.output_buffer_bits, 23040.0);
  // global: inputs 16*72*4 = 4608 + outputs 16*24*15 = 5760
  EXPECT_DOUBLE_EQ(a.global_buffer_bits, 10368.0);
  // dram: input tensor 8 x 6 x 6 (H = 3*1 + 3) x 4 bits = 1152; output 24*4*4*15 = 5760
  EXPECT_DOUBLE_EQ(a.dram_bits, 6912.0);

  const Mapping& b = s.feasible[1];
  EXPECT_DOUBLE_EQ(b.dac_conversions, 4608.0);
  EXPECT_DOUBLE_EQ(b.adc_conversions, 7680.0);
  EXPECT_DOUBLE_EQ(b.output_buffer_bits, 0.0);
  // inputs once per n tile: 4608 * 2 + 5760
  EXPECT_DOUBLE_EQ(b.global_buffer_bits, 14976.0);
  EXPECT_DOUBLE_EQ(b.dram_bits, 6912.0);
  // MVM: 2 cycles x 2 row groups x 10 ns (32 columns, 32 ADCs) = 40 ns; 16 vectors.
  EXPECT_DOUBLE_EQ(a.mvm_ns, 40.0);
  EXPECT_DOUBLE_EQ(a.compute_ns, 640.0);

  // Stride 2 with the same GEMM reads a 9 x 9 input (H = 3*2 + 3): 8*9*9*4 = 2592 + 5760.
  l.stride_h = l.stride_w = 2;
  EXPECT_DOUBLE_EQ(enumerate_mappings(l, g, macro(32, 32, 2, 16), arch(6), options()).feasible[0].dram_bits, 8352.0);
}

TEST(Mapping, DepthwisePacksTilesPerMacro) {
  // Depthwise 3x3 over 32 channels, 8x8 output: per group M = 64, K = 9, N = 1.
  LayerSpec l;
  l.kind = LayerKind::conv2d;
  l.C = 32; l.M = 32; l.groups = 32; l.P = 8; l.Q = 8; l.R = 3; l.S = 3;
  l.inputs = operand(4);
  l.weights = operand(4);
  ArchSpec a = arch(8);
  a.global_buffer.bandwidth_bits_per_cycle = 0;
  a.dram_bandwidth_gbps = 0;
  // 128 x 128, wpm 64: tiles_per_macro = min(128/9, 64/1) = 14; 32 tiles ->
  // 3 macros per copy, balanced 11 tiles on the busiest; d_max = floor(8/3) = 2.
  const Gemm g = lower(l);
  ASSERT_EQ(g.M, 64);
  ASSERT_EQ(g.K, 9);
  ASSERT_EQ(g.N, 1);
  ASSERT_EQ(g.groups, 32);
  const MappingSpace s = enumerate_mappings(l, g, macro(128, 128, 2), a, options());
  ASSERT_EQ(s.feasible.size(), 4u);
  const Mapping& m = s.feasible[0];
  EXPECT_EQ(m.tiles_per_macro, 14);
  EXPECT_EQ(m.total_tiles, 32);
  EXPECT_EQ(m.macros_per_copy, 3);
  EXPECT_EQ(m.placed_per_macro, 11);
  ASSERT_EQ(m.tiles.size(), 1u);
  expect_tile(m.tiles[0], 9, 1, 32, 32 * 64);
  // dac: 2048 MVMs * 9 rows * 2 cycles; adc: 2048 * 2 cycles * 1 group * 2 columns
  EXPECT_DOUBLE_EQ(m.dac_conversions, 36864.0);
  EXPECT_DOUBLE_EQ(m.adc_conversions, 8192.0);
  // MVM: 2 cycles * 10 ns; packed tiles run serially: 11 * 64 vectors * 20 ns.
  EXPECT_DOUBLE_EQ(m.mvm_ns, 20.0);
  EXPECT_DOUBLE_EQ(m.compute_ns, 11 * 64 * 20.0);
  EXPECT_EQ(s.feasible[2].duplication, 2);
  EXPECT_EQ(s.feasible[2].macros_in_use, 6);
  EXPECT_DOUBLE_EQ(s.feasible[2].compute_ns, 11 * 32 * 20.0);
  // One k tile: no partial sums; out_bits = 4 + 4 + ceil(log2 9) = 12.
  EXPECT_DOUBLE_EQ(m.output_buffer_bits, 0.0);
  // global: inputs 64*9*32*4 = 73728, outputs 64*32*12 = 24576
  EXPECT_DOUBLE_EQ(m.global_buffer_bits, 98304.0);
  // dram: input 32 x 10 x 10 x 4 = 12800, output 32*8*8*12 = 24576
  EXPECT_DOUBLE_EQ(m.dram_bits, 37376.0);
}

TEST(Mapping, DuplicationOptionsAndLatency) {
  // The 6-macro copy of linear_300 on 64 macros: floor(64/6) = 10 copies max
  // (also M = 10): d = 1, 2, 4, 8 and 10.
  ArchSpec a = arch(64);
  a.global_buffer.bandwidth_bits_per_cycle = 0;  // compute-bound: latency is the compute term
  a.dram_bandwidth_gbps = 0;
  const MappingSpace s = enumerate_mappings(linear_300(), kLinear, macro(128, 128), a, options());
  ASSERT_EQ(s.feasible.size(), 10u);
  const int ds[] = {1, 2, 4, 8, 10};
  // 40 ns per MVM times ceil(10 / d) vectors per copy: 10, 5, 3, 2, 1.
  const double lat[] = {400, 200, 120, 80, 40};
  for (int i = 0; i < 5; ++i) {
    for (int o = 0; o < 2; ++o) {
      const Mapping& m = s.feasible[2 * i + o];
      EXPECT_EQ(m.duplication, ds[i]);
      EXPECT_EQ(m.macros_in_use, 6 * ds[i]);
      EXPECT_DOUBLE_EQ(m.latency_ns, lat[i]);
      // Copies split the vectors; the work is the same.
      EXPECT_DOUBLE_EQ(m.dac_conversions, 24000.0);
      EXPECT_DOUBLE_EQ(m.global_buffer_bits, o == 0 ? 29000.0 : 41000.0);
    }
  }
  EXPECT_EQ(enumerate_mappings(linear_300(), kLinear, macro(128, 128), a, options(false)).feasible.size(), 2u);
  EXPECT_EQ(duplication_options(6, 64, 10, true), (std::vector<int>{1, 2, 4, 8, 10}));
  EXPECT_EQ(duplication_options(6, 64, 3, true), (std::vector<int>{1, 2, 3}));   // no idle copies
  EXPECT_EQ(duplication_options(3, 48, 100, true), (std::vector<int>{1, 2, 4, 8, 16}));
  EXPECT_EQ(duplication_options(7, 4, 100, true), (std::vector<int>{1}));         // does not fit
}

TEST(Mapping, WeightsThatDoNotFitRunInRounds) {
  // linear_300 needs 6 macros; 4 exist -> 2 rounds, weights loaded every inference.
  const MappingSpace s = enumerate_mappings(linear_300(), kLinear, macro(128, 128), arch(4), options());
  ASSERT_EQ(s.feasible.size(), 2u);  // no duplication
  const Mapping& a = s.feasible[0];
  EXPECT_EQ(a.rounds, 2);
  EXPECT_FALSE(a.weights_stationary);
  // dram: 29000 (tensors) + 300*100*4 weight bits
  EXPECT_DOUBLE_EQ(a.dram_bits, 29000.0 + 120000.0);
  // compute: 2 rounds x 10 vectors x 40 ns
  EXPECT_DOUBLE_EQ(a.compute_ns, 800.0);
  // Tiles t = n*3 + k, round = t / 4: n=0 -> rounds 0,0,0; n=1 -> k0: 0, k1: 1, k2: 1.
  // input_reuse fetches slice k once per round it appears in: k0 once (128),
  // k1 twice (2*128), k2 twice (2*44) = 472 inputs per vector -> 10*472*4 + 17000.
  EXPECT_DOUBLE_EQ(a.global_buffer_bits, 18880.0 + 17000.0);
  EXPECT_DOUBLE_EQ(a.output_buffer_bits, 68000.0);  // unchanged by rounds
  // output_reuse: n=1's k tiles straddle rounds 0 and 1 once -> its 36 partial
  // sums spill (write + read) per vector: 2 * 10 * 36 * 17.
  const Mapping& b = s.feasible[1];
  EXPECT_DOUBLE_EQ(b.output_buffer_bits, 12240.0);
  EXPECT_DOUBLE_EQ(b.global_buffer_bits, 41000.0);
  EXPECT_DOUBLE_EQ(b.dram_bits, 149000.0);

  // A matmul's stored operand is an activation: loaded every inference even when it fits.
  LayerSpec mm = linear_300();
  mm.kind = LayerKind::matmul;
  const Mapping c = enumerate_mappings(mm, kLinear, macro(128, 128), arch(6), options()).feasible[0];
  EXPECT_EQ(c.rounds, 1);
  EXPECT_FALSE(c.weights_stationary);
  EXPECT_DOUBLE_EQ(c.dram_bits, 149000.0);
}

TEST(Mapping, MemoryBoundRoofline) {
  ArchSpec a = arch(6);
  a.clock_ghz = 0.5;
  a.global_buffer.bandwidth_bits_per_cycle = 8;  // 4 bit/ns
  a.input_buffer.bandwidth_bits_per_cycle = 1;   // 0.5 bit/ns per macro, 6 macros
  a.dram_bandwidth_gbps = 0;
  const Mapping m = enumerate_mappings(linear_300(), kLinear, macro(128, 128), a, options()).feasible[0];
  EXPECT_DOUBLE_EQ(m.global_buffer_ns, 29000.0 / 4.0);  // 7250
  EXPECT_DOUBLE_EQ(m.input_buffer_ns, 24000.0 / 3.0);   // 8000
  EXPECT_DOUBLE_EQ(m.dram_ns, 0.0);
  EXPECT_DOUBLE_EQ(m.memory_ns, 8000.0);
  EXPECT_DOUBLE_EQ(m.compute_ns, 400.0);
  EXPECT_DOUBLE_EQ(m.latency_ns, 8000.0);
  EXPECT_DOUBLE_EQ(m.tops, 600000.0 / 8000.0 / 1e3);
}

TEST(Mapping, WeightWiderThanMacroIsPruned) {
  // Signed 6-bit weights, differential, 1 bit per cell: 5 magnitude slices x 2 = 10 columns.
  LayerSpec l = linear_300();
  l.weights = operand(6, true);
  MacroSpec m = macro(128, 8);
  m.bits_per_cell = 1;
  m.weight_encoding = WeightEncoding::differential;
  const MappingSpace s = enumerate_mappings(l, kLinear, m, arch(4), options());
  EXPECT_TRUE(s.feasible.empty());
  ASSERT_EQ(s.pruned.size(), 1u);
  EXPECT_EQ(s.pruned[0], "a weight needs 10 physical columns but the macro has 8");
  EXPECT_THROW(enumerate_mappings(l, Gemm{0, 1, 1, 1}, m, arch(4), options()), std::invalid_argument);
}

TEST(Mapping, EnergyFromJobEnergies) {
  const Mapping m = enumerate_mappings(linear_300(), kLinear, macro(128, 128), arch(6), options()).feasible[0];
  const ArchSpec a = arch(6);  // 0.05, 0.05, 0.198 pJ/bit buffers; 3.7 pJ/bit DRAM
  auto job = [](int r, int c) { return 0.01 * r + 0.1 * c; };
  // jobs: 20*(1.28+6.4) + 10*(0.44+6.4) + 20*(1.28+3.6) + 10*(0.44+3.6) = 153.6 + 68.4 + 97.6 + 40.4 = 360
  // bits: 24000*0.05 + 68000*0.05 + 29000*0.198 + 29000*3.7 = 1200 + 3400 + 5742 + 107300
  EXPECT_NEAR(mapping_energy_pj(m, a, job), 360.0 + 1200.0 + 3400.0 + 5742.0 + 107300.0, 1e-6);
}

TEST(Mapping, ObjectiveSelection) {
  // energy, latency -> edp: 50, 72, 60, 72
  const std::vector<MappingCost> c{{10, 5}, {8, 9}, {20, 3}, {8, 9}};
  EXPECT_EQ(select(c, Objective::energy, false), (std::vector<std::size_t>{1}));  // tie 1/3 -> 1
  EXPECT_EQ(select(c, Objective::latency, false), (std::vector<std::size_t>{2}));
  EXPECT_EQ(select(c, Objective::edp, false), (std::vector<std::size_t>{0}));
  EXPECT_EQ(select(c, Objective::energy, true), (std::vector<std::size_t>{1, 3, 0, 2}));
  EXPECT_EQ(select(c, Objective::edp, true), (std::vector<std::size_t>{0, 2, 1, 3}));
  EXPECT_TRUE(select({}, Objective::energy, false).empty());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(select({{nan, 1}, {5, 1}}, Objective::energy, true), (std::vector<std::size_t>{1, 0}));
}

TEST(Mapping, EnumerationIsDeterministic) {
  ArchSpec a = arch(64);
  const MappingSpace s1 = enumerate_mappings(linear_300(), kLinear, macro(128, 128), a, options());
  const MappingSpace s2 = enumerate_mappings(linear_300(), kLinear, macro(128, 128), a, options());
  ASSERT_EQ(s1.feasible.size(), s2.feasible.size());
  for (std::size_t i = 0; i < s1.feasible.size(); ++i) {
    const Mapping &x = s1.feasible[i], &y = s2.feasible[i];
    EXPECT_EQ(x.index, static_cast<int>(i));
    EXPECT_EQ(x.index, y.index);
    EXPECT_EQ(x.duplication, y.duplication);
    EXPECT_EQ(x.order, y.order);
    EXPECT_EQ(x.latency_ns, y.latency_ns);
    EXPECT_EQ(x.global_buffer_bits, y.global_buffer_bits);
    // Fixed order: duplication ascending, input_reuse before output_reuse.
    EXPECT_EQ(x.order, i % 2 == 0 ? LoopOrder::input_reuse : LoopOrder::output_reuse);
    if (i >= 2) {
      EXPECT_GT(x.duplication, s1.feasible[i - 2].duplication);
    }
  }
  EXPECT_STREQ(loop_order_name(LoopOrder::output_reuse), "output_reuse");
}

// Input fetches from the global buffer under input reuse when a layer takes
// several rounds of the macros: each (group, k) input slice is fetched once
// per round holding one of its n tiles. Against the placement walked tile by
// tile, on random layers, macros and macro counts (the closed form replaced
// this walk, which took minutes on a 2^24 x 2^24 layer).
TEST(Mapping, InputFetchesOfManyRoundsEqualTheTileWalk) {
  std::mt19937 rng(91);
  int multi_round = 0;
  for (int trial = 0; trial < 300; ++trial) {
    LayerSpec l = linear_300();
    l.tokens = 1 + static_cast<int>(rng() % 3);
    l.C = 1 + static_cast<int>(rng() % 700);
    l.M = 1 + static_cast<int>(rng() % 300);
    const Gemm g{l.tokens, l.C, l.M, 1};
    const MacroSpec m = macro(8 << (rng() % 5), 8 << (rng() % 4));
    const ArchSpec a = arch(1 + static_cast<int>(rng() % 6));
    const MappingSpace s = enumerate_mappings(l, g, m, a, options(false));
    for (const Mapping& mp : s.feasible) {
      if (mp.order != LoopOrder::input_reuse || mp.rounds == 1) continue;
      ++multi_round;
      const std::int64_t kt = mp.k_tiles, nt = mp.n_tiles, per_round = mp.placed_per_macro * a.macros;
      double elems = 0;  // the walk: every tile in placement order
      for (std::int64_t k = 0; k < kt; ++k) {
        const int rows = k == kt - 1 && l.C % m.rows ? l.C % m.rows : m.rows;
        std::int64_t last = -1;
        for (std::int64_t n = 0; n < nt; ++n) {
          const std::int64_t r = (n * kt + k) / per_round;
          if (r != last) elems += rows;
          last = r;
        }
      }
      int log2k = 0;
      while ((std::int64_t{1} << log2k) < l.C) ++log2k;
      const double out_bits = 4 + 4 + log2k;
      EXPECT_EQ(mp.global_buffer_bits, l.tokens * elems * 4 + static_cast<double>(l.tokens) * l.M * out_bits)
          << "C " << l.C << " M " << l.M << " rows " << m.rows << " cols " << m.cols << " macros " << a.macros;
    }
  }
  EXPECT_GT(multi_round, 50);
}

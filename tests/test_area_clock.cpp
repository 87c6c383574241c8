// Area and clock model (physical/area_clock.hpp) against hand computations
// from ZigZag-IMC's 28 nm gate constants: NAND2 0.614 um^2 / 0.0478 ns, XOR2
// 2.4x, DFF 6x NAND2 area; full adder = 3 NAND2 + 2 XOR2.
#include <gtest/gtest.h>

#include <cmath>

#include "physical/area_clock.hpp"

using namespace cimmc;

namespace {

constexpr double kFa = 3 * 0.614 + 2 * 2.4 * 0.614;  // 4.7892 um^2
constexpr double kDff = 6 * 0.614;                   // 3.684 um^2

double part(const AreaClock& a, AreaPart p) { return a.area_um2[static_cast<int>(p)]; }

// A 4-row, 2-column digital macro: 1-bit inputs in one cycle, 1-bit weights.
MacroGeometry tiny_digital(int node_nm) {
  MacroGeometry g;
  g.digital = true;
  g.rows = 4, g.cols = 2, g.tree_inputs = 4;
  g.input_bits = 1, g.dac_bits = 1, g.weight_bits = 1, g.cols_per_weight = 1;
  g.node_nm = node_nm;
  return g;
}

}  // namespace

TEST(AreaClock, TreeFullAddersByHand) {
  EXPECT_EQ(tree_full_adders(1, 1), 0);
  EXPECT_EQ(tree_full_adders(2, 1), 1);   // one 1-bit adder
  EXPECT_EQ(tree_full_adders(3, 1), 3);   // stage 1: one adder (rows 0,1), row 2 a wire; stage 2: 2 bits
  EXPECT_EQ(tree_full_adders(4, 1), 4);   // 2 x 1 bit + 1 x 2 bits
  EXPECT_EQ(tree_full_adders(8, 1), 11);  // 4 x 1 + 2 x 2 + 1 x 3
}

TEST(AreaClock, TreeFullAddersMatchZigzagClosedForm) {
  // ZigZag-IMC's count for a power-of-two tree of N B-bit inputs: N (B + 1) - (B + S + 1).
  for (int s = 1; s <= 10; ++s)
    for (int b : {1, 2, 8}) {
      const long long n = 1LL << s;
      EXPECT_EQ(tree_full_adders(static_cast<int>(n), b), n * (b + 1) - (b + s + 1)) << "N=" << n << " B=" << b;
    }
}

TEST(AreaClock, TinyDigitalMacroByHand) {
  const AreaClock a = area_clock(tiny_digital(28));
  EXPECT_NEAR(part(a, AreaPart::cells), 8 * 0.614, 1e-9);
  EXPECT_NEAR(part(a, AreaPart::multipliers), 8 * 0.614, 1e-9);   // 4 inputs x 2 columns NORs
  EXPECT_NEAR(part(a, AreaPart::adder_trees), 2 * 4 * kFa, 1e-9);  // 4 full adders per column
  EXPECT_NEAR(part(a, AreaPart::input_regs), 4 * kDff, 1e-9);
  EXPECT_EQ(part(a, AreaPart::accumulators), 0.0);  // one cycle, one row group: nothing to accumulate
  EXPECT_EQ(part(a, AreaPart::adcs), 0.0);
  // Output register per weight: 1 input bit + 3 tree bits + 1 sign = 5, + 1 weight bit + 1 = 7 flip-flops.
  EXPECT_NEAR(part(a, AreaPart::output_regs), 2 * 7 * kDff, 1e-9);
  EXPECT_NEAR(a.area_mm2, (8 * 0.614 * 2 + 8 * kFa + 4 * kDff + 14 * kDff) * 1e-6, 1e-15);
  // Critical path: NOR (0.0478) + tree: in-to-sum (2 XOR2) + in-to-carry (XOR2 + 2 NAND2) + one carry (2 NAND2).
  const double tree = 2 * 0.11472 + (0.11472 + 0.0956) + 0.0956;
  EXPECT_NEAR(a.delay_ns[2], tree, 1e-12);
  EXPECT_NEAR(a.clock_ns, 0.0478 + tree, 1e-12);
  EXPECT_NEAR(a.clock_ns, 0.58316, 1e-9);
}

TEST(AreaClock, BitSerialDigitalAddsAccumulator) {
  MacroGeometry g = tiny_digital(28);
  g.input_bits = 8;  // 8 cycles: accumulator of 8 + 3 + 0 + 1 = 12 bits per column
  const AreaClock a = area_clock(g);
  EXPECT_NEAR(part(a, AreaPart::accumulators), 2 * 12 * (kFa + kDff), 1e-9);
  // in-to-carry + (12 - 3 - 1) carries
  EXPECT_NEAR(a.delay_ns[4], (0.11472 + 0.0956) + 8 * 0.0956, 1e-12);
}

TEST(AreaClock, NodeScalingRatiosAreExact) {
  const AreaClock a28 = area_clock(tiny_digital(28));
  for (int node : {22, 65}) {
    const AreaClock a = area_clock(tiny_digital(node));
    const double lin = node / 28.0;
    for (int p = 0; p < kAreaParts; ++p) EXPECT_NEAR(a.area_um2[p], a28.area_um2[p] * lin * lin, 1e-9);
    EXPECT_NEAR(a.clock_ns / a28.clock_ns, lin, 1e-12);
  }
}

TEST(AreaClock, AdcDelayAtFiveBitsSixtyFourRows) {
  Config cfg;
  cfg.macro.kind = MacroKind::analog;
  cfg.macro.rows = 64, cfg.macro.cols = 8;
  cfg.macro.adc.bits = 5;
  const MacroGeometry g = macro_geometry(cfg);
  EXPECT_EQ(g.tree_inputs, 64);
  EXPECT_NEAR(g.adc_ns, 5 * (0.00653 * 64 + 0.640), 1e-12);
  EXPECT_NEAR(g.adc_ns, 5.2896, 1e-9);  // by hand
  // The ADC keeps its 28 nm delay and area at another node; the logic moves.
  MacroGeometry g65 = g;
  g65.node_nm = 65;
  const AreaClock a = area_clock(g), b = area_clock(g65);
  EXPECT_EQ(a.delay_ns[0], b.delay_ns[0]);
  EXPECT_EQ(part(a, AreaPart::adcs), part(b, AreaPart::adcs));
  EXPECT_GT(part(b, AreaPart::cells), part(a, AreaPart::cells));
}

TEST(AreaClock, AdcAreaFormula) {
  MacroGeometry g;
  g.digital = false, g.sram = true, g.rows = 16, g.cols = 4, g.tree_inputs = 16, g.adcs = 2;
  g.adc_bits = 2;
  // 10^(-0.0369 x 2 + 1.206) x 2^2 = 13.558 x 4 = 54.233 um^2 per ADC (ZigZag-IMC)
  EXPECT_NEAR(part(area_clock(g), AreaPart::adcs), 2 * 54.233, 0.002);
  g.adc_bits = 1;  // a 1-bit ADC is a sense amplifier: ZigZag-IMC gives it no area
  EXPECT_EQ(part(area_clock(g), AreaPart::adcs), 0.0);
  g.adc_bits = 8;  // grows about 2^B x 10^(-0.0369 B): x 2 x 0.9186 per bit
  EXPECT_NEAR(part(area_clock(g), AreaPart::adcs) / (2 * std::pow(10.0, -0.0369 * 8 + 1.206) * 256), 1.0, 1e-12);
}

// macro.adder_tree per_weight against per_column on a 4-row, 4-column macro of
// two 2-bit weights, 2-bit inputs bit-serial. Per column: four 1-bit trees of
// 4 inputs (2 x 1 + 1 x 2 = 4 full adders each); per weight: two trees of
// 2-bit products (2 x 2 + 1 x 3 = 7 each): 16 - 14 = 2 full adders fewer. The
// multipliers (one NOR per weight bit per row) are the same gates.
TEST(AreaClock, PerWeightTreesReplaceTheColumnTreesByHand) {
  MacroGeometry col = tiny_digital(28);
  col.cols = 4, col.input_bits = 2, col.weight_bits = 2, col.cols_per_weight = 2;
  MacroGeometry w = col;
  w.tree_per_weight = true, w.leaf_bits = 2;
  const AreaClock a = area_clock(col), b = area_clock(w);
  EXPECT_NEAR(part(a, AreaPart::adder_trees), 16 * kFa, 1e-9);
  EXPECT_NEAR(part(b, AreaPart::adder_trees), 14 * kFa, 1e-9);
  EXPECT_EQ(part(a, AreaPart::multipliers), part(b, AreaPart::multipliers));
  EXPECT_EQ(part(a, AreaPart::cells), part(b, AreaPart::cells));
  // Accumulators: per column 2 + (2 + 1) + 0 + 1 = 6 bits x 4 columns; per
  // weight 2 + (2 + 2) + 0 + 1 = 7 bits x 2 weights.
  EXPECT_NEAR(part(a, AreaPart::accumulators), 4 * 6 * (kFa + kDff), 1e-9);
  EXPECT_NEAR(part(b, AreaPart::accumulators), 2 * 7 * (kFa + kDff), 1e-9);
  // Output registers: per column the 2 columns are added into 6 + 2 + 1 = 9
  // bits (one adder and a flip-flop per bit); per weight a 7-bit latch.
  EXPECT_NEAR(part(a, AreaPart::output_regs), 2 * 9 * (kFa + kDff), 1e-9);
  EXPECT_NEAR(part(b, AreaPart::output_regs), 2 * 7 * kDff, 1e-9);
  // The wider leaves lengthen the tree's carry chain by one carry (2 NAND2).
  EXPECT_NEAR(b.delay_ns[2] - a.delay_ns[2], 0.0956, 1e-12);
  EXPECT_NEAR(b.delay_ns[4], a.delay_ns[4], 1e-12);  // 7 - 4 - 1 = 6 - 3 - 1 carries
}

// macro_geometry's leaf width: the weight's bits, one more for a differential
// pair (whose products span -(2^B - 1) .. 2^B - 1).
TEST(AreaClock, PerWeightLeafBitsFromTheConfig) {
  Config cfg;
  cfg.macro.kind = MacroKind::digital;
  cfg.macro.bits_per_cell = 1;
  cfg.macro.adder_tree = AdderTree::per_weight;
  cfg.macro.weight_encoding = WeightEncoding::twos_complement;
  cfg.tile.weights.bits = 8;
  EXPECT_TRUE(macro_geometry(cfg).tree_per_weight);
  EXPECT_EQ(macro_geometry(cfg).leaf_bits, 8);
  cfg.macro.weight_encoding = WeightEncoding::differential;
  EXPECT_EQ(macro_geometry(cfg).leaf_bits, 9);
  cfg.macro.adder_tree = AdderTree::per_column;
  EXPECT_FALSE(macro_geometry(cfg).tree_per_weight);
}

// Input registers: one per input line and input bit of a cycle; the cells of a
// group share a line, so 8 rows in groups of 4 need 2 lines x 2 bits.
TEST(AreaClock, CellGroupsShareInputRegisters) {
  MacroGeometry g = tiny_digital(28);
  g.rows = 8, g.dac_bits = 2;
  EXPECT_NEAR(part(area_clock(g), AreaPart::input_regs), 8 * 2 * kDff, 1e-9);
  g.cell_group = 4, g.tree_inputs = 2;
  EXPECT_NEAR(part(area_clock(g), AreaPart::input_regs), 2 * 2 * kDff, 1e-9);
}

// macro.cycle_bits leaves on a 4-row, 2-column macro with 2 input bits per
// cycle: trees has 2 x 2 trees of 1-bit leaves (4 full adders each) and per
// column a place-value adder over two 3-bit outputs (3 full adders); leaves
// has 2 trees of 2-bit leaves (2 x 2 + 1 x 3 = 7 each) and no place-value
// adder. The leaves' tree is one carry (2 NAND2) longer; the place-value
// path, in-to-carry (XOR2 + 2 NAND2) and 2 carries, is gone.
TEST(AreaClock, CycleLeavesReplaceTheTreesPerInputBitByHand) {
  MacroGeometry t = tiny_digital(28);
  t.input_bits = 2, t.dac_bits = 2;
  MacroGeometry l = t;
  l.cycle_leaves = true, l.leaf_bits = 2;
  const AreaClock a = area_clock(t), b = area_clock(l);
  EXPECT_NEAR(part(a, AreaPart::adder_trees), 16 * kFa, 1e-9);
  EXPECT_NEAR(part(a, AreaPart::place_value), 2 * 3 * kFa, 1e-9);
  EXPECT_NEAR(part(b, AreaPart::adder_trees), 14 * kFa, 1e-9);
  EXPECT_EQ(part(b, AreaPart::place_value), 0.0);
  EXPECT_EQ(part(a, AreaPart::multipliers), part(b, AreaPart::multipliers));
  EXPECT_EQ(part(a, AreaPart::accumulators), part(b, AreaPart::accumulators));  // same S + 2-bit input
  EXPECT_NEAR(b.delay_ns[2] - a.delay_ns[2], 0.0956, 1e-12);
  EXPECT_NEAR(a.delay_ns[3], 0.11472 + 0.0956 + 2 * 0.0956, 1e-12);
  EXPECT_EQ(b.delay_ns[3], 0.0);
}

// macro.cycle_bits booth on a 4-row, 2-column macro of 1-bit weights (one
// weight per column), 2-bit inputs: one tree per weight of 1 + 2 = 3-bit
// leaves (stage 1: 2 x 3 full adders, stage 2: 1 x 4; 10 per tree) instead
// of 2 trees of 1-bit leaves (4 each) and a place-value adder; a selector
// per leaf bit (AO22 = 3 NAND2, XOR2) per row per weight, an encoder (2 XOR2
// + NAND2) per line, in place of 2 NORs per row per column. Booth's 2 cycles
// (floor(2/2) + 1) accumulate a 2 + (2 + 3) + 1 = 8-bit sum. Critical path:
// encoder + selector (2 XOR2 + 3 NAND2), then the 3-bit-leaf tree.
TEST(AreaClock, BoothOneTreePerWeightByHand) {
  MacroGeometry t = tiny_digital(28);
  t.input_bits = 2, t.dac_bits = 2, t.tree_per_weight = true, t.leaf_bits = 1;
  MacroGeometry b = t;
  b.booth = true, b.leaf_bits = 3;
  const AreaClock a = area_clock(t), c = area_clock(b);
  const double nand = 0.614, xr = 2.4 * 0.614;
  EXPECT_NEAR(part(a, AreaPart::multipliers), 2 * 4 * 2 * nand, 1e-9);
  EXPECT_NEAR(part(c, AreaPart::multipliers), 4 * 2 * 3 * (3 * nand + xr) + 4 * (2 * xr + nand), 1e-9);
  EXPECT_NEAR(part(a, AreaPart::adder_trees), 2 * 2 * 4 * kFa, 1e-9);
  EXPECT_NEAR(part(c, AreaPart::adder_trees), 2 * 10 * kFa, 1e-9);
  EXPECT_GT(part(a, AreaPart::place_value), 0.0);
  EXPECT_EQ(part(c, AreaPart::place_value), 0.0);
  EXPECT_NEAR(part(c, AreaPart::accumulators), 2 * 8 * (kFa + kDff), 1e-9);
  EXPECT_NEAR(c.delay_ns[1], 2 * 0.11472 + 3 * 0.0478, 1e-12);
  // Tree of 4 3-bit leaves: in-to-sum (2 XOR2), in-to-carry (XOR2 + 2 NAND2), 3 carries (2 NAND2 each).
  EXPECT_NEAR(c.delay_ns[2], 2 * 0.11472 + (0.11472 + 0.0956) + 3 * 0.0956, 1e-12);
  EXPECT_EQ(c.delay_ns[3], 0.0);
  EXPECT_NEAR(c.delay_ns[4], (0.11472 + 0.0956) + 2 * 0.0956, 1e-12);  // 8-bit accumulator over a 5-bit input
  // A signed 2-bit input is one Booth digit (ceil(2/2)): one cycle, nothing to accumulate.
  b.booth_signed = true;
  EXPECT_EQ(part(area_clock(b), AreaPart::accumulators), 0.0);
  b.input_bits = 3;  // ceil(3/2) = 2 cycles: 3 + 5 + 1 = 9-bit accumulator
  EXPECT_NEAR(part(area_clock(b), AreaPart::accumulators), 2 * 9 * (kFa + kDff), 1e-9);
}

// macro.cycle_bits booth (kernels/digital_booth.hpp): radix-4 Booth digits of
// unsigned and two's-complement inputs, one tree per weight of digit x weight
// leaves. Checked against
//   - the recoding's identity sum_j d_j 4^j = x, exhaustively for B = 1..12;
//   - hand counts for constant operands on a ragged 3-row tree;
//   - constant digits (inputs 0b1010101, and -85 signed): every node switches
//     only from the zero state after programming, by popcount(w x rows under it);
//   - exact outputs (the Booth trees' sums, against the kernel's brute-force
//     dot product) for random operands, any thread count;
//   - the encoder energy (cycles x rows x one full adder), the run file's
//     tree_booth attribute, and the config rules.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>


#include "config/config.hpp"
#include "config_test_util.hpp"
#include "digital_tree_util.hpp"
#include "digital_booth.hpp"
#include "io/hdf5_file.hpp"
#include "pricing/pricing.hpp"
#include "run_file_util.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

Config booth(int rows, OperandSpec x, OperandSpec w) {
  Config c = digital_by_hand(rows, x, w);
  c.macro.adder_tree = AdderTree::per_weight;
  c.macro.dac_bits = 2;
  c.macro.cycle_bits = CycleBits::booth;
  c.macro.weight_encoding = w.is_signed ? WeightEncoding::twos_complement : WeightEncoding::unsigned_plain;
  return c;
}

}  // namespace

TEST(DigitalBooth, DigitsSumToEveryUnsignedInput) {
  for (int B = 1; B <= 12; ++B) {
    MacroSpec m;
    m.dac_bits = 2, m.cycle_bits = CycleBits::booth, m.adder_tree = AdderTree::per_weight;
    OperandSpec x;
    x.bits = B;
    const int D = B / 2 + 1;  // ceil((B + 1) / 2)
    ASSERT_EQ(input_cycles(m, x), D) << B;
    for (std::uint32_t v = 0; v < (1u << B); ++v) {
      std::int64_t sum = 0;
      for (int j = 0; j < D; ++j) {
        const int d = booth_digit(v, j);
        ASSERT_GE(d, -2);
        ASSERT_LE(d, 2);
        sum += static_cast<std::int64_t>(d) << (2 * j);
      }
      ASSERT_EQ(sum, static_cast<std::int64_t>(v)) << "B=" << B << " x=" << v;
      // The top digit reads bits below B only, so it is never negative:
      // x[B-1] for even B, x[B-1] + x[B-2] for odd B.
      const int top = booth_digit(v, D - 1);
      const int want = B % 2 == 0 ? (v >> (B - 1)) & 1 : ((v >> (B - 1)) & 1) + (B >= 2 ? (v >> (B - 2)) & 1 : 0);
      ASSERT_EQ(top, want) << "B=" << B << " x=" << v;
      ASSERT_EQ(booth_digit(v, D), 0);
    }
  }
}

TEST(DigitalBooth, DigitsSumToEveryTwosComplementInput) {
  // ceil(B/2) digits of the bits sign-extended to 2 ceil(B/2): the top
  // digit's -2 x[2j+1] is the sign bit's -2^(B-1) (odd B: bit B-1 read twice).
  for (int B = 1; B <= 12; ++B) {
    MacroSpec m;
    m.dac_bits = 2, m.cycle_bits = CycleBits::booth, m.adder_tree = AdderTree::per_weight;
    m.input_encoding = InputEncoding::twos_complement;
    OperandSpec x;
    x.bits = B, x.is_signed = true;
    const int D = (B + 1) / 2;
    ASSERT_EQ(input_cycles(m, x), D) << B;
    for (int v = -(1 << (B - 1)); v < (1 << (B - 1)); ++v) {
      std::int64_t sum = 0;
      for (int j = 0; j < D; ++j) sum += static_cast<std::int64_t>(booth_digit(static_cast<std::uint32_t>(v), j)) << (2 * j);
      ASSERT_EQ(sum, v) << "B=" << B;
    }
  }
}

TEST(DigitalBooth, TogglesOfConstantOperandsByHand) {
  // 3 rows, input 5 = 0b101 (3 bits: 2 Booth cycles, digits 1 and 1),
  // weight 3 (2-bit unsigned; leaves of 2 + 2 = 4 bits), two MVMs in one
  // instance: every leaf is 3 on all 4 evaluations.
  //   select lines: (x[2j+1], x[2j], x[2j-1]) = (0, 1, 0) both cycles:
  //     `one` rises on 3 rows once: 3
  //   selectors (leaves): 0 -> 3 = 0b0011 on 3 rows once: 6
  //   stage 1 (rows 0, 1; 5 bits): 0 -> 6 = 0b110 once: 2
  //   stage 2 (rows 0..2; 6 bits): 0 -> 9 = 0b1001 once: 2
  //   accumulator: 0 -> 9 (2), 9 -> 9 + 4 x 9 = 45 = 0b101101 (2), 45 -> 9
  //     (load, 2), 9 -> 45 (2): 8
  //   output register: 0 -> 45 (4), 45 -> 45: 4
  const Config c = booth(3, constant_operand(3, false, 5.0, 7.0), constant_operand(2, false, 3.0, 3.0));
  const JobResult r = run_cpu(c);
  ASSERT_TRUE(r.view.tree_booth);
  ASSERT_EQ(r.view.cycles, 2);
  ASSERT_EQ(r.view.leaf_bits, 4);
  ASSERT_EQ(r.view.tree_stages, 2);
  EXPECT_EQ(r.toggles(), (std::vector<std::uint64_t>{3, 6, 2, 2, 8, 4}));
  const Report rep = price(r, make_energy_tables(c, r));
  EXPECT_EQ(rep.accuracy.max_abs_err, 0.0);
}

TEST(DigitalBooth, ConstantDigitsToggleOnlyOnTheFirstEvaluation) {
  // Input 0b1010101 = 85 (7 bits) has the digits 1, 1, 1, 1; weight -75 on a
  // ragged 100-row tree (stage 7 adds the two words' sums). Every evaluation
  // of an instance has the same leaves -75, so node (s, i) switches once per
  // instance, from zero to -75 x its rows, by the popcount of that value in
  // 10 + s bits; each leaf by popcount(-75) in 10 bits; each row's `one` line once.
  Config c = booth(100, constant_operand(7, false, 85.0, 127.0), constant_operand(8, true, -75.0, 127.0));
  c.run.samples = 640;
  c.run.inputs_per_instance = 64;
  const JobResult r = run_cpu(c, 2);
  ASSERT_EQ(r.view.leaf_bits, 10);
  ASSERT_EQ(r.view.tree_stages, 7);
  ASSERT_EQ(r.view.instances, 10u);
  const std::vector<std::uint64_t> t = r.toggles();
  EXPECT_EQ(t[kTogInput], 10u * 100);
  EXPECT_EQ(t[kTogMult], 10u * 100 * popcount_bits(-75, 10));
  for (int s = 1; s <= 7; ++s)
    EXPECT_EQ(t[kTogStage1 + s - 1], 10 * constant_stage_toggles(-75, 100, 10, s)) << "stage " << s;
}

TEST(DigitalBooth, ConstantNegativeDigitsToggleOnlyOnTheFirstEvaluation) {
  // Signed input -85 = 0b10101011 (8 bits, 4 cycles) has the digits -1, -1,
  // -1, -1: with weight -75 every leaf is +75 on every evaluation. Per
  // instance: node (s, i) switches once to 75 x its rows in 10 + s bits, each
  // leaf by popcount(75), and each row's neg and one lines rise once.
  Config c = booth(100, constant_operand(8, true, -85.0, 127.0), constant_operand(8, true, -75.0, 127.0));
  c.macro.input_encoding = InputEncoding::twos_complement;
  c.run.samples = 640;
  c.run.inputs_per_instance = 64;
  const JobResult r = run_cpu(c, 2);
  ASSERT_EQ(r.view.cycles, 4);
  ASSERT_EQ(r.view.instances, 10u);
  const std::vector<std::uint64_t> t = r.toggles();
  EXPECT_EQ(t[kTogInput], 10u * 100 * 2);
  EXPECT_EQ(t[kTogMult], 10u * 100 * popcount_bits(75, 10));
  for (int s = 1; s <= 7; ++s)
    EXPECT_EQ(t[kTogStage1 + s - 1], 10 * constant_stage_toggles(75, 100, 10, s)) << "stage " << s;
  EXPECT_EQ(price(r, make_energy_tables(c, r)).accuracy.max_abs_err, 0.0);
}

TEST(DigitalBooth, RandomOperandsAreExactOnAnyThreadCount) {
  // 8-bit (5 Booth cycles) and 7-bit (4, top digit up to 2) uniform unsigned
  // inputs, 8-bit weights in every digital encoding, a ragged 100-row macro
  // in two cell-group row groups of 50, 3 weights. The output is the Booth
  // accumulator; the reference is the kernel's brute-force integer dot product.
  // Signed inputs (two's complement: 4 cycles for 8 and for 7 bits) likewise.
  for (bool xs : {false, true})
  for (int xbits : {8, 7})
    for (WeightEncoding enc : {WeightEncoding::twos_complement, WeightEncoding::differential, WeightEncoding::offset}) {
      const double top = (1 << xbits) - 1;
      Config c = booth(100, uniform_operand(xbits, false, -0.5, top + 0.5, top), uniform_operand(8, true, -1, 1, 1));
      if (xs) {
        c.tile.inputs = uniform_operand(xbits, true, -1, 1, 1);
        c.macro.input_encoding = InputEncoding::twos_complement;
      }
      c.macro.weight_encoding = enc;
      c.macro.cell_group = 2;
      c.macro.rows_active = 50;
      c.tile.cols_used = 3;
      c.run.samples = 256;
      c.run.inputs_per_instance = 16;
      const JobResult r = run_cpu(c);
      const std::string what = std::to_string(xbits) + (xs ? " signed" : "") + " input bits, " + to_string(enc);
      ASSERT_EQ(r.view.cycles, xs ? (xbits + 1) / 2 : xbits / 2 + 1) << what;
      const Report rep = price(r, make_energy_tables(c, r));
      EXPECT_EQ(rep.accuracy.max_abs_err, 0.0) << what;
      EXPECT_EQ(rep.accuracy.sqnr_db, std::numeric_limits<double>::infinity()) << what;
      EXPECT_GT(rep.accuracy.ref_std, 0.0) << what;
      EXPECT_EQ(run_cpu(c, 2).hist, r.hist) << what;
    }
}

TEST(DigitalBooth, EncodersArePricedPerRowPerCycle) {
  // Row-driver energy = select-line toggles x the line energy + cycles x rows
  // encoders x one full adder operation (3.40 fJ at 28 nm, 0.9 V).
  Config c = booth(3, constant_operand(3, false, 5.0, 7.0), constant_operand(2, false, 3.0, 3.0));
  c.energy.node_nm = 28, c.energy.vdd_v = 0.9;
  const JobResult r = run_cpu(c);
  const EnergyTables t = make_energy_tables(c, r);
  const Report rep = price(r, t);
  EXPECT_DOUBLE_EQ(t.booth_encodes_per_mvm, 2.0 * 3);
  EXPECT_NEAR(t.booth_per_mvm, 6 * 3.40e-3, 1e-12);
  const double lines = static_cast<double>(r.toggles()[kTogInput]) / 2 * t.toggle[kTogInput];
  EXPECT_NEAR(rep.component_pj[static_cast<int>(Component::row_driver)].mean, lines + 6 * 3.40e-3, 1e-12);
}

TEST(DigitalBooth, RunFileSaysBooth) {
  const Config c = booth(3, constant_operand(3, false, 5.0, 7.0), constant_operand(2, false, 3.0, 3.0));
  const JobResult r = run_cpu(c);
  const EnergyTables t = make_energy_tables(c, r);
  const RunFile f = run_file_round_trip(c, r, "booth");
  EXPECT_TRUE(f.result.view.tree_booth);
  EXPECT_TRUE(f.result.view.tree_per_weight);
  EXPECT_EQ(f.result.toggles(), r.toggles());
  EXPECT_EQ(price(f.result, make_energy_tables(c, f.result)).total_pj.mean, price(r, t).total_pj.mean);
  Config trees = c;
  trees.macro.cycle_bits = CycleBits::trees;
  const JobResult rt = run_cpu(trees);
  EXPECT_FALSE(run_file_round_trip(trees, rt, "booth").result.view.tree_booth);
}

TEST(DigitalBoothConfig, RulesEachGiveAClearError) {
  const std::string file = "booth.yaml";
  const std::string unsigned_x = replaced(kValidWorkload, "distribution: {kind: relu_normal", "signed: false\n    distribution: {kind: relu_normal");
  const std::string head = "macro:\n  kind: digital\n  weight_encoding: twos_complement\n";
  EXPECT_EQ(parse_config(head + "  dac_bits: 2\n  adder_tree: per_weight\n  cycle_bits: booth\n" + unsigned_x, file)
                .macro.cycle_bits,
            CycleBits::booth);
  EXPECT_TRUE(is_config_error(parse_error(head + "  dac_bits: 2\n  cycle_bits: booth\n" + unsigned_x, file), file, 5,
                              "macro.cycle_bits", "booth", "needs adder_tree: per_weight"));
  EXPECT_TRUE(is_config_error(
      parse_error(head + "  dac_bits: 1\n  adder_tree: per_weight\n  cycle_bits: booth\n" + unsigned_x, file), file, 6,
      "macro.cycle_bits", "booth", "needs dac_bits: 2"));
  const std::string signed_x = replaced(kValidWorkload, "distribution: {kind: relu_normal", "signed: true\n    distribution: {kind: relu_normal");
  EXPECT_TRUE(is_config_error(parse_error(head + "  dac_bits: 2\n  adder_tree: per_weight\n  cycle_bits: booth\n"
                                                 "  input_encoding: sign_magnitude\n" + signed_x, file),
                              file, 6, "macro.cycle_bits", "booth", "needs input_encoding unsigned or twos_complement"));
  EXPECT_EQ(parse_config(head + "  dac_bits: 2\n  adder_tree: per_weight\n  cycle_bits: booth\n"
                                "  input_encoding: twos_complement\n" + signed_x, file)
                .macro.input_encoding,
            InputEncoding::twos_complement);
  EXPECT_TRUE(is_config_error(parse_error("macro:\n  weight_encoding: offset\n  cycle_bits: booth\n" + unsigned_x, file),
                              file, 3, "macro.cycle_bits", "booth", "is a digital setting"));
  // Booth leaves are 2 bits wider: 16-bit weights give 18-bit leaves, 2^14 rows 32 bits, 2^13 rows 31.
  const std::string wide = replaced(unsigned_x, "bits: 8\n    signed: true", "bits: 16\n    signed: true");
  const std::string per_weight = head + "  dac_bits: 2\n  adder_tree: per_weight\n  cycle_bits: booth\n";
  EXPECT_TRUE(is_config_error(parse_error(per_weight + "  rows: 16384\n" + wide, file), file, 5, "macro.adder_tree",
                              "per_weight", "product bits (18) + adder-tree stages (14) <= 31"));
  EXPECT_EQ(parse_error(per_weight + "  rows: 8192\n" + wide, file), "");
}

// macro.adder_tree per_weight (kernels/digital_weight_tree.hpp): each row's
// B-bit product enters one adder tree per weight. Checked against
//   - hand counts for constant operands on a ragged 3-row tree;
//   - constant leaves: every node switches only from the zero state after
//     programming, by popcount(w x rows under the node) in its width;
//   - independent fair input bits on a fixed weight w: a node over n rows
//     holds w K, K ~ Binomial(n, 1/2), so bit b of its (L + s)-bit two's
//     complement is 1 with a probability summed over the binomial pmf, and
//     toggles between independent evaluations with probability 2 p (1 - p);
//   - exact outputs for random operands (error 0, SQNR inf), any thread count;
//   - the multipliers and input lines, the same gates in both kinds of tree,
//     toggle identically;
//   - config rules.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>



#include "config/config.hpp"
#include "config_test_util.hpp"
#include "digital_tree_util.hpp"
#include "io/hdf5_file.hpp"
#include "pricing/pricing.hpp"
#include "run_file_util.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

Config per_weight(int rows, OperandSpec x, OperandSpec w) {
  Config c = digital_by_hand(rows, x, w);
  c.macro.adder_tree = AdderTree::per_weight;
  c.macro.weight_encoding = w.is_signed ? WeightEncoding::twos_complement : WeightEncoding::unsigned_plain;
  return c;
}

// Binomial(n, 1/2) pmf.
std::vector<double> binomial_half(int n) {
  std::vector<double> pmf(n + 1, 0.0);
  pmf[0] = 1.0;
  for (int i = 0; i < n; ++i) {
    for (int k = i + 1; k >= 1; --k) pmf[k] = 0.5 * (pmf[k] + pmf[k - 1]);
    pmf[0] *= 0.5;
  }
  return pmf;
}

// Expected toggles of a node holding w K (K ~ Binomial(n, 1/2)) over E
// independent evaluations from zero, in `bits`-bit two's complement.
double product_node_toggles(std::int64_t w, int n, int bits, double E) {
  const std::vector<double> pmf = binomial_half(n);
  double t = 0;
  for (int b = 0; b < bits; ++b) {
    double p = 0;
    for (int k = 0; k <= n; ++k)
      if ((static_cast<std::uint64_t>(w * k) >> b) & 1) p += pmf[k];
    t += p + (E - 1) * 2 * p * (1 - p);
  }
  return t;
}

double group_sum(const JobResult& r, int i, std::vector<double>* groups) {
  double s = 0;
  for (int k = 0; k < kBatchGroups; ++k) {
    const double x = static_cast<double>(r.hist[static_cast<std::size_t>(k) * r.view.hist_size + r.view.off_tog + i]);
    groups->push_back(x);
    s += x;
  }
  return s;
}

// 8-bit two's-complement operands on a ragged 100-row macro in two cell-group
// row groups of 50, 3 weights, `bits` input bits per cycle.
Config random_operands(Config c, int bits) {
  c.macro.rows = 100;
  c.macro.weight_encoding = WeightEncoding::twos_complement;
  c.macro.input_encoding = InputEncoding::twos_complement;
  c.macro.dac_bits = bits;
  c.macro.cell_group = 2;
  c.macro.rows_active = 50;
  c.tile.inputs = uniform_operand(8, true, -1.0, 1.0, 1.0);
  c.tile.weights = uniform_operand(8, true, -1.0, 1.0, 1.0);
  c.tile.cols_used = 3;
  c.run.samples = 256;
  c.run.inputs_per_instance = 16;
  return c;
}

// Exact outputs, the same bits on 2 threads, and the same line and multiplier
// toggles and outputs as `other` (the same gates in another tree arrangement).
void expect_exact_with_same_gates(const Config& c, const Config& other, const std::string& what) {
  const JobResult r = run_cpu(c);
  const Report rep = price(r, make_energy_tables(c, r));
  EXPECT_EQ(rep.accuracy.max_abs_err, 0.0) << what;
  EXPECT_EQ(rep.accuracy.sqnr_db, std::numeric_limits<double>::infinity()) << what;
  EXPECT_GT(rep.accuracy.ref_std, 0.0) << what;
  EXPECT_EQ(run_cpu(c, 2).hist, r.hist) << what;
  const JobResult ro = run_cpu(other);
  EXPECT_EQ(ro.toggles()[kTogInput], r.toggles()[kTogInput]) << what;
  EXPECT_EQ(ro.toggles()[kTogMult], r.toggles()[kTogMult]) << what;
  EXPECT_EQ(ro.totals().sum_ref2, r.totals().sum_ref2) << what;
}

}  // namespace

TEST(DigitalWeightTree, TogglesOfConstantOperandsByHand) {
  // 3 rows, input 2 = 0b10 over 2 bit-serial cycles, weight 3 = 0b11 (two
  // columns, leaves of 2 bits), two MVMs in one instance: the leaves are 0, 3,
  // 0, 3 on every row. Stage 1 (rows 0, 1; 3 bits): 0 <-> 6 = 0b110, 2 bits x
  // 3 changes; stage 2 (rows 0..2; 4 bits): 0 <-> 9 = 0b1001, 2 bits x 3.
  // (Per column each column's stage 2 holds 0 <-> 3: 2 bits x 3 x 2 columns = 12.)
  // Accumulator (5 + 2 bits): 0 -> 0, 0 -> 2 x 9 = 18 = 0b10010 (2), 18 -> 0
  // (2), 0 -> 18 (2); output register 0 -> 18 (2), 18 -> 18.
  const Config c = per_weight(3, constant_operand(2, false, 2.0, 3.0), constant_operand(2, false, 3.0, 3.0));
  const JobResult r = run_cpu(c);
  ASSERT_TRUE(r.view.tree_per_weight);
  ASSERT_EQ(r.view.leaf_bits, 2);
  ASSERT_EQ(r.view.tree_stages, 2);
  const std::vector<std::uint64_t> want = {9, 18, 6, 6, 6, 2};
  EXPECT_EQ(r.toggles(), want);
  Config col = c;
  col.macro.adder_tree = AdderTree::per_column;
  EXPECT_EQ(run_cpu(col).toggles()[kTogStage1 + 1], 12u);
}

TEST(DigitalWeightTree, ConstantLeavesToggleOnlyOnTheFirstEvaluation) {
  // Inputs 255 (every bit 1) and weight -75 on a ragged 100-row tree (stage 7
  // adds the two words' sums): every evaluation of an instance has the same
  // leaves, so node (s, i) switches once, from zero to -75 x its rows, by the
  // popcount of that value in 8 + s bits.
  Config c = per_weight(100, constant_operand(8, false, 255.0, 255.0), constant_operand(8, true, -75.0, 127.0));
  c.run.samples = 640;
  c.run.inputs_per_instance = 64;
  const JobResult r = run_cpu(c);
  ASSERT_EQ(r.view.leaf_bits, 8);
  ASSERT_EQ(r.view.tree_stages, 7);
  const std::vector<std::uint64_t> t = r.toggles();
  for (int s = 1; s <= 7; ++s)
    EXPECT_EQ(t[kTogStage1 + s - 1], 10 * constant_stage_toggles(-75, 100, 8, s)) << "stage " << s;
}

TEST(DigitalWeightTree, StageTogglesOfFairInputBitsMatchTheBinomialClosedForm) {
  // 8-bit inputs uniform on 0..255 (fair independent bits every cycle),
  // weight -75 (two's complement, 8 columns), one 100-row tree per weight.
  Config c = per_weight(100, uniform_operand(8, false, -0.5, 255.5, 255.0), constant_operand(8, true, -75.0, 127.0));
  c.run.samples = 4096;
  c.run.inputs_per_instance = 16;
  const JobResult r = run_cpu(c, 2);
  ASSERT_EQ(r.view.G, 1);
  const double instances = r.view.instances, evals = 16.0 * 8;
  for (int s = 1; s <= 7; ++s) {
    double per_tree = 0;
    for (int i = 0; (i << s) < 100; ++i)
      if (const int n = node_rows(i, s, 100)) per_tree += product_node_toggles(-75, n, 8 + s, evals);
    const double want = instances * per_tree;
    std::vector<double> g;
    const double got = group_sum(r, kTogStage1 + s - 1, &g);
    double m = 0, m2 = 0;
    for (double x : g) m += x, m2 += x * x;
    const double k = static_cast<double>(g.size()), var = (m2 - m * m / k) / (k - 1);
    EXPECT_LT(std::fabs(got - want) / std::sqrt(k * var), 4.5) << "stage " << s << ": " << got << " vs " << want;
    EXPECT_NEAR(got / want, 1.0, 0.01) << "stage " << s;
  }
}

TEST(DigitalWeightTree, RandomOperandsAreExactAndMultipliersToggleAsPerColumn) {
  for (WeightEncoding enc : {WeightEncoding::twos_complement, WeightEncoding::differential, WeightEncoding::offset})
    for (int bits : {1, 2}) {
      Config c = random_operands(per_weight(100, OperandSpec{}, OperandSpec{}), bits);
      c.macro.weight_encoding = enc;
      Config col = c;
      col.macro.adder_tree = AdderTree::per_column;
      expect_exact_with_same_gates(c, col, std::string(to_string(enc)) + ", " + std::to_string(bits) + " bits per cycle");
    }
}

// The run file says the stage counters are product trees (/job tree_leaf_bits)
// and re-prices to the run's energy; a per-column file has no such attribute.
TEST(DigitalWeightTree, RunFileKeepsTheTreeKind) {
  const Config c = per_weight(3, constant_operand(2, false, 2.0, 3.0), constant_operand(2, false, 3.0, 3.0));
  const JobResult r = run_cpu(c);
  const EnergyTables t = make_energy_tables(c, r);
  const RunFile f = run_file_round_trip(c, r, "wtree");
  EXPECT_TRUE(f.result.view.tree_per_weight);
  EXPECT_EQ(f.result.view.leaf_bits, 2);
  EXPECT_EQ(f.result.toggles(), (std::vector<std::uint64_t>{9, 18, 6, 6, 6, 2}));
  EXPECT_EQ(price(f.result, make_energy_tables(c, f.result)).total_pj.mean, price(r, t).total_pj.mean);
  Config col = c;
  col.macro.adder_tree = AdderTree::per_column;
  const JobResult rc = run_cpu(col);
  EXPECT_FALSE(run_file_round_trip(col, rc, "wtree").result.view.tree_per_weight);
}

TEST(DigitalWeightTreeConfig, KeyParsesAndIsRefusedOnAnalogMacros) {
  const std::string file = "tree.yaml";
  const Config c =
      parse_config("macro:\n  kind: digital\n  weight_encoding: twos_complement\n  adder_tree: per_weight\n" + kValidWorkload,
                   file);
  EXPECT_EQ(c.macro.adder_tree, AdderTree::per_weight);
  EXPECT_EQ(parse_config("macro:\n  kind: digital\n" + kValidWorkload, file).macro.adder_tree, AdderTree::per_column);
  EXPECT_TRUE(is_config_error(parse_error("macro:\n  weight_encoding: offset\n  adder_tree: per_weight\n" + kValidWorkload, file),
                              file, 3, "macro.adder_tree", "per_weight", "is a digital setting"));
  EXPECT_TRUE(is_config_error(parse_error("macro:\n  kind: digital\n  adder_tree: per_row\n" + kValidWorkload, file), file,
                              3, "macro.adder_tree", "per_row", "per_column"));
  // Product sums are 32-bit words: 16-bit products over 2^16 rows need 32 bits, 2^15 rows 31.
  const std::string wide = replaced(kValidWorkload, "bits: 8\n    signed", "bits: 16\n    signed");
  const std::string head = "macro:\n  kind: digital\n  weight_encoding: twos_complement\n  adder_tree: per_weight\n";
  EXPECT_TRUE(is_config_error(parse_error(head + "  rows: 65536\n" + wide, file), file, 4, "macro.adder_tree",
                              "per_weight", "product bits (16) + adder-tree stages (16) <= 31"));
  EXPECT_EQ(parse_error(head + "  rows: 32768\n" + wide, file), "");
}

// ---- macro.cycle_bits leaves: a cycle's input bits and a weight bit as one leaf

namespace {

Config cycle_leaves(int rows, OperandSpec x, OperandSpec w) {
  Config c = digital_by_hand(rows, x, w);
  c.macro.dac_bits = 2;
  c.macro.cycle_bits = CycleBits::leaves;
  return c;
}

}  // namespace

TEST(DigitalCycleLeaves, TogglesOfConstantOperandsByHand) {
  // 3 rows, input 3 = 0b11 in one 2-bit cycle, weight 1, two MVMs in one
  // instance: every leaf is 3 (2 bits). Stage 1 (rows 0, 1; 3 bits): 0 -> 6
  // = 0b110, 2 bits, once; stage 2 (rows 0..2; 4 bits): 0 -> 9 = 0b1001, 2
  // bits, once. Lines and multipliers: 3 rows x 2 bits rise once. Accumulator
  // (no place-value adder): loads 9 (2 bits) then 9 again; output 0 -> 9.
  // With one tree per input bit (trees) each tree's stage 2 goes 0 -> 3 (2
  // bits): 4 stage-2 toggles.
  const Config c = cycle_leaves(3, constant_operand(2, false, 3.0, 3.0), constant_operand(1, false, 1.0, 1.0));
  const JobResult r = run_cpu(c);
  ASSERT_TRUE(r.view.tree_cycle_leaves);
  ASSERT_EQ(r.view.leaf_bits, 2);
  EXPECT_EQ(r.toggles(), (std::vector<std::uint64_t>{6, 6, 2, 2, 2, 2}));
  Config trees = c;
  trees.macro.cycle_bits = CycleBits::trees;
  EXPECT_EQ(run_cpu(trees).toggles()[kTogStage1 + 1], 4u);
}

TEST(DigitalCycleLeaves, RandomOperandsAreExactAndMultipliersToggleAsWithTrees) {
  for (int bits : {2, 3}) {
    const Config c = random_operands(cycle_leaves(100, OperandSpec{}, OperandSpec{}), bits);
    Config trees = c;
    trees.macro.cycle_bits = CycleBits::trees;
    expect_exact_with_same_gates(c, trees, std::to_string(bits) + " bits per cycle");
  }
}

TEST(DigitalCycleLeavesConfig, RefusedWithPerWeightTreesAndOnAnalogMacros) {
  const std::string file = "leaves.yaml";
  EXPECT_TRUE(is_config_error(
      parse_error("macro:\n  kind: digital\n  dac_bits: 2\n  adder_tree: per_weight\n  cycle_bits: leaves\n" + kValidWorkload,
                  file),
      file, 5, "macro.cycle_bits", "leaves", "partial-product adders"));
  EXPECT_TRUE(is_config_error(parse_error("macro:\n  weight_encoding: offset\n  cycle_bits: leaves\n" + kValidWorkload, file),
                              file, 3, "macro.cycle_bits", "leaves", "is a digital setting"));
  EXPECT_EQ(parse_config("macro:\n  kind: digital\n  dac_bits: 2\n  cycle_bits: leaves\n" + kValidWorkload, file)
                .macro.cycle_bits,
            CycleBits::leaves);
}

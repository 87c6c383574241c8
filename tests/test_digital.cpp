// The digital macro kind (kernels/digital_model.hpp, src/pricing/digital_energy.cpp)
// against hand counts and closed forms:
//   - constant operands: every toggle worked out by hand, and the energy from
//     ZigZag-IMC's published gate figures;
//   - independent fair input bits on fixed weights: each adder node's output
//     bit b is bit b of a Binomial(rows under the node, 1/2) sum, 1 with
//     probability p_b (exact, by the binomial pmf), and toggles between two
//     independent evaluations with probability 2 p_b (1 - p_b);
//   - outputs exact (error 0, SQNR +inf);
//   - config rules of macro.kind digital.
#include <gtest/gtest.h>

#include <H5Cpp.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>

#include "config/config.hpp"
#include "io/hdf5_file.hpp"
#include "config_test_util.hpp"
#include "pricing/pricing.hpp"
#include "config/sweep.hpp"
#include "study/runner.hpp"
#include "study/stat_jobs.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

Config digital_config(int rows, int rows_active, OperandSpec x, OperandSpec w) {
  Config c;
  c.name = "digital";
  c.macro.kind = MacroKind::digital;
  c.macro.rows = rows;
  c.macro.cols = 64;
  c.macro.rows_active = rows_active;
  c.macro.bits_per_cell = 1;
  c.macro.weight_encoding = WeightEncoding::unsigned_plain;
  c.macro.input_encoding = InputEncoding::unsigned_plain;
  c.tile.inputs = x;
  c.tile.weights = w;
  c.tile.cols_used = 1;
  c.run.seed = 11;
  return c;
}

// Tiny macro, 3 rows (a tree of 4 leaves whose second stage-1 node has one
// row: a wire), input constant 2 = 0b10 over 2 bit-serial cycles, weight 1.
// Evaluations alternate all-zero and all-one leaves: 0, 1 | 0, 1 (two MVMs in
// one array instance, state zero after programming).
Config tiny() {
  Config c = digital_config(3, 0, constant_operand(2, false, 2.0, 3.0), constant_operand(1, false, 1.0, 1.0));
  c.run.samples = 2;
  c.run.inputs_per_instance = 2;
  return c;
}

// P(bit b of S = 1) for S ~ Binomial(n, 1/2).
double bit_prob(int n, int b) {
  std::vector<double> pmf(n + 1, 0.0);
  pmf[0] = 1.0;
  for (int i = 0; i < n; ++i) {  // one more fair bit: Pascal's rule, halved
    for (int k = i + 1; k >= 1; --k) pmf[k] = 0.5 * (pmf[k] + pmf[k - 1]);
    pmf[0] *= 0.5;
  }
  double p = 0;
  for (int k = 0; k <= n; ++k)
    if ((k >> b) & 1) p += pmf[k];
  return p;
}

// Expected toggles of one node over E independent evaluations starting from
// zero: the first evaluation toggles bit b with probability p_b, each later
// one with 2 p_b (1 - p_b).
double node_toggles(int n, int width, double E) {
  double t = 0;
  for (int b = 0; b < width; ++b) {
    const double p = bit_prob(n, b);
    t += p + (E - 1) * 2 * p * (1 - p);
  }
  return t;
}

// Counter i of the toggle section, per batch group.
std::vector<double> group_toggles(const JobResult& r, int i) {
  std::vector<double> g(kBatchGroups);
  for (int k = 0; k < kBatchGroups; ++k)
    g[k] = static_cast<double>(r.hist[static_cast<std::size_t>(k) * r.view.hist_size + r.view.off_tog + i]);
  return g;
}

// z-score of the total against its expectation, the variance estimated from
// the batch groups (independent array instances, equally many per group).
double z_score(const std::vector<double>& groups, double expected_total) {
  double s = 0, s2 = 0;
  for (double x : groups) s += x, s2 += x * x;
  const double n = static_cast<double>(groups.size()), mean = s / n, var = (s2 - n * mean * mean) / (n - 1);
  return (s - expected_total) / std::sqrt(n * var);
}

}  // namespace

TEST(Digital, ToggleCountsOfConstantOperandsByHand) {
  const JobResult r = run_cpu(tiny());
  ASSERT_TRUE(r.view.digital);
  ASSERT_EQ(r.view.tree_stages, 2);
  // input lines: 3 rows change at evaluations 2, 3, 4; multipliers likewise;
  // stage 1: one adder (rows 0, 1) whose value 0 <-> 2 flips one bit, 3 times;
  // stage 2: 0 <-> 3 flips two bits, 3 times; accumulator (5 bits): 0 -> 0,
  // 0 -> 6 (2 bits), 6 -> 0 (2), 0 -> 6 (2); output register 0 -> 6, 6 -> 6.
  const std::vector<std::uint64_t> want = {9, 9, 3, 6, 6, 2};
  EXPECT_EQ(r.toggles(), want);
}

TEST(Digital, ConstantLeavesToggleOnlyOnTheFirstEvaluation) {
  // Input 255 (all bits 1) and weight 181 = 0b10110101: every evaluation of
  // an instance sees the same leaves, so the tree switches only from the
  // zero state after programming: stage s of a 128-row tree has 128 / 2^s
  // adders, each settling at 2^s (one bit), in the 5 columns whose weight bit is 1.
  Config c = digital_config(128, 0, constant_operand(8, false, 255.0, 255.0),
                            constant_operand(8, false, 181.0, 255.0));
  c.run.samples = 640;
  c.run.inputs_per_instance = 64;
  const JobResult r = run_cpu(c);
  const double instances = 10;
  const std::vector<std::uint64_t> t = r.toggles();
  ASSERT_EQ(t.size(), 2u + 7u + 2u);
  EXPECT_EQ(t[kTogInput], instances * 128);
  EXPECT_EQ(t[kTogMult], instances * 5 * 128);
  for (int s = 1; s <= 7; ++s) EXPECT_EQ(t[kTogStage1 + s - 1], instances * 5 * (128 >> s)) << "stage " << s;
}

TEST(Digital, StageTogglesOfFairInputBitsMatchTheBinomialClosedForm) {
  // 8-bit inputs uniform on 0..255 (fair, independent bits in every cycle),
  // weight 181 on 2 outputs (10 columns of ones, 6 of zeros), 200 rows in two
  // groups of 100 sharing each column's tree: 100 is no power of two, so the
  // ragged nodes at the end of every stage are sized (or wires) by hand here.
  Config c = digital_config(256, 100, uniform_operand(8, false, -0.5, 255.5, 255.0),
                            constant_operand(8, false, 181.0, 255.0));
  c.tile.rows_used = 200;
  c.tile.cols_used = 2;
  c.run.samples = 4096;
  c.run.inputs_per_instance = 16;
  const JobResult r = run_cpu(c, 2);
  const JobView& v = r.view;
  ASSERT_EQ(v.G, 2);
  ASSERT_EQ(v.tree_stages, 7);
  const double instances = v.instances, cols = 10;
  const double evals = 16.0 * 8 * 2;  // tree evaluations per instance: samples x cycles x groups
  const double cell_evals = 16.0 * 8;  // a cell's (or row's) evaluations per instance
  EXPECT_LT(std::fabs(z_score(group_toggles(r, kTogInput), instances * 200 * node_toggles(1, 1, cell_evals))), 4.5);
  EXPECT_LT(std::fabs(z_score(group_toggles(r, kTogMult), instances * cols * 200 * node_toggles(1, 1, cell_evals))),
            4.5);
  for (int s = 1; s <= 7; ++s) {
    double per_tree = 0;
    for (int i = 0; (i << s) < 100; ++i) {
      const int lo = i << s, mid = lo + (1 << (s - 1)), hi = std::min(100, (i + 1) << s);
      if (mid >= 100) continue;  // right subtree empty: a wire
      per_tree += node_toggles(hi - lo, s + 1, evals);
    }
    const double want = instances * cols * per_tree;
    const std::vector<double> g = group_toggles(r, kTogStage1 + s - 1);
    double got = 0;
    for (double x : g) got += x;
    EXPECT_LT(std::fabs(z_score(g, want)), 4.5) << "stage " << s << ": " << got << " vs " << want;
    EXPECT_NEAR(got / want, 1.0, 0.01) << "stage " << s;
  }
}

TEST(Digital, OutputsAreExactAndSqnrIsInfinite) {
  Config c = digital_config(128, 64, uniform_operand(8, true, -1.0, 1.0, 1.0), uniform_operand(8, true, -1.0, 1.0, 1.0));
  c.macro.weight_encoding = WeightEncoding::twos_complement;
  c.macro.input_encoding = InputEncoding::twos_complement;
  c.tile.cols_used = 4;
  c.run.samples = 512;
  c.run.inputs_per_instance = 16;
  const JobResult r = run_cpu(c);
  const GroupMoments m = r.totals();
  EXPECT_EQ(m.outputs, 512.0 * 4);
  EXPECT_EQ(m.sum_err2, 0.0);
  EXPECT_EQ(m.max_abs_err, 0.0);
  EXPECT_GT(m.sum_ref2, 0.0);
  const Report rep = price(r, make_energy_tables(c, r));
  EXPECT_EQ(rep.accuracy.sqnr_db, std::numeric_limits<double>::infinity());
  EXPECT_EQ(rep.accuracy.clip_rate, 0.0);
  EXPECT_EQ(rep.component_pj[static_cast<int>(Component::adc)].mean, 0.0);
  EXPECT_EQ(rep.component_pj[static_cast<int>(Component::dac)].mean, 0.0);
}

TEST(Digital, EnergyIsCountsTimesZigZagGateEnergies) {
  // ZigZag-IMC 28 nm at 0.9 V: wordline 0.35 fF per cell (one column here),
  // NOR multiply 0.28 fJ, full adder 3.40 fJ, flip-flop 1.70 fJ. Counts from
  // ToggleCountsOfConstantOperandsByHand, over 2 MVMs.
  const Config c = tiny();
  const JobResult r = run_cpu(c);
  const Report rep = price(r, make_energy_tables(c, r));
  const double line = 0.35e-15 * 1 * 0.9 * 0.9 * 1e12, mult = 0.28e-3, fa = 3.40e-3, reg = (3.40 + 1.70) * 1e-3;
  auto pj = [&](Component k) { return rep.component_pj[static_cast<int>(k)].mean; };
  EXPECT_NEAR(pj(Component::row_driver), 9 * line / 2, 1e-12);
  EXPECT_NEAR(pj(Component::cell), 9 * mult / 2, 1e-12);
  EXPECT_NEAR(pj(Component::column), (3 + 6) * fa / 2, 1e-12);
  EXPECT_NEAR(pj(Component::accumulator), 6 * reg / 2, 1e-12);
  EXPECT_NEAR(pj(Component::shift_add), 2 * reg / 2, 1e-12);
  EXPECT_NEAR(rep.total_pj.mean, (9 * line + 9 * mult + 9 * fa + 8 * reg) / 2, 1e-12);
  EXPECT_NEAR(rep.events_per_mvm[static_cast<int>(Component::column)], 4.5, 1e-12);
  // Switched capacitance: half the supply, a quarter of every energy.
  Config half = c;
  half.energy.vdd_v = 0.45;
  EXPECT_NEAR(price(r, make_energy_tables(half, r)).total_pj.mean, rep.total_pj.mean / 4, 1e-12);
  // energy.adder_tree.e0_pj replaces the per-toggle default.
  Config own = c;
  own.energy.adder_tree.e0_pj = 1.0;
  EXPECT_NEAR(price(r, make_energy_tables(own, r)).component_pj[static_cast<int>(Component::column)].mean, 4.5, 1e-12);
}

TEST(Digital, SameBitsForAnyThreadCount) {
  Config c = digital_config(128, 0, uniform_operand(8, false, 0.0, 1.0, 1.0), uniform_operand(8, false, 0.0, 1.0, 1.0));
  c.tile.cols_used = 8;
  c.run.samples = 1024;
  c.run.inputs_per_instance = 16;
  const JobResult a = run_cpu(c, 1), b = run_cpu(c, 2);
  EXPECT_EQ(a.hist, b.hist);
}

TEST(Digital, RunFileKeepsTheToggleCountersAndTheirPrices) {
  const Config c = tiny();
  const JobResult r = run_cpu(c);
  const EnergyTables t = make_energy_tables(c, r);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("cimmc_digital_" + std::to_string(::getpid()) + ".h5")).string();
  write_run_file(path, c, r, t, price(r, t), Provenance{});
  const RunFile f = read_run_file(path);
  EXPECT_TRUE(f.result.view.digital);
  EXPECT_EQ(f.result.view.tree_stages, 2);
  EXPECT_EQ(f.result.hist, r.hist);
  EXPECT_EQ(f.result.toggles(), (std::vector<std::uint64_t>{9, 9, 3, 6, 6, 2}));
  // Re-pricing the file's counts gives the energy of the run.
  EXPECT_EQ(price(f.result, make_energy_tables(c, f.result)).total_pj.mean, price(r, t).total_pj.mean);
  const H5::H5File h(path, H5F_ACC_RDONLY);
  std::vector<double> toggle(t.toggle.size());
  h.openDataSet("/energy/tables/toggle").read(toggle.data(), H5::PredType::NATIVE_DOUBLE);
  EXPECT_EQ(toggle, t.toggle);
  std::filesystem::remove(path);
}

TEST(Digital, StatisticalModelRefusesDigitalMacros) {
  const Config c = tiny();
  EXPECT_NE(config_error([&] { evaluate_statistical(c, JobId{}); }).find("covers analog macros only"),
            std::string::npos);
}

TEST(Digital, StudyJobRowsCarryTheToggles) {
  // tiny() as a config file, swept over the macro kind: the digital job's row
  // has the hand counts of ToggleCountsOfConstantOperandsByHand, the analog
  // job's row zeros (the columns exist because the study has a digital point).
  const Sweep sw = parse_sweep(R"(name: kinds
run: {samples: 2, seed: 1, inputs_per_instance: 2}
macro: {rows: 3, cols: 64, bits_per_cell: 1, weight_encoding: unsigned}
workload:
  tile: {cols_used: 1}
  inputs: {bits: 2, distribution: {kind: constant, value: 2, clip: 3}}
  weights: {bits: 1, distribution: {kind: constant, value: 1, clip: 1}}
sweep:
  cartesian:
    macro.kind: [analog, digital]
)", "kinds.yaml");
  StudyOptions o;
  o.engine.backend = Backend::cpu;
  StudyStats st;
  const StudyFile f = run_study(sw, o, st);
  ASSERT_EQ(f.jobs.rows(), 2u);
  auto icol = [&](const char* n) { return std::get<std::vector<std::int64_t>>(f.jobs.find(n)->data); };
  const std::vector<std::int64_t> stages = icol("tree_stages");
  const std::size_t d = stages[0] == 2 ? 0 : 1, a = 1 - d;
  EXPECT_EQ(stages[d], 2);
  EXPECT_EQ(stages[a], 0);
  EXPECT_EQ(icol("toggles_input")[d], 9);
  EXPECT_EQ(icol("toggles_multiplier")[d], 9);
  EXPECT_EQ(icol("toggles_adder_tree")[d], 9);
  EXPECT_EQ(icol("toggles_accumulator")[d], 6);
  EXPECT_EQ(icol("toggles_output")[d], 2);
  EXPECT_EQ(icol("toggles_adder_tree")[a], 0);
  const auto& by_stage = std::get<std::vector<std::string>>(f.jobs.find("toggles_by_stage")->data);
  EXPECT_EQ(by_stage[d], "3 6");
  EXPECT_EQ(by_stage[a], "");
  const auto& sqnr = std::get<std::vector<double>>(f.network.find("sqnr_db")->data);
  const auto& kind = std::get<std::vector<std::string>>(f.network.find("macro.kind")->data);
  for (std::size_t i = 0; i < kind.size(); ++i)
    if (kind[i] == "digital") {
      EXPECT_EQ(sqnr[i], std::numeric_limits<double>::infinity());
    }
}

// ---- config

namespace {

const std::string kFile = "digital.yaml";
const std::string& kTail = kValidWorkload;

std::string error_of(const std::string& yaml) { return parse_error(yaml, kFile); }

}  // namespace

TEST(DigitalConfig, KindDigitalDefaultsToOneBitCells) {
  const Config c = parse_config("macro:\n  kind: digital\n  weight_encoding: twos_complement\n" + kTail, kFile);
  EXPECT_EQ(c.macro.kind, MacroKind::digital);
  EXPECT_EQ(c.macro.bits_per_cell, 1);
  EXPECT_EQ(parse_config("macro:\n  weight_encoding: offset\n" + kTail, kFile).macro.kind, MacroKind::analog);
}

TEST(DigitalConfig, AnalogKeysAndUnsupportedSettingsAreRefused) {
  const std::string head = "macro:\n  kind: digital\n  weight_encoding: twos_complement\n";
  EXPECT_TRUE(is_config_error(error_of(head + "  adc:\n    bits: 6\n" + kTail), kFile, 4, "macro.adc", "<mapping>",
                              "a digital macro adds exactly in an adder tree and has no ADC"));
  EXPECT_TRUE(is_config_error(error_of(head + "  g_on_us: 20\n" + kTail), kFile, 4, "macro.g_on_us", "20",
                              "no cell conductances"));
  EXPECT_TRUE(is_config_error(error_of(head + "  bits_per_cell: 2\n" + kTail), kFile, 4, "macro.bits_per_cell", "2",
                              "must be 1 when macro.kind is digital"));
  EXPECT_EQ(error_of(head + "  dac_bits: 2\n" + kTail), "");  // 2 input bits per cycle: two trees (test_digital_multibit)
  EXPECT_TRUE(is_config_error(
      error_of("macro:\n  kind: digital\n  weight_encoding: sign_magnitude\n" + kTail), kFile, 3,
      "macro.weight_encoding", "sign_magnitude", "adds unsigned products"));
  EXPECT_TRUE(is_config_error(error_of(head + kTail + "energy:\n  adder_tree: {e1_pj: 0.1}\n"), kFile, 13,
                              "energy.adder_tree.e1_pj", "0.1", "only e0_pj"));
  EXPECT_TRUE(is_config_error(error_of(head + kTail + "energy:\n  adc: {e0_pj: 0.1}\n"), kFile, 13,
                              "energy.adc", "<mapping>", "analog event"));
  // The other way round: digital energies on an analog macro.
  EXPECT_TRUE(is_config_error(error_of("macro:\n  weight_encoding: offset\n" + kTail + "energy:\n  multiplier: {e0_pj: 1}\n"),
                              kFile, 12, "energy.multiplier", "<mapping>", "digital macros only"));
  EXPECT_TRUE(is_config_error(error_of("macro:\n  kind: ternary\n" + kTail), kFile, 2, "macro.kind", "ternary",
                              "analog"));
}

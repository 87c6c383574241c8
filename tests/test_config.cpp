// Config module: YAML -> validated Config, and the one-line error format
//   FILE:LINE: KEY.PATH: value 'VALUE': RULE
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config_test_util.hpp"
#include "config/config.hpp"

namespace cimmc {
namespace {

const std::string kFile = "cfg.yaml";

const std::string& kWorkload = test::kValidWorkload;

std::string error_of(const std::string& yaml) { return test::parse_error(yaml, kFile); }

::testing::AssertionResult has_error(const std::string& yaml, int line, const std::string& key,
                                     const std::string& value, const std::string& rule) {
  return test::is_config_error(error_of(yaml), kFile, line, key, value, rule);
}

TEST(Config, FullConfigFillsEveryStruct) {
  const std::string yaml = R"(name: full-test
run:
  samples: 5000
  seed: 18446744073709551615
  inputs_per_instance: 16
  pilot_samples: 1024
macro:
  rows: 256
  cols: 64
  rows_active: 32
  bits_per_cell: 1
  weight_encoding: twos_complement
  dac_bits: 2
  input_encoding: offset
  g_on_us: 20.0
  g_off_us: 0.5
  noise:
    programming_sigma_us: 0.1
    programming_sigma_rel: 0.02
    read_sigma_us: 0.05
    read_sigma_rel: 0.01
    stuck_off: 0.001
    stuck_on: 0.002
  adc:
    bits: 8
    range: max
    max: 150.5
    noise_lsb: 0.25
    count: 8
    conversion_ns: 5
workload:
  tile: {rows_used: 200, cols_used: 7}
  inputs:
    bits: 6
    signed: true
    distribution: {kind: laplace, mean: 0.1, b: 0.3, clip: 2.0}
  weights:
    bits: 8
    signed: true
    distribution:
      kind: uniform
      low: -1
      high: 1
energy:
  vdd_v: 0.8
  read_voltage_v: 0.3
  read_pulse_ns: 2
  leakage_uw: 12.5
  dac: {e0_pj: 0.01, e1_pj: 0.002}
  adc: {e0_pj: 1.5, epop_pj: 0.1}
)";
  const Config c = parse_config(yaml, kFile);
  EXPECT_EQ(c.source_path, kFile);
  EXPECT_EQ(c.source_text, yaml);
  EXPECT_EQ(c.name, "full-test");
  EXPECT_EQ(c.run.samples, 5000u);
  EXPECT_EQ(c.run.seed, 18446744073709551615ull);
  EXPECT_EQ(c.run.inputs_per_instance, 16);
  EXPECT_EQ(c.run.pilot_samples, 1024u);

  EXPECT_EQ(c.macro.rows, 256);
  EXPECT_EQ(c.macro.cols, 64);
  EXPECT_EQ(c.macro.rows_active, 32);
  EXPECT_EQ(c.macro.bits_per_cell, 1);
  EXPECT_EQ(c.macro.weight_encoding, WeightEncoding::twos_complement);
  EXPECT_EQ(c.macro.dac_bits, 2);
  EXPECT_EQ(c.macro.input_encoding, InputEncoding::offset);
  EXPECT_DOUBLE_EQ(c.macro.g_on_us, 20.0);
  EXPECT_DOUBLE_EQ(c.macro.g_off_us, 0.5);
  EXPECT_DOUBLE_EQ(c.macro.noise.prog_sigma_us, 0.1);
  EXPECT_DOUBLE_EQ(c.macro.noise.prog_sigma_rel, 0.02);
  EXPECT_DOUBLE_EQ(c.macro.noise.read_sigma_us, 0.05);
  EXPECT_DOUBLE_EQ(c.macro.noise.read_sigma_rel, 0.01);
  EXPECT_DOUBLE_EQ(c.macro.noise.stuck_off, 0.001);
  EXPECT_DOUBLE_EQ(c.macro.noise.stuck_on, 0.002);
  EXPECT_EQ(c.macro.adc.bits, 8);
  EXPECT_EQ(c.macro.adc.range, AdcRange::max);
  EXPECT_DOUBLE_EQ(c.macro.adc.max_value, 150.5);
  EXPECT_DOUBLE_EQ(c.macro.adc.quantile, 0.999);  // default
  EXPECT_DOUBLE_EQ(c.macro.adc.noise_lsb, 0.25);
  EXPECT_EQ(c.macro.adc.count, 8);
  ASSERT_TRUE(c.macro.adc.conversion_ns.has_value());
  EXPECT_DOUBLE_EQ(*c.macro.adc.conversion_ns, 5.0);

  EXPECT_EQ(c.tile.rows_used, 200);
  EXPECT_EQ(c.tile.cols_used, 7);
  EXPECT_EQ(c.tile.inputs.bits, 6);
  EXPECT_TRUE(c.tile.inputs.is_signed);
  EXPECT_EQ(c.tile.inputs.dist.kind, DistKind::laplace);
  EXPECT_DOUBLE_EQ(c.tile.inputs.dist.mean, 0.1);
  EXPECT_DOUBLE_EQ(c.tile.inputs.dist.b, 0.3);
  ASSERT_TRUE(c.tile.inputs.dist.clip.has_value());
  EXPECT_DOUBLE_EQ(*c.tile.inputs.dist.clip, 2.0);
  EXPECT_EQ(c.tile.weights.dist.kind, DistKind::uniform);
  EXPECT_DOUBLE_EQ(c.tile.weights.dist.low, -1.0);
  EXPECT_DOUBLE_EQ(c.tile.weights.dist.high, 1.0);
  EXPECT_FALSE(c.tile.weights.dist.clip.has_value());

  EXPECT_DOUBLE_EQ(c.energy.vdd_v, 0.8);
  EXPECT_DOUBLE_EQ(c.energy.read_voltage_v, 0.3);
  EXPECT_DOUBLE_EQ(c.energy.read_pulse_ns, 2.0);
  EXPECT_DOUBLE_EQ(c.energy.leakage_uw, 12.5);
  EXPECT_EQ(c.energy.dac.e0_pj, 0.01);
  EXPECT_EQ(c.energy.dac.e1_pj, 0.002);
  EXPECT_FALSE(c.energy.dac.e2_pj.has_value());
  EXPECT_EQ(c.energy.adc.epop_pj, 0.1);
  EXPECT_FALSE(c.energy.row_driver.e0_pj.has_value());
}

TEST(Config, MinimalConfigKeepsStructDefaults) {
  const Config c = parse_config(kWorkload, kFile);
  const Config d;  // the struct defaults
  EXPECT_EQ(c.name, d.name);
  EXPECT_EQ(c.run.samples, d.run.samples);
  EXPECT_EQ(c.run.seed, d.run.seed);
  EXPECT_EQ(c.macro.rows, d.macro.rows);
  EXPECT_EQ(c.macro.weight_encoding, WeightEncoding::differential);
  EXPECT_EQ(c.macro.adc.bits, d.macro.adc.bits);
  EXPECT_EQ(c.macro.adc.range, AdcRange::full);
  EXPECT_FALSE(c.macro.adc.conversion_ns.has_value());
  EXPECT_DOUBLE_EQ(c.energy.vdd_v, d.energy.vdd_v);
  EXPECT_EQ(c.tile.rows_used, 0);
  EXPECT_EQ(c.tile.inputs.dist.kind, DistKind::relu_normal);
  EXPECT_DOUBLE_EQ(c.tile.inputs.dist.zero_fraction, 0.5);
  EXPECT_DOUBLE_EQ(c.tile.weights.dist.std, 0.5);
  EXPECT_DOUBLE_EQ(c.tile.weights.dist.mean, 0.0);
}

// ---- single values: range and type

TEST(Config, IntegerOutOfRange) {
  EXPECT_TRUE(has_error("macro:\n  adc:\n    bits: 40\n" + kWorkload, 3, "macro.adc.bits", "40",
                        "must be an integer in [1, 16]"));
  EXPECT_TRUE(has_error("run:\n  samples: 0\n" + kWorkload, 2, "run.samples", "0",
                        "must be an integer in [1, 4294967295]"));
  EXPECT_TRUE(has_error("run:\n  samples: 5000000000\n" + kWorkload, 2, "run.samples", "5000000000",
                        "must be an integer in [1, 4294967295]"));
  EXPECT_TRUE(has_error("run:\n  seed: 18446744073709551616\n" + kWorkload, 2, "run.seed",
                        "18446744073709551616", "must be an integer in [0, 18446744073709551615]"));
}

TEST(Config, NegativeValueForUnsignedIntegerIsARangeError) {
  EXPECT_TRUE(has_error("run:\n  seed: -1\n" + kWorkload, 2, "run.seed", "-1", "must be an integer >= 0"));
  EXPECT_TRUE(has_error("macro:\n  adc:\n    count: -3\n" + kWorkload, 3, "macro.adc.count", "-3",
                        "must be an integer in [0, 65536]"));
}

TEST(Config, FractionForIntegerIsATypeError) {
  EXPECT_TRUE(has_error("macro:\n  rows: 3.5\n" + kWorkload, 2, "macro.rows", "3.5", "must be an integer"));
  EXPECT_TRUE(has_error("macro:\n  rows: '64'\n" + kWorkload, 2, "macro.rows", "64", "must be an integer"));
  EXPECT_TRUE(has_error("macro:\n  rows: [1]\n" + kWorkload, 2, "macro.rows", "[1]", "must be an integer"));
  // Whole numbers in float notation are integers.
  EXPECT_EQ(parse_config("run:\n  samples: 1e6\n" + kWorkload, kFile).run.samples, 1000000u);
}

TEST(Config, NumbersMustBeFinite) {
  EXPECT_TRUE(has_error("macro:\n  g_on_us: .inf\n" + kWorkload, 2, "macro.g_on_us", ".inf",
                        "must be a finite number"));
  EXPECT_TRUE(has_error("macro:\n  noise:\n    read_sigma_us: .nan\n" + kWorkload, 3,
                        "macro.noise.read_sigma_us", ".nan", "must be a finite number"));
  EXPECT_TRUE(has_error("macro:\n  g_on_us: ten\n" + kWorkload, 2, "macro.g_on_us", "ten", "must be a number"));
  EXPECT_TRUE(has_error("macro:\n  g_on_us: 0\n" + kWorkload, 2, "macro.g_on_us", "0", "must be a number in [1e-06, 1e+06]"));
  EXPECT_TRUE(has_error("macro:\n  noise:\n    stuck_on: 1.5\n" + kWorkload, 3, "macro.noise.stuck_on", "1.5",
                        "must be a number in [0, 1]"));
}

// Absurd values the old rules allowed (issue 10): a programming sigma of 1e19
// crashed the sampler, a supply of 1e300 V or a bandwidth of 1e-300 gave inf
// or NaN results with exit 0. Every number with a unit has a physical range
// (rules.hpp); each row is (section text, line, key, value, rule).
TEST(Config, PhysicalRangesRefuseAbsurdValues) {
  struct Row {
    std::string yaml;
    int line;
    std::string key, value, rule;
  };
  const std::vector<Row> rows = {
      {"macro:\n  noise:\n    programming_sigma_rel: 1e19\n", 3, "macro.noise.programming_sigma_rel", "1e19",
       "must be a number in [0, 10]"},
      {"macro:\n  noise:\n    read_sigma_rel: 10.5\n", 3, "macro.noise.read_sigma_rel", "10.5",
       "must be a number in [0, 10]"},
      {"macro:\n  noise:\n    programming_sigma_us: 1e20\n", 3, "macro.noise.programming_sigma_us", "1e20",
       "must be a number in [0, 1e+07]"},
      {"macro:\n  g_on_us: 1e7\n", 2, "macro.g_on_us", "1e7", "must be a number in [1e-06, 1e+06]"},
      {"macro:\n  g_on_us: 1e-300\n", 2, "macro.g_on_us", "1e-300", "must be a number in [1e-06, 1e+06]"},
      {"macro:\n  adc:\n    noise_lsb: 1e30\n", 3, "macro.adc.noise_lsb", "1e30", "must be a number in [0, 65536]"},
      {"macro:\n  adc:\n    range: max\n    max: 1e300\n", 4, "macro.adc.max", "1e300",
       "must be a number in [1e-06, 1e+12]"},
      {"macro:\n  adc:\n    count: 70000\n", 3, "macro.adc.count", "70000", "must be an integer in [0, 65536]"},
      {"macro:\n  adc:\n    conversion_ns: 1e-300\n", 3, "macro.adc.conversion_ns", "1e-300",
       "must be a number in [0.001, 1e+06]"},
      {"energy:\n  vdd_v: 1e300\n", 2, "energy.vdd_v", "1e300", "must be a number in [0.01, 100]"},
      {"energy:\n  read_voltage_v: 1e-9\n", 2, "energy.read_voltage_v", "1e-9", "must be a number in [0.001, 100]"},
      {"energy:\n  read_pulse_ns: 1e300\n", 2, "energy.read_pulse_ns", "1e300", "must be a number in [0.001, 1e+06]"},
      {"energy:\n  leakage_uw: 1e300\n", 2, "energy.leakage_uw", "1e300", "must be a number in [0, 1e+06]"},
      {"energy:\n  adc: {e2_pj: 1e300}\n", 2, "energy.adc.e2_pj", "1e300", "must be a number in [0, 1e+06]"},
      {"architecture:\n  clock_ghz: 1e300\n", 2, "architecture.clock_ghz", "1e300", "must be a number in [1e-04, 100]"},
      {"architecture:\n  row_settle_ns: 1e300\n", 2, "architecture.row_settle_ns", "1e300",
       "must be a number in [0, 1e+06]"},
      {"architecture:\n  global_buffer: {bandwidth_bits_per_cycle: 1e-300}\n", 2,
       "architecture.global_buffer.bandwidth_bits_per_cycle", "1e-300", "must be 0 or a number in [0.001, 1e+12]"},
      {"architecture:\n  dram: {bandwidth_gbps: 1e-300}\n", 2, "architecture.dram.bandwidth_gbps", "1e-300",
       "must be a number in [0.001, 1e+09]"},
      {"architecture:\n  dram: {energy_pj_per_bit: 1e7}\n", 2, "architecture.dram.energy_pj_per_bit", "1e7",
       "must be a number in [0, 1e+06]"},
      {"architecture:\n  macros: 16777217\n", 2, "architecture.macros", "16777217",
       "must be an integer in [1, 16777216]"},
  };
  for (const Row& r : rows) EXPECT_TRUE(has_error(r.yaml + kWorkload, r.line, r.key, r.value, r.rule)) << r.yaml;
  // Operand distributions: any unit, but within +-1e15 and scales >= 1e-15.
  const std::string head = "workload:\n  inputs:\n    bits: 8\n    distribution: ";
  const std::string rest = "\n  weights:\n    bits: 8\n    signed: true\n    distribution: {kind: normal, std: 0.5}\n";
  EXPECT_TRUE(has_error(head + "{kind: normal, mean: 1e300, std: 1}" + rest, 4, "workload.inputs.distribution.mean",
                        "1e300", "must be a number in [-1e+15, 1e+15]"));
  EXPECT_TRUE(has_error(head + "{kind: laplace, b: 1e-300}" + rest, 4, "workload.inputs.distribution.b", "1e-300",
                        "must be a number in [1e-15, 1e+15]"));
  EXPECT_TRUE(has_error(head + "{kind: uniform, low: 0, high: 1, clip: 1e300}" + rest, 4,
                        "workload.inputs.distribution.clip", "1e300", "must be a number in [1e-15, 1e+15]"));
  EXPECT_TRUE(has_error(head + "{kind: histogram, bins: [1e300, 1e300, 1e300]}" + rest, 4,
                        "workload.inputs.distribution.bins[0]", "1e300", "must be a number in [0, 1e+15]"));
  // The ends of the ranges are allowed; 0 means unlimited for buffer bandwidth.
  EXPECT_NO_THROW(parse_config("macro:\n  g_on_us: 1e6\n  g_off_us: 0\n  noise: {programming_sigma_rel: 10, "
                               "read_sigma_us: 1e7}\nenergy:\n  vdd_v: 100\narchitecture:\n  clock_ghz: 1e-4\n  "
                               "input_buffer: {bandwidth_bits_per_cycle: 0}\n  output_buffer: "
                               "{bandwidth_bits_per_cycle: 1e-3}\n" + kWorkload,
                               kFile));
}

// Rules between keys: an absolute sigma is at most 10 x g_on_us, and the
// on/off ratio g_on / g_off is at least 1.01.
TEST(Config, SigmasAndOffConductanceAreBoundedByGOn) {
  EXPECT_TRUE(has_error("macro:\n  g_on_us: 10\n  noise:\n    programming_sigma_us: 101\n" + kWorkload, 4,
                        "macro.noise.programming_sigma_us", "101",
                        "must be at most 10 x macro.g_on_us = 100 (g_on_us is 10)"));
  EXPECT_TRUE(has_error("macro:\n  g_on_us: 2\n  noise:\n    read_sigma_us: 20.5\n" + kWorkload, 4,
                        "macro.noise.read_sigma_us", "20.5", "must be at most 10 x macro.g_on_us = 20 (g_on_us is 2)"));
  EXPECT_NO_THROW(parse_config("macro:\n  g_on_us: 2\n  noise:\n    read_sigma_us: 20\n" + kWorkload, kFile));
  EXPECT_TRUE(has_error("macro:\n  g_on_us: 10\n  g_off_us: 9.999\n" + kWorkload, 3, "macro.g_off_us", "9.999",
                        "must be at most macro.g_on_us / 1.01 (g_on_us is 10)"));
  EXPECT_NO_THROW(parse_config("macro:\n  g_on_us: 10.1\n  g_off_us: 10\n" + kWorkload, kFile));
  // Exactly at the bound, though 10 x 1e-6 rounds to 9.999999999999999e-06 in double.
  EXPECT_NO_THROW(parse_config("macro:\n  g_on_us: 1e-6\n  g_off_us: 0\n  noise: {programming_sigma_us: 1e-5}\n" +
                               kWorkload, kFile));
  // Values set after parsing (CLI overrides, swept points) meet the same rules.
  Config c = parse_config(kWorkload, kFile);
  c.energy.vdd_v = 1e300;
  EXPECT_EQ(test::config_error([&] { validate(c, kFile); }),
            "cfg.yaml: energy.vdd_v: value '1e+300': must be a number in [0.01, 100]");
}

TEST(Config, BooleansAndEnumsAreChecked) {
  const std::string yaml = R"(workload:
  inputs:
    bits: 8
    signed: yes
)";
  EXPECT_TRUE(has_error(yaml, 4, "workload.inputs.signed", "yes", "must be true or false"));
  EXPECT_TRUE(has_error("macro:\n  adc:\n    range: fixed\n" + kWorkload, 3, "macro.adc.range", "fixed",
                        "must be one of: full, max, calibrated"));
  EXPECT_TRUE(has_error("macro:\n  weight_encoding: xnor\n" + kWorkload, 2, "macro.weight_encoding", "xnor",
                        "must be one of: unsigned, offset, differential, twos_complement, sign_magnitude"));
}

// ---- structure: unknown, missing, duplicate keys

TEST(Config, UnknownKeyListsTheAllowedOnes) {
  EXPECT_TRUE(has_error("macro:\n  rows: 64\n  colums: 64\n" + kWorkload, 3, "macro.colums", "64",
                        "unknown key (allowed: kind, rows, cols, rows_active, bits_per_cell, weight_encoding, dac_bits, "
                        "input_encoding, input_scaling, g_on_us, g_off_us, wire_ohm, noise, adc, cell_group, cell, clock_ns, "
                        "adder_tree, cycle_bits, group_order, slice_combine)"));
  EXPECT_TRUE(has_error(kWorkload + "sweep: {}\n", 9, "sweep", "<mapping>",
                        "unknown key (allowed: name, run, macro, workload, energy, architecture, mapping, task)"));
}

TEST(Config, DistributionKeysDependOnKind) {
  const std::string yaml = R"(workload:
  inputs:
    bits: 8
    distribution:
      kind: laplace
      std: 1.0
)";
  EXPECT_TRUE(has_error(yaml, 6, "workload.inputs.distribution.std", "1.0",
                        "unknown key (allowed: kind, clip, correlation, mean, b)"));
}

TEST(Config, MissingRequiredKeyPointsAtItsParent) {
  EXPECT_TRUE(has_error("name: x\nworkload:\n  inputs:\n    distribution: {kind: constant, value: 1}\n", 2,
                        "workload.weights", "<missing>", "is required"));
  EXPECT_TRUE(has_error("name: x\n", 1, "workload", "<missing>", "is required"));
  const std::string no_std = R"(workload:
  inputs:
    bits: 8
    distribution:
      kind: normal
      mean: 1
)";
  EXPECT_TRUE(has_error(no_std, 4, "workload.inputs.distribution.std", "<missing>", "is required for kind normal"));
  EXPECT_TRUE(has_error("workload:\n  inputs:\n    bits: 8\n", 2, "workload.inputs.distribution", "<missing>",
                        "is required"));
  EXPECT_TRUE(has_error("workload:\n  inputs:\n    distribution: {mean: 1}\n", 3, "workload.inputs.distribution.kind",
                        "<missing>", "is required"));
}

TEST(Config, DuplicateKeyAndNonMappingSection) {
  EXPECT_TRUE(has_error("macro:\n  rows: 64\n  rows: 32\n" + kWorkload, 3, "macro.rows", "32", "duplicate key"));
  EXPECT_TRUE(has_error("macro: 5\n" + kWorkload, 1, "macro", "5", "must be a mapping"));
}

TEST(Config, YamlSyntaxErrorNamesFileAndLine) {
  const std::string msg = error_of("run:\n  samples: 10\n  seed: [1, 2\nmacro:\n  rows: 3\n");
  EXPECT_EQ(msg.rfind("cfg.yaml:", 0), 0u) << msg;
  EXPECT_NE(msg.find("YAML syntax error"), std::string::npos) << msg;
  const std::string indent = error_of("run:\n  samples: 10\n    seed: 1\n");
  EXPECT_EQ(indent.rfind("cfg.yaml:3: YAML syntax error", 0), 0u) << indent;
}

// ---- cross-field rules (validate)

TEST(Config, SignedOperandsNeedTwoBits) {
  const std::string yaml = R"(workload:
  inputs:
    bits: 8
    distribution: {kind: normal, std: 1}
  weights:
    bits: 1
    signed: true
    distribution: {kind: normal, std: 1}
)";
  EXPECT_TRUE(has_error(yaml, 6, "workload.weights.bits", "1", "signed operands need at least 2 bits"));
}

TEST(Config, WeightSignednessMustMatchEncoding) {
  // kWorkload has signed weights.
  EXPECT_TRUE(has_error("macro:\n  weight_encoding: unsigned\n" + kWorkload, 9, "workload.weights.signed", "true",
                        "signed weights need a signed macro.weight_encoding"));
  const std::string unsigned_weights = R"(workload:
  inputs:
    bits: 8
    distribution: {kind: normal, std: 1}
  weights:
    bits: 4
    distribution: {kind: uniform, low: 0, high: 1}
)";
  // Not written: the line is the weights mapping's.
  EXPECT_TRUE(has_error(unsigned_weights, 5, "workload.weights.signed", "false",
                        "unsigned weights need macro.weight_encoding: unsigned (it is differential)"));
  EXPECT_NO_THROW(parse_config("macro: {weight_encoding: unsigned}\n" + unsigned_weights, kFile));
}

TEST(Config, InputSignednessMustMatchEncoding) {
  // kWorkload's inputs do not say `signed`: the line is the inputs mapping's.
  EXPECT_TRUE(has_error("macro:\n  input_encoding: offset\n" + kWorkload, 4, "workload.inputs.signed", "false",
                        "unsigned inputs need macro.input_encoding: unsigned (it is offset)"));
  const std::string signed_inputs = R"(workload:
  inputs:
    bits: 8
    signed: true
    distribution: {kind: normal, std: 1}
  weights:
    bits: 8
    signed: true
    distribution: {kind: normal, std: 1}
)";
  EXPECT_TRUE(has_error(signed_inputs, 4, "workload.inputs.signed", "true",
                        "signed inputs need a signed macro.input_encoding"));
  const Config c = parse_config("macro: {input_encoding: twos_complement}\n" + signed_inputs, kFile);
  EXPECT_EQ(c.macro.input_encoding, InputEncoding::twos_complement);
}

// With bits <= 16 the cycle and column limits (32) cannot be exceeded; the
// widest settings (30 each) must pass.
TEST(Config, WidestOperandsFitCycleAndColumnLimits) {
  const std::string yaml = R"(macro:
  cols: 64
  bits_per_cell: 1
  dac_bits: 1
  input_encoding: sign_magnitude
  weight_encoding: differential
workload:
  inputs:
    bits: 16
    signed: true
    distribution: {kind: normal, std: 1}
  weights:
    bits: 16
    signed: true
    distribution: {kind: normal, std: 1}
)";
  const Config c = parse_config(yaml, kFile);
  EXPECT_EQ(input_cycles(c.macro, c.tile.inputs), 30);
  EXPECT_EQ(phys_cols_per_weight(c.macro, c.tile.weights), 30);
}

TEST(Config, RowsUsedAndRowsActiveAtMostRows) {
  EXPECT_TRUE(has_error("macro:\n  rows: 64\n" + kWorkload + "  tile:\n    rows_used: 100\n", 12,
                        "workload.tile.rows_used", "100", "must be an integer in [0, 64] (at most macro.rows)"));
  EXPECT_TRUE(has_error("macro:\n  rows: 64\n  rows_active: 65\n" + kWorkload, 3, "macro.rows_active", "65",
                        "must be an integer in [0, 64] (at most macro.rows)"));
}

TEST(Config, ColsUsedMustFit) {
  // Signed 8-bit weights, differential, 2 bits per cell: 2 x ceil(7/2) = 8 columns each.
  EXPECT_TRUE(has_error("macro:\n  cols: 64\n" + kWorkload + "  tile: {cols_used: 9}\n", 11,
                        "workload.tile.cols_used", "9",
                        "needs 9 x 8 = 72 physical columns but macro.cols is 64 (at most 8 weights fit)"));
  EXPECT_NO_THROW(parse_config("macro:\n  cols: 64\n" + kWorkload + "  tile: {cols_used: 8}\n", kFile));
  EXPECT_TRUE(has_error("macro:\n  cols: 4\n" + kWorkload, 2, "macro.cols", "4",
                        "no weight fits: each needs 8 physical columns"));
}

// ---- limits of the kernels' counters (docs/config.md: run.samples, macro.rows_active)

// `run` (one line or none), a 65536-row macro with the `macro` lines from its
// third line on, and a workload: 1-bit unsigned weights in 1-bit cells (one
// physical column each), unsigned `input_bits`-bit inputs, bit-serial.
std::string counter_config(const std::string& run, const std::string& macro, int input_bits) {
  return run + "macro:\n  rows: 65536\n" + macro + "  bits_per_cell: 1\n  weight_encoding: unsigned\n" +
         "workload:\n  inputs:\n    bits: " + std::to_string(input_bits) +
         "\n    distribution: {kind: uniform, low: 0, high: 1}\n"
         "  weights:\n    bits: 1\n    distribution: {kind: uniform, low: 0, high: 1}\n";
}

TEST(Config, CellReadsOfATileJobFitItsCounters) {
  // 16 cycles x 65536 rows x 65536 columns = 2^36 cell reads per sample, and
  // at most 2^64 - 1 per tile job: (2^64 - 1) / 2^36 = 2^28 - 1 samples.
  const std::string full = "  cols: 65536\n  rows_active: 0\n";
  EXPECT_NO_THROW(parse_config(counter_config("run: {samples: 268435455}\n", full, 16), kFile));
  EXPECT_TRUE(has_error(counter_config("run: {samples: 268435456}\n", full, 16), 1, "run.samples", "268435456",
                        "must be an integer in [1, 268435455]: each sample reads 16 input cycles x 65536 rows x 65536 "
                        "physical columns = 68719476736 cells, and a tile job's cell reads must fit its 64-bit event "
                        "counters (at most 2^64-1)"));
  // The tile, not the array: half the columns take twice the samples.
  EXPECT_NO_THROW(parse_config(counter_config("run: {samples: 536870911}\n", full, 16) + "  tile: {cols_used: 32768}\n",
                               kFile));
  // The calibration pilot never draws more than run.samples (RunSpec::pilot),
  // so the samples rule bounds it too.
  const std::string pilot = "run: {pilot_samples: 4294967295}\n";
  EXPECT_NO_THROW(parse_config(counter_config(pilot, full + "  adc: {range: calibrated}\n", 16), kFile));
  // A --samples override is checked by the same rule.
  Config c = parse_config(counter_config("run: {samples: 268435455}\n", full, 16), kFile);
  c.run.samples = 4294967295;
  try {
    validate(c, kFile);
    ADD_FAILURE() << "samples 4294967295 passed";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cfg.yaml: run.samples: value '4294967295': must be an integer in [1, "
                                          "268435455]: each sample reads",
                                          0),
              0u)
        << e.what();
  }
}

TEST(Config, SampleIndicesFitTheirCounterWord) {
  EXPECT_NO_THROW(parse_config("run: {samples: 4294967295, pilot_samples: 4294967295}\n" + kWorkload, kFile));
  EXPECT_TRUE(has_error("run: {samples: 4294967296}\n" + kWorkload, 1, "run.samples", "4294967296",
                        "must be an integer in [1, 4294967295]"));
  EXPECT_TRUE(has_error("run: {pilot_samples: 4294967296}\n" + kWorkload, 1, "run.pilot_samples", "4294967296",
                        "must be an integer in [1, 4294967295]"));
}

TEST(Config, ReadNoiseDrawsFitTheRandomSlotsOfASample) {
  // 8 cycles x 65536 row groups (rows_active 1) x ceil(cols / 4) blocks of
  // noise per sample, at most 2^32: cols <= 32768.
  const std::string noise = "  noise: {read_sigma_us: 0.01}\n";
  auto macro = [](int cols, const std::string& extra) {
    return "  rows_active: 1\n  cols: " + std::to_string(cols) + "\n" + extra;
  };
  EXPECT_NO_THROW(parse_config(counter_config("", macro(32768, noise), 8), kFile));
  EXPECT_TRUE(has_error(counter_config("", macro(32769, noise), 8), 3, "macro.rows_active", "1",
                        "must be at least 2 with read or ADC noise: 8 input cycles x 65536 row groups x 8193 blocks "
                        "of 4 of the 32769 physical columns = 4295491584 noise draws per sample, more than the 2^32 "
                        "random-number slots of a sample"));
  // ADC noise is drawn in the same slots; without noise nothing is drawn.
  EXPECT_TRUE(has_error(counter_config("", macro(32769, "  adc: {noise_lsb: 0.5}\n"), 8), 3, "macro.rows_active",
                        "1", "must be at least 2 with read or ADC noise"));
  EXPECT_NO_THROW(parse_config(counter_config("", macro(65536, ""), 8), kFile));
  // The bound is the tile's: fewer columns used fit again, and rows_active 2
  // on all 65536 columns takes 8 x 32768 x 16384 = 2^32 slots, exactly all.
  EXPECT_NO_THROW(parse_config(counter_config("", macro(32769, noise), 8) + "  tile: {cols_used: 32768}\n", kFile));
  EXPECT_NO_THROW(parse_config(counter_config("", "  rows_active: 2\n  cols: 65536\n" + noise, 8), kFile));
}

TEST(Config, StuckProbabilitiesSumToAtMostOne) {
  EXPECT_TRUE(has_error("macro:\n  noise:\n    stuck_off: 0.7\n    stuck_on: 0.4\n" + kWorkload, 4,
                        "macro.noise.stuck_on", "0.4", "stuck_off + stuck_on must be <= 1"));
}

TEST(Config, GOffBelowGOn) {
  EXPECT_TRUE(has_error("macro:\n  g_on_us: 5\n  g_off_us: 5\n" + kWorkload, 3, "macro.g_off_us", "5",
                        "must be at most macro.g_on_us / 1.01 (g_on_us is 5)"));
}

TEST(Config, AdcMaxPresentIffRangeIsMax) {
  EXPECT_TRUE(has_error("macro:\n  adc:\n    range: max\n" + kWorkload, 2, "macro.adc.max", "<missing>",
                        "is required when macro.adc.range is max"));
  EXPECT_TRUE(has_error("macro:\n  adc:\n    range: calibrated\n    max: 40\n" + kWorkload, 4, "macro.adc.max",
                        "40", "is only allowed when macro.adc.range is max (it is calibrated)"));
}

TEST(Config, AdcSliceOptionsNeedCalibratedAndIdealHasNoNoise) {
  EXPECT_TRUE(has_error("macro:\n  adc:\n    range: full\n    per_slice: true\n" + kWorkload, 4,
                        "macro.adc.per_slice", "true", "is only allowed when macro.adc.range is calibrated (it is full)"));
  EXPECT_TRUE(has_error("macro:\n  adc:\n    range: ideal\n    round_pow2: true\n" + kWorkload, 4,
                        "macro.adc.round_pow2", "true", "is only allowed when macro.adc.range is calibrated (it is ideal)"));
  EXPECT_TRUE(has_error("macro:\n  adc:\n    range: ideal\n    noise_lsb: 0.5\n" + kWorkload, 4,
                        "macro.adc.noise_lsb", "0.5", "must be 0 when macro.adc.range is ideal"));
  const Config c =
      parse_config("macro:\n  adc: {range: calibrated, per_slice: true, round_pow2: true}\n" + kWorkload, kFile);
  EXPECT_TRUE(c.macro.adc.per_slice);
  EXPECT_TRUE(c.macro.adc.round_pow2);
  EXPECT_EQ(parse_config("macro:\n  adc: {range: ideal}\n" + kWorkload, kFile).macro.adc.range, AdcRange::ideal);
}

TEST(Config, UniformHighAtLeastLow) {
  const std::string yaml = R"(workload:
  inputs:
    bits: 8
    distribution: {kind: uniform, low: 2, high: 1}
)";
  EXPECT_TRUE(has_error(yaml + kWorkload.substr(kWorkload.find("  weights:")), 4,
                        "workload.inputs.distribution.high", "1", "must be >= low (2)"));
}

TEST(Config, ValidateRechecksOverriddenValuesWithoutLines) {
  Config c = parse_config(kWorkload, kFile);
  EXPECT_NO_THROW(validate(c, kFile));
  c.run.samples = 0;
  try {
    validate(c, kFile);
    ADD_FAILURE() << "samples 0 passed";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "cfg.yaml: run.samples: value '0': must be an integer in [1, 4294967295]");
  }
  c.run.samples = 10;
  c.tile.rows_used = 1000;
  EXPECT_THROW(validate(c, kFile), ConfigError);
}

// ---- histograms

TEST(Config, InlineHistogramBins) {
  const std::string head = "workload:\n  inputs:\n    bits: 8\n    distribution:\n      kind: histogram\n";
  const std::string rest = kWorkload.substr(kWorkload.find("  weights:"));
  const Config c = parse_config(head + "      bins: [0.25, 0.5, 0.25]\n" + rest, kFile);
  EXPECT_EQ(c.tile.inputs.dist.kind, DistKind::histogram);
  EXPECT_EQ(c.tile.inputs.dist.bins, (std::vector<double>{0.25, 0.5, 0.25}));
  EXPECT_TRUE(has_error(head + "      bins: [0.25, 0.5, 0.25, 0]\n" + rest, 6, "workload.inputs.distribution.bins",
                        "[0.25, 0.5, 0.25, 0]", "must be a list of 2^N-1 bins with N >= 2"));
  EXPECT_TRUE(has_error(head + "      bins:\n        - 0.5\n        - -0.1\n        - 0.5\n" + rest, 8,
                        "workload.inputs.distribution.bins[1]", "-0.1", "must be a number in [0, 1e+15]"));
  EXPECT_TRUE(has_error(head + "      bins: [0, 0, 0]\n" + rest, 6, "workload.inputs.distribution.bins", "[0, 0, 0]",
                        "positive sum"));
  EXPECT_TRUE(has_error(head + "      bins: [1, 1, 1]\n      tensor: Inputs\n" + rest, 7,
                        "workload.inputs.distribution.tensor", "Inputs", "is only allowed with file"));
}

std::string cimloop_yaml(const std::string& file, const std::string& tensor_line) {
  return "workload:\n  inputs:\n    bits: 8\n    distribution: {kind: relu_normal, std: 1}\n"
         "  weights:\n    bits: 8\n    signed: true\n    distribution:\n      kind: histogram\n"
         "      file: " + file + "\n" + tensor_line;
}

// Relative data paths resolve against the config file's directory.
const std::string kConfigInConfigs = std::string(CIMMC_SOURCE_DIR) + "/configs/test.yaml";

TEST(Config, CimloopHistogramImport) {
  const Config c = parse_config(cimloop_yaml("../data/cimloop_workloads/resnet18/00.yaml", "      tensor: Weights\n"),
                                kConfigInConfigs);
  const auto& bins = c.tile.weights.dist.bins;
  ASSERT_EQ(bins.size(), 31u);
  EXPECT_DOUBLE_EQ(bins[15], 0.291);
  EXPECT_DOUBLE_EQ(bins[0], 0.0026);
  EXPECT_DOUBLE_EQ(bins[30], 0.00141);
}

TEST(Config, EveryResnet18LayerImports) {
  const std::filesystem::path dir = std::filesystem::path(CIMMC_SOURCE_DIR) / "data/cimloop_workloads/resnet18";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    for (const char* tensor : {"Inputs", "Weights", "Outputs"}) {
      const Config c = parse_config(cimloop_yaml(entry.path().string(), std::string("      tensor: ") + tensor + "\n"),
                                    kFile);
      const std::size_t n = c.tile.weights.dist.bins.size();
      EXPECT_TRUE(n == 31 || n == 63) << entry.path() << " " << tensor << ": " << n;
    }
    ++files;
  }
  EXPECT_EQ(files, 21);
}

TEST(Config, CimloopImportErrors) {
  const std::string missing = error_of(cimloop_yaml("no/such/layer.yaml", "      tensor: Weights\n"));
  EXPECT_EQ(missing.rfind("cfg.yaml:10: workload.weights.distribution.file: value 'no/such/layer.yaml': cannot open "
                          "no/such/layer.yaml",
                          0),
            0u)
      << missing;
  EXPECT_TRUE(has_error(cimloop_yaml("x.yaml", ""), 8, "workload.weights.distribution.tensor", "<missing>",
                        "is required with file"));
  EXPECT_TRUE(has_error(cimloop_yaml("x.yaml", "      tensor: weights\n"), 11, "workload.weights.distribution.tensor",
                        "weights", "must be one of: Inputs, Weights, Outputs"));
}

// ---- files

TEST(Config, LoadConfigReadsTheFile) {
  const auto path = std::filesystem::temp_directory_path() / "cimmc_test_config.yaml";
  {
    std::ofstream out(path);
    out << "name: from-file\n" << kWorkload;
  }
  const Config c = load_config(path.string());
  EXPECT_EQ(c.name, "from-file");
  EXPECT_EQ(c.source_path, path.string());
  EXPECT_EQ(c.source_text, "name: from-file\n" + kWorkload);
  std::filesystem::remove(path);
}

TEST(Config, UnreadableFileIsAConfigError) {
  try {
    load_config("/nonexistent/cimmc.yaml");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/nonexistent/cimmc.yaml: cannot open config file", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace cimmc

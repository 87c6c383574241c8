// Sweep expansion (src/config/sweep.hpp): grid order, zip groups, explicit
// points, created key paths, and errors that point at the sweep section.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "config_test_util.hpp"
#include "config/sweep.hpp"

namespace cimmc {
namespace {

const std::string kFile = "cfg.yaml";

// A valid base config of 16 lines; a sweep section appended to it starts on
// line 17 (`sweep:`), so its first entry is on line 19.
const std::string kBase = R"(name: sweep-test
macro:
  rows: 128
  cols: 128
  bits_per_cell: 2
  weight_encoding: differential
  adc:
    bits: 6
)" + test::kValidWorkload;

std::string error_of(const std::string& yaml) {
  return test::config_error([&] { parse_sweep(yaml, kFile); });
}

::testing::AssertionResult has_error(const std::string& yaml, int line, const std::string& key,
                                     const std::string& value, const std::string& rule) {
  return test::is_config_error(error_of(yaml), kFile, line, key, value, rule);
}

using Params = std::vector<std::pair<std::string, std::string>>;

TEST(Sweep, CartesianCountAndOrderLastKeyFastest) {
  const Sweep sw = parse_sweep(kBase + R"(sweep:
  cartesian:
    macro.adc.bits: [4, 5, 6, 7, 8]
    macro.rows: [64, 128, 256]
)", kFile);
  ASSERT_EQ(sw.points.size(), 15u);
  EXPECT_EQ(sw.keys, (std::vector<std::string>{"macro.adc.bits", "macro.rows"}));
  const int bits[] = {4, 5, 6, 7, 8}, rows[] = {64, 128, 256};
  for (std::size_t i = 0; i < 15; ++i) {
    EXPECT_EQ(sw.points[i].index, i);
    EXPECT_EQ(sw.points[i].config.macro.adc.bits, bits[i / 3]) << i;
    EXPECT_EQ(sw.points[i].config.macro.rows, rows[i % 3]) << i;
    EXPECT_EQ(sw.points[i].config.macro.cols, 128) << i;  // unswept values stay as written
  }
  EXPECT_EQ(sw.points[4].params, (Params{{"macro.adc.bits", "5"}, {"macro.rows", "128"}}));
}

TEST(Sweep, ZipGroupMovesTogether) {
  const Sweep sw = parse_sweep(kBase + R"(sweep:
  zip:
    - {macro.bits_per_cell: [1, 2, 4], macro.weight_encoding: [differential, offset, twos_complement]}
)", kFile);
  ASSERT_EQ(sw.points.size(), 3u);
  EXPECT_EQ(sw.points[0].config.macro.bits_per_cell, 1);
  EXPECT_EQ(sw.points[0].config.macro.weight_encoding, WeightEncoding::differential);
  EXPECT_EQ(sw.points[1].config.macro.bits_per_cell, 2);
  EXPECT_EQ(sw.points[1].config.macro.weight_encoding, WeightEncoding::offset);
  EXPECT_EQ(sw.points[2].config.macro.bits_per_cell, 4);
  EXPECT_EQ(sw.points[2].config.macro.weight_encoding, WeightEncoding::twos_complement);
  EXPECT_EQ(sw.points[2].params, (Params{{"macro.bits_per_cell", "4"}, {"macro.weight_encoding", "twos_complement"}}));
}

TEST(Sweep, CartesianTimesZipGroupsAfterTheCartesianKeys) {
  const Sweep sw = parse_sweep(kBase + R"(sweep:
  zip:
    - {macro.bits_per_cell: [1, 2, 4], macro.weight_encoding: [differential, offset, twos_complement]}
    - {run.seed: [1, 2], run.samples: [100, 200]}
  cartesian:
    macro.adc.bits: [4, 8]
)", kFile);
  ASSERT_EQ(sw.points.size(), 12u);  // 2 x 3 x 2
  // Cartesian keys come first even when written after `zip`; the last zip group varies fastest.
  EXPECT_EQ(sw.keys, (std::vector<std::string>{"macro.adc.bits", "macro.bits_per_cell", "macro.weight_encoding",
                                               "run.seed", "run.samples"}));
  const Config& c = sw.points[7].config;  // adc 8, group 0 step 0, group 1 step 1
  EXPECT_EQ(c.macro.adc.bits, 8);
  EXPECT_EQ(c.macro.bits_per_cell, 1);
  EXPECT_EQ(c.macro.weight_encoding, WeightEncoding::differential);
  EXPECT_EQ(c.run.seed, 2u);
  EXPECT_EQ(c.run.samples, 200u);
  EXPECT_EQ(sw.points[3].config.macro.bits_per_cell, 2);
  EXPECT_EQ(sw.points[3].config.run.samples, 200u);
}

TEST(Sweep, ExplicitPointsAreAppendedAfterTheGrid) {
  const Sweep sw = parse_sweep(kBase + R"(sweep:
  cartesian:
    macro.adc.bits: [4, 5]
  points:
    - {macro.adc.bits: 10, macro.rows: 512}
    - {macro.dac_bits: 2}
    - {}
)", kFile);
  ASSERT_EQ(sw.points.size(), 5u);
  EXPECT_EQ(sw.keys, (std::vector<std::string>{"macro.adc.bits", "macro.rows", "macro.dac_bits"}));
  EXPECT_EQ(sw.points[2].config.macro.adc.bits, 10);
  EXPECT_EQ(sw.points[2].config.macro.rows, 512);
  EXPECT_EQ(sw.points[3].config.macro.dac_bits, 2);
  EXPECT_EQ(sw.points[3].config.macro.adc.bits, 6);  // a point sets only its own keys
  EXPECT_EQ(sw.points[3].params, (Params{{"macro.dac_bits", "2"}}));
  EXPECT_TRUE(sw.points[4].params.empty());  // `{}`: the base config
  // Points alone: exactly those points, not the base as well.
  const Sweep only = parse_sweep(kBase + "sweep:\n  points:\n    - {macro.rows: 64}\n    - {macro.rows: 32}\n", kFile);
  ASSERT_EQ(only.points.size(), 2u);
  EXPECT_EQ(only.points[1].config.macro.rows, 32);
}

TEST(Sweep, NoSweepIsOnePointWithoutParams) {
  for (const std::string& tail : {std::string(), std::string("sweep:\n"), std::string("sweep: {}\n"),
                                  std::string("sweep:\n  cartesian: {}\n  points: []\n")}) {
    const Sweep sw = parse_sweep(kBase + tail, kFile);
    ASSERT_EQ(sw.points.size(), 1u) << tail;
    EXPECT_TRUE(sw.keys.empty());
    EXPECT_TRUE(sw.points[0].params.empty());
    EXPECT_EQ(sw.points[0].config.macro.adc.bits, 6);
    EXPECT_EQ(sw.points[0].config.source_text, kBase + tail);
    EXPECT_EQ(sw.source_text, kBase + tail);
    EXPECT_EQ(sw.path, kFile);
  }
}

TEST(Sweep, ParamsKeepTheTextAsWrittenAndConfigsKeepTheWholeFile) {
  const std::string yaml = kBase + R"(sweep:
  cartesian:
    macro.g_on_us: [10.50, 2e1]
    workload.weights.distribution: [{kind: laplace, b: 0.25}, {kind: uniform, low: -1, high: 1}]
)";
  const Sweep sw = parse_sweep(yaml, kFile);
  ASSERT_EQ(sw.points.size(), 4u);
  EXPECT_EQ(sw.points[0].params, (Params{{"macro.g_on_us", "10.50"},
                                         {"workload.weights.distribution", "{kind: laplace, b: 0.25}"}}));
  EXPECT_EQ(sw.points[3].params[0].second, "2e1");
  EXPECT_DOUBLE_EQ(sw.points[3].config.macro.g_on_us, 20.0);
  EXPECT_EQ(sw.points[0].config.tile.weights.dist.kind, DistKind::laplace);
  EXPECT_DOUBLE_EQ(sw.points[0].config.tile.weights.dist.b, 0.25);
  EXPECT_EQ(sw.points[1].config.tile.weights.dist.kind, DistKind::uniform);
  EXPECT_DOUBLE_EQ(sw.points[1].config.tile.weights.dist.low, -1.0);
  for (const SweepPoint& p : sw.points) {
    EXPECT_EQ(p.config.source_text, yaml);  // provenance: the original file, sweep included
    EXPECT_EQ(p.config.source_path, kFile);
  }
}

TEST(Sweep, KeyPathsCreateMissingSections) {
  const Sweep sw = parse_sweep(kBase + R"(sweep:
  cartesian:
    macro.noise.read_sigma_us: [0.0, 0.1]
    energy.adc.e0_pj: [0.5]
)", kFile);
  ASSERT_EQ(sw.points.size(), 2u);
  EXPECT_DOUBLE_EQ(sw.points[1].config.macro.noise.read_sigma_us, 0.1);
  EXPECT_DOUBLE_EQ(*sw.points[1].config.energy.adc.e0_pj, 0.5);
  EXPECT_EQ(sw.points[1].config.macro.adc.bits, 6);  // siblings of the created keys survive
  // A section written with no content (`noise:`) is replaced by a mapping too.
  const Sweep empty = parse_sweep("macro:\n  noise:\n" + kBase.substr(kBase.find("workload:")) +
                                      "sweep:\n  points: [{macro.noise.stuck_on: 0.01}]\n", kFile);
  EXPECT_DOUBLE_EQ(empty.points.at(0).config.macro.noise.stuck_on, 0.01);
}

TEST(Sweep, QuotedValuesStayStrings) {
  // '64' is a string, so the point fails like `rows: '64'` in a plain config.
  EXPECT_TRUE(has_error(kBase + "sweep:\n  cartesian:\n    macro.rows: [64, '64']\n", 19,
                        "sweep.cartesian.macro.rows[1]", "64", "must be an integer (sweep point 1)"));
}

TEST(Sweep, StructuralErrorsNameLineKeyAndRule) {
  const std::string s = kBase + "sweep:\n";
  EXPECT_TRUE(has_error(s + "  cartesian:\n    macro.rows: [64]\n    macro.adc.bits: 5\n", 20,
                        "sweep.cartesian.macro.adc.bits", "5", "must be a list of values"));
  EXPECT_TRUE(has_error(s + "  cartesian:\n    macro.adc.bits: []\n", 19, "sweep.cartesian.macro.adc.bits", "[]",
                        "must be a non-empty list of values"));
  EXPECT_TRUE(has_error(s + "  zip:\n    - macro.bits_per_cell: [1, 2, 4]\n      macro.weight_encoding: [offset, "
                            "differential]\n",
                        20, "sweep.zip[0]", "<mapping>", "lists must have equal lengths (3 vs 2"));
  EXPECT_TRUE(has_error(s + "  grid:\n    macro.rows: [64]\n", 18, "sweep.grid", "<mapping>",
                        "unknown key (allowed: cartesian, zip, points)"));
  EXPECT_TRUE(has_error(kBase + "sweep: [1, 2]\n", 17, "sweep", "[1, 2]", "must be a mapping"));
  EXPECT_TRUE(has_error(s + "  zip: {macro.rows: [64]}\n", 18, "sweep.zip", "<mapping>", "must be a list of groups"));
  EXPECT_TRUE(has_error(s + "  points:\n    - 5\n", 19, "sweep.points[0]", "5", "must be a mapping"));
}

TEST(Sweep, PathsIntoListsAndScalarsAreRejected) {
  const std::string s = kBase + "sweep:\n  cartesian:\n";
  EXPECT_TRUE(has_error(s + "    workload.layers[0].bits: [4]\n", 19, "sweep.cartesian.workload.layers[0].bits",
                        "[4]", "key paths into lists are not supported"));
  const std::string hist = "workload:\n  inputs:\n    distribution: {kind: histogram, bins: [1, 2, 1]}\n"
                           "  weights:\n    distribution: {kind: normal, std: 1}\nmacro: {weight_encoding: unsigned}\n";
  EXPECT_TRUE(has_error(hist + "sweep:\n  points:\n    - {workload.inputs.distribution.bins.first: 1}\n", 9,
                        "sweep.points[0].workload.inputs.distribution.bins.first", "1",
                        "key path goes into the list workload.inputs.distribution.bins"));
  EXPECT_TRUE(has_error(s + "    macro.rows.max: [4]\n", 19, "sweep.cartesian.macro.rows.max", "[4]",
                        "goes below macro.rows, which is not a mapping"));
  EXPECT_TRUE(has_error(s + "    macro..rows: [4]\n", 19, "sweep.cartesian.macro..rows", "[4]", "dotted key path"));
}

TEST(Sweep, KeySweptTwiceIsAnError) {
  EXPECT_TRUE(has_error(kBase + "sweep:\n  cartesian:\n    macro.rows: [64]\n  zip:\n    - {macro.rows: [32, 64]}\n",
                        21, "sweep.zip[0].macro.rows", "[32, 64]",
                        "key path swept twice (also at sweep.cartesian.macro.rows)"));
  EXPECT_TRUE(has_error(kBase + "sweep:\n  cartesian:\n    macro.adc: [{bits: 4}]\n    macro.adc.bits: [5]\n", 20,
                        "sweep.cartesian.macro.adc.bits", "[5]", "overlaps the swept key path macro.adc"));
  EXPECT_TRUE(has_error(kBase + "sweep:\n  cartesian:\n    macro.rows: [64]\n    macro.rows: [32]\n", 20,
                        "sweep.cartesian.macro.rows", "[32]", "duplicate key"));
  EXPECT_TRUE(has_error(kBase + "sweep:\n  points:\n    - {macro.adc: {bits: 4}, macro.adc.bits: 5}\n", 19,
                        "sweep.points[0].macro.adc.bits", "5", "overlaps the key path macro.adc"));
}

TEST(Sweep, FailingPointIsReportedAtItsSweepValue) {
  const std::string yaml = kBase + R"(sweep:
  cartesian:
    macro.adc.bits: [4, 5, 6, 7,
                     40]
    macro.rows: [64, 128, 256]
)";
  // Point 12 is the first with bits 40; the value is on line 20.
  EXPECT_EQ(error_of(yaml),
            "cfg.yaml:20: sweep.cartesian.macro.adc.bits[4]: value '40': must be an integer in [1, 16] (sweep point 12)");
  // A key written in a swept mapping is reported inside the sweep entry.
  EXPECT_TRUE(has_error(kBase + "sweep:\n  points:\n    - workload.weights.distribution:\n        kind: normal\n"
                                "        std: -1\n",
                        21, "sweep.points[0].workload.weights.distribution.std", "-1",
                        "must be a number in [1e-15, 1e+15] (sweep point 0)"));
}

// Swept values meet the physical ranges (issue 10: a swept supply of 1e300 V
// gave inf energies), reported at the sweep value with the point.
TEST(Sweep, SweptValuesMeetPhysicalRanges) {
  EXPECT_EQ(error_of(kBase + "sweep:\n  cartesian:\n    energy.vdd_v: [0.9, 1e300]\n"),
            "cfg.yaml:19: sweep.cartesian.energy.vdd_v[1]: value '1e300': must be a number in [0.01, 100] (sweep point 1)");
  EXPECT_EQ(error_of(kBase + "sweep:\n  points:\n    - {architecture.global_buffer.bandwidth_bits_per_cycle: 1e-300}\n"),
            "cfg.yaml:19: sweep.points[0].architecture.global_buffer.bandwidth_bits_per_cycle: value '1e-300': "
            "must be 0 or a number in [0.001, 1e+12] (sweep point 0)");
  // A cross-key rule broken by a swept g_on_us names the point at the base key's line.
  const std::string noisy = kBase;
  EXPECT_TRUE(test::is_config_error(
      error_of(std::string(noisy).replace(noisy.find("  adc:"), 0, "  noise: {read_sigma_us: 50}\n") +
               "sweep:\n  cartesian:\n    macro.g_on_us: [10, 2]\n"),
      "cfg.yaml", 7, "sweep point 1 (macro.g_on_us=2): macro.noise.read_sigma_us", "50",
      "must be at most 10 x macro.g_on_us = 20"));
}

TEST(Sweep, FailingBaseKeyNamesThePointAndTheBaseLine) {
  const std::string yaml = kBase + "  tile: {rows_used: 128}\nsweep:\n  cartesian:\n    macro.rows: [256, 64]\n";
  // rows_used (line 17) is not swept; the point is named with its params.
  EXPECT_EQ(error_of(yaml), "cfg.yaml:17: sweep point 1 (macro.rows=64): workload.tile.rows_used: value '128': "
                            "must be an integer in [0, 64] (at most macro.rows)");
}

// Limits that depend on several keys hold for every point: read noise on a
// 65536-row macro summing one row per conversion allows at most 32768 columns
// of 1-bit weights (8 cycles x 65536 row groups x ceil(cols / 4) <= 2^32).
TEST(Sweep, MultiKeyLimitsAreCheckedPerPoint) {
  const std::string base = R"(macro:
  rows: 65536
  rows_active: 1
  cols: 32768
  bits_per_cell: 1
  weight_encoding: unsigned
  noise: {read_sigma_us: 0.01}
workload:
  inputs:
    bits: 8
    distribution: {kind: uniform, low: 0, high: 1}
  weights:
    bits: 1
    distribution: {kind: uniform, low: 0, high: 1}
sweep:
  cartesian:
)";
  EXPECT_EQ(parse_sweep(base + "    macro.cols: [4, 32768]\n", kFile).points.size(), 2u);
  EXPECT_EQ(error_of(base + "    macro.cols: [32768, 32769]\n"),
            "cfg.yaml:3: sweep point 1 (macro.cols=32769): macro.rows_active: value '1': must be at least 2 with read "
            "or ADC noise: 8 input cycles x 65536 row groups x 8193 blocks of 4 of the 32769 physical columns = "
            "4295491584 noise draws per sample, more than the 2^32 random-number slots of a sample");
  EXPECT_TRUE(has_error(base + "    macro.cols: [32769]\n    macro.rows_active: [2, 1]\n", 18,
                        "sweep.cartesian.macro.rows_active[1]", "1",
                        "must be at least 2 with read or ADC noise: 8 input cycles x 65536 row groups"));
}

TEST(Sweep, CimloopFilesResolveAgainstTheOriginalFile) {
  const std::string path = std::string(CIMMC_SOURCE_DIR) + "/configs/quickstart.yaml";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  ASSERT_FALSE(text.str().empty());
  const std::string yaml = text.str() + "sweep:\n  cartesian:\n    macro.adc.bits: [4, 6]\n";
  const Sweep sw = parse_sweep(yaml, path);
  ASSERT_EQ(sw.points.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const Config& c = sw.points[i].config;
    EXPECT_EQ(c.macro.adc.bits, i == 0 ? 4 : 6);
    EXPECT_EQ(c.tile.inputs.dist.kind, DistKind::histogram);
    EXPECT_GE(c.tile.inputs.dist.bins.size(), 3u);
    EXPECT_GE(c.tile.weights.dist.bins.size(), 3u);
    EXPECT_EQ(c.source_path, path);
    EXPECT_EQ(c.source_text, yaml);
  }
  EXPECT_EQ(load_sweep(path).points.size(), 1u);  // the file itself has no sweep
}

TEST(Sweep, SizeMatchesTheExpansion) {
  for (const std::string& tail :
       {std::string(), std::string("sweep:\n  cartesian: {macro.adc.bits: [4, 5, 6], macro.rows: [64, 128]}\n"),
        std::string("sweep:\n  zip: [{run.seed: [1, 2, 3], run.samples: [10, 20, 30]}]\n  points: [{run.seed: 9}]\n"),
        std::string("sweep:\n  points: [{run.seed: 9}, {run.seed: 8}]\n")}) {
    EXPECT_EQ(sweep_size(kBase + tail, kFile), parse_sweep(kBase + tail, kFile).points.size()) << tail;
  }
  // Counting a million points does not build them.
  std::string big = kBase + "sweep:\n  cartesian:\n";
  for (const char* key : {"energy.adc.e0_pj", "energy.adc.e1_pj", "energy.adc.e2_pj", "energy.dac.e0_pj",
                          "energy.dac.e1_pj", "energy.dac.e2_pj"})
    big += std::string("    ") + key + ": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n";
  EXPECT_EQ(sweep_size(big, kFile), 1000000u);
  // Structural errors are found without expanding too.
  EXPECT_THROW(sweep_size(kBase + "sweep:\n  cartesian: {macro.rows: 64}\n", kFile), ConfigError);
}

TEST(Sweep, ThousandPointsExpandInOrder) {
  const Sweep sw = parse_sweep(kBase + R"(sweep:
  cartesian:
    macro.adc.bits: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    run.seed: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    macro.g_on_us: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
)", kFile);
  ASSERT_EQ(sw.points.size(), 1000u);
  const Config& c = sw.points[987].config;
  EXPECT_EQ(c.macro.adc.bits, 10);
  EXPECT_EQ(c.run.seed, 8u);
  EXPECT_DOUBLE_EQ(c.macro.g_on_us, 8.0);
}

// A typo inside a swept key path makes a key the base file does not have: the
// error points at the sweep line that made it (it pointed at the base file's
// `macro:` line).
TEST(Sweep, TypoInsideASweptKeyPathPointsAtTheSweepLine) {
  const std::string e = error_of(kBase + "sweep:\n  cartesian:\n    macro.adcc.bits: [4, 5]\n");
  EXPECT_EQ(e.rfind(std::string(kFile) + ":19: sweep point 0 (macro.adcc.bits=4): macro.adcc: value '<mapping>': "
                                          "unknown key",
                    0),
            0u)
      << e;
}

// A point that creates `workload` in a file without one leaves its required
// keys unset: the error points at the sweep line (it had no line at all).
TEST(Sweep, KeyMissingUnderASweptMappingPointsAtTheSweepLine) {
  const std::string e = error_of("name: t\nmacro: {rows: 64, cols: 64}\nsweep:\n  points:\n"
                                 "    - {workload.tile.rows_used: 8}\n");
  EXPECT_EQ(e.rfind(std::string(kFile) + ":5: sweep point 0 (workload.tile.rows_used=8): workload.inputs: value "
                                          "'<missing>': is required",
                    0),
            0u)
      << e;
}

// A sweep file without the required top-level `workload`, which no point
// sets: line 1, where the document's mapping starts, as without a sweep (it
// had no line).
TEST(Sweep, MissingTopLevelKeyPointsAtLineOne) {
  const std::string e = error_of("name: t\nmacro: {rows: 64, cols: 64}\nsweep:\n  cartesian:\n"
                                 "    macro.adc.bits: [4, 5]\n");
  EXPECT_EQ(e.rfind(std::string(kFile) + ":1: sweep point 0 (macro.adc.bits=4): workload: value '<missing>': "
                                          "is required",
                    0),
            0u)
      << e;
}

}  // namespace
}  // namespace cimmc

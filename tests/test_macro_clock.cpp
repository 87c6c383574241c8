// macro.clock_ns (arch/timing.cpp, config resolve_macro_clock): a clocked
// macro's MVM latency is cycles x row groups x steps x its period, and
// `derived` is the critical path of physical/area_clock.hpp, here added up by
// hand from ZigZag-IMC's 28 nm gate delays (NAND2 0.0478 ns, XOR2 2.4x; full
// adder in-to-sum 2 XOR2, in-to-carry XOR2 + 2 NAND2, carry 2 NAND2; ADC
// B (0.00653 D2 + 0.640) ns).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/sweep.hpp"
#include "pricing/pricing.hpp"
#include "study/runner.hpp"
#include "test_util.hpp"

using namespace cimmc;
using cimmc::test::run_cpu;

namespace {

constexpr double kNand = 0.0478, kXor = 2.4 * kNand;
constexpr double kInToSum = 2 * kXor, kInToCarry = kXor + 2 * kNand, kCarry = 2 * kNand;

// 4-row digital macro, 8-bit inputs bit-serial (8 cycles, one row group).
std::string digital(const std::string& clock, int rows_used = 4) {
  return R"(name: clock
run: {samples: 64, seed: 1, inputs_per_instance: 16}
macro: {kind: digital, rows: 4, cols: 16, weight_encoding: twos_complement, input_encoding: unsigned)" + clock + R"(}
workload:
  tile: {rows_used: )" + std::to_string(rows_used) + R"(, cols_used: 2}
  inputs: {bits: 8, signed: false, distribution: {kind: uniform, low: 0, high: 1}}
  weights: {bits: 8, signed: true, distribution: {kind: uniform, low: -1, high: 1}}
)";
}

double run_latency_ns(const Config& c) {
  const JobResult r = run_cpu(c);
  return price(r, make_energy_tables(c, r)).latency_ns;
}

}  // namespace

TEST(MacroClock, DigitalLatencyIsCyclesTimesTheDerivedPeriod) {
  const Config c = parse_config(digital(", clock_ns: derived"), "clock.yaml");
  // NOR multiply; a 4-input 1-bit tree (S = 2): one in-to-sum, in-to-carry,
  // one carry; accumulator of 8 + 3 + 0 + 1 = 12 bits after a 3-bit tree
  // output: in-to-carry and 8 carries.
  const double period = kNand + (kInToSum + kInToCarry + kCarry) + (kInToCarry + 8 * kCarry);
  EXPECT_NEAR(period, 1.55828, 1e-12);
  ASSERT_TRUE(c.macro.clock_ns.has_value());
  EXPECT_NEAR(*c.macro.clock_ns, period, 1e-12);
  EXPECT_NEAR(run_latency_ns(c), 8 * period, 1e-12);
  // A written period is used as written.
  EXPECT_NEAR(run_latency_ns(parse_config(digital(", clock_ns: 2.5"), "clock.yaml")), 8 * 2.5, 1e-12);
  // Unset: self-timed, the same path over the rows the tile sums. All 4
  // rows: the derived period; a tile of 2 rows: a one-stage tree (in-to-carry
  // only), the same multiplier and the physical macro's accumulator.
  const Config plain = parse_config(digital(""), "clock.yaml");
  EXPECT_FALSE(plain.macro.clock_ns.has_value());
  EXPECT_NEAR(run_latency_ns(plain), 8 * period, 1e-12);
  const double two_rows = kNand + kInToCarry + (kInToCarry + 8 * kCarry);
  EXPECT_NEAR(run_latency_ns(parse_config(digital("", 2), "clock.yaml")), 8 * two_rows, 1e-12);
}

// The self-timed step of the wider paths: per-weight trees of 8-bit leaves
// (two's complement weights), and radix-4 Booth digits (10-bit leaves, a
// Booth encoder and selector in place of the NOR, 5 cycles of 8-bit unsigned
// inputs), and two 1-bit trees per cycle joined by a place-value adder.
TEST(MacroClock, SelfTimedDigitalStepsByHand) {
  // Tree over 4 rows of 8-bit leaves: in-to-sum, in-to-carry, 8 carries; accumulator as above.
  const double acc = kInToCarry + 8 * kCarry;
  const double per_weight = kNand + (kInToSum + kInToCarry + 8 * kCarry) + acc;
  EXPECT_NEAR(run_latency_ns(parse_config(digital(", adder_tree: per_weight"), "clock.yaml")), 8 * per_weight, 1e-12);
  // Booth: encoder + selector = 2 XOR2 + 3 NAND2 (ZigZag-IMC gates), 10-bit leaves.
  const double booth = (2 * kXor + 3 * kNand) + (kInToSum + kInToCarry + 10 * kCarry) + acc;
  EXPECT_NEAR(run_latency_ns(parse_config(digital(", adder_tree: per_weight, cycle_bits: booth, dac_bits: 2"), "clock.yaml")),
              5 * booth, 1e-12);
  // Two input bits per cycle (4 cycles): two 1-bit trees (S = 2, 3-bit
  // outputs) and a 2-input place-value adder of 3-bit inputs: in-to-carry and
  // 2 carries; the accumulator's carry starts past the 8 input bits as before.
  const double two_trees = kNand + (kInToSum + kInToCarry + kCarry) + (kInToCarry + 2 * kCarry) + acc;
  EXPECT_NEAR(run_latency_ns(parse_config(digital(", dac_bits: 2"), "clock.yaml")), 4 * two_trees, 1e-12);
}

// Analog, through a study: 64 ReRAM rows, 6-bit ADCs, 4 of them shared by the
// columns; a linear layer of K = 64, N = 4 with 4-bit offset weights on 2-bit
// cells (2 columns each: 8 columns, 2 conversion steps) and 4-bit inputs
// (4 cycles), 3 tokens = 3 MVMs on one macro.
TEST(MacroClock, AnalogStudyComputeTimeIsStepsTimesTheDerivedPeriod) {
  const std::string yaml = R"(name: clock
run: {samples: 64, seed: 1}
macro: {rows: 64, cols: 64, bits_per_cell: 2, weight_encoding: offset, adc: {bits: 6, count: 4}, clock_ns: derived}
workload:
  defaults:
    inputs: {bits: 4, distribution: {kind: uniform, low: 0, high: 1}}
    weights: {bits: 4, signed: true, distribution: {kind: uniform, low: -1, high: 1}}
  layers:
    - {name: fc, type: linear, in_features: 64, out_features: 4, tokens: 3}
architecture: {macros: 1}
)";
  // ADC over 64 rows; accumulator of 4 input + 6 ADC + 0 + 1 = 11 bits: in-to-carry and 4 carries.
  const double period = 6 * (0.00653 * 64 + 0.640) + (kInToCarry + 4 * kCarry);
  EXPECT_NEAR(period, 6.94024, 1e-12);
  const Sweep s = parse_sweep(yaml, "clock.yaml");
  StudyOptions o;
  o.engine.backend = Backend::cpu;
  o.model = Model::statistical;
  o.energy_only = true;
  StudyStats st;
  const StudyFile f = run_study(s, o, st);
  const double compute = std::get<std::vector<double>>(f.layers.find("compute_ns")->data).at(0);
  EXPECT_NEAR(compute, 3 * 4 * 2 * period, 1e-9);
  EXPECT_NEAR(std::get<std::vector<double>>(f.network.find("clock_ns")->data).at(0), period, 1e-12);
}

TEST(MacroClock, RefusesWordsOtherThanDerived) {
  try {
    parse_config(digital(", clock_ns: fast"), "clock.yaml");
    FAIL() << "accepted clock_ns: fast";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("clock.yaml:3"), std::string::npos) << m;
    EXPECT_NE(m.find("macro.clock_ns"), std::string::npos) << m;
    EXPECT_NE(m.find("`derived` or a number of ns"), std::string::npos) << m;
  }
  EXPECT_THROW(parse_config(digital(", clock_ns: 0"), "clock.yaml"), ConfigError);
}

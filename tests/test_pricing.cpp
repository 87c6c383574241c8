// Pricing against hand computations and re-pricing without resampling.
#include <gtest/gtest.h>

#include <cmath>

#include "pricing/pricing.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

// Constant operands make every event deterministic: x = 3 (2-bit, 2 bit-serial
// cycles, all rows active), w = 2 (2-bit cells, one slice, level 2).
Config constant_config() {
  Config c = small_config();
  c.macro.bits_per_cell = 2;
  c.macro.g_on_us = 10.0;
  c.macro.g_off_us = 0.1;
  c.macro.adc.bits = 8;
  c.macro.adc.conversion_ns = 10.0;
  c.tile.inputs = constant_operand(2, false, 3.0, 3.0);
  c.tile.weights = constant_operand(2, false, 2.0, 3.0);
  c.tile.rows_used = 16;
  c.tile.cols_used = 4;
  c.run.samples = 256;
  EnergySpec& e = c.energy;
  e.read_voltage_v = 0.5;
  e.read_pulse_ns = 1.0;
  e.dac.e0_pj = 0.01;
  e.row_driver.e1_pj = 0.002;
  e.column.e0_pj = 0.005;
  e.column.e1_pj = 0.001;
  e.adc.e0_pj = 0.1;
  e.adc.e1_pj = 0.01;
  e.shift_add.e0_pj = 0.02;
  e.accumulator.e0_pj = 0.03;
  e.leakage_uw = 1000.0;
  return c;
}

}  // namespace

TEST(Pricing, ConstantOperandsMatchHandComputation) {
  const Config c = constant_config();
  const JobResult r = run_cpu(c);
  const Report rep = price(r, make_energy_tables(c, r));
  // Per MVM: 2 cycles x 1 group; 16 rows; 4 physical columns.
  const double dac = 16 * 2 * 0.01;                       // 32 conversions at level 1
  const double row = 2 * (0.002 * 16);                    // 2 conversions with 16 active rows
  const double g = (0.1 + (10.0 - 0.1) * 2.0 / 3.0) * 1e-6;  // level 2 of 3
  const double cell = 16 * 4 * 2 * (0.5 * 0.5 * g * 1e-9) * 1e12;
  // Column value 16 * 2 + r_off * 16 with r_off = 0.1 / 3.3 -> bin 32.
  const double column = 8 * (0.005 + 0.001 * 32);
  const double adc = 8 * (0.1 + 0.01 * 32);               // code 32
  const double shift_add = 8 * 0.02;
  const double accumulator = 2 * 1 * 4 * 0.03;
  const double latency_ns = 2 * 1 * 1 * 10.0;             // 4 ADCs for 4 columns
  const double leakage = 1000e-6 * latency_ns * 1e-9 * 1e12;
  const double expected[] = {dac, row, cell, column, adc, shift_add, accumulator, leakage};
  double total = 0;
  for (int k = 0; k < kComponents; ++k) {
    EXPECT_NEAR(rep.component_pj[k].mean, expected[k], 1e-12 * (1 + expected[k])) << kComponentNames[k];
    EXPECT_NEAR(rep.component_pj[k].se, 0.0, 1e-12) << kComponentNames[k];
    total += expected[k];
  }
  EXPECT_NEAR(rep.total_pj.mean, total, 1e-9);
  EXPECT_DOUBLE_EQ(rep.latency_ns, latency_ns);
  EXPECT_NEAR(rep.pj_per_mac, total / 64.0, 1e-12);
  EXPECT_NEAR(rep.tops_per_w, 2.0 * 64 / total, 1e-9);
  EXPECT_NEAR(rep.tops, 2.0 * 64 / (latency_ns * 1e3), 1e-12);
  // The MVM itself is exact: 16 * 3 * 2 = 96 per output.
  EXPECT_EQ(rep.accuracy.err_rms, 0.0);
  EXPECT_DOUBLE_EQ(rep.accuracy.ref_std, 0.0);
}

TEST(Pricing, RepricingReusesHistograms) {
  // Doubling every ADC coefficient doubles the ADC energy and nothing else.
  Config c = constant_config();
  c.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
  const JobResult r = run_cpu(c);
  const Report a = price(r, make_energy_tables(c, r));
  c.energy.adc.e0_pj = 0.2;
  c.energy.adc.e1_pj = 0.02;
  const Report b = price(r, make_energy_tables(c, r));
  EXPECT_NEAR(b.component_pj[4].mean, 2 * a.component_pj[4].mean, 1e-12);
  EXPECT_EQ(b.component_pj[2].mean, a.component_pj[2].mean);
  EXPECT_GT(a.component_pj[4].se, 0.0);  // random inputs: a real spread
}

TEST(Pricing, ConfidenceIntervalCoversTheMean) {
  // Energy of the cell array with Bernoulli(0.5) bit-serial inputs: the mean
  // number of active (input 1) cell reads is K * P * cycles / 2.
  Config c = constant_config();
  c.tile.inputs = bernoulli_operand(0.5);
  c.run.samples = 4096;
  const JobResult r = run_cpu(c);
  const Report rep = price(r, make_energy_tables(c, r));
  const double g = (0.1 + (10.0 - 0.1) * 2.0 / 3.0) * 1e-6;
  const double expected = 16 * 4 * 0.5 * 0.25 * g * 1e-9 * 1e12;
  const Estimate& e = rep.component_pj[2];
  EXPECT_GT(e.se, 0.0);
  EXPECT_LT(std::fabs(e.mean - expected), 4 * e.se);
  EXPECT_NEAR(e.ci_hi - e.mean, student_t975(31) * e.se, 1e-12);
}

TEST(Pricing, StudentT) {
  EXPECT_NEAR(student_t975(1), 12.706, 1e-3);
  EXPECT_NEAR(student_t975(31), 2.040, 1e-3);
  EXPECT_NEAR(student_t975(120), 1.980, 2e-3);
}

TEST(Pricing, DefaultAdcEnergyFollowsZigZagFormula) {
  Config c = constant_config();
  c.energy.adc = EventEnergy{};
  c.energy.vdd_v = 0.9;
  const JobResult r = run_cpu(c);
  const EnergyTables t = make_energy_tables(c, r);
  const double e = (100e-15 * 8 + 0.001e-15 * 65536) * 0.81 * 1e12;
  EXPECT_NEAR(t.adc[0], e, 1e-15);
  EXPECT_NEAR(t.adc[200], e, 1e-15);  // value-independent by default
}

// weight_encoding differential_analog (array-subtracted pairs): exact outputs
// with a finite on/off ratio, event counts of both devices against hand
// counts, and the priced energy terms against hand computations.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/job_builder.hpp"
#include "pricing/pricing.hpp"
#include "statistical/statistical.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

// 32 rows x 4 weights, 2-bit cells, g_on / g_off = 25 (g_lsb = 3.2 uS,
// r_off = 0.125 levels): the g_off current is large enough to see.
Config pair_macro(WeightEncoding e) {
  Config c = small_config();
  c.macro.bits_per_cell = 2;
  c.macro.weight_encoding = e;
  c.macro.g_on_us = 10.0;
  c.macro.g_off_us = 0.4;
  c.tile.rows_used = 32;
  c.tile.cols_used = 4;
  c.tile.weights = uniform_operand(8, true, -1.0, 1.0, 1.0);  // every level of every slice
  c.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
  c.macro.adc.bits = 8;  // pair: 32 rows x 3 levels = 96 <= 127 codes, lossless
  c.run.samples = 256;
  return c;
}

// Weights all -5 (4-bit signed, 2-bit cells: magnitude 0b101 -> slices
// (1, 1) on the negative devices, (0, 0) on the positive ones), inputs all
// 11 = 0b1011 bit-serial: DAC levels 1, 1, 0, 1 in cycles weighted 1, 2, 4, 8.
Config constant_pair() {
  Config c = pair_macro(WeightEncoding::differential_analog);
  c.tile.weights = constant_operand(4, true, -5.0, 7.0);
  c.tile.inputs = constant_operand(4, false, 11.0, 15.0);
  c.run.samples = 64;
  return c;
}

// Error variance of a run (over all outputs).
double error_variance(const JobResult& r, double& n, double& mean) {
  const GroupMoments t = r.totals();
  n = t.outputs;
  mean = t.sum_err / n;
  return t.sum_err2 / n - mean * mean;
}

// The full statistical model's error moments of a config.
StatResult modelled(const Config& c) {
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  return statistical_job(job);
}

struct Errors {
  double sum_abs = 0, sum2 = 0, n = 0;
};

Errors errors(const JobResult& r) {
  Errors e;
  for (const auto& g : r.groups) e.sum2 += g.sum_err2, e.n += g.outputs, e.sum_abs = std::max(e.sum_abs, g.max_abs_err);
  return e;
}

std::uint64_t sum(const std::vector<std::uint64_t>& x) {
  std::uint64_t s = 0;
  for (auto v : x) s += v;
  return s;
}

}  // namespace

// The pair's currents subtract before the ADC, so the g_off currents cancel
// and a lossless full-range ADC returns the exact dot product. The same macro
// with sign_magnitude (one cell, the sign on the bitline) keeps r_off times the
// signed input sum in every column: far from exact.
TEST(DiffPair, NoiseFreeOutputIsExactWithFiniteOnOffRatio) {
  const JobResult r = run_cpu(pair_macro(WeightEncoding::differential_analog));
  const Errors e = errors(r);
  ASSERT_GT(e.n, 0);
  EXPECT_EQ(e.sum_abs, 0.0);
  EXPECT_EQ(e.sum2, 0.0);
  EXPECT_EQ(r.totals().clipped, 0u);
  const Errors sm = errors(run_cpu(pair_macro(WeightEncoding::sign_magnitude)));
  EXPECT_GT(sm.sum2 / sm.n, 1.0);
}

// Hand counts for constant operands (constant_pair).
TEST(DiffPair, EventsCountBothDevicesAndOneConversionPerPair) {
  Config c = constant_pair();
  const JobResult pair = run_cpu(c);
  const std::uint64_t S = 64, K = 32, N = 4, slices = 2, cycles = 4;
  // One conversion per pair: cycles x slices x N per sample.
  EXPECT_EQ(sum(pair.total(Hist::adc)), S * cycles * slices * N);
  EXPECT_EQ(pair.conversions(), S * cycles * slices * N);
  // Every row reads both devices of each pair: [a][l] with 2 cells at level 0
  // and 2 at level 1 per weight; 3 cycles at a = 1, 1 at a = 0.
  const std::vector<std::uint64_t> cell = pair.total(Hist::cell);
  ASSERT_EQ(cell.size(), 2u * 4u);
  const std::uint64_t per = K * N * 2;  // cells per (row set, level) per cycle
  EXPECT_EQ(cell[0 * 4 + 0], S * 1 * per);
  EXPECT_EQ(cell[0 * 4 + 1], S * 1 * per);
  EXPECT_EQ(cell[1 * 4 + 0], S * 3 * per);
  EXPECT_EQ(cell[1 * 4 + 1], S * 3 * per);
  EXPECT_EQ(cell[0 * 4 + 2] + cell[0 * 4 + 3] + cell[1 * 4 + 2] + cell[1 * 4 + 3], 0u);
  // Against differential (a converter per column): the same cell reads, half
  // the conversions. Each pair's value is 0 - 32 x 1 at a = 1, code -32 of the
  // signed ADC (full range 96 < 127 codes: step 1), and 0 at a = 0.
  c.macro.weight_encoding = WeightEncoding::differential;
  const JobResult diff = run_cpu(c);
  EXPECT_EQ(diff.total(Hist::cell), cell);
  EXPECT_EQ(sum(diff.total(Hist::adc)), 2 * sum(pair.total(Hist::adc)));
  const std::vector<std::uint64_t> codes = pair.total(Hist::adc);
  EXPECT_EQ(codes[-32 - pair.view.code_min], S * 3 * slices * N);  // a = 1 cycles
  EXPECT_EQ(codes[0 - pair.view.code_min], S * 1 * slices * N);    // the a = 0 cycle
}

// Energy per MVM of the constant-operand pair macro against the defaults'
// published formulas (ZigZag-IMC 28 nm constants, SIAM/NeuroSim cell read),
// computed here by hand.
TEST(DiffPair, EnergyTermsByHand) {
  const Config c = constant_pair();
  const JobResult r = run_cpu(c);
  const Report rep = price(r, make_energy_tables(c, r));
  const double V2 = 0.9 * 0.9, cap = 0.35e-15, pj = 1e12, K = 32, N = 4, slices = 2;
  const double conv = 4 * slices * N;  // per MVM
  const int B = 8;
  const double e_adc = (100e-15 * B + 0.001e-15 * std::pow(4.0, B)) * V2 * pj;
  auto comp = [&](Component k) { return rep.component_pj[static_cast<int>(k)].mean; };
  EXPECT_NEAR(comp(Component::adc), conv * e_adc, 1e-12 * conv * e_adc);
  // Both bitlines of a pair are precharged per conversion.
  const double e_col = cap * K * 2 * V2 * pj;
  EXPECT_NEAR(comp(Component::column), conv * e_col, 1e-12 * conv * e_col);
  // Wordlines cross all 2 x 2 x 4 = 16 cell columns: 32 active rows in 3 cycles.
  const double e_row = 3 * K * cap * 16 * V2 * pj;
  EXPECT_NEAR(comp(Component::row_driver), e_row, 1e-12 * e_row);
  // Cell reads at 0.5 V for 1 ns: 3 cycles x 32 rows x 4 weights x 2 cells at
  // g_off and 2 at g_off + g_lsb (10 - 0.4) / 3.
  const double g0 = 0.4e-6, g1 = 0.4e-6 + 9.6e-6 / 3;
  const double e_cell = 3 * K * N * 2 * (g0 + g1) * 0.25 * 1e-9 * pj;
  EXPECT_NEAR(comp(Component::cell), e_cell, 1e-12 * e_cell);
  EXPECT_DOUBLE_EQ(rep.events_per_mvm[static_cast<int>(Component::adc)], conv);
}

// Read noise: a pair reads two cells per row, so absolute read noise doubles
// the per-conversion variance; on an ideal ADC the error variance is
// 2 sigma^2 sum_c coef_c^2 a_c^2 K sum_q coef_q^2 (constant operands as above).
TEST(DiffPair, ReadNoiseOfBothDevices) {
  Config c = constant_pair();
  c.macro.adc.range = AdcRange::ideal;
  c.macro.noise.read_sigma_us = 0.64;  // 0.2 g_lsb
  c.run.samples = 20000;
  double n, mean;
  const double var = error_variance(run_cpu(c, 2), n, mean);
  const double s2 = 0.2 * 0.2, K = 32, cycles = 1 + 4 + 64, cols = 1 + 16;
  const double want = 2 * s2 * K * cycles * cols;
  EXPECT_NEAR(var / want, 1.0, 4 * std::sqrt(2.0 / n));
  // Constant operands: the model's moments are exact, but for the view's
  // sigma in float (relative rounding 6e-8).
  const StatResult m = modelled(c);
  EXPECT_NEAR(m.err_var, want, 1e-6 * want);
  EXPECT_NEAR(m.err_mean, 0.0, 1e-9);
}

// Proportional read noise (bit planes with 1-bit DACs, the float path with wider ones): each device adds
// (rr a g)^2 with its own conductance, g = 1 + r_off on the negative devices
// and r_off on the positive ones (r_off = 0.125 levels): the g_off currents
// cancel in the value, not in the noise.
TEST(DiffPair, ProportionalReadNoiseOfBothDevices) {
  Config c = constant_pair();
  c.macro.adc.range = AdcRange::ideal;
  c.macro.noise.read_sigma_rel = 0.05;
  c.run.samples = 20000;
  double n, mean;
  const double var = error_variance(run_cpu(c, 2), n, mean);
  const double rr2 = 0.05 * 0.05, K = 32, cycles = 1 + 4 + 64, cols = 1 + 16;
  const double want = rr2 * K * cycles * cols * (1.125 * 1.125 + 0.125 * 0.125);
  EXPECT_NEAR(var / want, 1.0, 4 * std::sqrt(2.0 / n));
  EXPECT_NEAR(mean, 0.0, 4 * std::sqrt(want / n));
  const StatResult m = modelled(c);  // exact but for float sigma, as above
  EXPECT_NEAR(m.err_var, want, 1e-6 * want);
  EXPECT_NEAR(m.err_mean, 0.0, 1e-9);
}

// Both statistical models count both devices' cell reads (here exactly:
// constant operands), and the full one finds the pair's output exact (the
// g_off currents cancel; the 8-bit ADC is lossless) with every code where the
// sampler counts it.
TEST(DiffPair, StatisticalModelsCountBothDevices) {
  const Config c = constant_pair();
  const JobResult r = run_cpu(c);
  BuiltJob job;
  build_job(c, philox::JobId{}, job, false);
  const StatResult energy = statistical_energy(job);
  const StatResult full = modelled(c);
  const std::vector<std::uint64_t> cell = r.total(Hist::cell), adc = r.total(Hist::adc);
  for (const StatResult* s : {&energy, &full})
    for (std::size_t i = 0; i < cell.size(); ++i)
      EXPECT_DOUBLE_EQ(s->hist[job.view.off_cell + i], static_cast<double>(cell[i]) / r.samples()) << i;
  for (std::size_t i = 0; i < adc.size(); ++i)
    EXPECT_NEAR(full.hist[job.view.off_adc + i], static_cast<double>(adc[i]) / r.samples(), 1e-12) << i;
  EXPECT_NEAR(full.mse, 0.0, 1e-9);
  EXPECT_EQ(full.clip_rate, 0.0);
}

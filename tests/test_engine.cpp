// Engine tests against closed forms at fixed seeds (DESIGN.md "Ground truth").
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/job_builder.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

double binom_pmf(int n, int k, double p) {
  return std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) +
                  k * std::log(p) + (n - k) * std::log1p(-p));
}

// Upper 0.1% point of chi-square (Wilson-Hilferty).
double chi2_999(int df) {
  const double z = 3.0902, h = 2.0 / (9.0 * df);
  return df * std::pow(1.0 - h + z * std::sqrt(h), 3);
}

// Inputs and weights all 1 (1 bpc, g_off = 0 so one level = g_on), K rows,
// and a 16-bit ADC fine enough that quantization is negligible.
Config all_ones(int K, int cols) {
  Config c = small_config();
  c.tile.inputs = constant_operand(1, false, 1.0, 1.0);
  c.tile.weights = constant_operand(1, false, 1.0, 1.0);
  c.tile.rows_used = K;
  c.tile.cols_used = cols;
  c.macro.adc.bits = 16;
  c.macro.adc.range = AdcRange::max;
  c.macro.adc.max_value = 2.0 * K;
  return c;
}

struct ErrorStats {
  double n = 0, mean = 0, var = 0;
};

ErrorStats error_stats(const JobResult& r) {
  double n = 0, s1 = 0, s2 = 0;
  for (const auto& g : r.groups) {
    n += g.outputs;
    s1 += g.sum_err;
    s2 += g.sum_err2;
  }
  return {n, s1 / n, s2 / n - (s1 / n) * (s1 / n)};
}

double total_err2(const JobResult& r) {
  double s = 0;
  for (const auto& g : r.groups) s += g.sum_err2;
  return s;
}

}  // namespace

// 1-bit cells, bit-serial inputs, no noise, B_ADC >= B_W + ceil(log2 N) (+1 for
// signed columns) -> every output equals the exact integer dot product.
class Lossless : public ::testing::TestWithParam<std::tuple<WeightEncoding, InputEncoding>> {};

TEST_P(Lossless, EveryOutputExact) {
  const auto [we, ie] = GetParam();
  Config c = small_config();
  c.macro.weight_encoding = we;
  c.macro.input_encoding = ie;
  const bool w_signed = we != WeightEncoding::unsigned_plain;
  const bool x_signed = ie != InputEncoding::unsigned_plain;
  c.tile.weights = uniform_operand(5, w_signed, w_signed ? -1.0 : 0.0, 1.0, 1.0);
  c.tile.inputs = uniform_operand(4, x_signed, x_signed ? -1.0 : 0.0, 1.0, 1.0);
  c.tile.rows_used = 40;  // log2(40) -> 6 bits of column range
  c.tile.cols_used = 3;
  c.macro.adc.bits = 1 + 6 + (we == WeightEncoding::sign_magnitude ? 1 : 0);
  c.run.samples = 600;
  const JobResult r = run_cpu(c);
  EXPECT_EQ(r.samples(), 600u);
  EXPECT_EQ(total_err2(r), 0.0);
  double outputs = 0, ref2 = 0;
  for (const auto& g : r.groups) { outputs += g.outputs; ref2 += g.sum_ref2; }
  EXPECT_EQ(outputs, 600.0 * 3);
  EXPECT_GT(ref2, 0.0);  // the outputs are not trivially zero
  std::uint64_t clipped = 0;
  for (const auto& g : r.groups) clipped += g.clipped;
  EXPECT_EQ(clipped, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Encodings, Lossless,
    ::testing::Combine(::testing::Values(WeightEncoding::unsigned_plain, WeightEncoding::offset,
                                         WeightEncoding::differential, WeightEncoding::twos_complement,
                                         WeightEncoding::sign_magnitude),
                       ::testing::Values(InputEncoding::unsigned_plain, InputEncoding::offset,
                                         InputEncoding::twos_complement, InputEncoding::sign_magnitude)));

TEST(Engine, LosslessMultiBitCellsAndDac) {
  // 2-bit cells and 2-bit DAC levels: exact as long as the ADC covers R*3*3.
  Config c = small_config();
  c.macro.bits_per_cell = 2;
  c.macro.dac_bits = 2;
  c.macro.weight_encoding = WeightEncoding::differential;
  c.tile.weights = uniform_operand(7, true, -1.0, 1.0, 1.0);
  c.tile.inputs = uniform_operand(6, false, 0.0, 1.0, 1.0);
  c.tile.rows_used = 50;
  c.macro.adc.bits = 9;  // 50*9 = 450 <= 511
  c.run.samples = 300;
  EXPECT_EQ(total_err2(run_cpu(c)), 0.0);
}

TEST(Engine, ColumnValuesAreBinomial) {
  // i.i.d. Bernoulli input and weight bits, one column, a fresh array per
  // sample: the column value ~ Binomial(K, px*pw).
  Config c = small_config();
  const int K = 48;
  const double px = 0.3, pw = 0.4;
  c.tile.inputs = bernoulli_operand(px);
  c.tile.weights = bernoulli_operand(pw);
  c.tile.rows_used = K;
  c.tile.cols_used = 1;
  c.run.inputs_per_instance = 1;
  c.run.samples = 40000;
  const JobResult r = run_cpu(c);
  const auto h = r.total(Hist::col);
  ASSERT_EQ(static_cast<int>(h.size()), K + 1);  // integer bins 0..K
  double n = 0;
  for (auto x : h) n += static_cast<double>(x);
  EXPECT_EQ(n, 40000.0);
  // Chi-square with neighbouring bins pooled until each expects >= 5 counts;
  // a short remainder at the top joins the last pooled bin.
  std::vector<double> po, pe;
  double obs = 0, expct = 0;
  for (int k = 0; k <= K; ++k) {
    obs += static_cast<double>(h[k]);
    expct += n * binom_pmf(K, k, px * pw);
    if (expct >= 5) { po.push_back(obs); pe.push_back(expct); obs = expct = 0; }
  }
  po.back() += obs;
  pe.back() += expct;
  double chi2 = 0;
  for (std::size_t i = 0; i < po.size(); ++i) chi2 += (po[i] - pe[i]) * (po[i] - pe[i]) / pe[i];
  const int df = static_cast<int>(po.size()) - 1;
  EXPECT_GT(df, 10);
  EXPECT_LT(chi2, chi2_999(df));
  // The mean column value is K px pw.
  double m = 0;
  for (int k = 0; k <= K; ++k) m += k * static_cast<double>(h[k]);
  EXPECT_NEAR(m / n, K * px * pw, 4 * std::sqrt(K * px * pw * (1 - px * pw) / n));
}

TEST(Engine, AdcQuantizationErrorIsUniform) {
  // One cycle, one slice, Delta = 1.37: MVM error = ADC error of integer
  // column values spanning many LSBs -> mean ~ 0, variance ~ Delta^2/12.
  Config c = small_config();
  c.macro.rows = 1024;
  c.tile.inputs = bernoulli_operand(0.5);
  c.tile.weights = bernoulli_operand(0.5);
  c.tile.rows_used = 1024;
  c.tile.cols_used = 1;
  c.run.inputs_per_instance = 1;
  c.run.samples = 40000;
  c.macro.adc.bits = 10;
  c.macro.adc.range = AdcRange::max;
  const double delta = 1.37;
  c.macro.adc.max_value = delta * 1023;
  const JobResult r = run_cpu(c);
  double n = 0, s1 = 0, s2 = 0;
  for (const auto& g : r.groups) { n += g.outputs; s1 += g.sum_err; s2 += g.sum_err2; }
  EXPECT_NEAR(s1 / n, 0.0, 0.02);
  EXPECT_NEAR((s2 / n - (s1 / n) * (s1 / n)) / (delta * delta / 12.0), 1.0, 0.03);
}

TEST(Engine, ClipRateIsTheBinomialTail) {
  // Weights all 1, inputs Bernoulli(0.2), K = 64: column ~ Binomial(64, 0.2).
  // A 4-bit ADC with Delta = 1 clips every value >= 16.
  Config c = small_config();
  c.tile.inputs = bernoulli_operand(0.2);
  c.tile.weights = constant_operand(1, false, 1.0, 1.0);
  c.tile.rows_used = 64;
  c.tile.cols_used = 1;
  c.run.samples = 50000;
  c.macro.adc.bits = 4;
  c.macro.adc.range = AdcRange::max;
  c.macro.adc.max_value = 15;
  const JobResult r = run_cpu(c);
  double tail = 0;
  for (int k = 16; k <= 64; ++k) tail += binom_pmf(64, k, 0.2);
  std::uint64_t clipped = 0, conv = 0;
  for (const auto& g : r.groups) { clipped += g.clipped; conv += g.conversions; }
  ASSERT_EQ(conv, 50000u);
  const double rate = static_cast<double>(clipped) / conv;
  EXPECT_NEAR(rate, tail, 4 * std::sqrt(tail * (1 - tail) / conv));
  EXPECT_GT(tail, 0.05);  // the test probes a real tail
}

TEST(Engine, ReadNoiseVarianceIsSigmaSquaredTimesActiveCells) {
  // All cells at level 1 (1 bpc, g_off = 0 so g_lsb = g_on), all K inputs 1:
  // error variance = (sigma/g_lsb)^2 * K; a 16-bit ADC keeps quantization negligible.
  const int K = 64;
  Config c = all_ones(K, 4);
  c.macro.noise.read_sigma_us = 0.5;  // g_on = 10 uS -> 0.05 LSB per cell
  c.run.samples = 20000;
  const ErrorStats e = error_stats(run_cpu(c));
  const double expected = 0.05 * 0.05 * K;  // 0.16
  EXPECT_NEAR(e.var / expected, 1.0, 0.05);
  EXPECT_NEAR(e.mean, 0.0, 4 * std::sqrt(expected / e.n) + 1e-3);
}

TEST(Engine, ProportionalReadNoiseUsesCellConductance) {
  // sigma_rel * G with G = 1 LSB for every active cell: same variance as above.
  const int K = 64;
  Config c = all_ones(K, 4);
  c.macro.noise.read_sigma_rel = 0.05;
  c.run.samples = 20000;
  EXPECT_NEAR(error_stats(run_cpu(c)).var / (0.05 * 0.05 * K), 1.0, 0.05);
}

TEST(Engine, StuckAtFaultRates) {
  // All weights 1: a stuck-off cell reads 0, so the column mean is K (1 - p_off).
  Config c = small_config();
  c.tile.inputs = constant_operand(1, false, 1.0, 1.0);
  c.tile.weights = constant_operand(1, false, 1.0, 1.0);
  c.tile.rows_used = 64;
  c.tile.cols_used = 8;
  c.macro.noise.stuck_off = 0.1;
  c.run.inputs_per_instance = 1;
  c.run.samples = 5000;
  const JobResult r = run_cpu(c);
  double n = 0, s1 = 0;
  for (const auto& g : r.groups) { n += g.outputs; s1 += g.sum_err; }
  // error = -(stuck cells); mean -K p_off, sd per output sqrt(K p (1-p)) = 2.4
  EXPECT_NEAR(s1 / n, -6.4, 4 * 2.4 / std::sqrt(n));
}

TEST(Engine, ProgrammingVariationErrorVariance) {
  // Absolute programming sigma s (in LSB) on K cells read with input 1:
  // error variance = s^2 * K (fresh instance every sample).
  const int K = 64;
  Config c = all_ones(K, 2);
  c.macro.noise.prog_sigma_us = 1.0;  // 0.1 LSB; clamping at 0 is never reached
  c.run.inputs_per_instance = 1;
  c.run.samples = 20000;
  EXPECT_NEAR(error_stats(run_cpu(c)).var / (0.01 * K), 1.0, 0.05);
}

TEST(Engine, DeterministicAcrossThreadCounts) {
  Config c = small_config();
  c.macro.bits_per_cell = 2;
  c.macro.weight_encoding = WeightEncoding::differential;
  c.tile.weights = uniform_operand(8, true, -1.0, 1.0, 1.0);
  c.tile.inputs = uniform_operand(8, false, 0.0, 1.0, 1.0);
  c.macro.noise.prog_sigma_rel = 0.05;
  c.macro.noise.read_sigma_us = 0.2;
  c.macro.noise.stuck_on = 0.01;
  c.macro.adc.bits = 6;
  c.macro.adc.range = AdcRange::calibrated;
  c.run.samples = 700;
  const JobResult a = run_cpu(c, 1), b = run_cpu(c, 2), d = run_cpu(c, 4), again = run_cpu(c, 1);
  for (const JobResult* x : {&b, &d, &again}) {
    EXPECT_EQ(a.hist, x->hist);
    ASSERT_EQ(a.groups.size(), x->groups.size());
    for (std::size_t g = 0; g < a.groups.size(); ++g) {
      EXPECT_EQ(a.groups[g].sum_err, x->groups[g].sum_err);   // bit-identical doubles
      EXPECT_EQ(a.groups[g].sum_err2, x->groups[g].sum_err2);
      EXPECT_EQ(a.groups[g].max_abs_err, x->groups[g].max_abs_err);
      EXPECT_EQ(a.groups[g].clipped, x->groups[g].clipped);
    }
    EXPECT_EQ(a.view.adc_delta, x->view.adc_delta);
  }
  c.run.seed = 8;  // and a different seed gives different draws
  EXPECT_NE(a.hist, run_cpu(c, 2).hist);
}

TEST(Engine, EventCountsMatchTheMacroShape) {
  Config c = small_config();
  c.macro.rows_active = 16;  // 40 rows -> groups of 16, 16, 8
  c.tile.rows_used = 40;
  c.tile.cols_used = 5;
  c.run.samples = 100;
  const JobResult r = run_cpu(c);
  const JobView& v = r.view;
  EXPECT_EQ(v.G, 3);
  EXPECT_EQ(v.cycles, 4);
  auto sum = [](const std::vector<std::uint64_t>& h) { std::uint64_t s = 0; for (auto x : h) s += x; return s; };
  EXPECT_EQ(sum(r.total(Hist::adc)), 100u * 4 * 3 * 4 * 5);        // cycles x groups x columns
  EXPECT_EQ(sum(r.total(Hist::col)), 100u * 4 * 3 * 4 * 5);
  EXPECT_EQ(sum(r.total(Hist::dac)), 100u * 4 * 40);               // per row per cycle
  EXPECT_EQ(sum(r.total(Hist::row)), 100u * 4 * 3);                // per (cycle, group)
  EXPECT_EQ(sum(r.total(Hist::cell)), 100u * 4 * 40 * 4 * 5);      // rows x physical columns
}

// The calibration pilot draws min(pilot_samples, samples): a 64-sample run
// with a 2^32-1-sample pilot is the 64-sample-pilot run, bit for bit (it used
// to sample the whole pilot: hours).
TEST(Engine, PilotNeverExceedsTheRun) {
  Config c = small_config();
  c.macro.adc.range = AdcRange::calibrated;
  c.macro.adc.bits = 4;
  c.run.samples = 64;
  c.run.pilot_samples = 4294967295u;
  const JobResult huge = run_cpu(c);
  c.run.pilot_samples = 64;
  const JobResult same = run_cpu(c);
  EXPECT_EQ(huge.adc_full_scale, same.adc_full_scale);
  EXPECT_EQ(huge.hist, same.hist);
}

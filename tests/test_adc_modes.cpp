// The ADC's ideal mode and its calibration (exact pilot quantiles, per-slice
// ranges, power-of-two rounding) against hand computations and brute force.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "engine/calibration.hpp"
#include "engine/job_builder.hpp"
#include "statistical/statistical.hpp"
#include "study/stat_jobs.hpp"
#include "study/tile_jobs.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

struct ErrorStats {
  double n = 0, mean = 0, var = 0;
  std::uint64_t clipped = 0;
};

ErrorStats error_stats(const JobResult& r) {
  ErrorStats e;
  double s1 = 0, s2 = 0;
  for (const auto& g : r.groups) {
    e.n += g.outputs;
    s1 += g.sum_err;
    s2 += g.sum_err2;
    e.clipped += g.clipped;
  }
  e.mean = s1 / e.n;
  e.var = s2 / e.n - e.mean * e.mean;
  return e;
}

// 4-bit signed weights, all -5, stored differentially at 2 bits per cell:
// magnitude 5 = 0b101 -> slices (low, high) = (1, 1) in the negative columns,
// 0 in the positive ones; columns q = pos0, pos1, neg0, neg1 with digital
// weights 1, 4, -1, -4. Inputs all 11 = 0b1011, bit-serial: cycles with
// weights 1, 2, 4, 8 see levels 1, 1, 0, 1.
Config noisy_macro() {
  Config c = small_config();
  c.macro.bits_per_cell = 2;
  c.macro.weight_encoding = WeightEncoding::differential;
  c.macro.g_on_us = 10.0;
  c.macro.g_off_us = 0.4;  // g_lsb = 3.2 uS, r_off = 0.125 levels
  c.tile.weights = constant_operand(4, true, -5.0, 7.0);
  c.tile.inputs = constant_operand(4, false, 11.0, 15.0);
  c.tile.rows_used = 32;
  c.tile.cols_used = 4;
  c.macro.adc.bits = 3;  // coarse: any quantization would show
  c.macro.adc.range = AdcRange::ideal;
  c.run.samples = 20000;
  return c;
}

// sigma^2 of one conversion per row at each column position, times the
// column's and the cycle's digital weights squared, summed:
//   Var(err) = K * sum_c coef_c^2 a_c^2 * sum_q coef_q^2 (ra^2 + rr^2 (l_q + r_off)^2)
double closed_form_variance(double ra, double rr) {
  const double K = 32, r_off = 0.4 / 3.2;
  const double cycles = 1 * 1 + 2 * 2 + 8 * 8;  // input bits 1, 1, 0, 1 of 11
  const double coef[4] = {1, 4, -1, -4}, level[4] = {0, 0, 1, 1};
  double cols = 0;
  for (int q = 0; q < 4; ++q) {
    const double g = level[q] + r_off;
    cols += coef[q] * coef[q] * (ra * ra + rr * rr * g * g);
  }
  return K * cycles * cols;
}

}  // namespace

// Without noise an ideal ADC passes every column value on: the output is the
// exact dot product (the g_off currents of a differential pair cancel), even
// at 3 bits, where a real ADC would be far off.
TEST(AdcIdeal, NoiseFreeOutputIsExact) {
  Config c = noisy_macro();
  c.run.samples = 200;
  const ErrorStats e = error_stats(run_cpu(c));
  EXPECT_LT(std::fabs(e.mean), 1e-9);
  EXPECT_LT(e.var, 1e-18);
  EXPECT_EQ(e.clipped, 0u);
  c.macro.adc.range = AdcRange::full;  // the same 3-bit ADC quantizing: far from exact
  EXPECT_GT(error_stats(run_cpu(c)).var + std::pow(error_stats(run_cpu(c)).mean, 2), 1.0);
}

// Read noise only: the sampled error variance is the output-referred read
// noise sigma^2 sum x^2 g^2 of the encoding, within a 4-sigma band of the
// variance estimate (relative SE sqrt(2 / n) for Gaussian errors). The
// conversions' noise (sd 0.3-1.1 column units) is far below the 3-bit full
// range's step (100 / 7), which would round it away.
TEST(AdcIdeal, ErrorIsTheAnalyticReadNoise) {
  for (const auto& [abs_us, rel] : {std::pair{0.64, 0.0}, std::pair{0.0, 0.05}, std::pair{0.32, 0.03}}) {
    Config c = noisy_macro();
    c.macro.noise.read_sigma_us = abs_us;
    c.macro.noise.read_sigma_rel = rel;
    const ErrorStats e = error_stats(run_cpu(c, 2));
    const double want = closed_form_variance(abs_us / 3.2, rel);
    EXPECT_NEAR(e.var / want, 1.0, 4 * std::sqrt(2.0 / e.n)) << abs_us << " " << rel;
    EXPECT_NEAR(e.mean, 0.0, 4 * std::sqrt(want / e.n)) << abs_us << " " << rel;
    EXPECT_EQ(e.clipped, 0u);
  }
}

// The statistical model with an ideal ADC: the same closed form, exact but
// for the job's noise sigmas, which are floats (relative error 3e-8 in the
// variance), since constant operands leave the read noise the only random term; no
// quantization or clipping share, no clips; and the code histogram agrees
// with the sampler's counts (each code's count within 5 standard deviations;
// a binomial count's variance is at most its mean).
TEST(AdcIdeal, StatisticalModelIsTheAnalyticReadNoise) {
  for (const auto& [abs_us, rel] : {std::pair{0.64, 0.0}, std::pair{0.0, 0.05}, std::pair{0.32, 0.03}}) {
    Config c = noisy_macro();
    c.macro.noise.read_sigma_us = abs_us;
    c.macro.noise.read_sigma_rel = rel;
    ASSERT_EQ(statistical_refusal(c.macro), "");
    BuiltJob job;
    build_job(c, philox::JobId{}, job);
    const StatResult s = statistical_job(job);
    const double want = closed_form_variance(abs_us / 3.2, rel);
    EXPECT_NEAR(s.err_var / want, 1.0, 1e-6) << abs_us << " " << rel;
    EXPECT_NEAR(s.err_mean, 0.0, 1e-9 * std::sqrt(want)) << abs_us << " " << rel;
    EXPECT_NEAR(s.err_var_noise / want, 1.0, 1e-6);
    EXPECT_EQ(s.err_var_quantization, 0.0);
    EXPECT_EQ(s.err_var_clipping, 0.0);
    EXPECT_EQ(s.clip_rate, 0.0);
    c.run.samples = 64;
    const std::vector<std::uint64_t> codes = run_cpu(c).total(Hist::adc);
    ASSERT_EQ(codes.size(), static_cast<std::size_t>(job.view.code_max - job.view.code_min + 1));
    for (std::size_t k = 0; k < codes.size(); ++k) {
      const double want_n = 64 * s.hist[job.view.off_adc + k];
      EXPECT_NEAR(static_cast<double>(codes[k]), want_n, 5 * std::sqrt(want_n) + 1e-6) << "code " << k;
    }
  }
}

// The ideal ADC's codes are counted at the full range's step, for pricing:
// with constant operands every conversion of a column position has one code.
TEST(AdcIdeal, CodesAreTheFullRangeAdcs) {
  Config c = noisy_macro();
  c.run.samples = 64;
  const JobResult ideal = run_cpu(c);
  c.macro.adc.range = AdcRange::full;
  const JobResult full = run_cpu(c);
  EXPECT_EQ(ideal.total(Hist::adc), full.total(Hist::adc));
  EXPECT_EQ(ideal.adc_full_scale, full.adc_full_scale);
}

// The quantile rule on exact values against a brute-force sort.
TEST(AdcCalibration, ExactQuantileIsTheSortedRank) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> z(0.0, 50.0);
  for (int n : {1, 2, 7, 1000, 4099}) {
    std::vector<double> x(n);
    for (double& v : x) v = std::fabs(z(rng));
    std::vector<double> sorted = x;
    std::sort(sorted.begin(), sorted.end());
    for (double q : {1e-6, 0.5, 0.9, 0.999, 1.0}) {
      // brute force: the first sorted value whose count reaches q * n
      double want = sorted.back();
      for (int i = 0; i < n; ++i)
        if (static_cast<double>(i + 1) >= q * n) {
          want = sorted[i];
          break;
        }
      std::vector<double> work = x;
      EXPECT_EQ(exact_quantile(work.data(), work.data() + n, q), want) << n << " " << q;
    }
  }
}

// Per-slice calibration groups a differential pair's columns by slice:
// random values per column position, checked against a sort of each slice's
// values (and of all values for the shared range).
TEST(AdcCalibration, PerSliceQuantilesAgainstBruteForce) {
  BuiltJob b;
  Config c = noisy_macro();
  c.macro.adc.range = AdcRange::calibrated;
  build_job(c, philox::JobId{}, b, false);
  JobView v = b.view;
  v.samples = 50;
  ASSERT_EQ(v.ppw, 4);
  std::vector<double> values(capture_values(v));
  std::mt19937_64 rng(5);
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = (1.0 + static_cast<double>(i % v.P % 4)) * std::uniform_real_distribution<double>(-100, 100)(rng);
  auto brute = [&](auto keep, double q) {
    std::vector<double> m;
    for (std::size_t i = 0; i < values.size(); ++i)
      if (keep(static_cast<int>(i % v.P % 4))) m.push_back(std::fabs(values[i]));
    std::sort(m.begin(), m.end());
    return m[static_cast<std::size_t>(std::ceil(q * m.size())) - 1];
  };
  AdcSpec adc;
  adc.quantile = 0.9;
  adc.per_slice = true;
  std::vector<double> work = values;  // calibration overwrites its input
  const auto fs = calibrated_full_scales(v, work.data(), adc);
  EXPECT_EQ(fs[0], brute([](int q) { return q == 0 || q == 2; }, 0.9));  // low slice: pos0 with neg0
  EXPECT_EQ(fs[1], brute([](int q) { return q == 1 || q == 3; }, 0.9));
  EXPECT_EQ(fs[2], fs[0]);
  EXPECT_EQ(fs[3], fs[1]);
  adc.per_slice = false;
  work = values;
  const auto shared = calibrated_full_scales(v, work.data(), adc);
  EXPECT_EQ(shared[0], brute([](int) { return true; }, 0.9));
  EXPECT_EQ(shared[3], shared[0]);
}

namespace {

// 4-bit unsigned weights, all 13 = 0b1101, at 2 bits per cell: slices
// (low, high) = (1, 3). Inputs all 15 through a 4-bit DAC (one cycle), 1000
// rows, g_off = 0: the column values are 1000 * 15 * (1, 3) = 15000 and 45000,
// where the pilot's histogram has bins 11 wide (45001 / 4096 rounded up).
Config two_slices() {
  Config c = small_config();
  c.macro.rows = c.tile.rows_used = 1000;
  c.macro.cols = 8;
  c.macro.bits_per_cell = c.tile.cols_used = 2;
  c.macro.dac_bits = 4;
  c.tile.weights = constant_operand(4, false, 13.0, 15.0);
  c.tile.inputs = constant_operand(4, false, 15.0, 15.0);
  c.macro.adc.bits = 6;
  c.macro.adc.range = AdcRange::calibrated;
  c.run.samples = 64;
  return c;
}

}  // namespace

TEST(AdcCalibration, FullScaleIsTheExactColumnValue) {
  Config c = two_slices();
  const JobResult r = run_cpu(c);
  EXPECT_GT(r.view.col_bw, 10.0);  // a histogram bin would miss it
  EXPECT_DOUBLE_EQ(r.adc_full_scale, 45000.0);
  EXPECT_EQ(r.view.adc_mode, AdcMode::shared);
}

TEST(AdcCalibration, PerSliceRangesAreTheSlicesColumnValues) {
  Config c = two_slices();
  c.macro.adc.per_slice = true;
  const JobResult r = run_cpu(c);
  EXPECT_EQ(r.view.adc_mode, AdcMode::per_slice);
  EXPECT_DOUBLE_EQ(r.view.adc_delta_q[0] * 63, 15000.0);
  EXPECT_DOUBLE_EQ(r.view.adc_delta_q[1] * 63, 45000.0);
  EXPECT_DOUBLE_EQ(r.adc_full_scale, 45000.0);
  // Both column values sit on their top code: the output is exact.
  EXPECT_LT(std::fabs(error_stats(r).mean), 1e-6);
  // CrossSim's rounding: 1000 and 333.3 on-cell units (15 x 3 = 45 each) ->
  // 1024 and 512.
  c.macro.adc.round_pow2 = true;
  const JobResult p = run_cpu(c);
  EXPECT_DOUBLE_EQ(p.view.adc_delta_q[0] * 63, 512 * 45.0);
  EXPECT_DOUBLE_EQ(p.view.adc_delta_q[1] * 63, 1024 * 45.0);
}

// The statistical model calibrates per slice too: its ranges are the slices'
// column values to within one of its column-value bins (it reads quantiles
// from bins, 11 wide here), and with power-of-two rounding exactly the pilot's.
TEST(AdcCalibration, StatisticalPerSliceRangesAreTheSlicesColumnValues) {
  Config c = two_slices();
  c.macro.adc.per_slice = true;
  ASSERT_EQ(statistical_refusal(c.macro), "");
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  statistical_jobs({&job}, c.macro.adc);
  const JobView& v = job.view;
  EXPECT_EQ(v.adc_mode, AdcMode::per_slice);
  EXPECT_NEAR(v.adc_delta_q[0] * 63, 15000.0, v.col_bw);
  EXPECT_NEAR(v.adc_delta_q[1] * 63, 45000.0, v.col_bw);
  EXPECT_EQ(statistical_full_scale(job, c.macro.adc), v.adc_delta * 63);
  c.macro.adc.round_pow2 = true;
  BuiltJob rounded;
  build_job(c, philox::JobId{}, rounded);
  statistical_jobs({&rounded}, c.macro.adc);
  EXPECT_DOUBLE_EQ(rounded.view.adc_delta_q[0] * 63, 512 * 45.0);
  EXPECT_DOUBLE_EQ(rounded.view.adc_delta_q[1] * 63, 1024 * 45.0);
}

namespace {

// 256 rows of random 3-bit weights (0..7 on 2-bit cells: two slices) and
// Bernoulli(1/2) inputs, a calibrated 6-bit ADC, fresh weights every MVM.
Config spread_slices() {
  Config c = small_config();
  c.macro.rows = 256;
  c.macro.bits_per_cell = 2;
  c.tile.weights = uniform_operand(4, false, 0.0, 7.49 / 15.0, 1.0);
  c.tile.inputs = bernoulli_operand(0.5);
  c.tile.rows_used = 256;
  c.tile.cols_used = 8;
  c.macro.adc.bits = 6;
  c.macro.adc.range = AdcRange::calibrated;
  c.run.samples = 20000;
  c.run.inputs_per_instance = 1;
  return c;
}

}  // namespace

// Random weights spread over 0..7 (low slice 0..3, high slice 0..1), inputs
// Bernoulli(1/2), 256 rows: the high slice's column values (mean 60, sd 6.8)
// reach about a third of the low slice's (mean 185, sd 17), so its own range
// gives it a step about 3x finer, and each configuration's output error
// variance is its quantization noise sum_q coef_q^2 Delta_q^2 / 12 (quantile
// 1: nothing clips in the pilot, rarely in the run; at 6 bits the steps are
// 4.5 and 1.5, so every column's spread covers more than one step, where the
// uniform-error variance holds to well under 1%).
TEST(AdcCalibration, PerSliceStepShrinksTheLowSlicesError) {
  Config c = spread_slices();
  c.macro.adc.quantile = 1.0;
  c.run.pilot_samples = 20000;
  double shared_var = 0;
  for (bool per_slice : {false, true}) {
    c.macro.adc.per_slice = per_slice;
    const JobResult r = run_cpu(c, 2);
    const double d0 = per_slice ? r.view.adc_delta_q[0] : r.view.adc_delta;
    const double d1 = per_slice ? r.view.adc_delta_q[1] : r.view.adc_delta;
    const double want = (d0 * d0 + 16 * d1 * d1) / 12.0;
    const ErrorStats e = error_stats(r);
    EXPECT_NEAR(e.var / want, 1.0, 0.05) << per_slice;
    if (!per_slice) shared_var = e.var;
    if (per_slice) {
      EXPECT_LT(d1, 0.5 * d0);
      EXPECT_LT(e.var, shared_var / 3);  // (1 + 16) vs (1 + 16 / 9) shared steps^2, about
    }
  }
}

// The new keys enter a job's key (and so its random streams) only when set.
// The statistical model on the sampled run's per-slice steps (as cimmc
// validate compares them): its error variance and clip rate against the
// sampler's, on the macro above with the 0.999 quantile (some clipping), and
// its per-slice error variance a third of the shared range's or less.
TEST(AdcCalibration, StatisticalModelWithTheSampledSliceStepsAgrees) {
  Config c = spread_slices();
  c.macro.adc.quantile = 0.999;
  double shared_var = 0;
  for (bool per_slice : {false, true}) {
    c.macro.adc.per_slice = per_slice;
    const JobResult r = run_cpu(c, 2);
    ASSERT_EQ(r.view.adc_mode, per_slice ? AdcMode::per_slice : AdcMode::shared);
    const StatJob m = evaluate_statistical_at(c, philox::JobId{}, r.view);
    const ErrorStats e = error_stats(r);
    // Relative SE of a variance estimate sqrt(2 / n) for near-Gaussian errors; n outputs.
    EXPECT_NEAR(m.stat.err_var / e.var, 1.0, 4 * std::sqrt(2.0 / e.n) + 0.01) << per_slice;
    const double clip = static_cast<double>(e.clipped) / r.conversions();
    EXPECT_NEAR(m.stat.clip_rate, clip, 4 * std::sqrt(clip / r.conversions()) + 1e-5) << per_slice;
    if (!per_slice) shared_var = m.stat.err_var;
    if (per_slice) {
      EXPECT_LT(m.stat.err_var, shared_var / 3);
    }
  }
}

TEST(AdcCalibration, SliceOptionsChangeTheJobKeyOnlyWhenSet) {
  Config c = two_slices();
  const std::string plain = job_key(c);
  EXPECT_EQ(plain.find("|adc:"), std::string::npos);
  c.macro.adc.per_slice = true;
  const std::string sliced = job_key(c);
  c.macro.adc.round_pow2 = true;
  EXPECT_NE(sliced, plain);
  EXPECT_NE(job_key(c), sliced);
}

// The calibrated full scale is the exact pilot quantile q of the column
// values, so a run drawn like the pilot clips a fraction 1 - q of its
// conversions (the values above it), up to the sampling error of the two
// quantiles. Programming variation makes the column values continuous (no
// ties at the full scale) and 12 bits make the half step above it negligible.
TEST(AdcCalibration, ClipRateIsTheRequestedQuantile) {
  for (double q : {0.99, 0.9}) {
    Config c = small_config();
    c.macro.bits_per_cell = 2;
    c.macro.noise.prog_sigma_rel = 0.05;
    c.macro.adc.bits = 12;
    c.macro.adc.range = AdcRange::calibrated;
    c.macro.adc.quantile = q;
    c.tile.cols_used = 8;
    c.run.samples = 4000;
    c.run.pilot_samples = 4000;
    const GroupMoments t = run_cpu(c, 2).totals();
    const double rate = static_cast<double>(t.clipped) / static_cast<double>(t.conversions);
    EXPECT_NEAR(rate / (1 - q), 1.0, 0.15) << q << ": clip rate " << rate;
  }
}

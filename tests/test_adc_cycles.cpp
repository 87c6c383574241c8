// adc.per_cycle: one calibrated ADC range per input cycle (and per weight
// slice with per_slice), against hand-computed ranges and a brute-force sort.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "engine/calibration.hpp"
#include "engine/job_builder.hpp"
#include "statistical/model.hpp"
#include "statistical/statistical.hpp"
#include "study/stat_jobs.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

// 4-bit unsigned weights all 7 on 2-bit cells: slices (low, high) = (3, 1);
// inputs all 11 = 0b1011 bit-serial: cycles see levels 1, 1, 0, 1; 32 rows,
// g_off 0. Column values: 96 (low slice) and 32 (high slice) in cycles 0, 1
// and 3, and 0 in cycle 2.
Config constant_cycles() {
  Config c = small_config();
  c.macro.bits_per_cell = 2;
  c.tile.weights = constant_operand(4, false, 7.0, 15.0);
  c.tile.inputs = constant_operand(4, false, 11.0, 15.0);
  c.tile.rows_used = 32;
  c.tile.cols_used = 4;
  c.macro.adc.bits = 6;
  c.macro.adc.range = AdcRange::calibrated;
  c.macro.adc.per_cycle = true;
  c.run.samples = 64;
  return c;
}

// Uniform random 4-bit operands, bit-serial (4 cycles), 2-bit cells with g_off
// current and read noise, a 5-bit ADC calibrated per cycle.
Config random_cycles() {
  Config c = small_config();
  c.macro.bits_per_cell = 2;
  c.macro.g_off_us = 0.3;
  c.macro.noise.read_sigma_rel = 0.03;
  c.tile.rows_used = 64;
  c.tile.cols_used = 4;
  c.tile.weights = uniform_operand(4, false, 0.0, 1.0, 1.0);
  c.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
  c.macro.adc.bits = 5;
  c.macro.adc.range = AdcRange::calibrated;
  c.macro.adc.per_cycle = true;
  return c;
}

// The converted class table of c's job with one ADC range, full scale fs, for all columns and cycles.
stat::ClassTable shared_range_table(const Config& c, double fs) {
  BuiltJob one;
  build_job(c, philox::JobId{}, one);
  AdcSpec shared = c.macro.adc;
  shared.per_cycle = shared.per_slice = false;
  stat::ClassTable t = stat::build_classes(one, stat::kKeptAtoms, &shared);
  set_adc_full_scale(one.view, fs);
  stat::convert_classes(one.view, t);
  return t;
}

void expect_same_stats(const stat::ConversionStats& a, const stat::ConversionStats& b, int cyc, int q) {
  EXPECT_EQ(a.col, b.col) << cyc << " " << q;
  EXPECT_EQ(a.adc, b.adc) << cyc << " " << q;
  EXPECT_EQ(a.p_clip, b.p_clip) << cyc << " " << q;
  EXPECT_EQ(a.q2[2], b.q2[2]) << cyc << " " << q;
  EXPECT_EQ(a.pe_o[2], b.pe_o[2]) << cyc << " " << q;
}

}  // namespace

TEST(AdcCycles, RangesAreEachCyclesColumnValues) {
  for (bool slices : {false, true}) {
    Config c = constant_cycles();
    c.macro.adc.per_slice = slices;
    const JobResult r = run_cpu(c);
    const JobView& v = r.view;
    ASSERT_EQ(v.adc_mode, AdcMode::per_cycle);
    ASSERT_EQ(v.cycles, 4);
    ASSERT_EQ(v.ppw, 2);
    // Per cycle alone, both positions share the cycle's quantile (96); per
    // slice too, the high slice gets its own 32. Cycle 2 never conducts: its
    // range falls back to one column-value bin (1).
    const double want[4][2] = {{96, slices ? 32.0 : 96}, {96, slices ? 32.0 : 96}, {1, 1}, {96, slices ? 32.0 : 96}};
    for (int cyc = 0; cyc < 4; ++cyc)
      for (int q = 0; q < 2; ++q)
        EXPECT_DOUBLE_EQ(v.adc_delta_cq[cyc * 2 + q] * v.code_max, want[cyc][q]) << slices << " " << cyc << " " << q;
    EXPECT_DOUBLE_EQ(r.adc_full_scale, 96.0);
    // Every value sits on a code (32 = 21 steps of 96/63): the output is exact.
    const GroupMoments t = r.totals();
    EXPECT_LT(std::fabs(t.sum_err), 1e-6);
    EXPECT_EQ(t.clipped, 0u);
  }
}

// The quantile of each (cycle[, slice]) group of recorded pilot values, on
// random values laid out as the pilot records them.
TEST(AdcCycles, QuantilesAgainstBruteForce) {
  JobView v;
  v.samples = 37;
  v.cycles = 3;
  v.G = 2;
  v.ppw = 2;
  v.P = 6;  // three weights of two columns
  v.col_bw = 1.0;
  std::mt19937 rng(5);
  std::normal_distribution<double> d(0.0, 10.0);
  std::vector<double> vals(capture_values(v));
  for (double& x : vals) x = d(rng);
  for (bool slices : {false, true}) {
    AdcSpec adc;
    adc.quantile = 0.8;
    adc.per_slice = slices;
    adc.per_cycle = true;
    const std::vector<double> fs = calibrated_cycle_scales(v, vals.data(), adc);
    ASSERT_EQ(fs.size(), 6u);
    for (int cyc = 0; cyc < 3; ++cyc)
      for (int q = 0; q < 2; ++q) {
        std::vector<double> g;
        for (std::uint64_t s = 0; s < v.samples; ++s)
          for (int gr = 0; gr < v.G; ++gr)
            for (int p = 0; p < v.P; ++p)
              if (!slices || p % 2 == q) g.push_back(std::fabs(vals[((s * v.cycles + cyc) * v.G + gr) * v.P + p]));
        std::sort(g.begin(), g.end());
        const std::size_t rank = static_cast<std::size_t>(std::ceil(0.8 * static_cast<double>(g.size())));
        EXPECT_EQ(fs[cyc * 2 + q], g[rank - 1]) << slices << " " << cyc << " " << q;
      }
  }
}

// The statistical model calibrates per cycle (and slice) too: the same
// hand-computed ranges, exactly (integer column values, one-wide bins), and
// the exact output.
TEST(AdcCycles, StatisticalModelTakesEachCyclesColumnValues) {
  for (bool slices : {false, true}) {
    Config c = constant_cycles();
    c.macro.adc.per_slice = slices;
    ASSERT_EQ(statistical_refusal(c.macro), "");
    BuiltJob job;
    build_job(c, philox::JobId{}, job);
    const StatResult s = statistical_jobs({&job}, c.macro.adc).front();
    const JobView& v = job.view;
    ASSERT_EQ(v.adc_mode, AdcMode::per_cycle);
    const double want[4][2] = {{96, slices ? 32.0 : 96}, {96, slices ? 32.0 : 96}, {1, 1}, {96, slices ? 32.0 : 96}};
    for (int cyc = 0; cyc < 4; ++cyc)
      for (int q = 0; q < 2; ++q)
        EXPECT_DOUBLE_EQ(v.adc_delta_cq[cyc * 2 + q] * v.code_max, want[cyc][q]) << slices << " " << cyc << " " << q;
    EXPECT_DOUBLE_EQ(statistical_full_scale(job, c.macro.adc), 96.0);
    EXPECT_LT(std::fabs(s.err_mean), 1e-9);
    EXPECT_LT(s.err_var, 1e-9);
    EXPECT_EQ(s.clip_rate, 0.0);
  }
}

// On random operands, the model on the sampled run's per-cycle steps (as cimmc
// validate compares them): error variance and clip rate against the sampler's.
TEST(AdcCycles, StatisticalModelWithTheSampledStepsAgrees) {
  for (bool slices : {false, true}) {
    Config c = random_cycles();
    c.macro.adc.quantile = 0.999;
    c.macro.adc.per_slice = slices;
    c.run.samples = 20000;
    c.run.inputs_per_instance = 1;
    const JobResult r = run_cpu(c, 2);
    ASSERT_EQ(r.view.adc_mode, AdcMode::per_cycle);
    const StatJob m = evaluate_statistical_at(c, philox::JobId{}, r.view);
    const GroupMoments t = r.totals();
    const double n = static_cast<double>(t.outputs), mean = t.sum_err / n, var = t.sum_err2 / n - mean * mean;
    EXPECT_NEAR(m.stat.err_var / var, 1.0, 4 * std::sqrt(2.0 / n) + 0.01) << slices;
    const double clip = static_cast<double>(t.clipped) / static_cast<double>(t.conversions);
    EXPECT_NEAR(m.stat.clip_rate, clip, 4 * std::sqrt(clip / static_cast<double>(t.conversions)) + 1e-5) << slices;
    std::printf("per_cycle%s: err var %.6g sampled %.6g, clip %.4g sampled %.4g\n", slices ? "+slice" : "",
                m.stat.err_var, var, m.stat.clip_rate, clip);
  }
}

// Per-cycle ranges: a bit-serial column's atoms are generated once for every
// cycle's classes, and each slice is converted once per distinct cycle step
// (class_table.cpp). Each cycle's classes must come out as a table built with
// one shared range at that cycle's step gives them: the same bits.
TEST(AdcCycles, StatisticalClassesOfEachCycleAreThoseOfASharedRangeAtItsStep) {
  const Config c = random_cycles();
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  JobView& v = job.view;
  ASSERT_EQ(v.cycles, 4);
  stat::ClassTable per = stat::build_classes(job, stat::kKeptAtoms, &c.macro.adc);
  EXPECT_LT(per.sources.size(), per.stats.size());  // the cycles' classes share their column's source
  std::vector<double> fs(static_cast<std::size_t>(v.cycles) * v.ppw);
  for (int cyc = 0; cyc < v.cycles; ++cyc)
    for (int q = 0; q < v.ppw; ++q) fs[cyc * v.ppw + q] = 40.0 + 13.0 * cyc;  // four distinct steps
  set_adc_cycle_scales(v, fs);
  stat::convert_classes(v, per);
  for (int cyc = 0; cyc < v.cycles; ++cyc) {
    const stat::ClassTable sh = shared_range_table(c, fs[cyc * v.ppw]);
    for (int q = 0; q < v.ppw; ++q)
      for (std::size_t gi = 0; gi < per.gs.size(); ++gi)
        expect_same_stats(per.at(v, cyc, q, static_cast<int>(gi)), sh.at(v, cyc, q, static_cast<int>(gi)), cyc, q);
  }
}

// The same for per-slice ranges: weights all 5 = 0b0101 put both 2-bit slices
// at level 1, so their classes share one source, whose slices are converted
// at each slice's step.
TEST(AdcCycles, StatisticalClassesOfEachSliceAreThoseOfASharedRangeAtItsStep) {
  Config c = random_cycles();
  c.tile.weights = constant_operand(4, false, 5.0, 15.0);
  c.macro.adc.per_cycle = false;
  c.macro.adc.per_slice = true;
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  JobView& v = job.view;
  ASSERT_EQ(v.ppw, 2);
  stat::ClassTable per = stat::build_classes(job, stat::kKeptAtoms, &c.macro.adc);
  EXPECT_EQ(per.sources.size(), 1u);  // one row group, both slices' cells alike
  const std::array<double, kMaxPhysPerWeight> fs{30.0, 55.0};
  set_adc_full_scales(v, fs, true);
  ASSERT_EQ(v.adc_mode, AdcMode::per_slice);
  stat::convert_classes(v, per);
  for (int q = 0; q < v.ppw; ++q) {
    const stat::ClassTable sh = shared_range_table(c, fs[q]);
    for (int cyc = 0; cyc < v.cycles; ++cyc) expect_same_stats(per.at(v, cyc, q, 0), sh.at(v, cyc, q, 0), cyc, q);
  }
}

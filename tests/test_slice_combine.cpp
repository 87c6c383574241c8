// macro.slice_combine charge (kernels/slice_combine.hpp): a weight's slice
// columns combined with their place values before one ADC conversion.
// Expectations are independent of the kernel: the combined value of a cycle
// and row group is, by the encodings' definition, sum_j a_cj w_j (a_cj the
// cycle's DAC level of input j), so brute-force dot products and a hand
// quantizer of that value give the outputs; event counts are weights x cycles
// x row groups; a calibrated range is the combined values' quantile; read
// noise follows the closed form sum_q coef_q^2 sigma^2 sum a^2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config_test_util.hpp"
#include "given_util.hpp"
#include "pricing/pricing.hpp"
#include "run_file_util.hpp"
#include "shell_util.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

constexpr int kRows = 32, kRowsActive = 16, kWeights = 4, kSamples = 40;

// 32 rows in 2 row groups of 16, 4 weights of 8 bits on 1-bit cells, 8-bit
// unsigned inputs at dac_bits per cycle, g_off 0, no noise.
Config combined_macro(WeightEncoding enc, int dac_bits, int adc_bits, AdcRange range) {
  Config c = small_config();
  c.macro.rows_active = kRowsActive;
  c.macro.weight_encoding = enc;
  c.macro.dac_bits = dac_bits;
  c.macro.slice_combine = SliceCombine::charge;
  c.macro.adc.bits = adc_bits;
  c.macro.adc.range = range;
  c.tile.rows_used = kRows;
  c.tile.cols_used = kWeights;
  c.tile.inputs = uniform_operand(8, false, 0.0, 1.0, 1.0);
  c.tile.weights = uniform_operand(8, enc != WeightEncoding::unsigned_plain, -1.0, 1.0, 1.0);
  c.run.samples = kSamples;
  c.run.inputs_per_instance = kSamples;
  return c;
}

Given random_operands(std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> x(0, 255), w(-127, 127);  // -128 has no sign-magnitude code
  Given g;
  for (int i = 0; i < kWeights * kRows; ++i) g.w.push_back(w(rng));
  for (int i = 0; i < kSamples * kRows; ++i) g.x.push_back(x(rng));
  return g;
}

// sum_j x_j w_nj over all rows, or over row group g's rows of cycle c's DAC
// levels a_cj = (x_j >> c d) & (2^d - 1) (unsigned bit-sliced inputs).
std::int64_t dot(const Given& g, int s, int n, int c = -1, int grp = 0, int d = 8) {
  std::int64_t acc = 0;
  const int j0 = c < 0 ? 0 : grp * kRowsActive, j1 = c < 0 ? kRows : j0 + kRowsActive;
  for (int j = j0; j < j1; ++j) {
    const int x = g.x[s * kRows + j];
    const int a = c < 0 ? x : (x >> (c * d)) & ((1 << d) - 1);
    acc += static_cast<std::int64_t>(a) * g.w[n * kRows + j];
  }
  return acc;
}

}  // namespace

// (1) Noise-free with an ideal or a fine enough ADC, the one conversion per
// weight returns the exact integer dot product, for every weight encoding
// (negative place values and signed columns included) and for the bit-plane
// (1-bit DAC) and byte-product (2-bit DAC) column paths.
TEST(SliceCombine, NoiseFreeFineOrIdealAdcIsTheExactDotProduct) {
  // Fine: 15 bits, signed code_max 16383 >= the largest combined range
  // (255 x 16 rows x 3 levels = 12240), so the step is one integer.
  for (WeightEncoding enc : {WeightEncoding::twos_complement, WeightEncoding::offset, WeightEncoding::differential,
                             WeightEncoding::sign_magnitude, WeightEncoding::differential_analog})
    for (int dac : {1, 2})
      for (AdcRange range : {AdcRange::ideal, AdcRange::full}) {
        const Config c = combined_macro(enc, dac, 15, range);
        Given g = random_operands(11);
        run_given(c, g);
        for (int s = 0; s < kSamples; ++s)
          for (int n = 0; n < kWeights; ++n)
            ASSERT_EQ(g.y[s * kWeights + n], static_cast<double>(dot(g, s, n)))
                << to_string(enc) << " dac " << dac << " " << to_string(range) << " sample " << s << " weight " << n;
      }
}

// (2) A coarse ADC: 5 bits on the combined value of two's-complement weights
// (place values 1, 2, ..., 64, -128): range full spans
// [-128, 127] x 16 rows x 3 levels, a signed ADC of code_max 15, step
// 128 x 48 / 15. Each (cycle, row group) converts round(V / step) clamped to
// +-15, and the output is sum_c 4^c step x code.
TEST(SliceCombine, CoarseAdcQuantizesTheCombinedValueByHand) {
  const Config c = combined_macro(WeightEncoding::twos_complement, 2, 5, AdcRange::full);
  Given g = random_operands(12);
  const JobResult r = run_given(c, g);
  const double step = 128.0 * kRowsActive * 3 / 15;
  double clipped = 0;
  int inexact = 0;  // the 5-bit ADC must lose information for the test to bite
  for (int s = 0; s < kSamples; ++s)
    for (int n = 0; n < kWeights; ++n) {
      inexact += g.y[s * kWeights + n] != static_cast<double>(dot(g, s, n));
      double y = 0;
      for (int cyc = 0; cyc < 4; ++cyc)
        for (int grp = 0; grp < kRows / kRowsActive; ++grp) {
          const double code = std::floor(static_cast<double>(dot(g, s, n, cyc, grp, 2)) / step + 0.5);
          clipped += std::fabs(code) > 15;
          y += std::ldexp(1.0, 2 * cyc) * step * std::clamp(code, -15.0, 15.0);
        }
      EXPECT_NEAR(g.y[s * kWeights + n], y, 1e-9 * std::fabs(y) + 1e-9) << "sample " << s << " weight " << n;
    }
  EXPECT_GT(inexact, kSamples * kWeights * 9 / 10);
  EXPECT_EQ(static_cast<double>(r.totals().clipped), clipped);
  EXPECT_DOUBLE_EQ(r.view.adc_delta, step);
}

// (3) Events: one ADC conversion (and one shift-add) per weight per input
// cycle and row group, not per column; every physical column still counts a
// column read. Without combination: one conversion per column. A run file
// keeps the mode, so re-pricing it gives the same energy.
TEST(SliceCombine, ConversionsPerMvmAreWeightsTimesCyclesTimesRowGroups) {
  for (SliceCombine mode : {SliceCombine::charge, SliceCombine::none}) {
    Config c = combined_macro(WeightEncoding::twos_complement, 2, 5, AdcRange::full);
    c.macro.slice_combine = mode;
    c.run.samples = 64;
    c.run.inputs_per_instance = 16;
    const JobResult r = run_cpu(c);
    const double cycles = 4, groups = kRows / kRowsActive, cols = kWeights * 8.0;  // 8 one-bit columns per weight
    const double conv = (mode == SliceCombine::charge ? kWeights : cols) * cycles * groups;
    std::uint64_t adc = 0, col = 0;
    for (auto x : r.total(Hist::adc)) adc += x;
    for (auto x : r.total(Hist::col)) col += x;
    EXPECT_EQ(static_cast<double>(adc), conv * c.run.samples) << to_string(mode);
    EXPECT_EQ(static_cast<double>(col), cols * cycles * groups * c.run.samples) << to_string(mode);
    EXPECT_EQ(static_cast<double>(r.conversions()), conv * c.run.samples) << to_string(mode);
    const Report rep = price(r, make_energy_tables(c, r));
    EXPECT_DOUBLE_EQ(rep.events_per_mvm[static_cast<int>(Component::adc)], conv) << to_string(mode);
    EXPECT_DOUBLE_EQ(rep.events_per_mvm[static_cast<int>(Component::shift_add)], conv) << to_string(mode);
    // The run file says so (/job slice_combine_charge), so a read re-prices alike.
    const RunFile f = run_file_round_trip(c, r, "slice_combine");
    EXPECT_EQ(f.result.view.slice_combine, mode == SliceCombine::charge);
    EXPECT_EQ(price(f.result, make_energy_tables(c, f.result)).total_pj.mean, rep.total_pj.mean) << to_string(mode);
  }
}

// A calibrated range calibrates the combined value: constant inputs 255
// (level 3 in each of 4 cycles) and weights -37 give every (cycle, row group)
// the combined value 16 rows x 3 x (-37) = -1776, so the pilot's quantile of
// |value| is 1776 (a single column's values are at most 48), the step is
// 1776 / 15 and every conversion lands on code -15 exactly: no error.
TEST(SliceCombine, CalibratedRangeIsTheCombinedValuesQuantile) {
  Config c = combined_macro(WeightEncoding::twos_complement, 2, 5, AdcRange::calibrated);
  c.tile.inputs = constant_operand(8, false, 255.0, 255.0);
  c.tile.weights = constant_operand(8, true, -37.0, 127.0);
  const JobResult r = run_cpu(c);
  EXPECT_DOUBLE_EQ(r.view.adc_delta * r.view.code_max, 16.0 * 3 * 37);
  EXPECT_EQ(r.view.code_min, -15);
  const GroupMoments t = r.totals();
  EXPECT_EQ(t.sum_err2, 0.0);
  EXPECT_EQ(t.sum_ref / t.outputs, 32.0 * 255 * -37);
  const std::vector<std::uint64_t> codes = r.total(Hist::adc);
  EXPECT_EQ(codes.front(), static_cast<std::uint64_t>(kWeights) * 4 * 2 * c.run.samples);  // all at code -15
}

// Read noise, absolute sigma on every cell (1-bit cells: read_abs = sigma /
// g_on): column q's noise enters the combined value times its place value,
// so with an ideal ADC and constant inputs 255 (level 3 in all 4 cycles) the
// output error variance is sum_c 16^c x groups x C2 x read_abs^2 x 16 rows x 9,
// C2 = sum_q coef_q^2 = (4^7 - 1) / 3 + 4^7 for two's complement.
TEST(SliceCombine, ReadNoiseScalesWithThePlaceValuesClosedForm) {
  Config c = combined_macro(WeightEncoding::twos_complement, 2, 5, AdcRange::ideal);
  c.macro.noise.read_sigma_us = 0.2;
  c.tile.inputs = constant_operand(8, false, 255.0, 255.0);
  c.run.samples = 4000;
  c.run.inputs_per_instance = 100;
  const JobResult r = run_cpu(c);
  const double read_abs = 0.2 / c.macro.g_on_us, c2 = (std::pow(4.0, 7) - 1) / 3 + std::pow(4.0, 7);
  double cycles_sum = 0;
  for (int cyc = 0; cyc < 4; ++cyc) cycles_sum += std::pow(16.0, cyc);
  const double want = cycles_sum * (kRows / kRowsActive) * c2 * read_abs * read_abs * kRowsActive * 9;
  const GroupMoments t = r.totals();
  const double mean = t.sum_err / t.outputs, var = t.sum_err2 / t.outputs - mean * mean;
  // 16,000 Gaussian errors: the variance estimate's relative sd is sqrt(2 / 16000) = 1.1%.
  EXPECT_NEAR(var / want, 1.0, 0.05);
  EXPECT_NEAR(mean / std::sqrt(want), 0.0, 0.05);
}

// (4) Config rules: an analog setting on a digital macro, per-slice ranges
// with one conversion per weight, and a 1-bit ADC for a signed combined value
// are refused with file, line, key, value and rule; the CLI exits 2.
TEST(SliceCombine, ConfigRules) {
  const std::string tile = kValidWorkload;
  EXPECT_EQ(parse_config("macro:\n  cell: sram\n  slice_combine: charge\n" + tile, "cfg.yaml").macro.slice_combine,
            SliceCombine::charge);
  EXPECT_TRUE(is_config_error(parse_error("macro:\n  slice_combine: adder\n" + tile, "cfg.yaml"), "cfg.yaml", 2,
                              "macro.slice_combine", "adder", "must be one of: none, charge"));
  EXPECT_TRUE(is_config_error(parse_error("macro:\n  kind: digital\n  slice_combine: charge\n" + tile, "cfg.yaml"),
                              "cfg.yaml", 3, "macro.slice_combine", "charge", "is an analog setting"));
  EXPECT_TRUE(is_config_error(
      parse_error("macro:\n  slice_combine: charge\n  adc: {bits: 6, range: calibrated, per_slice: true}\n" + tile,
                  "cfg.yaml"),
      "cfg.yaml", 3, "macro.adc.per_slice", "true", "no per-slice ranges"));
  const std::string one_bit = "macro:\n  weight_encoding: twos_complement\n  slice_combine: charge\n  adc: {bits: 1}\n";
  EXPECT_TRUE(is_config_error(parse_error(one_bit + tile, "cfg.yaml"), "cfg.yaml", 4, "macro.adc.bits", "1",
                              "the combined value is signed"));
  const std::string path = ::testing::TempDir() + "slice_combine_digital.yaml";
  std::ofstream(path) << "macro:\n  kind: digital\n  slice_combine: charge\n" << tile;
  const Ran ran = test::cimmc("validate " + path);
  EXPECT_EQ(ran.code, 2) << ran.out;
  EXPECT_NE(ran.out.find("macro.slice_combine: value 'charge'"), std::string::npos) << ran.out;
}

// Sign-magnitude zero weights take a random polarity (kernels/macro_model.hpp),
// so the g_off currents of their cells cancel on average. With every weight
// 0 the whole MVM error is those currents: against the closed form of a
// random +-1 polarity per weight, not the bias a fixed polarity gives.
#include <gtest/gtest.h>

#include <cmath>

#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

// 32 rows x 4 weights, all 0 (4-bit signed, 2-bit cells: magnitude 3 bits in
// 2 slices weighted 1 and 4), inputs all 11 (4-bit unsigned, bit-serial), an
// ideal ADC so nothing rounds the small currents away. g_lsb = 3.2 uS, r_off =
// 0.4 / 3.2 = 0.125 levels. One input per programmed array: every output is
// an independent draw of the polarities.
Config zero_weights() {
  Config c = small_config();
  c.macro.bits_per_cell = 2;
  c.macro.weight_encoding = WeightEncoding::sign_magnitude;
  c.macro.g_on_us = 10.0;
  c.macro.g_off_us = 0.4;
  c.macro.adc.range = AdcRange::ideal;
  c.tile.weights = constant_operand(4, true, 0.0, 7.0);
  c.tile.inputs = constant_operand(4, false, 11.0, 15.0);
  c.tile.rows_used = 32;
  c.tile.cols_used = 4;
  c.run.samples = 4000;
  c.run.inputs_per_instance = 1;
  return c;
}

}  // namespace

// No noise: each output's error is x r_off (1 + 4) sum_j s_j with s_j = +-1,
// so its mean is 0 and E[e^2] = K (5 x r_off)^2. A fixed positive polarity
// would give e = K x 5 r_off = 220 in every output.
TEST(ZeroPolarity, OffCurrentsOfZeroWeightsCancelOnAverage) {
  const JobResult r = run_cpu(zero_weights());
  const GroupMoments t = r.totals();
  const double x = 11, K = 32, r_off = 0.125, want2 = K * std::pow(x * 5 * r_off, 2);
  const double mean = t.sum_err / t.outputs, ms = t.sum_err2 / t.outputs;
  EXPECT_NEAR(mean, 0.0, 4 * std::sqrt(want2 / t.outputs));
  // e / (x 5 r_off) is a sum of K signs: E[e^4] = (3K^2 - 2K) (x 5 r_off)^4,
  // so the mean square's relative SE is sqrt((3K^2 - 2K) / K^2 - 1) / sqrt(n).
  EXPECT_NEAR(ms / want2, 1.0, 4 * std::sqrt((3 * K * K - 2 * K) / (K * K) - 1) / std::sqrt(t.outputs));
}

// With programming noise the cells of a zero weight read max(0, r_off + sd z),
// whose mean exceeds r_off; a fixed polarity turned that into a bias. Random
// polarities keep the mean error at 0.
TEST(ZeroPolarity, MeanErrorIsUnbiasedUnderProgrammingNoise) {
  Config c = zero_weights();
  c.macro.noise.prog_sigma_us = 0.8;  // 0.25 levels: the clamp at 0 matters
  const JobResult r = run_cpu(c, 2);
  const GroupMoments t = r.totals();
  const double mean = t.sum_err / t.outputs, var = t.sum_err2 / t.outputs - mean * mean;
  EXPECT_GT(var, 0.0);
  EXPECT_NEAR(mean, 0.0, 4 * std::sqrt(var / t.outputs));
}

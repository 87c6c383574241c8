// macro.input_scaling: abs_max (per-vector input scaling, aihwkit's noise
// management) against independent expectations: the rescaled output of a
// noise-free ideal-ADC macro equals the brute-force integer MVM of the
// rounded, rescaled vector; with read noise the error variance is the
// closed-form output-referred variance shrunk by (m / Q)^2 per vector.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "config/config.hpp"
#include "config_test_util.hpp"
#include "engine/engine.hpp"
#include "given_util.hpp"
#include "input_scaling.hpp"
#include "study/stat_jobs.hpp"
#include "study/tile_jobs.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

// Random vectors whose max |x| varies from 1 to the top: each sample draws
// its own bound b and then K values in [-b, b] (or [0, b] unsigned).
std::vector<std::int32_t> varied_vectors(int samples, int K, int top, bool is_signed, std::mt19937& rng) {
  std::vector<std::int32_t> x;
  for (int s = 0; s < samples; ++s) {
    const int b = std::uniform_int_distribution<int>(1, top)(rng);
    std::uniform_int_distribution<int> d(is_signed ? -b : 0, b);
    for (int j = 0; j < K; ++j) x.push_back(d(rng));
  }
  return x;
}

// The vector as the DAC sees it, by floating-point rounding (half away from
// zero, std::round) of x Q / m: an independent route to the kernel's integers.
std::vector<std::int64_t> rescaled(const std::int32_t* x, int K, int Q, int& m) {
  m = 0;
  for (int j = 0; j < K; ++j) m = std::max(m, std::abs(x[j]));
  std::vector<std::int64_t> out(K, 0);
  for (int j = 0; j < K && m > 0; ++j) out[j] = static_cast<std::int64_t>(std::round(static_cast<double>(x[j]) * Q / m));
  return out;
}

// 8-bit signed inputs (two's complement, bit-serial) and weights on
// array-subtracted pairs of 2-bit cells with g_off > 0, an ideal ADC: without
// noise every conversion is exact, so the output is the scaled vector's MVM.
Config signed_macro() {
  Config c = small_config();
  c.macro.bits_per_cell = 2;
  c.macro.weight_encoding = WeightEncoding::differential_analog;
  c.macro.input_encoding = InputEncoding::twos_complement;
  c.macro.input_scaling = InputScaling::abs_max;
  c.macro.g_on_us = 10.0;
  c.macro.g_off_us = 0.4;
  c.macro.adc.range = AdcRange::ideal;
  c.tile.rows_used = 40;
  c.tile.cols_used = 6;
  c.tile.weights = uniform_operand(8, true, -1.0, 1.0, 1.0);
  c.tile.inputs = uniform_operand(8, true, -1.0, 1.0, 1.0);
  c.run.samples = 300;
  c.run.inputs_per_instance = 100;
  return c;
}

}  // namespace

TEST(InputScaling, RoundsHalfAwayFromZero) {
  EXPECT_EQ(scale_input(1, 2, 3), 2);    // 1.5
  EXPECT_EQ(scale_input(-1, 2, 3), -2);  // -1.5
  EXPECT_EQ(scale_input(5, 10, 127), 64);  // 63.5
  EXPECT_EQ(scale_input(4, 10, 127), 51);  // 50.8
  EXPECT_EQ(scale_input(-10, 10, 127), -127);
  EXPECT_EQ(scale_input(0, 7, 15), 0);
}

TEST(InputScaling, NoiseFreeOutputIsTheRescaledQuantizedMvm) {
  Config c = signed_macro();
  const int K = c.tile.rows_used, N = c.tile.cols_used, S = static_cast<int>(c.run.samples), Q = 127;
  std::mt19937 rng(3);
  Given g;
  g.x = varied_vectors(S, K, 127, true, rng);
  g.x[5 * K + 3] = -127;  // one vector whose max is the top already: scaling changes nothing there
  for (int j = 0; j < K; ++j) g.x[7 * K + j] = 0;  // an all-zero vector: output 0
  std::uniform_int_distribution<int> wd(-127, 127);
  for (int i = 0; i < N * K; ++i) g.w.push_back(wd(rng));
  run_given(c, g);
  int changed = 0;
  for (int s = 0; s < S; ++s) {
    int m = 0;
    const std::vector<std::int64_t> xs = rescaled(&g.x[static_cast<std::size_t>(s) * K], K, Q, m);
    for (int n = 0; n < N; ++n) {
      std::int64_t dot = 0, exact = 0;
      for (int j = 0; j < K; ++j) {
        dot += g.w[n * K + j] * xs[j];
        exact += static_cast<std::int64_t>(g.w[n * K + j]) * g.x[static_cast<std::size_t>(s) * K + j];
      }
      const double want = static_cast<double>(m) / Q * static_cast<double>(dot);
      const double got = g.y[static_cast<std::size_t>(s) * N + n];
      ASSERT_NEAR(got, want, 1e-9 * (1.0 + std::fabs(want))) << "sample " << s << " output " << n;
      changed += std::fabs(got - static_cast<double>(exact)) > 1e-6;
      if (m == Q || m == 0) {
        EXPECT_NEAR(got, static_cast<double>(exact), 1e-9) << "sample " << s;
      }
    }
  }
  EXPECT_GT(changed, S * N / 2);  // the rounding of rescaled inputs shows in most outputs
  c.macro.input_scaling = InputScaling::none;  // unscaled: the ideal ADC gives the exact MVM
  run_given(c, g);
  for (int s = 0; s < S; ++s)
    for (int n = 0; n < N; ++n) {
      std::int64_t exact = 0;
      for (int j = 0; j < K; ++j) exact += static_cast<std::int64_t>(g.w[n * K + j]) * g.x[static_cast<std::size_t>(s) * K + j];
      ASSERT_NEAR(g.y[static_cast<std::size_t>(s) * N + n], static_cast<double>(exact), 1e-6);
    }
}

// Unsigned 4-bit inputs and weights, 1-bit cells (columns weighted 1, 2, 4, 8),
// g_off = 0, an ideal ADC and absolute read noise sigma per cell read: a
// conversion of DAC levels a_j carries noise of variance sigma^2 sum_j a_j^2
// (in g_lsb units), so an output's error is
//   e = (m/Q) W x' - W x + (m/Q) * noise,
//   E[e^2] = (W x' m/Q - W x)^2 + (m/Q)^2 sigma^2 sum_c 4^c sum_j a_cj^2 * sum_q 4^q
// with a_cj bit c of x'_j: the rounding term by brute force, the noise term
// in closed form, both per vector.
TEST(InputScaling, ReadNoiseShrinksWithEachVectorsScale) {
  Config c = small_config();
  c.macro.input_scaling = InputScaling::abs_max;
  c.macro.adc.range = AdcRange::ideal;
  const double sigma_us = 1.5, g_lsb = 10.0;  // g_on 10 uS, 1-bit cells
  c.macro.noise.read_sigma_us = sigma_us;
  c.tile.rows_used = 48;
  c.tile.cols_used = 8;
  c.run.samples = 6000;
  c.run.inputs_per_instance = 1000;
  const int K = c.tile.rows_used, N = c.tile.cols_used, S = static_cast<int>(c.run.samples), Q = 15;
  std::mt19937 rng(11);
  Given g;
  g.x = varied_vectors(S, K, 15, false, rng);
  std::uniform_int_distribution<int> wd(0, 15);
  for (int i = 0; i < N * K; ++i) g.w.push_back(wd(rng));
  const double s2 = (sigma_us / g_lsb) * (sigma_us / g_lsb), wq = 1 + 4 + 16 + 64;
  for (InputScaling sc : {InputScaling::abs_max, InputScaling::none}) {
    c.macro.input_scaling = sc;
    run_given(c, g);
    double got = 0, want = 0, noise_part = 0;
    for (int s = 0; s < S; ++s) {
      const std::int32_t* x = &g.x[static_cast<std::size_t>(s) * K];
      int m = 0;
      std::vector<std::int64_t> xs = rescaled(x, K, Q, m);
      double f = static_cast<double>(m) / Q;
      if (sc == InputScaling::none) xs.assign(x, x + K), f = 1.0;
      double levels = 0;
      for (int cyc = 0; cyc < 4; ++cyc)
        for (int j = 0; j < K; ++j) levels += std::ldexp(1.0, 2 * cyc) * static_cast<double>((xs[j] >> cyc) & 1);
      for (int n = 0; n < N; ++n) {
        std::int64_t dot = 0, exact = 0;
        for (int j = 0; j < K; ++j) dot += g.w[n * K + j] * xs[j], exact += g.w[n * K + j] * x[j];
        const double e = g.y[static_cast<std::size_t>(s) * N + n] - static_cast<double>(exact);
        const double bias = f * static_cast<double>(dot) - static_cast<double>(exact);
        got += e * e;
        want += bias * bias + f * f * s2 * levels * wq;
        noise_part += f * f * s2 * levels * wq;
      }
    }
    // The noise term dominates; its estimate's relative SE is about sqrt(2 / outputs).
    const double n_out = static_cast<double>(S) * N;
    EXPECT_NEAR(got / want, 1.0, 5 * std::sqrt(2.0 / n_out) * noise_part / want) << to_string(sc);
  }
}

// Only set scaling changes a job's key (and so its random streams); the
// statistical model takes it (tests/test_statistical.cpp).
TEST(InputScaling, JobKeyAndStatisticalModel) {
  Config c = small_config();
  const std::string plain = job_key(c);
  c.macro.input_scaling = InputScaling::abs_max;
  EXPECT_NE(job_key(c), plain);
  EXPECT_EQ(statistical_refusal(c.macro), "");
  c.macro.input_scaling = InputScaling::none;
  EXPECT_EQ(job_key(c), plain);
}

TEST(InputScaling, ConfigKeyAndItsRules) {
  EXPECT_EQ(parse_config("macro:\n  input_scaling: abs_max\n" + kValidWorkload, "s.yaml").macro.input_scaling,
            InputScaling::abs_max);
  EXPECT_EQ(parse_config(kValidWorkload, "s.yaml").macro.input_scaling, InputScaling::none);
  auto err = [](const std::string& macro) { return parse_error("macro:\n" + macro + kValidWorkload, "s.yaml"); };
  EXPECT_TRUE(is_config_error(err("  input_scaling: max\n"), "s.yaml", 2, "macro.input_scaling", "max",
                              "must be one of: none, abs_max"));
  EXPECT_TRUE(is_config_error(err("  kind: digital\n  input_scaling: abs_max\n"), "s.yaml", 3, "macro.input_scaling",
                              "abs_max", "must be none when macro.kind is digital"));
}

// Correlated inputs (issue 4, "where independence breaks"): the `correlation`
// key of an input distribution, the copula tables, and the sampler's Gaussian
// copula, checked against the quantized PMF (marginals), the closed-form
// variance of a sum of equicorrelated Bernoulli rows, and thread invariance.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "engine/job_builder.hpp"
#include "engine/operands.hpp"
#include "launcher.hpp"
#include "normal.hpp"
#include "study/tile_jobs.hpp"
#include "test_util.hpp"
#include "workload_test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;
using cimmc::wltest::has_error;

namespace {

// Single-tile workload with correlated inputs on line 3 (7 lines).
const std::string kCorrTile = R"(workload:
  inputs:
    distribution: {kind: relu_normal, std: 1.0, zero_fraction: 0.5, correlation: 0.25}
  weights:
    bits: 8
    signed: true
    distribution: {kind: normal, std: 0.5}
)";

std::string with_input_correlation(const std::string& value) {
  std::string y = kCorrTile;
  y.replace(y.find("0.25"), 4, value);
  return y;
}

double phi_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// Phi^-1 by bisection on erfc: slow, but independent of normal_quantile.
double bisect_quantile(double p) {
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (phi_cdf(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// P(Z1 <= t, Z2 <= t) for standard normals with correlation rho, by Plackett's
// identity d Phi2 / d rho = phi2(t, t; rho), integrated with Simpson's rule.
double phi2_diag(double t, double rho) {
  const int n = 2000;
  const double h = rho / n;
  auto f = [&](double r) { return std::exp(-t * t / (1 + r)) / (2 * M_PI * std::sqrt(1 - r * r)); };
  double s = f(0) + f(rho);
  for (int i = 1; i < n; ++i) s += (i % 2 ? 4 : 2) * f(i * h);
  return phi_cdf(t) * phi_cdf(t) + s * h / 3;
}

// 1-bit Bernoulli(p) inputs against K all-ones weights, lossless: the column
// value is the number of ones among the K rows.
Config popcount_config(double p, double rho, int K) {
  Config c = small_config();
  c.tile.rows_used = K;
  c.tile.cols_used = 1;
  c.tile.inputs = bernoulli_operand(p);
  c.tile.inputs.dist.correlation = rho;
  c.tile.weights = constant_operand(1, false, 1.0, 1.0);
  c.run.samples = 20000;
  c.run.inputs_per_instance = 64;
  return c;
}

// Mean and variance of the column value from its histogram.
std::pair<double, double> column_moments(const JobResult& r) {
  const std::vector<std::uint64_t> h = r.total(Hist::col);
  double n = 0, s = 0, s2 = 0;
  for (std::size_t b = 0; b < h.size(); ++b) {
    const double x = r.view.col_lo + static_cast<double>(b) * r.view.col_bw, c = static_cast<double>(h[b]);
    n += c, s += c * x, s2 += c * x * x;
  }
  const double m = s / n;
  return {m, s2 / n - m * m};
}

}  // namespace

// ---------------------------------------------------------------- config

TEST(CorrelationConfig, ParsesOnInputsAndDefaultsToZero) {
  const Config c = parse_config(kCorrTile, "cfg.yaml");
  EXPECT_EQ(c.tile.inputs.dist.correlation, 0.25);
  EXPECT_EQ(c.tile.weights.dist.correlation, 0.0);
  EXPECT_EQ(parse_config(with_input_correlation("0"), "cfg.yaml").tile.inputs.dist.correlation, 0.0);
  // Every kind takes it, like clip.
  const Config h = parse_config(
      "workload:\n  inputs:\n    distribution: {kind: histogram, bins: [1, 2, 1], correlation: 0.5}\n"
      "  weights:\n    bits: 8\n    signed: true\n    distribution: {kind: normal, std: 0.5}\n",
      "cfg.yaml");
  EXPECT_EQ(h.tile.inputs.dist.correlation, 0.5);
}

TEST(CorrelationConfig, RangeIsZeroToOneExclusive) {
  const std::string key = "workload.inputs.distribution.correlation";
  EXPECT_TRUE(has_error(with_input_correlation("1"), 3, key, "1", "must be a number in [0, 1)"));
  EXPECT_TRUE(has_error(with_input_correlation("-0.1"), 3, key, "-0.1", "must be a number in [0, 1)"));
  EXPECT_TRUE(has_error(with_input_correlation("high"), 3, key, "high", "must be a number"));
  // validate() re-checks structs changed after parsing (no line then).
  Config c = parse_config(kCorrTile, "cfg.yaml");
  c.tile.inputs.dist.correlation = 1.0;
  try {
    validate(c, "cfg.yaml");
    ADD_FAILURE() << "correlation 1 accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "cfg.yaml: " + key + ": value '1': must be a number in [0, 1)");
  }
}

TEST(CorrelationConfig, WeightsAreRejected) {
  std::string tile = kCorrTile;
  tile.replace(tile.find("std: 0.5}"), 9, "std: 0.5, correlation: 0.5}");
  EXPECT_TRUE(has_error(tile, 7, "workload.weights.distribution.correlation", "0.5",
                        "correlation applies to inputs only"));
  // Network mode: the defaults, and a layer's own weights.
  const std::string defaults = std::string("workload:\n  defaults:\n") +
                               "    inputs: {bits: 8, distribution: {kind: relu_normal, std: 1.0}}\n" +
                               "    weights: {bits: 8, signed: true, distribution: {kind: normal, std: 0.5, "
                               "correlation: 0.1}}\n  layers:\n    - {type: linear, in_features: 4, out_features: 4}\n";
  EXPECT_TRUE(has_error(defaults, 4, "workload.defaults.weights.distribution.correlation", "0.1",
                        "correlation applies to inputs only"));
  const std::string layer = wltest::kNetHead +
                            "    - type: linear\n      in_features: 4\n      out_features: 4\n"
                            "      weights: {bits: 8, signed: true, distribution: {kind: normal, std: 1, correlation: 0.2}}\n";
  EXPECT_TRUE(has_error(layer, 9, "workload.layers[0].weights.distribution.correlation", "0.2",
                        "correlation applies to inputs only"));
}

TEST(CorrelationConfig, LayerInputsAcceptItAndJobKeysSeparate) {
  const std::string layer = wltest::kNetHead +
                            "    - type: linear\n      in_features: 4\n      out_features: 4\n"
                            "      inputs: {distribution: {kind: uniform, low: 0, high: 1, correlation: 0.5}}\n";
  const Config c = parse_config(layer, "cfg.yaml");
  ASSERT_EQ(c.network.layers.size(), 1u);
  EXPECT_EQ(c.network.layers[0].inputs.dist.correlation, 0.5);
  EXPECT_EQ(c.network.default_inputs.dist.correlation, 0.0);

  // Correlated and independent jobs never merge; independent keys are unchanged.
  Config a = small_config(), b = small_config();
  b.tile.inputs.dist.correlation = 0.5;
  EXPECT_NE(job_key(a), job_key(b));
  EXPECT_EQ(job_key(a).find("rho:"), std::string::npos);
  EXPECT_NE(job_key(b).find("rho:"), std::string::npos);
}

// ---------------------------------------------------------------- tables

TEST(CorrelationTables, NormalQuantileMatchesBisection) {
  for (double p : {1e-300, 1e-12, 1e-6, 0.01, 0.0243, 0.1, 0.3, 0.5, 0.7, 0.9, 0.9757, 0.999, 1 - 1e-6}) {
    const double want = bisect_quantile(p);
    EXPECT_NEAR(normal_quantile(p), want, 1e-9 * (1 + std::fabs(want))) << p;
  }
  EXPECT_EQ(normal_quantile(0.0), -HUGE_VAL);
  EXPECT_EQ(normal_quantile(1.0), HUGE_VAL);
}

// The copula's deviates: the word u is the (u + 1/2) / 2^32 quantile, so
// Phi(z(u)) must be that probability, relative to the nearer tail, everywhere
// (the table-based std_normal is off by up to 8% of a 4096th bin near |z| 3.3).
TEST(CorrelationTables, PreciseNormalHasTheExactCdf) {
  double worst = 0;
  float prev = -HUGE_VALF;
  for (std::uint64_t u = 0; u < (std::uint64_t{1} << 32); u += 997) {
    const float z = std_normal_precise(static_cast<std::uint32_t>(u));
    ASSERT_GE(z, prev) << u;  // monotone in the word
    prev = z;
    const double p = (static_cast<double>(u) + 0.5) / 4294967296.0;
    worst = std::max(worst, std::fabs(phi_cdf(z) - p) / std::min(p, 1 - p));
  }
  EXPECT_LT(worst, 2e-6);  // float rounding of z: |dz| <= 3e-7 at |z| = 6
  EXPECT_EQ(std_normal_precise(0x7FFFFFFFu), -std_normal_precise(0x80000000u));
  EXPECT_NEAR(std_normal_precise(0), -6.3379578, 1e-5);  // Phi^-1(2^-33)
  RecordProperty("worst_rel_cdf_error", std::to_string(worst));
}

TEST(CorrelationTables, NormalScoresAreThePmfQuantiles) {
  // A 4-bit relu_normal: a point mass at 0 and a thin upper tail.
  OperandSpec op;
  op.bits = 4;
  op.dist.kind = DistKind::relu_normal;
  op.dist.zero_fraction = 0.3;
  const QuantizedPmf pmf = quantize(op);
  const std::vector<float> z = build_normal_scores(pmf);
  ASSERT_EQ(z.size(), pmf.p.size());
  double below = 0;
  for (std::size_t k = 0; k + 1 < z.size(); ++k) {
    below += pmf.p[k];
    double above = 0;  // summed from the top, as an exact tail
    for (std::size_t i = k + 1; i < pmf.p.size(); ++i) above += pmf.p[i];
    const double want = below <= 0.5 ? bisect_quantile(below) : -bisect_quantile(above);
    EXPECT_NEAR(z[k], want, 2e-7 * (1 + std::fabs(want))) << k;
  }
  EXPECT_EQ(z.back(), HUGE_VALF);

  // Empty bins: no mass below -> -inf; nothing above -> +inf (never drawn past).
  QuantizedPmf two;
  two.qmin = 0, two.qmax = 3;
  two.p = {0.0, 1 - 1e-12, 1e-12, 0.0};
  const std::vector<float> t = build_normal_scores(two);
  EXPECT_EQ(t[0], -HUGE_VALF);
  EXPECT_NEAR(t[1], 7.0344838, 1e-5);  // -Phi^-1(1e-12): the tail keeps its precision
  EXPECT_EQ(t[2], HUGE_VALF);
  EXPECT_EQ(t[3], HUGE_VALF);
}

// ---------------------------------------------------------------- sampler

// With the whole value range on one DAC cycle (4-bit inputs, 4 DAC bits) the
// DAC histogram is the input histogram: it must be the quantized PMF for any
// rho. Rows of one vector are dependent when rho > 0, so the tolerance there
// uses the number of vectors, not rows (the worst case, all rows equal); a
// one-row tile has independent draws again, and gets the exact binomial bound.
TEST(CorrelationSampler, MarginalsArePreserved) {
  Config c = small_config();
  c.macro.dac_bits = 4;
  c.tile.cols_used = 1;
  c.tile.inputs.bits = 4;
  c.tile.inputs.dist = DistributionSpec{};
  c.tile.inputs.dist.kind = DistKind::relu_normal;
  c.tile.inputs.dist.zero_fraction = 0.3;
  c.tile.weights = constant_operand(1, false, 1.0, 1.0);
  c.run.inputs_per_instance = 64;
  const QuantizedPmf pmf = quantize(c.tile.inputs);
  struct Case { double rho; int K; std::uint64_t samples; };
  for (const Case cs : {Case{0.0, 16, 40000}, Case{0.5, 16, 40000}, Case{0.9, 16, 40000}, Case{0.9, 1, 400000}}) {
    c.tile.inputs.dist.correlation = cs.rho;
    c.tile.rows_used = cs.K;
    c.run.samples = cs.samples;
    const JobResult r = run_cpu(c, 2);
    const std::vector<std::uint64_t> h = r.total(Hist::dac);
    ASSERT_EQ(h.size(), pmf.p.size());
    const double n = static_cast<double>(std::accumulate(h.begin(), h.end(), std::uint64_t{0}));
    ASSERT_EQ(n, static_cast<double>(cs.K * cs.samples));
    const double eff = cs.rho > 0 && cs.K > 1 ? static_cast<double>(cs.samples) : n;
    double worst = 0;
    for (std::size_t k = 0; k < h.size(); ++k) {
      const double p = pmf.p[k], f = static_cast<double>(h[k]) / n;
      const double sd = std::sqrt(std::max(p * (1 - p), 1e-9) / eff);
      worst = std::max(worst, std::fabs(f - p) / sd);
      EXPECT_LT(std::fabs(f - p), 5 * sd) << "rho " << cs.rho << " K " << cs.K << " level " << k << " p " << p;
    }
    RecordProperty("worst_z_rho" + std::to_string(cs.rho) + "_K" + std::to_string(cs.K), std::to_string(worst));
  }
}

// Var(sum of K rows) = K p(1-p) (1 + (K-1) r) with the rows' correlation
// r = (Phi2(t, t; rho) - p^2) / (p(1-p)), t = Phi^-1(p); at p = 1/2 this is
// the arcsine law r = (2/pi) asin(rho).
TEST(CorrelationSampler, ColumnVarianceMatchesTheCopula) {
  const int K = 64;
  for (double p : {0.5, 0.2}) {
    double prev = 0;
    for (double rho : {0.0, 0.1, 0.3, 0.6}) {
      const JobResult r = run_cpu(popcount_config(p, rho, K), 2);
      const auto [mean, var] = column_moments(r);
      const double t = bisect_quantile(p);
      const double rr = (phi2_diag(t, rho) - p * p) / (p * (1 - p));
      if (p == 0.5) {
        EXPECT_NEAR(rr, 2 / M_PI * std::asin(rho), 1e-9);
      }
      const double want = K * p * (1 - p) * (1 + (K - 1) * rr);
      // The mean is exact in expectation; the variance estimate from 20000
      // vectors has a relative standard error of about sqrt(2/20000) = 1%.
      EXPECT_NEAR(mean, K * p, 5 * std::sqrt(want / 20000)) << "p " << p << " rho " << rho;
      EXPECT_NEAR(var / want, 1.0, 0.06) << "p " << p << " rho " << rho << " var " << var << " want " << want;
      EXPECT_GT(var, prev) << "p " << p << " rho " << rho;
      if (rho == 0.3) {
        EXPECT_GT(var, 2 * K * p * (1 - p));
      }
      prev = var;
      RecordProperty("var_p" + std::to_string(p) + "_rho" + std::to_string(rho),
                     std::to_string(var) + " want " + std::to_string(want));
    }
  }
}

TEST(CorrelationSampler, DeterministicAcrossThreadCounts) {
  Config c = small_config();
  c.macro.bits_per_cell = 2;
  c.tile.inputs = uniform_operand(8, false, 0.0, 1.0, 1.0);
  c.tile.inputs.dist.correlation = 0.4;
  const JobResult a = run_cpu(c, 1), b = run_cpu(c, 2);
  EXPECT_EQ(a.hist, b.hist);
  for (int g = 0; g < kBatchGroups; ++g) {
    EXPECT_EQ(a.groups[g].sum_err2, b.groups[g].sum_err2);
    EXPECT_EQ(a.groups[g].sum_ref2, b.groups[g].sum_ref2);
  }
  // And the correlation is really applied: the independent run differs.
  c.tile.inputs.dist.correlation = 0.0;
  EXPECT_NE(run_cpu(c, 1).hist, a.hist);
}

// The same model on the GPU: statistically equal (float rounding of z may
// move a draw across a threshold, so not bit for bit). Skipped without a GPU.
TEST(CorrelationSampler, CudaAgreesWithCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU visible";
  const Config c = popcount_config(0.3, 0.4, 64);
  EngineOptions o;
  o.backend = Backend::cuda;
  const JobResult gpu = run_job(c, o), cpu = run_cpu(c, 2);
  const std::vector<std::uint64_t> hg = gpu.total(Hist::col), hc = cpu.total(Hist::col);
  ASSERT_EQ(hg.size(), hc.size());
  double diff = 0, n = 0;
  for (std::size_t b = 0; b < hg.size(); ++b) {
    diff += std::fabs(static_cast<double>(hg[b]) - static_cast<double>(hc[b]));
    n += static_cast<double>(hc[b]);
  }
  EXPECT_LT(diff / n, 1e-3);  // the same draws up to a rare threshold flip
  EXPECT_NEAR(column_moments(gpu).second, column_moments(cpu).second, 0.01 * column_moments(cpu).second);
}

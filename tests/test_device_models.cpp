// Device models (kernels/device_model.hpp): state-dependent programming noise
// and conductance drift against the published formulas, written out here
// again, and closed forms; drift compensation against its expectation;
// determinism across thread counts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "engine/job_builder.hpp"
#include "model_test_util.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

double phi(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }
double pdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2 * std::numbers::pi); }

// Mean and variance of max(0, N(mu, s^2)).
void clamped_normal(double mu, double s, double& m, double& var) {
  const double t = mu / s;
  m = mu * phi(t) + s * pdf(t);
  const double m2 = (mu * mu + s * s) * phi(t) + mu * s * pdf(t);
  var = m2 - m * m;
}

// A 2-bit-cell array with every level present: 512 rows x 16 unsigned 2-bit
// weights (one cell each), uniform over 0..3.
Config device_array() {
  Config c = small_config();
  c.macro.rows = 512;
  c.macro.cols = 16;
  c.macro.bits_per_cell = 2;
  c.tile.weights = uniform_operand(2, false, 0.0, 1.0, 1.0);
  c.tile.inputs = uniform_operand(2, false, 0.0, 1.0, 1.0);
  c.macro.adc.bits = 12;
  return c;
}

// Conductances [g_lsb] of `instances` programmed arrays, grouped by cell level.
std::vector<std::vector<double>> programmed(const Config& c, int instances) {
  BuiltJob job;
  build_job(c, {}, job);
  const JobView& v = job.view;
  BoundWorkspace bound(v);
  const Workspace& ws = bound.ws;
  std::vector<std::vector<double>> by_level(v.L);
  for (int i = 0; i < instances; ++i) {
    program_instance(v, ws, static_cast<std::uint32_t>(i), OneLane{});
    for (int p = 0; p < v.pcell; ++p)
      for (int j = 0; j < v.K; ++j)
        by_level[ws.lev[static_cast<std::size_t>(p) * v.K + j]].push_back(
            ws.gf[static_cast<std::size_t>(j) * v.pcell + p]);
  }
  return by_level;
}

void mean_var(const std::vector<double>& x, double& m, double& var) {
  double s = 0, s2 = 0;
  for (double y : x) s += y, s2 += y * y;
  m = s / x.size();
  var = s2 / x.size() - m * m;
}

// Each level's sampled mean and spread against a Gaussian of sigma_us(G)
// around G = g_off + l g_lsb, clamped at 0 as the sampler keeps conductances
// non-negative; 4-standard-error bands.
template <class Sigma>
void expect_levels(const std::vector<std::vector<double>>& cells, double g_off, double g_lsb, Sigma sigma_us) {
  for (int l = 0; l < static_cast<int>(cells.size()); ++l) {
    const double G = g_off + l * g_lsb;
    double want_m, want_v, m, var;
    clamped_normal(G / g_lsb, sigma_us(G) / g_lsb, want_m, want_v);
    mean_var(cells[l], m, var);
    const double n = cells[l].size();
    ASSERT_GT(n, 10000) << l;
    EXPECT_NEAR(m, want_m, 4 * std::sqrt(want_v / n)) << "level " << l;
    EXPECT_NEAR(std::sqrt(var) / std::sqrt(want_v), 1.0, 4 / std::sqrt(2 * n)) << "level " << l;
  }
}

}  // namespace

// PCM (aihwkit, Nandakumar et al. 2019): sigma = c0 + c1 gT + c2 gT^2 uS at
// g_max = 25 uS.
TEST(ProgNoise, PcmSigmaIsThePublishedQuadratic) {
  Config c = device_array();
  c.macro.g_on_us = 25.0;
  c.macro.g_off_us = 0.25;
  c.macro.noise.prog_model = ProgNoiseModel::pcm;
  expect_levels(programmed(c, 8), 0.25, (25.0 - 0.25) / 3, [](double G) {
    const double gt = G / 25.0;
    return 0.26348 + 1.9650 * gt - 1.1731 * gt * gt;
  });
}

// ReRAM (Wan et al., Nature 2022, Extended Data Fig. 3, CrossSim's cubic
// fit): sigma = A G^3 + B G^2 + C G + D uS with G in uS, for g_on 30 uS.
TEST(ProgNoise, ReramSigmaIsThePublishedCubic) {
  Config c = device_array();
  c.macro.g_on_us = 30.0;
  c.macro.g_off_us = 1.0;
  c.macro.noise.prog_model = ProgNoiseModel::reram_wan;
  expect_levels(programmed(c, 8), 1.0, 29.0 / 3,
                [](double G) { return 1.536e-4 * G * G * G - 1.167e-2 * G * G + 2.374e-1 * G + 1.053; });
}

// The state model adds in quadrature to the constant sigmas: with a 0.3 uS
// absolute sigma on top of PCM the variance of a high level (no clamping)
// is the sum.
TEST(ProgNoise, AddsInQuadratureToConstantSigma) {
  Config c = device_array();
  c.macro.g_on_us = 25.0;
  c.macro.g_off_us = 0.25;
  c.macro.noise.prog_model = ProgNoiseModel::pcm;
  c.macro.noise.prog_sigma_us = 0.3;
  const auto cells = programmed(c, 8);
  const double g_lsb = (25.0 - 0.25) / 3, gt = 1.0;
  const double s_pcm = 0.26348 + 1.9650 * gt - 1.1731 * gt * gt;
  const double want = (s_pcm * s_pcm + 0.09) / (g_lsb * g_lsb);
  double m, var;
  mean_var(cells[3], m, var);
  EXPECT_NEAR(var / want, 1.0, 4 * std::sqrt(2.0 / cells[3].size()));
}

namespace {

// aihwkit's nu fit (docs/source/pcm_inference.rst), gT = G / g_max.
void pcm_nu(double gt, double& mu, double& s) {
  mu = std::min(std::max(-0.0155 * std::log(gt) + 0.0244, 0.049), 0.1);
  s = std::min(std::max(-0.0125 * std::log(gt) - 0.0059, 0.008), 0.045);
}

// E[(t / t0)^(-max(nu, 0))] for nu ~ N(mu, s^2), L = ln(t / t0): the
// lognormal moment exp(-mu L + s^2 L^2 / 2) over nu > 0, plus P(nu <= 0).
double drift_mean(double mu, double s, double L) {
  return std::exp(-mu * L + 0.5 * s * s * L * L) * phi((mu - s * s * L) / s) + phi(-mu / s);
}

}  // namespace

// Drift alone (no programming noise): G(t) / G0 = (t / t0)^(-nu), nu per cell
// from aihwkit's state-dependent fit, read a year after programming. The
// sampled mean and variance per level against the closed forms (the second
// moment is the first at 2L).
TEST(Drift, MeanConductanceIsTheClosedForm) {
  Config c = device_array();
  c.macro.g_on_us = 25.0;
  c.macro.g_off_us = 0.25;
  c.macro.noise.drift.t_seconds = 3.15e7;
  const auto cells = programmed(c, 8);
  const double g_lsb = (25.0 - 0.25) / 3, L = std::log(3.15e7 / 20.0);
  for (int l = 0; l < 4; ++l) {
    const double g0 = (0.25 + l * g_lsb) / g_lsb;
    double mu, s;
    pcm_nu(g0 * g_lsb / 25.0, mu, s);
    const double e1 = drift_mean(mu, s, L), e2 = drift_mean(mu, s, 2 * L);
    const double want_m = g0 * e1, want_v = g0 * g0 * (e2 - e1 * e1);
    double m, var;
    mean_var(cells[l], m, var);
    const double n = cells[l].size();
    EXPECT_NEAR(m, want_m, 4 * std::sqrt(want_v / n)) << "level " << l;
    EXPECT_NEAR(var / want_v, 1.0, 0.05) << "level " << l;  // lognormal-ish: a loose band on the spread
  }
}

// nu: constant, normal with the given mean and sigma for every state; sigma
// large enough that nu < 0 (clamped) happens 16% of the time.
TEST(Drift, ConstantNuWithClampAgainstClosedForm) {
  Config c = device_array();
  c.macro.noise.drift.t_seconds = 2000.0;
  c.macro.noise.drift.nu_model = DriftNuModel::constant;
  c.macro.noise.drift.nu_mean = 0.05;
  c.macro.noise.drift.nu_sigma = 0.05;
  const auto cells = programmed(c, 8);
  const double L = std::log(2000.0 / 20.0);
  const double e1 = drift_mean(0.05, 0.05, L), e2 = drift_mean(0.05, 0.05, 2 * L);
  for (int l = 1; l < 4; ++l) {  // g_off = 0: level 0 stays 0
    double m, var;
    mean_var(cells[l], m, var);
    const double n = cells[l].size(), want_v = l * l * (e2 - e1 * e1);
    EXPECT_NEAR(m, l * e1, 4 * std::sqrt(want_v / n)) << "level " << l;
  }
  for (double g : cells[0]) ASSERT_EQ(g, 0.0);
}

namespace {

// Per batch group, the mean output y = err + ref of a run.
std::vector<double> group_means(const JobResult& r) {
  std::vector<double> m;
  for (const auto& g : r.groups) m.push_back((g.sum_err + g.sum_ref) / g.outputs);
  return m;
}

// Mean and standard error of the group-wise differences a - b.
void diff_stats(const std::vector<double>& a, const std::vector<double>& b, double& mean, double& se) {
  const int n = static_cast<int>(a.size());
  double s = 0, s2 = 0;
  for (int i = 0; i < n; ++i) s += a[i] - b[i], s2 += (a[i] - b[i]) * (a[i] - b[i]);
  mean = s / n;
  se = std::sqrt((s2 / n - mean * mean) / (n - 1));
}

Config drift_run() {
  Config c = small_config();
  c.macro.rows = 128;
  c.macro.cols = 32;
  c.macro.bits_per_cell = 2;
  c.macro.g_on_us = 25.0;
  c.macro.g_off_us = 0.25;
  c.tile.weights = uniform_operand(4, false, 0.0, 1.0, 1.0);
  c.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
  c.macro.adc.range = AdcRange::ideal;
  c.macro.noise.prog_model = ProgNoiseModel::pcm;
  c.run.samples = 8192;
  c.run.inputs_per_instance = 32;
  return c;
}

}  // namespace

// Global drift compensation scales the outputs by sum|column at t0| / sum|column
// at t| read with all rows driven: over inputs i.i.d. across rows the mean
// output is then the one at t0 (the same programming draws: drift has its own
// stream). The mean difference per batch group is within 4 standard errors
// of 0 with compensation, and the drift loss (about 50% after a year) is far
// outside without.
TEST(Drift, CompensationRestoresTheMeanOutput) {
  const Config t0 = drift_run();
  Config comp = t0;
  comp.macro.noise.drift.t_seconds = 3.15e7;
  comp.macro.noise.drift.compensation = true;
  Config raw = comp;
  raw.macro.noise.drift.compensation = false;
  const auto m0 = group_means(run_cpu(t0, 2));
  double mean, se;
  diff_stats(group_means(run_cpu(comp, 2)), m0, mean, se);
  EXPECT_LT(std::fabs(mean), 4 * se) << mean << " +- " << se;
  const double level = m0[0];
  EXPECT_LT(std::fabs(mean) / level, 0.01);
  diff_stats(group_means(run_cpu(raw, 2)), m0, mean, se);
  EXPECT_GT(std::fabs(mean), 50 * se);
  EXPECT_GT(std::fabs(mean) / level, 0.3);
}

// Same seed, any thread count: identical histograms and moments with every
// device model on (pairs, PCM programming noise, drift, compensation, read noise).
TEST(Drift, DeterministicAcrossThreadCounts) {
  Config c = drift_run();
  c.macro.weight_encoding = WeightEncoding::differential_analog;
  c.tile.weights = uniform_operand(4, true, -1.0, 1.0, 1.0);
  c.macro.adc.range = AdcRange::full;
  c.macro.adc.bits = 8;
  c.macro.noise.read_sigma_rel = 0.02;
  c.macro.noise.drift.t_seconds = 86400;
  c.macro.noise.drift.compensation = true;
  c.run.samples = 600;
  const JobResult one = run_cpu(c, 1), three = run_cpu(c, 3);
  EXPECT_EQ(one.hist, three.hist);
  ASSERT_EQ(one.groups.size(), three.groups.size());
  for (std::size_t g = 0; g < one.groups.size(); ++g) {
    EXPECT_EQ(one.groups[g].sum_err, three.groups[g].sum_err) << g;
    EXPECT_EQ(one.groups[g].sum_err2, three.groups[g].sum_err2) << g;
    EXPECT_EQ(one.groups[g].sum_ref, three.groups[g].sum_ref) << g;
  }
  EXPECT_GT(one.totals().sum_err2, 0.0);
}

// ---- config keys: values reach the structs; bad ones are file:line errors.

#include "config_test_util.hpp"

TEST(DeviceConfig, KeysFillTheStructs) {
  const Config c = parse_config(R"(macro:
  weight_encoding: differential_analog
  g_on_us: 25
  noise:
    programming_model: pcm
    drift: {t_seconds: 3600, t0_seconds: 10, nu: constant, nu_mean: 0.06, nu_sigma: 0.01, compensation: true}
)" + kValidWorkload, "d.yaml");
  EXPECT_EQ(c.macro.weight_encoding, WeightEncoding::differential_analog);
  EXPECT_EQ(c.macro.noise.prog_model, ProgNoiseModel::pcm);
  const DriftSpec& d = c.macro.noise.drift;
  EXPECT_EQ(d.t_seconds, 3600);
  EXPECT_EQ(d.t0_seconds, 10);
  EXPECT_EQ(d.nu_model, DriftNuModel::constant);
  EXPECT_EQ(d.nu_mean, 0.06);
  EXPECT_EQ(d.nu_sigma, 0.01);
  EXPECT_TRUE(d.compensation);
  const Config plain = parse_config(kValidWorkload, "d.yaml");  // defaults: all off
  EXPECT_EQ(plain.macro.noise.prog_model, ProgNoiseModel::constant);
  EXPECT_FALSE(plain.macro.noise.drift.on());
}

TEST(DeviceConfig, RulesAreFileLineErrors) {
  auto err = [](const std::string& macro) { return parse_error("macro:\n" + macro + kValidWorkload, "d.yaml"); };
  EXPECT_TRUE(is_config_error(err("  noise:\n    drift: {t_seconds: 5}\n"), "d.yaml", 3, "macro.noise.drift.t_seconds",
                              "5", "must be at least macro.noise.drift.t0_seconds = 20"));
  EXPECT_TRUE(is_config_error(err("  noise:\n    drift:\n      t_seconds: 100\n      nu_mean: 0.05\n"), "d.yaml", 5,
                              "macro.noise.drift.nu_mean", "0.05", "only allowed when macro.noise.drift.nu is constant"));
  EXPECT_TRUE(is_config_error(err("  noise:\n    drift:\n      compensation: true\n"), "d.yaml", 4,
                              "macro.noise.drift.compensation", "true", "only allowed when macro.noise.drift.t_seconds"));
  EXPECT_TRUE(is_config_error(err("  noise:\n    drift: {t_seconds: -1}\n"), "d.yaml", 3, "macro.noise.drift.t_seconds",
                              "-1", "must be"));
  EXPECT_TRUE(is_config_error(err("  noise:\n    drift: {t_seconds: 100, nu: constant, nu_sigma: 2}\n"), "d.yaml", 3,
                              "macro.noise.drift.nu_sigma", "2", "must be"));
  EXPECT_TRUE(is_config_error(err("  g_on_us: 50\n  noise: {programming_model: reram_wan}\n"), "d.yaml", 2,
                              "macro.g_on_us", "50", "must be at most 39.26"));
  EXPECT_TRUE(is_config_error(err("  noise: {programming_model: rram}\n"), "d.yaml", 2,
                              "macro.noise.programming_model", "rram", "must be one of"));
  EXPECT_TRUE(is_config_error(err("  weight_encoding: differential_analog\n  adc: {bits: 1}\n"), "d.yaml", 3,
                              "macro.adc.bits", "1", "must be at least 2 with weight_encoding differential_analog"));
  EXPECT_TRUE(is_config_error(err("  wire_ohm: 1\n"), "d.yaml", 2, "macro.wire_ohm", "1",
                              "worst-case IR drop of wire_ohm x g_on x (rows^2 + cols^2) / 2 = 0.1638"));
  EXPECT_TRUE(is_config_error(err("  weight_encoding: sign_magnitude\n  wire_ohm: 0.5\n"), "d.yaml", 3, "macro.wire_ohm",
                              "0.5", "is not modelled with weight_encoding sign_magnitude"));
  EXPECT_TRUE(is_config_error(err("  kind: digital\n  weight_encoding: differential_analog\n"), "d.yaml", 3,
                              "macro.weight_encoding", "differential_analog", "cannot be used when macro.kind is digital"));
}

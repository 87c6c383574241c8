// The statistical model against closed forms, brute-force enumeration, and the
// sampler (same job, same energy tables).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <numbers>

#include "encoding.hpp"
#include "engine/job_builder.hpp"
#include "pricing/pricing.hpp"
#include "statistical/model.hpp"
#include "statistical/statistical.hpp"
#include "study/stat_jobs.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

double binom(int n, int k, double p) {
  return std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) + k * std::log(p) +
                  (n - k) * std::log1p(-p));
}

double phi(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi); }
double upper(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }  // P(Z > z)

// 1-bit inputs and 1-bit weights, one row group, one cycle, one column per weight.
Config bernoulli_config(double px, double pw, int K, int N) {
  Config c = small_config();
  c.macro.rows = K;
  c.macro.cols = N;
  c.macro.bits_per_cell = 1;
  c.tile.rows_used = K;
  c.tile.cols_used = N;
  c.tile.inputs = bernoulli_operand(px);
  c.tile.weights = bernoulli_operand(pw);
  return c;
}

// ---- brute force: every combination of n rows, each an (m, o, p) outcome
struct RowPoint {
  int m, o;
  double p;
};
void enumerate(const std::vector<RowPoint>& rows, int n, int M, int O, double p,
               std::map<std::pair<int, int>, double>& out) {
  if (n == 0) {
    out[{M, O}] += p;
    return;
  }
  for (const RowPoint& r : rows) enumerate(rows, n - 1, M + r.m, O + r.o, p * r.p, out);
}

// The column-value and code histograms of one conversion class implied by an
// exact (M, O) distribution, with the sampler's rounding: value M + r_off*O.
void expect_class_matches(const BuiltJob& job, const std::map<std::pair<int, int>, double>& mo,
                          bool check_err = true) {
  const JobView& v = job.view;
  std::vector<double> col(v.col_nbins, 0.0), adc(v.code_max - v.code_min + 1, 0.0);
  double err = 0;
  for (const auto& [k, p] : mo) {
    const double u = k.first + static_cast<double>(v.r_off) * k.second;
    const double b = std::min(std::max(std::floor((u - v.col_lo) / v.col_bw + 0.5), 0.0), v.col_nbins - 1.0);
    const double code = std::min(std::max(std::floor(u * (1.0 / v.adc_delta) + 0.5), 1.0 * v.code_min), 1.0 * v.code_max);
    col[static_cast<int>(b)] += p;
    adc[static_cast<int>(code) - v.code_min] += p;
    err += p * (v.adc_delta * code - k.first);  // against the ideal integer value
  }
  const StatResult s = statistical_job(job);
  for (int b = 0; b < v.col_nbins; ++b) EXPECT_NEAR(s.hist[v.off_col + b] / v.N, col[b], 1e-12) << "bin " << b;
  for (std::size_t k = 0; k < adc.size(); ++k) EXPECT_NEAR(s.hist[v.off_adc + k] / v.N, adc[k], 1e-12) << "code " << k;
  if (check_err) {
    EXPECT_NEAR(s.err_mean, err, 1e-9);  // linear: exact even where variances are not
  }
}

}  // namespace

TEST(Statistical, BernoulliColumnIsBinomial) {
  const Config c = bernoulli_config(0.6, 0.3, 64, 4);
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  const JobView& v = job.view;
  const double p = job.x_pmf.prob(1) * job.w_pmf.prob(1);
  ASSERT_NEAR(p, 0.18, 1e-12);
  const StatResult s = statistical_job(job);
  ASSERT_EQ(v.col_nbins, 65);
  // The tails the model leaves out (stat::kAtomFloor of mass in all, model.hpp)
  // only take from the bins: none is above the binomial, and together they
  // are at most that below it.
  double cdf = 0, median = -1, lost_col = 0, lost_adc = 0;
  for (int k = 0; k <= 64; ++k) {
    const double b = binom(64, k, p), col = s.hist[v.off_col + k] / v.N, adc = s.hist[v.off_adc + k] / v.N;
    EXPECT_LE(col, b + 1e-15) << k;
    EXPECT_LE(adc, b + 1e-15) << k;  // full range, 8 bits: lossless
    lost_col += b - col, lost_adc += b - adc;
    cdf += b;
    if (median < 0 && cdf >= 0.5) median = k;
  }
  EXPECT_LE(lost_col, stat::kAtomFloor);
  EXPECT_LE(lost_adc, stat::kAtomFloor);
  // Active rows: Binomial(64, px); DAC levels and cell pairs: products of marginals.
  for (int k = 0; k <= 64; ++k) EXPECT_NEAR(s.hist[v.off_row + k], binom(64, k, 0.6), 1e-13);
  EXPECT_NEAR(s.hist[v.off_cell + 1 * 2 + 1], 64 * 0.6 * 4 * 0.3, 1e-9);
  EXPECT_EQ(s.mse, 0.0);
  EXPECT_EQ(statistical_quantile(job, 0.5), median);
  EXPECT_NEAR(s.ref_mean, 64 * 0.18, 1e-9);
  EXPECT_NEAR(s.ref_power, 64 * 0.18 * 0.82 + std::pow(64 * 0.18, 2), 1e-9);
}

TEST(Statistical, MultiBitJointDistributionMatchesEnumeration) {
  // 2-bit DAC levels x 2-bit cells with g_off: (M, O) by 2-D convolution.
  Config c = small_config();
  c.macro.rows = 5;
  c.macro.cols = 2;
  c.macro.bits_per_cell = 2;
  c.macro.dac_bits = 2;
  c.macro.g_on_us = 10.0;
  c.macro.g_off_us = 1.2;  // r_off = 1.2 / (8.8 / 3)
  c.macro.adc.bits = 5;    // step (5 * 3 * (3 + r_off)) / 31: rounds
  c.tile.inputs = uniform_operand(2, false, 0.0, 1.0, 1.0);
  c.tile.weights = constant_operand(2, false, 0.0, 3.0);
  c.tile.weights.dist.kind = DistKind::normal;
  c.tile.weights.dist.mean = 1.3;
  c.tile.weights.dist.std = 1.0;
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  std::vector<RowPoint> rows;
  for (int a = 0; a < 4; ++a)
    for (int l = 0; l < 4; ++l) rows.push_back({a * l, a, job.x_pmf.prob(a) * job.w_pmf.prob(l)});
  std::map<std::pair<int, int>, double> mo;
  enumerate(rows, 5, 0, 0, 1.0, mo);
  expect_class_matches(job, mo);
  const stat::OperandModel om = stat::operand_model(job);
  EXPECT_EQ(stat::column_distribution(job.view, om.pa[0], om.cell[0], 5).method, stat::Method::joint_dp);
}

// 1-bit cells under a 2-bit DAC: joint_dp's layers come from the factored sum
// over the rows whose cell is on (column_distribution.cpp, Convolution). Every
// atom's probability and conditional row sums (g_off and programming
// deviation, programming and read-noise variances, the square of the latter)
// against a brute-force walk over all rows' outcomes.
// n rows, two columns, 2-bit DAC levels of unequal probability (2-bit inputs,
// 30% zeros and the rest half-normal).
Config two_column_config(int n) {
  Config c = small_config();
  c.macro.rows = n;
  c.macro.cols = 2;
  c.macro.dac_bits = 2;
  c.tile.inputs = uniform_operand(2, false, 0.0, 1.0, 1.0);
  c.tile.inputs.dist.kind = DistKind::relu_normal;
  c.tile.inputs.dist.std = 0.5;
  c.tile.inputs.dist.zero_fraction = 0.3;
  return c;
}

TEST(Statistical, TwoLevelJointAtomsMatchEnumeration) {
  const int n = 6;
  Config c = two_column_config(n);
  c.macro.g_on_us = 10.0;
  c.macro.g_off_us = 0.7;
  c.macro.noise.prog_sigma_us = 0.9;
  c.macro.noise.read_sigma_us = 0.4;
  c.macro.noise.read_sigma_rel = 0.03;
  c.macro.noise.stuck_on = 0.02;
  c.tile.weights = uniform_operand(1, false, 0.0, 1.0, 1.0);
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  const JobView& v = job.view;
  const stat::OperandModel om = stat::operand_model(job);
  const std::vector<double>& pa = om.pa[0];
  const std::vector<stat::CellOutcome>& cells = om.cell[0];
  // Row outcomes with their h = (e, vp, vn).
  struct Row {
    int m, o;
    double p, e, vp, vn;
  };
  std::vector<Row> rows;
  const double ra2 = static_cast<double>(v.read_abs) * v.read_abs, rr2 = static_cast<double>(v.read_rel) * v.read_rel;
  for (int a = 0; a < static_cast<int>(pa.size()); ++a)
    for (const stat::CellOutcome& cell : cells)
      if (pa[a] * cell.p > 0)
        rows.push_back({a * cell.l, a, pa[a] * cell.p, a * cell.g_mean - a * cell.l, 1.0 * a * a * cell.g_var,
                        1.0 * a * a * (ra2 + rr2 * (cell.g_mean * cell.g_mean + cell.g_var))});
  ASSERT_GE(rows.size(), 8u);
  // (M, O) -> P, E[sum e; .], E[sum vp; .], E[sum vn; .], E[(sum vn)^2; .]
  std::map<std::pair<int, int>, std::array<double, 5>> by;
  std::vector<int> idx(n, 0);
  for (;;) {
    int M = 0, O = 0;
    double p = 1, e = 0, vp = 0, vn = 0;
    for (int j = 0; j < n; ++j) {
      const Row& r = rows[idx[j]];
      M += r.m, O += r.o, p *= r.p, e += r.e, vp += r.vp, vn += r.vn;
    }
    auto& t = by[{M, O}];
    t[0] += p, t[1] += p * e, t[2] += p * vp, t[3] += p * vn, t[4] += p * vn * vn;
    int j = 0;
    while (j < n && ++idx[j] == static_cast<int>(rows.size())) idx[j++] = 0;
    if (j == n) break;
  }
  const stat::ColumnDistribution cd = stat::column_distribution(v, pa, cells, n);
  ASSERT_EQ(cd.method, stat::Method::joint_dp);
  std::size_t expected = 0;
  for (const auto& [mo, t] : by) expected += t[0] > 1e-18;
  ASSERT_EQ(cd.atoms.size(), expected);
  for (const stat::Atom& at : cd.atoms) {
    const auto it = by.find({at.m, at.o});
    ASSERT_NE(it, by.end()) << at.m << " " << at.o;
    const auto& t = it->second;
    const double vn = t[3] / t[0];
    EXPECT_NEAR(at.p, t[0], 1e-12 * t[0]) << at.m << " " << at.o;
    EXPECT_NEAR(at.u, at.m + t[1] / t[0], 1e-10 * (1 + std::fabs(at.u))) << at.m << " " << at.o;
    EXPECT_NEAR(at.vp, t[2] / t[0], 1e-10 * (1 + at.vp)) << at.m << " " << at.o;
    EXPECT_NEAR(at.vn, vn, 1e-10 * (1 + vn)) << at.m << " " << at.o;
    EXPECT_NEAR(at.vn_sd * at.vn_sd, t[4] / t[0] - vn * vn, 1e-8 * (1 + vn * vn)) << at.m << " " << at.o;
  }
}

TEST(Statistical, BitSerialMixtureMatchesEnumeration) {
  // 1-bit DAC, 2-bit cells, g_off and stuck cells: the binomial mixture.
  Config c = small_config();
  c.macro.rows = 6;
  c.macro.cols = 2;
  c.macro.bits_per_cell = 2;
  c.macro.g_on_us = 10.0;
  c.macro.g_off_us = 1.2;
  c.macro.noise.stuck_off = 0.1;
  c.macro.noise.stuck_on = 0.05;
  c.macro.adc.bits = 4;
  c.tile.inputs = bernoulli_operand(0.35);
  c.tile.weights = uniform_operand(2, false, 0.0, 1.0, 1.0);
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  const double p_off = job.view.stuck_off_u32 / 4294967296.0, p_on = job.view.stuck_on_u32 / 4294967296.0;
  std::vector<RowPoint> rows;
  for (int a = 0; a < 2; ++a)
    for (int l = 0; l < 4; ++l) {
      const double pl = (1 - p_off - p_on) * job.w_pmf.prob(l) + (l == 0 ? p_off : 0.0) + (l == 3 ? p_on : 0.0);
      rows.push_back({a * l, a, job.x_pmf.prob(a) * pl});
    }
  std::map<std::pair<int, int>, double> mo;
  enumerate(rows, 6, 0, 0, 1.0, mo);
  expect_class_matches(job, mo, false);  // faults: the error is against the encoded levels
  const stat::OperandModel om = stat::operand_model(job);
  EXPECT_EQ(stat::column_distribution(job.view, om.pa[0], om.cell[0], 6).method, stat::Method::binomial_mixture);
}

TEST(Statistical, SignMagnitudeColumnsMatchEnumeration) {
  Config c = small_config();
  c.macro.rows = 5;
  c.macro.cols = 2;
  c.macro.bits_per_cell = 2;
  c.macro.weight_encoding = WeightEncoding::sign_magnitude;
  c.macro.g_on_us = 10.0;
  c.macro.g_off_us = 1.2;
  c.macro.adc.bits = 4;  // codes -7..7 over +-(5 * (3 + r_off)): rounds and clips
  c.tile.inputs = bernoulli_operand(0.7);
  c.tile.weights = uniform_operand(3, true, -1.0, 1.0, 1.0);
  c.tile.weights.dist.low = -0.4;  // asymmetric: more positive weights
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  std::vector<RowPoint> rows;
  for (int a = 0; a < 2; ++a)
    for (int w = -3; w <= 3; ++w) {
      const double p = job.x_pmf.prob(a) * job.w_pmf.prob(w);
      if (w == 0) {  // a zero weight's cells take either polarity with probability 1/2
        rows.push_back({0, a, p / 2});
        rows.push_back({0, -a, p / 2});
        continue;
      }
      const int s = w < 0 ? -1 : 1;
      rows.push_back({s * a * std::abs(w), s * a, p});
    }
  std::map<std::pair<int, int>, double> mo;
  enumerate(rows, 5, 0, 0, 1.0, mo);
  expect_class_matches(job, mo);
}

TEST(Statistical, QuantizationErrorIsDeltaSquaredOverTwelve) {
  // Widely spread integer column values (4-bit DAC x 4-bit cells, 64 rows) and
  // an irrational step: the rounding error is uniform on [-delta/2, delta/2).
  Config c = small_config();
  c.macro.bits_per_cell = 4;
  c.macro.dac_bits = 4;
  c.macro.adc.bits = 12;
  c.macro.adc.range = AdcRange::max;
  c.macro.adc.max_value = std::numbers::e * 4095;
  c.tile.cols_used = 1;
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  const double d = job.view.adc_delta;
  ASSERT_NEAR(d, std::numbers::e, 1e-12);
  const StatResult s = statistical_job(job);
  EXPECT_NEAR(s.err_var_quantization / (d * d / 12), 1.0, 2e-3);
  EXPECT_NEAR(s.err_var, s.err_var_quantization, 1e-9);
  EXPECT_NEAR(s.err_var_clipping, 0.0, 1e-12);
  EXPECT_LT(std::fabs(s.err_mean), 0.01 * d);
  EXPECT_LT(s.clip_rate, 1e-15);
}

TEST(Statistical, ClippingMatchesBinomialAndGaussianTails) {
  // v ~ Binomial(980, 1/2) (mean 490, sd 15.7, no skew); unit step, top code 511.
  const int K = 980;
  Config c = bernoulli_config(std::sqrt(0.5), std::sqrt(0.5), K, 2);
  c.macro.adc.bits = 9;
  c.macro.adc.range = AdcRange::max;
  c.macro.adc.max_value = 511;
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  const double p = job.x_pmf.prob(1) * job.w_pmf.prob(1);
  double tail = 0, e1 = 0, e2 = 0;
  for (int k = 512; k <= K; ++k) {
    tail += binom(K, k, p);
    e1 += (511 - k) * binom(K, k, p);
    e2 += (k - 511.0) * (k - 511.0) * binom(K, k, p);
  }
  const StatResult s = statistical_job(job);
  // The tails left out (at most stat::kAtomFloor of mass, model.hpp) move the
  // clip rate by at most that, the error moments by at most that times
  // |e|^k <= 469^k (k = 980 against code 511).
  const double lost = stat::kAtomFloor;
  EXPECT_NEAR(s.clip_rate, tail, 1e-12 + lost);
  EXPECT_NEAR(s.err_mean, e1, 1e-9 + lost * 469);
  EXPECT_NEAR(s.mse, e2, 1e-9 * e2 + lost * 469 * 469);
  EXPECT_NEAR(s.err_var_clipping, s.err_var, 1e-9 * s.err_var);  // nothing else: unit step, integer values
  // Gaussian closed form with continuity correction, c = 511.5:
  // E[(V - 511)^2; V > c] = A2 + A1 + A0/4 with A_k = E[(V - c)^k; V > c].
  const double mu = K * p, sd = std::sqrt(K * p * (1 - p)), t = (511.5 - mu) / sd;
  const double a0 = upper(t), a1 = sd * (phi(t) - t * upper(t)), a2 = sd * sd * ((1 + t * t) * upper(t) - t * phi(t));
  EXPECT_NEAR(s.mse / (a2 + a1 + 0.25 * a0), 1.0, 0.02);
  EXPECT_NEAR(s.err_mean / -(a1 + 0.5 * a0), 1.0, 0.02);
  EXPECT_NEAR(s.clip_rate / a0, 1.0, 0.02);
}

// ---------------------------------------------------------------- vs sampler
namespace {

// Batch-means z of a per-MVM mean: x[g] summed events of group g, n[g] its MVMs.
double batch_z(const double* x, const double* n, double expected) {
  double sx = 0, sn = 0;
  for (int g = 0; g < kBatchGroups; ++g) sx += x[g], sn += n[g];
  const double mean = sx / sn, nbar = sn / kBatchGroups;
  double ss = 0;
  for (int g = 0; g < kBatchGroups; ++g) ss += std::pow((x[g] - mean * n[g]) / nbar, 2);
  const double se = std::sqrt(ss / (kBatchGroups * (kBatchGroups - 1.0)));
  if (se > 0) return (mean - expected) / se;
  return std::fabs(mean - expected) <= 1e-9 * (1 + std::fabs(expected)) ? 0.0 : INFINITY;  // no spread at all
}

struct Agreement {
  double bin_z = 0, energy_z = 0, err_mean_z = 0, err_var_z = 0, clip_z = 0;
  int bins = 0;
};

// Runs the sampler (inputs_per_instance 1: every MVM gets fresh weights, the
// model's i.i.d. assumption) and compares every histogram bin, every priced
// component and the error moments with the model; returns the worst |z|.
Agreement compare_with_sampler(Config c, const char* name) {
  c.run.samples = 4000;
  c.run.inputs_per_instance = 1;
  EnergySpec& e = c.energy;  // value-dependent energies, so pricing sees every bin
  e.dac.e1_pj = 0.01;
  e.column.e1_pj = 0.001;
  e.adc.e1_pj = 0.01;
  e.adc.epop_pj = 0.003;
  const JobResult r = run_cpu(c, 2);
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  const StatResult s = statistical_job(job);
  const JobView& v = r.view;
  Agreement a;
  double n[kBatchGroups], x[kBatchGroups];
  for (int g = 0; g < kBatchGroups; ++g) n[g] = static_cast<double>(r.groups[g].samples);
  const double S = static_cast<double>(r.samples());
  for (int i = 0; i < v.hist_size; ++i) {
    double total = 0;
    for (int g = 0; g < kBatchGroups; ++g) total += x[g] = static_cast<double>(r.hist[g * v.hist_size + i]);
    // Rare bins: Poisson z on the total (batch spreads of a few counts say little).
    const double z = total >= 100 ? batch_z(x, n, s.hist[i]) : (total - S * s.hist[i]) / std::sqrt(S * s.hist[i] + 1);
    EXPECT_LT(std::fabs(z), 4.0) << name << " bin " << i << " sampled " << total / S << " model " << s.hist[i];
    a.bin_z = std::max(a.bin_z, std::fabs(z));
    a.bins += total >= 100;
  }
  const EnergyTables t = make_energy_tables(c, r);
  const Report ps = price(r, t), pm = price_statistical(job, s, t);
  for (int k = 0; k < kComponents; ++k) {
    const Estimate& m = ps.component_pj[k];
    if (m.se > 1e-9 * std::fabs(m.mean)) {  // fixed per-MVM counts leave only rounding spread
      const double z = (m.mean - pm.component_pj[k].mean) / m.se;
      EXPECT_LT(std::fabs(z), 4.0) << name << " " << kComponentNames[k];
      a.energy_z = std::max(a.energy_z, std::fabs(z));
    } else {
      EXPECT_NEAR(m.mean, pm.component_pj[k].mean, 1e-9 * (1 + std::fabs(m.mean))) << name << " " << kComponentNames[k];
    }
  }
  for (int k = 0; k < kComponents; ++k)  // event counts per MVM are fixed by the shape
    EXPECT_NEAR(ps.events_per_mvm[k], pm.events_per_mvm[k], 1e-9 * ps.events_per_mvm[k]) << name << " events " << k;
  EXPECT_EQ(ps.latency_ns, pm.latency_ns);
  EXPECT_NEAR(ps.accuracy.ref_std / pm.accuracy.ref_std, 1.0, 0.05) << name;
  // Error: mean from the sampler's batch estimate; variance per group.
  double se2[kBatchGroups], on[kBatchGroups], cl[kBatchGroups], cv[kBatchGroups], s1 = 0, s2 = 0, no = 0;
  for (int g = 0; g < kBatchGroups; ++g) {
    const GroupMoments& m = r.groups[g];
    s1 += m.sum_err, s2 += m.sum_err2, no += m.outputs;
    cl[g] = static_cast<double>(m.clipped);
    cv[g] = static_cast<double>(m.conversions);
  }
  const double mean = s1 / no;
  for (int g = 0; g < kBatchGroups; ++g) {
    se2[g] = r.groups[g].sum_err2 - 2 * mean * r.groups[g].sum_err + mean * mean * r.groups[g].outputs;
    on[g] = r.groups[g].outputs;
  }
  const Estimate& em = ps.accuracy.err_mean;
  a.err_mean_z = em.se > 0 ? std::fabs(em.mean - s.err_mean) / em.se : std::fabs(em.mean - s.err_mean) * 1e9;
  a.err_var_z = std::fabs(batch_z(se2, on, s.err_var));
  double clipped = 0, conversions = 0;
  for (int g = 0; g < kBatchGroups; ++g) clipped += cl[g], conversions += cv[g];
  a.clip_z = clipped >= 100 ? std::fabs(batch_z(cl, cv, s.clip_rate))
                            : std::fabs(clipped - conversions * s.clip_rate) / std::sqrt(conversions * s.clip_rate + 1);
  EXPECT_LT(a.err_mean_z, 4.0) << name << " err mean " << em.mean << " model " << s.err_mean;
  EXPECT_LT(a.err_var_z, 4.0) << name << " err var " << s2 / no - mean * mean << " model " << s.err_var;
  EXPECT_LT(a.clip_z, 4.0) << name << " clip " << ps.accuracy.clip_rate << " model " << s.clip_rate;
  std::printf("%-28s bins %4d max|z|: bins %.2f energy %.2f err mean %.2f var %.2f clip %.2f"
              " | err var %.4g vs %.4g, clip rate %.3g\n",
              name, a.bins, a.bin_z, a.energy_z, a.err_mean_z, a.err_var_z, a.clip_z, s2 / no - mean * mean, s.err_var,
              s.clip_rate);
  return a;
}

Config base(int K, int N, int bpc, int dac_bits, std::uint64_t seed) {
  Config c = small_config();
  c.macro.rows = K;
  c.macro.cols = 64;
  c.macro.bits_per_cell = bpc;
  c.macro.dac_bits = dac_bits;
  c.tile.rows_used = K;
  c.tile.cols_used = N;
  c.run.seed = seed;
  return c;
}

OperandSpec normal_operand(int bits, double mean, double sd, double clip) {
  OperandSpec op;
  op.bits = bits;
  op.is_signed = true;
  op.dist.kind = DistKind::normal;
  op.dist.mean = mean;
  op.dist.std = sd;
  op.dist.clip = clip;
  return op;
}

}  // namespace

TEST(Statistical, ColumnsOfOneConversionSetCovaryExactly) {
  // One cycle (2-bit inputs, 2-bit DAC), offset weights in three 1-bit
  // columns, no g_off or noise: every conversion of an output is in one set,
  // and the error variance, with the column pairs' covariances, is exact.
  // Small weights make the columns' sums equal in most conversions (every bit
  // of w + 4 for w = -1 is 1 but the top one): without the pairs the model
  // took their rounding errors as unrelated.
  const int K = 4;
  Config c = base(K, 1, 1, 2, 1);
  c.macro.weight_encoding = WeightEncoding::offset;
  c.macro.adc.bits = 3;
  c.tile.inputs = uniform_operand(2, false, 0.0, 1.0, 1.0);
  c.tile.weights = normal_operand(3, 0.0, 0.8, 3.0);
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  const JobView& v = job.view;
  ASSERT_EQ(v.cycles, 1);
  ASSERT_EQ(v.ppw, 3);
  // Every combination of K rows' (x, w).
  std::vector<std::pair<int, int>> xw;
  std::vector<double> pr;
  for (int x = job.x_pmf.qmin; x <= job.x_pmf.qmax; ++x)
    for (int w = job.w_pmf.qmin; w <= job.w_pmf.qmax; ++w)
      if (job.x_pmf.prob(x) * job.w_pmf.prob(w) > 0) {
        xw.push_back({x, w});
        pr.push_back(job.x_pmf.prob(x) * job.w_pmf.prob(w));
      }
  double e1 = 0, e2 = 0;
  std::vector<int> idx(K, 0);
  for (;;) {
    double p = 1, err = 0;
    for (int j = 0; j < K; ++j) p *= pr[idx[j]];
    for (int q = 0; q < v.ppw; ++q) {
      int m = 0;
      for (int j = 0; j < K; ++j) m += encode_input(v, xw[idx[j]].first, 0) * encode_weight(v, xw[idx[j]].second, q);
      const double code = std::min(std::floor(m * (1.0 / v.adc_delta) + 0.5), 1.0 * v.code_max);
      err += v.in_coef[0] * v.w_coef[q] * (v.adc_delta * code - m);
    }
    e1 += p * err, e2 += p * err * err;
    int j = 0;
    while (j < K && ++idx[j] == static_cast<int>(xw.size())) idx[j++] = 0;
    if (j == K) break;
  }
  const StatResult s = statistical_job(job);
  EXPECT_NEAR(s.err_mean, e1, 1e-9 * (1 + std::fabs(e1)));
  EXPECT_NEAR(s.err_var, e2 - e1 * e1, 1e-9 * e2);
  EXPECT_NEAR(s.mse, e2, 1e-9 * e2);
}

TEST(Statistical, AgreesWithSamplerUnsignedBitSerial) {
  Config c = base(32, 4, 2, 1, 11);  // plain weights and inputs, full-range 6-bit ADC
  c.macro.adc.bits = 6;
  c.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
  c.tile.weights = uniform_operand(4, false, 0.0, 1.0, 1.0);
  compare_with_sampler(c, "unsigned/plain dac1 full");
}

TEST(Statistical, AgreesWithSamplerOffsetTwoBitDac) {
  Config c = base(24, 3, 2, 2, 12);  // ragged row groups 16 + 8, max range, read noise, g_off
  c.macro.rows_active = 16;
  c.macro.weight_encoding = WeightEncoding::offset;
  c.macro.input_encoding = InputEncoding::offset;
  c.macro.g_off_us = 0.2;
  c.macro.noise.read_sigma_us = 1.5;
  c.macro.adc.bits = 6;
  c.macro.adc.range = AdcRange::max;
  c.macro.adc.max_value = 60;
  c.tile.inputs = normal_operand(4, 0.5, 1.0, 3.0);
  c.tile.weights = normal_operand(4, 0.0, 1.0, 2.5);
  compare_with_sampler(c, "offset/offset dac2 max");
}

TEST(Statistical, AgreesWithSamplerDifferentialTwosInputs) {
  // Read noise: without it the sign cycle and the high magnitude bits of small
  // negative inputs repeat one column value, which the model does not carry.
  Config c = base(32, 3, 2, 1, 13);
  c.macro.weight_encoding = WeightEncoding::differential;
  c.macro.input_encoding = InputEncoding::twos_complement;
  c.macro.g_off_us = 0.5;
  c.macro.noise.read_sigma_us = 1.0;
  c.macro.adc.bits = 5;
  c.tile.inputs = normal_operand(4, 0.0, 1.0, 3.0);
  c.tile.weights = normal_operand(5, 0.0, 1.0, 3.0);
  compare_with_sampler(c, "differential/twos dac1 full");
}

TEST(Statistical, AgreesWithSamplerTwosWeightsSignMagnitudeInputs) {
  Config c = base(32, 3, 1, 2, 14);
  c.macro.weight_encoding = WeightEncoding::twos_complement;
  c.macro.input_encoding = InputEncoding::sign_magnitude;
  c.macro.noise.read_sigma_us = 2.0;
  c.macro.adc.noise_lsb = 0.3;
  c.macro.adc.bits = 5;
  c.macro.adc.range = AdcRange::max;
  c.macro.adc.max_value = 24;
  c.tile.inputs = normal_operand(5, 0.0, 1.0, 3.0);
  c.tile.weights = uniform_operand(4, true, -1.0, 1.0, 1.0);
  compare_with_sampler(c, "twos/sign-mag dac2 max noise");
}

TEST(Statistical, AgreesWithSamplerSignMagnitudeColumns) {
  Config c = base(32, 4, 2, 1, 15);
  c.macro.weight_encoding = WeightEncoding::sign_magnitude;
  c.macro.g_off_us = 0.3;
  c.macro.noise.read_sigma_us = 1.0;
  c.macro.adc.bits = 6;
  c.tile.inputs = uniform_operand(3, false, 0.0, 1.0, 1.0);
  c.tile.inputs.dist.kind = DistKind::relu_normal;
  c.tile.inputs.dist.std = 0.4;
  c.tile.inputs.dist.zero_fraction = 0.4;
  c.tile.weights = normal_operand(5, 0.0, 1.0, 3.0);
  compare_with_sampler(c, "sign-mag/unsigned dac1 full");
}

TEST(Statistical, AgreesWithSamplerProgrammingVariationAndFaults) {
  Config c = base(32, 4, 2, 1, 16);
  c.macro.g_off_us = 0.3;
  c.macro.noise.prog_sigma_us = 0.8;
  c.macro.noise.prog_sigma_rel = 0.05;
  c.macro.noise.read_sigma_rel = 0.05;
  c.macro.noise.stuck_off = 0.02;
  c.macro.noise.stuck_on = 0.01;
  c.macro.adc.bits = 6;
  c.macro.adc.range = AdcRange::max;
  c.macro.adc.max_value = 40;
  c.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
  c.tile.weights = uniform_operand(4, false, 0.0, 1.0, 1.0);
  compare_with_sampler(c, "unsigned prog+faults dac1 max");
}

// An ideal ADC (adc.range ideal): the error is the devices' alone (g_off
// current, programming variation, stuck cells, read noise), bit-serial and with
// 2-bit DAC levels (one conversion set's column pairs, column_pairs.cpp); the
// codes priced are the full-range ADC's of the noisy column values.
TEST(Statistical, AgreesWithSamplerIdealAdc) {
  for (const int dac_bits : {1, 2}) {
    Config c = base(32, 4, 2, dac_bits, 18);
    c.macro.weight_encoding = WeightEncoding::differential;
    c.macro.g_off_us = 0.3;
    c.macro.noise.prog_sigma_rel = 0.05;
    c.macro.noise.read_sigma_rel = 0.05;
    c.macro.noise.read_sigma_us = 0.5;
    c.macro.noise.stuck_off = 0.02;
    c.macro.adc.bits = 6;
    c.macro.adc.range = AdcRange::ideal;
    c.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
    c.tile.weights = normal_operand(5, 0.0, 1.0, 3.0);
    compare_with_sampler(c, dac_bits == 1 ? "ideal differential dac1" : "ideal differential dac2");
  }
}

// State-dependent programming noise (macro.noise.programming_model): the
// model's per-level conductance moments come from the sampler's own sigma.
TEST(Statistical, AgreesWithSamplerStateDependentProgrammingNoise) {
  for (const ProgNoiseModel pm : {ProgNoiseModel::pcm, ProgNoiseModel::reram_wan}) {
    Config c = base(32, 4, 2, 1, 16);
    c.macro.g_on_us = 25.0;
    c.macro.g_off_us = 0.5;
    c.macro.noise.prog_model = pm;
    c.macro.adc.bits = 6;
    c.macro.adc.range = AdcRange::max;
    c.macro.adc.max_value = 40;
    c.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
    c.tile.weights = uniform_operand(4, false, 0.0, 1.0, 1.0);
    compare_with_sampler(c, to_string(pm));
  }
}

namespace {

// The drift tests' macro: K rows x N weights on 2-bit cells (1-bit DAC),
// g_on 25 uS and g_off 0.5 uS, 3% proportional read noise, read a year after
// programming, a 6-bit ADC over [0, max_value]; 4-bit unsigned inputs,
// 5-bit signed weights.
Config drifted(int K, int N, std::uint64_t seed, double max_value) {
  Config c = base(K, N, 2, 1, seed);
  c.macro.g_on_us = 25.0;
  c.macro.g_off_us = 0.5;
  c.macro.noise.read_sigma_rel = 0.03;
  c.macro.noise.drift.t_seconds = 3.15e7;
  c.macro.adc.bits = 6;
  c.macro.adc.range = AdcRange::max;
  c.macro.adc.max_value = max_value;
  c.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
  c.tile.weights = normal_operand(5, 0.0, 1.0, 3.0);
  return c;
}

}  // namespace

// Conductance drift read a year after programming (macro.noise.drift): the
// model's per-level conductance moments are the programmed ones times E[F] and
// E[F^2] of the drift factor (operand_model.cpp). With aihwkit's
// state-dependent nu on PCM programming noise, and with one normal nu for
// every state wide enough that 16% of the cells do not drift (nu clamped at 0),
// on differential columns with read noise. The wide nu on 128 rows: the model
// takes each cell's factor by its two moments, and on 32 rows the skew of so
// wide a spread leaves two tail bins of the column values beyond 4 standard
// errors (docs/config.md).
TEST(Statistical, AgreesWithSamplerDriftedConductances) {
  for (const bool pcm : {true, false}) {
    Config c = drifted(pcm ? 32 : 128, 4, pcm ? 21 : 22, pcm ? 40 : 160);
    c.macro.weight_encoding = WeightEncoding::differential;
    DriftSpec& d = c.macro.noise.drift;
    if (pcm) {
      c.macro.noise.prog_model = ProgNoiseModel::pcm;
    } else {
      d.nu_model = DriftNuModel::constant;
      d.nu_mean = 0.05;
      d.nu_sigma = 0.05;
    }
    ASSERT_EQ(statistical_refusal(c.macro), "");
    compare_with_sampler(c, pcm ? "drift, pcm nu" : "drift, constant nu");
  }
}

// Global drift compensation (macro.noise.drift.compensation): the outputs'
// analog part scaled by alpha, the array's summed |column| before drift over
// after (operand_model.cpp), on differential and offset columns (unsigned
// sums) and sign_magnitude columns (|signed sums|, a folded normal), a year
// after programming with PCM programming noise and nu. 128 rows of 16
// weights. The model adds alpha's spread between arrays and its covariance
// with each output's own columns (drift_compensation.cpp); with the spread
// alone (no covariance) the sign_magnitude macro's error variance is 4.05
// standard errors high, and the pair macro's below 4.15. (Forcing the
// sampler's alpha to the model's, in a temporary build, measured what the
// spread adds here: offset -540, sign_magnitude +40, differential -4; the
// model gives -560, +50 and -2.)
TEST(Statistical, AgreesWithSamplerDriftCompensation) {
  for (const WeightEncoding enc :
       {WeightEncoding::differential, WeightEncoding::offset, WeightEncoding::sign_magnitude}) {
    Config c = drifted(128, 16, enc == WeightEncoding::offset ? 23 : enc == WeightEncoding::differential ? 24 : 25, 160);
    c.macro.cols = 128;
    c.macro.weight_encoding = enc;
    c.macro.noise.prog_model = ProgNoiseModel::pcm;
    c.macro.noise.drift.compensation = true;
    ASSERT_EQ(statistical_refusal(c.macro), "");
    compare_with_sampler(c, to_string(enc));
  }
}

// Array-subtracted pairs (weight_encoding differential_analog): a row adds
// s*a*(g_x - g_y), the difference of the devices holding the weight's
// magnitude and 0, with both devices' read noise (operand_model.cpp,
// build_states). Three macros: a 2-bit DAC with g_off and absolute and
// proportional read noise (not bit-serial: joint sums and column pairs); a
// 1-bit DAC with stuck cells and programming noise, where a stuck-on second
// device makes a difference negative; PCM drift with compensation, whose alpha
// takes |signed column sums| (128 rows of 16 weights, as above).
TEST(Statistical, AgreesWithSamplerArraySubtractedPairs) {
  Config dac2 = base(32, 3, 2, 2, 31);
  dac2.macro.g_off_us = 0.5;
  dac2.macro.noise.read_sigma_us = 1.0;
  dac2.macro.noise.read_sigma_rel = 0.03;
  dac2.macro.adc.bits = 6;
  dac2.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
  dac2.tile.weights = normal_operand(5, 0.0, 1.0, 3.0);
  Config faults = base(48, 4, 2, 1, 32);
  faults.macro.g_off_us = 0.5;
  faults.macro.noise.prog_sigma_us = 0.8;
  faults.macro.noise.read_sigma_rel = 0.03;
  faults.macro.noise.stuck_off = 0.05;
  faults.macro.noise.stuck_on = 0.03;
  faults.macro.adc.bits = 6;
  faults.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
  faults.tile.weights = normal_operand(5, 0.0, 1.0, 3.0);
  Config drift = drifted(128, 16, 33, 80);
  drift.macro.cols = 128;
  drift.macro.noise.prog_model = ProgNoiseModel::pcm;
  drift.macro.noise.drift.compensation = true;
  for (Config* c : {&dac2, &faults, &drift}) {
    c->macro.weight_encoding = WeightEncoding::differential_analog;
    ASSERT_EQ(statistical_refusal(c->macro), "");
    compare_with_sampler(*c, c == &dac2 ? "pair dac2 noise" : c == &faults ? "pair dac1 faults" : "pair drift comp");
  }
}

// Per-vector input scaling (macro.input_scaling abs_max): the model's signed
// mixture over the vector's max (stat::input_scales) and the rounding of the
// rescaled inputs, against every combination of K = 3 rows: 3-bit unsigned
// inputs of unequal probabilities, 3-bit signed weights on array-subtracted
// pairs read by an ideal ADC without noise, so the only error is the
// rescaling's, sum_j ((m/Q) round(x_j Q/m) - x_j) w_j.
TEST(Statistical, InputScalingMatchesEnumeration) {
  const int K = 3;
  Config c = base(K, 2, 2, 1, 34);
  c.macro.weight_encoding = WeightEncoding::differential_analog;
  c.macro.input_scaling = InputScaling::abs_max;
  c.macro.g_off_us = 0.5;
  c.macro.adc.range = AdcRange::ideal;
  c.tile.inputs = normal_operand(3, 2.0, 2.0, 3.0);
  c.tile.inputs.is_signed = false;
  c.tile.weights = normal_operand(3, 0.0, 1.5, 3.0);
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  const QuantizedPmf &xp = job.x_pmf, &wp = job.w_pmf;
  const int Q = job.view.x_scale_q;
  ASSERT_EQ(Q, 7);
  ASSERT_GT(stat::input_scales(job).size(), 4u);
  double e1 = 0, e2 = 0;
  for (int x0 = xp.qmin; x0 <= xp.qmax; ++x0)
    for (int x1 = xp.qmin; x1 <= xp.qmax; ++x1)
      for (int x2 = xp.qmin; x2 <= xp.qmax; ++x2) {
        const int x[K] = {x0, x1, x2};
        const double px = xp.prob(x0) * xp.prob(x1) * xp.prob(x2);
        const int m = std::max({std::abs(x0), std::abs(x1), std::abs(x2)});
        double r[K];  // each row's rescaling error
        for (int j = 0; j < K; ++j)
          r[j] = m > 0 ? static_cast<double>(m) / Q * std::round(static_cast<double>(x[j]) * Q / m) - x[j] : 0.0;
        for (int w0 = wp.qmin; w0 <= wp.qmax; ++w0)
          for (int w1 = wp.qmin; w1 <= wp.qmax; ++w1)
            for (int w2 = wp.qmin; w2 <= wp.qmax; ++w2) {
              const double p = px * wp.prob(w0) * wp.prob(w1) * wp.prob(w2);
              const double e = r[0] * w0 + r[1] * w1 + r[2] * w2;
              e1 += p * e, e2 += p * e * e;
            }
      }
  const StatResult s = statistical_job(job);
  EXPECT_NEAR(s.err_mean, e1, 1e-9 * std::sqrt(e2));
  EXPECT_NEAR(s.err_var, e2 - e1 * e1, 1e-9 * e2);
  EXPECT_GT(e2 - e1 * e1, 0.01);
}

// Per-vector input scaling against sampling: unsigned inputs, bit-serial, with
// g_off and proportional read noise on differential columns; signed inputs
// (two's complement) through a 2-bit DAC with programming variation.
TEST(Statistical, AgreesWithSamplerInputScaling) {
  Config plain = base(32, 4, 2, 1, 35);
  plain.macro.weight_encoding = WeightEncoding::differential;
  plain.macro.g_off_us = 0.3;
  plain.macro.noise.read_sigma_rel = 0.05;
  plain.macro.adc.bits = 6;
  plain.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
  plain.tile.inputs.dist.kind = DistKind::relu_normal;
  plain.tile.inputs.dist.std = 0.4;
  plain.tile.inputs.dist.zero_fraction = 0.3;
  plain.tile.weights = normal_operand(5, 0.0, 1.0, 3.0);
  Config twos = base(24, 3, 2, 2, 36);
  twos.macro.weight_encoding = WeightEncoding::differential;
  twos.macro.input_encoding = InputEncoding::twos_complement;
  twos.macro.noise.prog_sigma_us = 0.5;
  twos.macro.noise.read_sigma_us = 1.0;
  twos.macro.adc.bits = 6;
  twos.tile.inputs = normal_operand(5, 0.0, 1.0, 3.0);
  twos.tile.weights = normal_operand(4, 0.0, 1.0, 3.0);
  for (Config* c : {&plain, &twos}) {
    c->macro.input_scaling = InputScaling::abs_max;
    ASSERT_EQ(statistical_refusal(c->macro), "");
    compare_with_sampler(*c, c == &plain ? "scaled unsigned dac1" : "scaled twos dac2");
    // The energy-only model's DAC, row and cell events are the full model's.
    BuiltJob job;
    build_job(*c, philox::JobId{}, job);
    const StatResult full = statistical_job(job), energy = statistical_energy(job);
    const JobView& v = job.view;
    for (int i = v.off_dac; i < v.off_cell + (1 << v.dac_bits) * v.L; ++i)
      EXPECT_NEAR(energy.hist[i], full.hist[i], 1e-12 * (1 + full.hist[i])) << i;
  }
}

// The drift factor's moments against numerical integration over nu.
TEST(Statistical, DriftMomentIsTheIntegralOverNu) {
  for (const double mu : {0.05, 0.0, -0.02})
    for (const double sigma : {0.0, 0.01, 0.05})
      for (const double kl : {2.0, 13.5, 27.0}) {
        double want = 0;
        if (sigma == 0) {
          want = std::exp(-kl * std::max(mu, 0.0));
        } else {
          const int n = 200000;
          const double lo = mu - 12 * sigma, h = 24 * sigma / n;
          for (int i = 0; i < n; ++i) {  // midpoint rule over +-12 sigma
            const double nu = lo + (i + 0.5) * h, z = (nu - mu) / sigma;
            want += h * std::exp(-0.5 * z * z) / (sigma * std::sqrt(2 * std::numbers::pi)) * std::exp(-kl * std::max(nu, 0.0));
          }
        }
        EXPECT_NEAR(cimmc::stat::drift_moment(mu, sigma, kl), want, 1e-9 * want) << mu << " " << sigma << " " << kl;
      }
}

// Drift compensation's spread (drift_compensation.cpp): the third moment of a
// normal clamped at 0, and the moments of |X| and |Y| for a bivariate normal,
// against midpoint sums (1-D over +-12 sd; 2-D over a 2,400 x 2,400 grid,
// whose error at the folds is about 1e-5).
TEST(Statistical, ClampedThirdMomentAndFoldedMomentsMatchSums) {
  for (const double mean : {2.0, 0.3, 0.0, -0.5})
    for (const double sd : {0.0, 0.1, 1.0}) {
      double want = mean > 0 ? mean * mean * mean : 0.0;
      if (sd > 0) {
        want = 0;
        const int n = 400000;
        const double lo = mean - 12 * sd, h = 24 * sd / n;
        for (int i = 0; i < n; ++i) {
          const double x = lo + (i + 0.5) * h, z = (x - mean) / sd;
          want += h * std::exp(-0.5 * z * z) / (sd * std::sqrt(2 * std::numbers::pi)) * std::pow(std::max(x, 0.0), 3);
        }
      }
      EXPECT_NEAR(cimmc::stat::clamped_normal_third(mean, sd), want, 1e-9 * (1 + std::fabs(want))) << mean << " " << sd;
    }
  struct Case {
    double mx, vx, my, vy, cxy;
  };
  for (const Case c : {Case{0.0, 4.0, 0.5, 1.0, 1.5}, Case{3.0, 1.0, 2.5, 1.2, 0.9}, Case{-1.0, 2.0, 0.2, 0.5, -0.6}}) {
    const cimmc::stat::AbsMoments a = cimmc::stat::abs_moments(c.mx, c.vx, c.my, c.vy, c.cxy, true);
    // X = mx + sx z1, Y = my + b z1 + r z2 with z1, z2 independent standard normals.
    const double sx = std::sqrt(c.vx), b = c.cxy / sx, r = std::sqrt(c.vy - b * b);
    const int n = 2400;
    const double h = 16.0 / n;
    double ex = 0, ey = 0, ex2 = 0, ey2 = 0, exy = 0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const double z1 = -8 + (i + 0.5) * h, z2 = -8 + (j + 0.5) * h;
        const double p = h * h * std::exp(-0.5 * (z1 * z1 + z2 * z2)) / (2 * std::numbers::pi);
        const double x = std::fabs(c.mx + sx * z1), y = std::fabs(c.my + b * z1 + r * z2);
        ex += p * x, ey += p * y, ex2 += p * x * x, ey2 += p * y * y, exy += p * x * y;
      }
    EXPECT_NEAR(a.ex, ex, 5e-5);
    EXPECT_NEAR(a.ey, ey, 5e-5);
    EXPECT_NEAR(a.vx, ex2 - ex * ex, 5e-5);
    EXPECT_NEAR(a.vy, ey2 - ey * ey, 5e-5);
    EXPECT_NEAR(a.cxy, exy - ex * ey, 5e-5) << c.mx << " " << c.cxy;
    EXPECT_GT(std::fabs(a.cxy), 0.02);  // the case is not trivially independent
  }
}

TEST(Statistical, AgreesWithSamplerHeavyClipping) {
  // Two thirds of the conversions clip: the slices and cycles of a large input
  // clip together, which the model carries through its regression on M.
  Config c = base(64, 4, 2, 2, 17);
  c.macro.weight_encoding = WeightEncoding::differential;
  c.macro.noise.read_sigma_us = 0.5;
  c.macro.adc.bits = 6;
  c.macro.adc.range = AdcRange::max;
  c.macro.adc.max_value = 20;
  c.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
  c.tile.weights = normal_operand(6, 0.0, 1.0, 3.0);
  compare_with_sampler(c, "differential dac2 clipping");
}

TEST(Statistical, QuantileMatchesSampledColumnValues) {
  Config c = base(64, 8, 2, 1, 18);
  c.macro.g_off_us = 0.2;
  c.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
  c.tile.weights = uniform_operand(4, false, 0.0, 1.0, 1.0);
  c.run.samples = 4000;
  const JobResult r = run_cpu(c, 2);
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  const std::vector<std::uint64_t> col = r.total(Hist::col);
  for (double q : {0.5, 0.9, 0.99, 0.999})
    EXPECT_NEAR(statistical_quantile(job, q), column_quantile(r.view, col.data(), q), job.view.col_bw) << q;
}

namespace {

// A bit-serial job and a 2-bit-DAC one, both with ADC noise (its variance
// scales with the step a calibrated ADC sets) and programming variation.
std::vector<Config> calibrated_configs() {
  Config a = base(40, 4, 2, 1, 19);
  a.macro.g_off_us = 0.3;
  a.macro.noise.prog_sigma_rel = 0.05;
  a.macro.noise.read_sigma_rel = 0.05;
  a.macro.adc.noise_lsb = 0.4;
  a.macro.adc.bits = 5;
  a.macro.adc.range = AdcRange::calibrated;
  a.macro.adc.quantile = 0.99;
  a.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
  a.tile.weights = normal_operand(5, 0.0, 1.0, 3.0);
  a.macro.weight_encoding = WeightEncoding::differential;
  Config b = a;
  b.macro.dac_bits = 2;
  b.macro.input_encoding = InputEncoding::offset;
  b.tile.inputs = normal_operand(4, 0.5, 1.0, 3.0);
  return {a, b};
}

void expect_same(const StatResult& x, const StatResult& y) {
  ASSERT_EQ(x.hist.size(), y.hist.size());
  for (std::size_t i = 0; i < x.hist.size(); ++i) EXPECT_EQ(x.hist[i], y.hist[i]) << i;
  EXPECT_EQ(x.err_mean, y.err_mean);
  EXPECT_EQ(x.err_var, y.err_var);
  EXPECT_EQ(x.err_var_analog, y.err_var_analog);
  EXPECT_EQ(x.err_var_noise, y.err_var_noise);
  EXPECT_EQ(x.clip_rate, y.clip_rate);
}

}  // namespace

TEST(Statistical, CalibratedJobSharesAtomsWithoutChangingResults) {
  for (const Config& c : calibrated_configs()) {
    BuiltJob two_passes, one;
    build_job(c, philox::JobId{}, two_passes);
    build_job(c, philox::JobId{}, one);
    set_adc_full_scale(two_passes.view, statistical_quantile(two_passes, c.macro.adc.quantile));
    const StatResult s = statistical_jobs({&one}, c.macro.adc).front();
    EXPECT_EQ(one.view.adc_delta, two_passes.view.adc_delta);
    expect_same(statistical_job(two_passes), s);
  }
}

// adc.round_pow2: the model's calibrated full scale is its quantile rounded up
// to a power of two of on-cell units (one on-cell read at the top DAC level),
// by hand here; statistical_jobs calibrates with it; and the sampled pilot,
// whose exact quantile differs from the model's by less than a factor of 2,
// lands on the same power of two.
TEST(Statistical, CalibrationRoundsToPowersOfTwoAsThePilotDoes) {
  for (Config c : calibrated_configs()) {
    c.macro.adc.round_pow2 = true;
    BuiltJob job, one;
    build_job(c, philox::JobId{}, job);
    build_job(c, philox::JobId{}, one);
    const JobView& v = job.view;
    const double q = statistical_quantile(job, c.macro.adc.quantile);
    double want = ((1 << v.dac_bits) - 1) * (v.L - 1 + static_cast<double>(v.r_off));
    while (want < q) want *= 2;
    while (want / 2 >= q) want /= 2;
    const double fs = statistical_full_scale(job, c.macro.adc);
    EXPECT_EQ(fs, want) << "quantile " << q;
    EXPECT_GT(fs, 1.2 * q);  // these configs' quantiles are not near a power of two: the rounding shows
    statistical_jobs({&one}, c.macro.adc);
    set_adc_full_scale(job.view, fs);
    EXPECT_EQ(one.view.adc_delta, job.view.adc_delta);
    c.run.samples = 2000;
    EXPECT_EQ(run_cpu(c).adc_full_scale, fs);
  }
}

TEST(Statistical, AtomsRegeneratedBeyondTheBudgetGiveTheSameStatistics) {
  for (const Config& c : calibrated_configs()) {
    BuiltJob job;
    build_job(c, philox::JobId{}, job);
    stat::ClassTable kept = stat::build_classes(job), regenerated = stat::build_classes(job, 0);
    for (const stat::AtomSource& s : regenerated.sources) EXPECT_FALSE(s.kept);
    stat::convert_classes(job.view, kept);
    stat::convert_classes(job.view, regenerated);
    ASSERT_EQ(kept.stats.size(), regenerated.stats.size());
    for (std::size_t i = 0; i < kept.stats.size(); ++i) {
      EXPECT_EQ(kept.stats[i].col, regenerated.stats[i].col);
      EXPECT_EQ(kept.stats[i].adc, regenerated.stats[i].adc);
      EXPECT_EQ(kept.stats[i].pe_o[2], regenerated.stats[i].pe_o[2]);
      EXPECT_EQ(kept.stats[i].q2[2], regenerated.stats[i].q2[2]);
    }
  }
}

TEST(Statistical, JobsDifferingInColumnsShareClassesWithoutChangingResults) {
  for (const Config& c : calibrated_configs()) {
    Config narrow = c;
    narrow.tile.cols_used = 1;
    BuiltJob wide_alone, narrow_alone, wide, narrow_shared;
    build_job(c, philox::JobId{}, wide_alone);
    build_job(narrow, philox::JobId{}, narrow_alone);
    build_job(c, philox::JobId{}, wide);
    build_job(narrow, philox::JobId{}, narrow_shared);
    const StatResult a = statistical_jobs({&wide_alone}, c.macro.adc).front();
    const StatResult b = statistical_jobs({&narrow_alone}, c.macro.adc).front();
    const std::vector<StatResult> shared = statistical_jobs({&narrow_shared, &wide}, c.macro.adc);
    expect_same(a, shared[1]);
    expect_same(b, shared[0]);
    EXPECT_NE(a.hist[wide.view.off_cell + wide.view.L + 1], b.hist[wide.view.off_cell + wide.view.L + 1]);  // N counts
  }
}

// A mapping search meets tile shapes one at a time; StatisticalJobCache keeps
// one class table per group of shapes that differ only in their columns. Each
// shape still gets what it gets alone, in whatever order the shapes come, and
// a shape with other rows is a group of its own.
TEST(Statistical, JobCacheGivesEveryShapeItsResultAlone) {
  for (const Config& c : calibrated_configs()) {
    Config narrow = c, short_rows = c;
    narrow.tile.cols_used = 1;
    short_rows.tile.rows_used = c.tile.rows_used / 2;
    StatisticalJobCache cache;
    for (const Config* shape : std::array<const Config*, 3>{&narrow, &c, &short_rows}) {
      const StatJob shared = cache.evaluate(*shape, philox::JobId{}, false);
      const StatJob alone = evaluate_statistical(*shape, philox::JobId{});
      expect_same(alone.stat, shared.stat);
      EXPECT_EQ(alone.job->view.adc_delta, shared.job->view.adc_delta);  // the calibrated step
    }
  }
}

// pair_moments' 2-D convolution of two columns' sums (M1, M2) against every
// combination of n rows: 2-bit weights on 1-bit cells (two columns), 2-bit DAC
// levels, stuck-on cells, no analog deviation or noise, so each column's error
// is the ADC's rounding of its own sum.
TEST(Statistical, PairMomentsMatchEnumeration) {
  const int n = 5;
  Config c = two_column_config(n);
  c.macro.bits_per_cell = 1;
  c.macro.g_off_us = 0.0;
  c.macro.noise.stuck_on = 0.02;
  c.macro.adc.bits = 3;  // a step above 1: the sums are rounded
  c.tile.rows_used = n;
  c.tile.cols_used = 1;
  c.tile.weights = constant_operand(2, false, 0.0, 3.0);
  c.tile.weights.dist.kind = DistKind::normal;
  c.tile.weights.dist.mean = 1.3;
  c.tile.weights.dist.std = 1.0;
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  const JobView& v = job.view;
  ASSERT_EQ(v.ppw, 2);
  ASSERT_EQ(v.L, 2);
  const stat::OperandModel om = stat::operand_model(job);
  for (int l = 0; l < v.L; ++l) {
    ASSERT_EQ(om.g_mean[l], l);
    ASSERT_EQ(om.g_var[l], 0.0);
  }
  ASSERT_EQ(v.read_abs, 0.0f);
  ASSERT_EQ(v.read_rel, 0.0f);
  ASSERT_EQ(v.adc_noise, 0.0f);
  const std::vector<double>& pa = om.pa[0];
  // One row's (m1, m2) = a * (level in column 0, level in column 1), faults
  // (kept, stuck off, stuck on) independent per cell.
  std::map<std::pair<int, int>, double> kinds;
  for (const stat::WeightValue& w : om.ws) {
    ASSERT_GT(w.s, 0);
    const int f0[3] = {w.l[0], 0, v.L - 1}, f1[3] = {w.l[1], 0, v.L - 1};
    for (int a = 0; a < static_cast<int>(pa.size()); ++a)
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) kinds[{a * f0[i], a * f1[j]}] += pa[a] * w.p * om.p_fault[i] * om.p_fault[j];
  }
  std::vector<RowPoint> rows;
  for (const auto& [m, p] : kinds) rows.push_back({m.first, m.second, p});
  ASSERT_GE(rows.size(), 8u);
  // The ADC's error per variant: free rounding, clamped to the codes, and the
  // same again with (no) noise.
  auto err = [&](int M, double* e) {
    const double k = std::floor(M / v.adc_delta + 0.5);
    e[0] = v.adc_delta * k - M;
    e[1] = e[2] = v.adc_delta * std::min(std::max(k, 1.0 * v.code_min), 1.0 * v.code_max) - M;
  };
  // n rows by enumeration; 16 rows (boxes wider than 32 values, sums beyond
  // the ADC's range of 5 rows) by a plain convolution over a map, untrimmed.
  for (const int rows_n : {n, 16}) {
    std::map<std::pair<int, int>, double> joint;
    if (rows_n == n) {
      enumerate(rows, n, 0, 0, 1.0, joint);
    } else {
      joint[{0, 0}] = 1.0;
      for (int k = 0; k < rows_n; ++k) {
        std::map<std::pair<int, int>, double> next;
        for (const auto& [m, pm] : joint)
          for (const RowPoint& r : rows) next[{m.first + r.m, m.second + r.o}] += pm * r.p;
        joint.swap(next);
      }
    }
    // The direct convolution leaves out atoms at or below 1e-15 (column_pairs.cpp
    // kTiny); the spectral method leaves out none. Each against the sums that
    // leave out the same.
    struct Sums {
      double p = 0, e1[3] = {}, e2[3] = {}, e12[3] = {};
    } kept, all;
    int clamped = 0;
    for (const auto& [m, pm] : joint) {
      double x[3], y[3];
      err(m.first, x), err(m.second, y);
      clamped += x[0] != x[1] || y[0] != y[1];
      for (Sums* s : {&kept, &all}) {
        if (s == &kept && pm <= 1e-15) continue;
        s->p += pm;
        for (int i = 0; i < 3; ++i) s->e1[i] += pm * x[i], s->e2[i] += pm * y[i], s->e12[i] += pm * x[i] * y[i];
      }
    }
    for (const stat::PairMethod method : {stat::PairMethod::direct, stat::PairMethod::spectral}) {
      const Sums& want = method == stat::PairMethod::direct ? kept : all;
      const std::optional<stat::PairMoments> got =
          stat::pair_moments(v, om, pa, 0, 0, 1, rows_n, 1e12, nullptr, method);
      ASSERT_TRUE(got.has_value());
      EXPECT_NEAR(got->p, want.p, 1e-13);
      for (int i = 0; i < 3; ++i) {
        EXPECT_NEAR(got->e1[i], want.e1[i], 1e-12 * (1 + std::fabs(want.e1[i]))) << i;
        EXPECT_NEAR(got->e2[i], want.e2[i], 1e-12 * (1 + std::fabs(want.e2[i]))) << i;
        EXPECT_NEAR(got->e12[i], want.e12[i], 1e-12 * (1 + std::fabs(want.e12[i]))) << i;
      }
    }
    const double* e12 = all.e12;
    EXPECT_GT(std::fabs(e12[0]), 1e-6);  // the columns' errors are not trivially zero
    std::printf("pair moments, %d rows: %zu row kinds, %zu (M1, M2) values, %d clamped, E[e1 e2] = %.6g\n", rows_n,
                rows.size(), joint.size(), clamped, e12[0]);
  }
}


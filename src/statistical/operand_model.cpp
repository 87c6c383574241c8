// Per-row distributions of the statistical model, enumerated through the same
// encode_input / encode_weight the sampler uses, so every encoding is covered
// by one code path.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <utility>

#include "device_model.hpp"
#include "encoding.hpp"
#include "input_scaling.hpp"
#include "statistical/gaussian.hpp"
#include "statistical/model.hpp"

namespace cimmc::stat {

void clamped_normal_moments(double mean, double sd, double& m, double& var) {
  if (sd <= 0) {
    m = mean > 0 ? mean : 0.0;
    var = 0;
    return;
  }
  const double t = mean / sd, cdf = normal_cdf(t);
  const double pdf = std::exp(-0.5 * t * t) / std::sqrt(2.0 * std::numbers::pi);
  m = mean * cdf + sd * pdf;
  const double m2 = (mean * mean + sd * sd) * cdf + mean * sd * pdf;
  var = m2 - m * m > 0 ? m2 - m * m : 0.0;
}

// E[F^k] of the drift factor F = exp(-L max(0, nu)), nu ~ N(mu, sigma^2)
// (device_model.hpp drift_factor; kl = k L): the lognormal moment over nu > 0
// plus P(nu <= 0), where F = 1:
//   P(nu <= 0) + exp(-kl mu + (kl sigma)^2 / 2) Phi(mu / sigma - kl sigma).
double drift_moment(double mu, double sigma, double kl) {
  if (sigma <= 0) return std::exp(-kl * std::max(mu, 0.0));
  return normal_cdf(-mu / sigma) + std::exp(-kl * mu + 0.5 * kl * kl * sigma * sigma) * normal_cdf(mu / sigma - kl * sigma);
}

namespace {

// The states a cell (a pair) reads as, and the fates of each encoded level:
// a cell keeps its level, is stuck off (0) or on (L - 1), the one 32-bit word
// of the sampler deciding (macro_model.hpp). A pair's two devices fail
// independently; the one encoded 0 reads as 0 unless stuck on.
void build_states(const JobView& v, OperandModel& om) {
  const int L = v.L;
  const double ra2 = static_cast<double>(v.read_abs) * v.read_abs;
  const double rr2 = static_cast<double>(v.read_rel) * v.read_rel;
  auto g2 = [&](int l) { return om.g_mean[l] * om.g_mean[l] + om.g_var[l]; };
  om.fates.assign(L, {});
  if (!v.pair) {
    for (int l = 0; l < L; ++l)
      om.states.push_back({l, om.g_mean[l], om.g_var[l], om.g_prog_mean[l], om.g_prog_var[l], ra2 + rr2 * g2(l),
                           om.g_cov[l], om.k0tt[l], om.kttt[l], om.k00t[l]});
    for (int l = 0; l < L; ++l) {
      const int fate[3] = {l, 0, L - 1};
      for (int f = 0; f < 3; ++f)
        if (om.p_fault[f] > 0) om.fates[l].push_back({om.p_fault[f], fate[f]});
    }
    return;
  }
  // State x * L + y. Without static variation the difference is the sampler's
  // exact integer (its plane sums leave g_off out).
  const bool exact = !has_static_variation(v);
  for (int x = 0; x < L; ++x)
    for (int y = 0; y < L; ++y)
      om.states.push_back({x - y, exact ? x - y : om.g_mean[x] - om.g_mean[y], om.g_var[x] + om.g_var[y],
                           exact ? x - y : om.g_prog_mean[x] - om.g_prog_mean[y], om.g_prog_var[x] + om.g_prog_var[y],
                           2 * ra2 + rr2 * (g2(x) + g2(y)), om.g_cov[x] + om.g_cov[y], om.k0tt[x] - om.k0tt[y],
                           om.kttt[x] - om.kttt[y], om.k00t[x] - om.k00t[y]});
  for (int l = 0; l < L; ++l) {
    const int held[3] = {l, 0, L - 1}, zero[3] = {0, 0, L - 1};
    for (int f = 0; f < 3; ++f)
      for (int f0 = 0; f0 < 3; ++f0)
        if (om.p_fault[f] * om.p_fault[f0] > 0)
          om.fates[l].push_back({om.p_fault[f] * om.p_fault[f0], held[f] * L + zero[f0]});
  }
}

}  // namespace

std::vector<InputScale> input_scales(const BuiltJob& job) {
  if (job.view.x_scale_q <= 0) return {};
  const QuantizedPmf& xp = job.x_pmf;
  const int top = std::max(std::abs(xp.qmin), std::abs(xp.qmax));
  std::vector<double> F(top + 1, 0.0);  // P(|x| <= t)
  for (int x = xp.qmin; x <= xp.qmax; ++x) F[std::abs(x)] += xp.prob(x);
  for (int t = 1; t <= top; ++t) F[t] += F[t - 1];
  const double K = job.view.K;
  std::vector<InputScale> parts;
  for (int m = 0; m <= top; ++m) {
    const double a = std::pow(F[m], K), b = m > 0 ? std::pow(F[m - 1], K) : 0.0;
    if (a - b <= 1e-15) continue;
    parts.push_back({m, m, a});
    if (b > 0) parts.push_back({m, m - 1, -b});
  }
  return parts;
}

OperandModel operand_model(const BuiltJob& job, bool values, const InputScale* scale) {
  const JobView& v = job.view;
  OperandModel om;
  const int A = 1 << v.dac_bits;
  om.pa.assign(v.cycles, std::vector<double>(A, 0.0));
  const QuantizedPmf& xp = job.x_pmf;
  // With input scaling, the part's inputs: truncated to |x| <= trunc, each
  // driving the DAC as the sampler's scale_input(x, m, Q) (0 for m = 0).
  double kept = 1;
  if (scale) {
    kept = 0;
    for (int x = xp.qmin; x <= xp.qmax; ++x) kept += std::abs(x) <= scale->trunc ? xp.prob(x) : 0.0;
    om.requant = true;
  }
  for (int x = xp.qmin; x <= xp.qmax; ++x) {
    if (scale && std::abs(x) > scale->trunc) continue;
    const double p = xp.prob(x) / kept;
    if (p == 0) continue;
    const int xd = !scale ? x : scale->m > 0 ? scale_input(x, scale->m, v.x_scale_q) : 0;
    InputValue in{p, x, {}, 0.0};
    if (scale && scale->m > 0) in.rho = xd - static_cast<double>(v.x_scale_q) * x / scale->m;
    if (values) in.a.resize(v.cycles);
    for (int c = 0; c < v.cycles; ++c) {
      const int a = encode_input(v, xd, c);
      om.pa[c][a] += p;
      if (values) in.a[c] = a;
    }
    if (values) om.xs.push_back(std::move(in));
    om.ex += p * x;
    om.ex2 += p * static_cast<double>(x) * x;
  }

  // One 32-bit word decides a cell's fault: [0, off) stuck off, then [off, off + on) stuck on.
  const double two32 = 4294967296.0;
  om.p_fault[1] = v.stuck_off_u32 / two32;
  om.p_fault[2] = std::min<double>(v.stuck_on_u32, two32 - v.stuck_off_u32) / two32;
  om.p_fault[0] = 1.0 - om.p_fault[1] - om.p_fault[2];
  // Conductance: the sampler draws max(0, l + r_off + sd * z), sd in float arithmetic.
  om.g_mean.resize(v.L);
  om.g_var.resize(v.L);
  om.g_prog_mean.resize(v.L);
  om.g_prog_var.resize(v.L);
  om.g_cov.resize(v.L);
  om.k0tt.assign(v.L, 0.0);
  om.kttt.assign(v.L, 0.0);
  om.k00t.assign(v.L, 0.0);
  for (int l = 0; l < v.L; ++l) {
    const float g = static_cast<float>(l) + v.r_off;
    const float sd = prog_sigma(v, g);  // the sampler's own function (device_model.hpp)
    if (v.float_path) clamped_normal_moments(g, sd, om.g_mean[l], om.g_var[l]);
    else om.g_mean[l] = static_cast<double>(l) + static_cast<double>(v.r_off), om.g_var[l] = 0;
    om.g_prog_mean[l] = om.g_mean[l], om.g_prog_var[l] = om.g_var[l], om.g_cov[l] = om.g_var[l];
    if (!v.dev.drift) continue;
    // Drift: G = G_prog F with the factor F drawn independently of the
    // programming (its own Philox stream), nu from the level's tabulated fit:
    // E[G] = E[G_prog] E[F], E[G^2] = E[G_prog^2] E[F^2].
    const double mu = v.dev.nu_mu[l], sigma = v.dev.nu_sd[l], log_t = v.dev.log_t;
    const double m = om.g_mean[l], m2 = om.g_var[l] + m * m;
    om.g_mean[l] = m * drift_moment(mu, sigma, log_t);
    om.g_var[l] = std::max(m2 * drift_moment(mu, sigma, 2 * log_t) - om.g_mean[l] * om.g_mean[l], 0.0);
    om.g_cov[l] = om.g_prog_var[l] * drift_moment(mu, sigma, log_t);  // Cov(G_prog, G_prog F), F independent
    // Third cumulants from raw moments E[G0^a G^b] = E[G0^(a+b)] E[F^b].
    const double m3 = v.float_path ? clamped_normal_third(g, sd) : m * m * m;
    const double f[4] = {1, drift_moment(mu, sigma, log_t), drift_moment(mu, sigma, 2 * log_t),
                         drift_moment(mu, sigma, 3 * log_t)};
    const double e0 = m, et = m * f[1], et2 = m2 * f[2], e0t = m2 * f[1], e0t2 = m3 * f[2], et3 = m3 * f[3];
    om.k0tt[l] = e0t2 - e0 * et2 - 2 * et * e0t + 2 * e0 * et * et;
    om.kttt[l] = et3 - 3 * et * et2 + 2 * et * et * et;
    om.k00t[l] = m3 * f[1] - 2 * e0 * e0t - m2 * et + 2 * e0 * e0 * et;
  }

  build_states(v, om);
  const int S = static_cast<int>(om.states.size());

  // P(sign, state) per physical column, [q][(s > 0) * S + state]: the order
  // (negative sign first, states ascending) is the order cells are listed in.
  std::vector<std::vector<double>> cells(v.ppw, std::vector<double>(2 * S, 0.0));
  std::vector<std::vector<char>> seen(v.ppw, std::vector<char>(2 * S, 0));
  const QuantizedPmf& wp = job.w_pmf;
  om.device_levels.assign(v.L, 0.0);
  const int devices = v.pair ? 2 * v.ppw : v.ppw;
  for (int w = wp.qmin; w <= wp.qmax; ++w) {
    const double p = wp.prob(w);
    if (p == 0) continue;
    for (int q = 0; q < devices; ++q) {
      const int fate[3] = {encode_weight(v, w, q), 0, v.L - 1};
      for (int f = 0; f < 3; ++f) om.device_levels[fate[f]] += p * om.p_fault[f];
    }
    // Sign-magnitude zero weights take either polarity with probability 1/2
    // (the sampler's random polarity, macro_model.hpp): two half-weight
    // entries. A pair's sign is that of its weight (which device holds it).
    const bool split = v.signed_cols && w == 0;
    for (int half = 0; half < (split ? 2 : 1); ++half) {
      const double ps = split ? p / 2 : p;
      WeightValue wv{ps, w, ((v.signed_cols || v.pair) && w < 0) || half == 1 ? -1 : 1, {}};
      if (values) wv.l.resize(v.ppw);
      for (int q = 0; q < v.ppw; ++q) {
        // A pair's magnitude: one of its devices holds the weight, the other 0.
        const int l = encode_weight(v, w, q) + (v.pair ? encode_weight(v, w, v.ppw + q) : 0);
        if (values) wv.l[q] = l;
        for (const Fate& f : om.fates[l]) {
          const int i = (wv.s > 0) * S + f.state;
          cells[q][i] += ps * f.p;
          seen[q][i] = 1;
        }
      }
      if (values) om.ws.push_back(std::move(wv));
    }
    om.ew += p * w;
    om.ew2 += p * static_cast<double>(w) * w;
  }
  om.cell.resize(v.ppw);
  for (int q = 0; q < v.ppw; ++q)
    for (int i = 0; i < 2 * S; ++i)
      if (seen[q][i]) {
        om.cell[q].push_back({om.states[i % S], i < S ? -1 : 1, cells[q][i]});
      }
  if (v.dev.compensate) compensation_factor(v, values, om);
  return om;
}

}  // namespace cimmc::stat

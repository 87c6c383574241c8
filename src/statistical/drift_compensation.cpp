// Global drift compensation's factor in the statistical model: its
// expectation, its spread between arrays and that spread's covariance with
// each output's own error (compensation_factor).
#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "statistical/gaussian.hpp"
#include "statistical/model.hpp"

namespace cimmc::stat {
namespace {

// E|X| for X ~ N(mean, var).
double folded_normal_mean(double mean, double var) {
  if (var <= 0) return std::fabs(mean);
  const double sd = std::sqrt(var);
  return sd * std::sqrt(2 / std::numbers::pi) * std::exp(-0.5 * mean * mean / var) +
         mean * (1 - 2 * normal_cdf(-mean / sd));
}

}  // namespace

// E[Y^3] of Y = max(0, N(mean, sd^2)):
//   (mean^3 + 3 mean sd^2) Phi(t) + sd (mean^2 + 2 sd^2) phi(t), t = mean / sd.
double clamped_normal_third(double mean, double sd) {
  if (sd <= 0) return mean > 0 ? mean * mean * mean : 0.0;
  const double t = mean / sd;
  const double pdf = std::exp(-0.5 * t * t) / std::sqrt(2.0 * std::numbers::pi);
  return (mean * mean * mean + 3 * mean * sd * sd) * normal_cdf(t) + sd * (mean * mean + 2 * sd * sd) * pdf;
}

// Moments of |X| and |Y| for (X, Y) bivariate normal with means mx, my,
// variances vx, vy and covariance cxy (folded: the signed case; else X and Y
// themselves). E|X| |Y| = E[|X| E(|Y| | X)], Y | X normal: one integral over
// z = (X - mx) / sd(X) within +-10, by Simpson's rule on each side of X = 0,
// where |X| bends (tests/test_statistical.cpp checks it against a 2-D sum).
AbsMoments abs_moments(double mx, double vx, double my, double vy, double cxy, bool folded) {
  if (!folded) return {mx, my, vx, vy, cxy};
  AbsMoments a{folded_normal_mean(mx, vx), folded_normal_mean(my, vy), 0, 0, 0};
  a.vx = std::max(0.0, mx * mx + vx - a.ex * a.ex);
  a.vy = std::max(0.0, my * my + vy - a.ey * a.ey);
  if (vx <= 0) return a;  // X constant: no covariance
  const double sx = std::sqrt(vx), b = cxy / sx, vr = std::max(0.0, vy - cxy * cxy / vx);
  auto f = [&](double z) {
    return std::fabs(mx + sx * z) * folded_normal_mean(my + b * z, vr) * std::exp(-0.5 * z * z);
  };
  double cuts[3] = {-10.0, -mx / sx, 10.0};
  cuts[1] = std::clamp(cuts[1], cuts[0], cuts[2]);
  constexpr int n = 200;  // intervals per side, even
  double exy = 0;
  for (int side = 0; side < 2; ++side) {
    const double lo = cuts[side], h = (cuts[side + 1] - lo) / n;
    if (h <= 0) continue;
    double sum = f(lo) + f(lo + n * h);
    for (int i = 1; i < n; ++i) sum += (i % 2 ? 4 : 2) * f(lo + i * h);
    exy += sum * h / 3;
  }
  a.cxy = exy / std::sqrt(2 * std::numbers::pi) - a.ex * a.ey;
  return a;
}

namespace {

// One row's term of physical column q's sum before (0) and after (t) drift:
// E[s g], Var(s g) and Cov, over the weights and the cells' fates.
struct ColumnRow {
  double m0 = 0, v0 = 0, mt = 0, vt = 0, c0t = 0;
};

std::vector<ColumnRow> column_rows(const JobView& v, const OperandModel& om) {
  std::vector<ColumnRow> out(v.ppw);
  for (int q = 0; q < v.ppw; ++q) {
    double m0 = 0, e0 = 0, mt = 0, et = 0, c0t = 0;  // E[s g], E[g^2] at t0 and t, E[g0 gt]
    for (const CellOutcome& c : om.cell[q]) {
      m0 += c.p * c.s * c.g0_mean, e0 += c.p * (c.g0_var + c.g0_mean * c.g0_mean);
      mt += c.p * c.s * c.g_mean, et += c.p * (c.g_var + c.g_mean * c.g_mean);
      c0t += c.p * (c.g_cov + c.g0_mean * c.g_mean);
    }
    out[q] = {m0, e0 - m0 * m0, mt, et - mt * mt, c0t - m0 * mt};
  }
  return out;
}

// E[delta y e] and E[delta y] times E[At] (own_column_covariance).
struct OwnColumns {
  double cov = 0, shift = 0;
  double y2 = 0;  // E[(alpha y)^2], own_column_covariance
};

// Moments of one physical column's row terms (beta, upsilon, eps) given the
// weight: means, covariances and the joint third cumulant.
struct RowTerms {
  double mb = 0, mu = 0, me = 0, cbu = 0, cbe = 0, cue = 0, cuu = 0, k3 = 0;
  void add(const RowTerms& o) {  // independent columns: cumulants add
    mb += o.mb, mu += o.mu, me += o.me, cbu += o.cbu, cbe += o.cbe, cue += o.cue, cuu += o.cuu, k3 += o.k3;
  }
};

// The second-order part of |C| for the folded (signed) columns, whose mean
// may be near 0, where the linear part kappa = E[sign C] vanishes: by the
// Hermite expansion of |C|, C ~ N(mu, sigma^2), the next term is
// phi(mu / sigma) / sigma ((C - mu)^2 - sigma^2) (Stein: E[|C|''] = 2 pdf(0)),
// and with C = sum_k d_k over independent rows (d = c - E c),
//   Cov((C - mu)^2, y e) = K^2 E[X]^2 (k3(d, d, u) E[eps] + k3(d, d, eps) E[u] + 2 Cov(d, u) Cov(d, eps))
// up to terms of order K (the fourth cumulant and the like, left out).
// and Cov((C - mu)^2, y) = K E[X] k3(d, d, u) for the mean error's shift.
// Returns the sums over the columns of those at t0 less alpha times those at
// t, each times its phi / sigma.
OwnColumns folded_curvature(const JobView& v, const OperandModel& om, const std::vector<double>& mean0,
                            const std::vector<double>& meant, double ex, double eu, double ee) {
  const double K = v.K, alpha = om.alpha;
  OwnColumns out;
  for (int q = 0; q < v.ppw; ++q) {
    const double wq = v.w_coef[q];
    for (const bool drifted : {false, true}) {
      const double mean = drifted ? meant[q] : mean0[q];
      // Row moments over weights: E[d^2], E[d u], E[d eps], E[d^2 u], E[d^2 eps].
      double d2 = 0, du = 0, de = 0, d2u = 0, d2e = 0;
      for (const WeightValue& w : om.ws) {
        double mu_w = 0, me_w = 0;  // E[u | w], E[eps | w]
        double cq = 0, d1 = 0, dd = 0, dc = 0, ddc = 0;  // E[ct_q], E[d], E[d^2], E[d ct_q], E[d^2 ct_q] given w
        for (int r = 0; r < v.ppw; ++r) {
          const double ideal = w.s * static_cast<double>(w.l[r]);
          double ct = 0;
          for (const Fate& f : om.fates[w.l[r]]) ct += f.p * w.s * om.states[f.state].g_mean;
          mu_w += v.w_coef[r] * ct, me_w += v.w_coef[r] * (alpha * ct - ideal);
          if (r != q) continue;
          cq = ct;
          for (const Fate& f : om.fates[w.l[q]]) {
            const CellState& st = om.states[f.state];
            const double s = w.s, at = s * st.g_mean, vtt = st.g_var;
            // d = c - mean with c = c0 or ct: its mean a, variance vd, Cov(c, ct), kappa(c, c, ct)
            const double a = (drifted ? at : s * st.g0_mean) - mean;
            const double vd = drifted ? vtt : st.g0_var, cov = drifted ? vtt : st.g_cov;
            const double k3 = s * (drifted ? st.kttt : st.k00t);
            d1 += f.p * a, dd += f.p * (vd + a * a), dc += f.p * (cov + a * at);
            ddc += f.p * (k3 + 2 * cov * a + vd * at + a * a * at);
          }
        }
        // The other columns are independent of column q given w.
        d2 += w.p * dd;
        du += w.p * (d1 * (mu_w - wq * cq) + wq * dc);
        de += w.p * (d1 * (me_w - alpha * wq * cq) + alpha * wq * dc);
        d2u += w.p * (dd * (mu_w - wq * cq) + wq * ddc);
        d2e += w.p * (dd * (me_w - alpha * wq * cq) + alpha * wq * ddc);
      }
      const double sd = std::sqrt(K * d2);
      if (sd <= 0) continue;
      const double t = K * mean / sd, h = std::exp(-0.5 * t * t) / std::sqrt(2 * std::numbers::pi) / sd;
      const double c = K * K * ex * ex * ((d2u - d2 * eu) * ee + (d2e - d2 * ee) * eu + 2 * du * de);
      out.cov += (drifted ? -alpha : 1.0) * h * c;
      out.shift += (drifted ? -alpha : 1.0) * h * K * ex * (d2u - d2 * eu);
    }
  }
  return out;
}

// 2 E[delta y e] for drift compensation, where delta = alpha' - alpha is the
// spread of an array's factor and y, e are one output's raw value and error
// (at the expected factor). By the delta method delta = (dA0 - alpha dAt) /
// E[At], and of it only the output's own columns move with its y and e (the
// others are independent of them): its part sum_q (kappa0_q dC0_q - alpha
// kappa_t,q dCt_q) / E[At], |C| linearized around its law's mean by
// kappa = E[sign C] (1 for unsigned columns; Stein's lemma for a normal C) and
// C_q = sum_k c_kq the column's sum over its K rows. With the rows independent,
// y = sum_k X_k u_k and e = sum_k X_k eps_k (X the input's DAC-weighted value,
// u = sum_q w_q ct_q, eps = sum_q w_q (alpha ct_q - s l_q), the ADC's rounding
// and noise taken as independent of the cells) and b = the row's share of delta
// times E[At]:
//   E[delta y e] E[At] = K E[X^2] E[b u eps] + K (K - 1) E[X]^2 (E[b u] E[eps] + E[b eps] E[u]).
// Each row's weight sets its columns' levels; given it, the columns' cells are
// independent, so E[b u eps | w] follows from each column's moments and third
// cumulant of (c0, ct), which G = G0 F with F independent gives in closed form
// (CellState k0tt, kttt).
// Also E[(alpha y)^2] = alpha^2 (K E[X^2] E[u^2] + K (K - 1) E[X]^2 E[u]^2),
// the power the factor scales: the raw analog output's, offsets included (an
// offset encoding's stored weights are all positive; its digital correction
// comes after the factor).
// The factor's own-column part also moves the mean error by E[delta y] =
// K E[X] E[b u] / E[At] (and its second-order share, folded_curvature), which
// compensation_factor keeps apart: the variance gains the covariance less
// 2 E[e] E[delta y].
OwnColumns own_column_covariance(const JobView& v, const OperandModel& om, const std::vector<ColumnRow>& rows,
                                 double e_at) {
  const double K = v.K, alpha = om.alpha;
  const bool folded = v.signed_cols || v.pair;
  std::vector<double> mean0(v.ppw), meant(v.ppw), k0(v.ppw, 1.0), kt(v.ppw, 1.0);
  for (int q = 0; q < v.ppw; ++q) {
    mean0[q] = rows[q].m0, meant[q] = rows[q].mt;
    if (!folded) continue;
    const double s0 = std::sqrt(std::max(0.0, K * rows[q].v0)), st = std::sqrt(std::max(0.0, K * rows[q].vt));
    k0[q] = s0 > 0 ? 1 - 2 * normal_cdf(-K * mean0[q] / s0) : (mean0[q] > 0) - (mean0[q] < 0);
    kt[q] = st > 0 ? 1 - 2 * normal_cdf(-K * meant[q] / st) : (meant[q] > 0) - (meant[q] < 0);
  }
  double ex = 0, ex2 = 0;
  for (const InputValue& in : om.xs) {
    double x = 0;
    for (int c = 0; c < v.cycles; ++c) x += v.in_coef[c] * in.a[c];
    ex += in.p * x, ex2 += in.p * x * x;
  }
  double bue = 0, bu = 0, be = 0, u = 0, e = 0, u2 = 0;
  for (const WeightValue& w : om.ws) {
    RowTerms sum;
    for (int q = 0; q < v.ppw; ++q) {
      const double wq = v.w_coef[q], ideal = w.s * static_cast<double>(w.l[q]);
      // Raw moments over the cell's fates, then the column's cumulants.
      double m[3] = {}, m2[3] = {}, m3 = 0, uu = 0;  // E beta, E u, E eps; E[bu], E[be], E[ue]; E[bue]; E[u^2]
      for (const Fate& f : om.fates[w.l[q]]) {
        const CellState& st = om.states[f.state];
        const double s = w.s;
        const double a0 = s * st.g0_mean, at = s * st.g_mean, v0t = st.g_cov, vtt = st.g_var;
        const double k0tt = s * st.k0tt, kttt = s * st.kttt;
        // beta = k0 c0 - alpha kt ct + const, upsilon = wq ct, eps = wq (alpha ct - ideal)
        const double mb = k0[q] * (a0 - mean0[q]) - alpha * kt[q] * (at - meant[q]);
        const double mu = wq * at, me = wq * (alpha * at - ideal);
        const double cbu = wq * (k0[q] * v0t - alpha * kt[q] * vtt), cbe = alpha * cbu, cue = alpha * wq * wq * vtt;
        const double k3 = alpha * wq * wq * (k0[q] * k0tt - alpha * kt[q] * kttt);
        m[0] += f.p * mb, m[1] += f.p * mu, m[2] += f.p * me;
        m2[0] += f.p * (cbu + mb * mu), m2[1] += f.p * (cbe + mb * me), m2[2] += f.p * (cue + mu * me);
        m3 += f.p * (k3 + mb * cue + mu * cbe + me * cbu + mb * mu * me);
        uu += f.p * (wq * wq * vtt + mu * mu);
      }
      RowTerms t{m[0], m[1], m[2], m2[0] - m[0] * m[1], m2[1] - m[0] * m[2], m2[2] - m[1] * m[2], uu - m[1] * m[1], 0};
      t.k3 = m3 - t.mb * t.cue - t.mu * t.cbe - t.me * t.cbu - t.mb * t.mu * t.me;
      sum.add(t);
    }
    bue += w.p * (sum.k3 + sum.mb * sum.cue + sum.mu * sum.cbe + sum.me * sum.cbu + sum.mb * sum.mu * sum.me);
    bu += w.p * (sum.cbu + sum.mb * sum.mu);
    be += w.p * (sum.cbe + sum.mb * sum.me);
    u += w.p * sum.mu, e += w.p * sum.me;
    u2 += w.p * (sum.cuu + sum.mu * sum.mu);
  }
  const OwnColumns quad = folded ? folded_curvature(v, om, mean0, meant, ex, u, e) : OwnColumns{};
  return {2 * (K * ex2 * bue + K * (K - 1) * ex * ex * (bu * e + be * u) + quad.cov) / e_at,
          (K * ex * bu + quad.shift) / e_at, alpha * alpha * (K * ex2 * u2 + K * (K - 1) * ex * ex * u * u)};
}

}  // namespace

// Global drift compensation (drift_compensation, macro_model.hpp) scales the
// outputs by alpha = sum_p |column p at t0| / sum_p |column p at t| of each
// programmed array, every row driven. alpha is taken at the ratio of
// expectations, and its spread between arrays by the delta method:
//   CV^2 = Var(A0)/A0^2 + Var(At)/At^2 - 2 Cov(A0, At)/(A0 At)
// over the N independent columns of each slice q. A column's sums over K rows
// of independent cells, (C0, Ct), are taken as bivariate normal; unsigned,
// |C| = C; signed (sign_magnitude) and a pair's difference, the moments of
// |C0| and |Ct| (abs_moments). The spread's covariance with each output's
// own error: own_column_covariance.
void compensation_factor(const JobView& v, bool values, OperandModel& om) {
  double a0 = 0, at = 0, var0 = 0, vart = 0, cov = 0;  // one weight's columns
  const double K = v.K;
  const std::vector<ColumnRow> rows = column_rows(v, om);
  for (const ColumnRow& r : rows) {
    const AbsMoments a = abs_moments(K * r.m0, K * r.v0, K * r.mt, K * r.vt, K * r.c0t, v.signed_cols || v.pair);
    a0 += a.ex, at += a.ey, var0 += a.vx, vart += a.vy, cov += a.cxy;
  }
  om.alpha = at > 0 ? a0 / at : 1.0;
  if (a0 > 0 && at > 0) {  // N columns per slice: sums N a0, N at, variances N var0, ...
    om.alpha_cv2 = std::max(0.0, var0 / (a0 * a0) + vart / (at * at) - 2 * cov / (a0 * at)) / v.N;
    if (values) {
      const OwnColumns own = own_column_covariance(v, om, rows, v.N * at);
      om.alpha_own = own.cov, om.alpha_shift = own.shift, om.alpha_y2 = own.y2;
    }
  }
}

}  // namespace cimmc::stat

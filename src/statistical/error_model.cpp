// The statistical model's output error.
//
// For one logical output the sampler's error is exactly
//   y - x.w = sum_{c,g,q} k_cq (delta*code_cgq - V_cgq),  k_cq = in_coef[c] w_coef[q],
// with V the ideal integer column value sum_j s_j a_j l_j from the encoded
// (fault-free) levels, because the digital corrections cancel the encodings.
// Global drift compensation multiplies the analog part sum k delta*code by
// alpha before the corrections, so the error becomes
//   alpha (y - x.w) + (alpha - 1) sum k V:
// every term below scales by alpha (variances by alpha^2), and sum k V, a sum
// over rows, joins each row's linear term in coherent_row. alpha is taken at
// its expectation here (drift_compensation.cpp; its spread is added in
// statistical.cpp); terms of the residuals' covariance with
// sum k V beyond the linear ones are left out, as between residuals.
// Per-vector input scaling (InputScale, model.hpp) computes on rescaled inputs
// x' and rescales the output by m / Q: in units of x', the error is that of
// the scaled computation plus sum_j rho_j w_j, rho = x' - (Q / m) x the rows'
// rounding of their rescaled inputs, one more per-row term in coherent_row
// (statistical.cpp weights and rescales the parts).
// Each term splits at M, the integer sum of the faulted levels:
//   e = delta*code - M   conversion error of the class (adc_transfer.cpp)
//   M - V                stuck cells: a sum over rows
// The conversions of one output share their rows, so their errors are
// correlated. Three parts of that dependence are carried:
//  1. Per class, e is regressed on M and on the analog deviation D = U - M
//     (g_off current, programming variation): e = mean + gamma M' + beta D' + r
//     (primes: centred). M and D are sums over rows, so sum_conv k (gamma M +
//     beta D) + sum_conv k (M - V) is a sum of independent per-row terms and
//     its variance is exact. beta ~ 1 for a fine ADC (the code follows U),
//     ~ 0 for a coarse one; gamma ~ 0 in range and < 0 when clipping (a large
//     input clips in all its slices and cycles together).
//  2. psi(O) = E[r | O]: the part of r explained by O = sum s*a, which all
//     columns of one (cycle, row group) share. It is summed over q before
//     squaring, so e.g. differential columns cancel a common g_off error.
//  3. Column pairs of one conversion set that is not bit-serial: the rest of
//     Cov(e_q1, e_q2) from their joint sums (error_moments below).
// What remains, r - psi, is taken independent across conversions. It is not
// where conversions of one output repeat a column value: the cycles of one
// column share its weights, and with two's-complement inputs the sign cycle
// and the high magnitude bits of a small negative input are the same bit, so
// the sign cycle's (negatively weighted) error repeats theirs. Without read
// noise comparable to the ADC step the model then overestimates the error
// variance (measured, 32 rows, 5-6 bit ADCs, no noise: 5-27%); the other
// input encodings agree within 2%, and all within about 1% once read noise
// dithers the quantizer (tests/test_statistical.cpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "statistical/model.hpp"

namespace cimmc::stat {
namespace {

// One class's conversion error split as in the file comment (variant i).
struct Split {
  double mean = 0, gamma = 0, beta = 1;  // mean = E[e] - gamma E[M] - beta E[D]
  double independent = 0;                // Var(r - psi)
  double var_r = 0, var_lin = 0;         // Var(r), Var(gamma M + beta D)
  std::vector<double> psi;               // by O - o0; empty when O was not kept
};

Split split(const ConversionStats& s, int i) {
  Split sp;
  const double e1 = s.q1[i] + s.d1, e2 = s.q2[i] + 2 * s.qd[i] + s.d2;
  const double vm = s.m2 - s.m1 * s.m1, vd = s.d2 - s.d1 * s.d1, cmd = s.md - s.m1 * s.d1;
  const double cem = s.em[i] - e1 * s.m1, ced = s.qd[i] + s.d2 - e1 * s.d1;
  // Least squares on (M, D); a regressor without spread (or collinear) drops out.
  const double det = vm * vd - cmd * cmd;
  const bool use_m = vm > 1e-12 * (1 + s.m2), use_d = vd > 1e-12 * (1 + s.d2);
  if (use_m && use_d && det > 1e-9 * vm * vd) {
    sp.gamma = (vd * cem - cmd * ced) / det;
    sp.beta = (vm * ced - cmd * cem) / det;
  } else if (use_d) {
    sp.beta = ced / vd;
  } else if (use_m) {
    sp.gamma = cem / vm;
  }
  sp.mean = e1 - sp.gamma * s.m1 - sp.beta * s.d1;
  double var_r = e2 - e1 * e1 - sp.gamma * cem - sp.beta * ced, var_psi = 0;
  if (s.po.size() > 1) {
    sp.psi.resize(s.po.size());
    for (std::size_t o = 0; o < s.po.size(); ++o) {
      if (s.po[o] <= 0) continue;
      sp.psi[o] = (s.pe_o[i][o] - sp.gamma * s.pm_o[o] - sp.beta * s.pd_o[o]) / s.po[o] - sp.mean;
      var_psi += s.po[o] * sp.psi[o] * sp.psi[o];
    }
  }
  sp.independent = std::max(0.0, var_r - var_psi);
  sp.var_r = std::max(0.0, var_r);
  sp.var_lin = std::max(0.0, sp.gamma * cem + sp.beta * ced);
  return sp;
}

// E[T], E[T^2] of one row's coherent error term in a row group whose classes
// have slopes gamma, beta [c * ppw + q]:
//   T = s sum_q [G_q l'_q + B_q (g_q - l'_q) + C_q (l'_q - l_q)],
//   G_q = sum_c k_cq gamma_cq a_c(x),  B_q = sum_c k_cq beta_cq a_c(x),  C_q = sum_c k_cq a_c(x),
// l the encoded level, l' the faulted one, g the conductance. The centring
// constants of M and D are in the classes' means. Cells are independent, so
// given (x, w) the variance is a sum over q. T is linear in the DAC levels
// a_c(x), so the input enters only through E[a_c] and E[a_c a_c']: for
// faulted level l' = fate f of encoded level l, the term of column q is
//   y_f = sum_c a_c eta_cq(f, l),  eta_cq = k_cq (gamma_cq l' + beta_cq (g_mean(l') - l') + l' - l),
// and given w, T's mean is s sum_c a_c H_c with H_c = sum_q E_f[eta_cq(f, l_q)].
std::pair<double, double> coherent_row(const JobView& v, const OperandModel& om, const std::vector<double>& gamma,
                                       const std::vector<double>& beta) {
  const int C = v.cycles, L = v.L;
  const double alpha = om.alpha;  // drift compensation: the row's term alpha T + (alpha - 1) V (file comment)
  // Per-vector input scaling adds the row's rounding of its rescaled input,
  // rho(x) w (file comment), as one more input feature a_C = rho with H_C = s w.
  const int F = om.requant ? C + 1 : C;
  std::vector<double> a1(F, 0.0), a2(static_cast<std::size_t>(F) * F, 0.0);  // E[a_c], E[a_c a_c']
  std::vector<double> feat(F);
  for (const InputValue& x : om.xs) {
    for (int c = 0; c < C; ++c) feat[c] = x.a[c];
    if (om.requant) feat[C] = x.rho;
    for (int c = 0; c < F; ++c) {
      a1[c] += x.p * feat[c];
      for (int c2 = 0; c2 < F; ++c2) a2[c * F + c2] += x.p * feat[c] * feat[c2];
    }
  }
  // E[(sum_c a_c y_c)(sum_c a_c z_c)] over the first n features (the C cycles unless told).
  auto quad = [&](const double* y, const double* z, int n = -1) {
    if (n < 0) n = C;
    double r = 0;
    for (int c = 0; c < n; ++c)
      for (int c2 = 0; c2 < n; ++c2) r += a2[c * F + c2] * y[c] * z[c2];
    return r;
  };
  // Per column q and encoded level l: eta averaged over the fates [(q * L + l) * C + c],
  // and the expected conditional variance of the column's term.
  std::vector<double> eta_mean(static_cast<std::size_t>(v.ppw) * L * C, 0.0), var(static_cast<std::size_t>(v.ppw) * L);
  std::vector<double> eta(C), kb(C);
  for (int q = 0; q < v.ppw; ++q) {
    for (int c = 0; c < C; ++c) kb[c] = v.in_coef[c] * v.w_coef[q] * beta[c * v.ppw + q];
    const double b2 = alpha * alpha * quad(kb.data(), kb.data());  // E[(alpha B_q)^2]
    for (int l = 0; l < L; ++l) {
      double* em = &eta_mean[(static_cast<std::size_t>(q) * L + l) * C];
      double y2 = 0;  // E[y_f^2 + B_q^2 var(g)] averaged over fates
      for (const Fate& f : om.fates[l]) {
        const CellState& st = om.states[f.state];
        const int lf = st.l;
        for (int c = 0; c < C; ++c) {
          const double k = v.in_coef[c] * v.w_coef[q];
          eta[c] = alpha * k * (gamma[c * v.ppw + q] * lf + beta[c * v.ppw + q] * (st.g_mean - lf) + (lf - l)) +
                   (alpha - 1) * k * l;
          em[c] += f.p * eta[c];
        }
        y2 += f.p * (b2 * st.g_var + quad(eta.data(), eta.data()));
      }
      var[q * L + l] = y2 - quad(em, em);
    }
  }
  double m1 = 0, m2 = 0;
  std::vector<double> H(F);
  for (const WeightValue& w : om.ws) {
    std::fill(H.begin(), H.end(), 0.0);
    double vw = 0;
    for (int q = 0; q < v.ppw; ++q) {
      const double* em = &eta_mean[(static_cast<std::size_t>(q) * L + w.l[q]) * C];
      for (int c = 0; c < C; ++c) H[c] += em[c];
      vw += var[q * L + w.l[q]];
    }
    if (om.requant) H[C] = w.s * static_cast<double>(w.w);
    double mean = 0;
    for (int c = 0; c < F; ++c) mean += a1[c] * H[c];
    m1 += w.p * w.s * mean;
    m2 += w.p * (vw + quad(H.data(), H.data(), F));  // s^2 = 1
  }
  return {m1, m2};
}

}  // namespace

// Var(sum_q k_q e_q) over the columns of one conversion set needs, for each
// pair q1 != q2, Cov(e_q1, e_q2). The split carries Cov(lin_q1, lin_q2) (lin =
// gamma M + beta D, in coherent_row) and E[psi_q1 psi_q2] (what O explains)
// and takes the rest as 0. It is not 0 where the columns' sums move together:
// the columns of one weight hold digits of the same value, so M_q1 = M_q2 in
// most conversions when the weights are small (offset weights: the bits of
// w + 2^(b-1) below the top one are all 1 for a small negative w, all 0 for a
// small positive one), and equal sums round alike, a step function of M that
// neither a slope nor a function of O follows. (Measured, offset weights in
// 1-bit cells, 2-bit DAC, 48 rows, 5-bit ADC: 915 of the error variance 12,133
// was this, 8% of it; the step 4.7 is large against the few, equal sums of the
// high input digit.) Where the joint (M_q1, M_q2) distribution is affordable
// (column_pairs.cpp), the pair replaces that part with its own:
//   Cov(e_q1, e_q2) - Cov(lin_q1, lin_q2) - E[psi_q1 psi_q2],
// the first from the pair atoms, the second exact (a row sum, as coherent_row
// has it). The pair atoms carry the analog deviation D only through its mean
// given the pair, not what the two columns share of its spread given the pair
// (the g_off current r_off*O of the same rows); where sd(D) of either column
// exceeds kAnalogSpread of the ADC step, that shared part would count and the
// pair is left out (measured: ResNet-18 tiles, 2-bit DAC, 32 rows, calibrated
// 6-bit ADC, step 0.29, sd(D) ~ 0.06: with those pairs the variance came out
// 44% high). Bit-serial sets are left out: their classes cost n^2 (a binomial
// mixture), the pairs n^3, and O, all that the columns of one cycle share of
// the inputs there, is kept exactly (measured residue: up to 3.7% of the
// variance, differential weights). A pair whose correction is bounded, by
// Cauchy-Schwarz on r = e - mean - lin, by
//   |corr| <= 2 n |k1 k2| (sd r1 sd r2 + sd r1 sd lin2 + sd lin1 sd r2 + |E psi1 psi2|)
// below what the error variance notices is not computed: the smallest bounds
// are dropped while their sum stays under kPairSkip of the variance.
constexpr double kPairBudget = 3e7;  // multiply-adds per column pair
constexpr double kPairSkip = 1e-3;   // of the error variance, per ADC variant
constexpr double kAnalogSpread = 0.05;  // of the ADC step: the largest sd(D) of a pair's columns

ErrorMoments error_moments(const JobView& v, const ClassTable& cl) {
  ErrorMoments em;
  // Drift compensation scales each output's analog part by alpha (file comment).
  const double alpha = cl.om.alpha, a2 = alpha * alpha;
  const std::size_t nq = static_cast<std::size_t>(v.cycles) * v.ppw;
  std::vector<std::vector<Split>> splits(cl.gs.size(), std::vector<Split>(3 * nq));  // [gi][(c * ppw + q) * 3 + i]
  for (std::size_t gi = 0; gi < cl.gs.size(); ++gi) {
    const int g = static_cast<int>(gi);
    const double n = cl.gs[gi].count;  // conversions of one class per output
    // Slopes per variant; index 3: an ideal ADC (e = D: gamma 0, beta 1).
    std::vector<std::vector<double>> gamma(4, std::vector<double>(nq, 0.0));
    std::vector<std::vector<double>> beta(4, std::vector<double>(nq, 1.0));
    for (int c = 0; c < v.cycles; ++c) {
      std::map<int, std::array<double, 4>> shared;  // O -> P(O), sum_q k_cq psi_cq(O) per variant
      for (int q = 0; q < v.ppw; ++q) {
        const ConversionStats& s = cl.at(v, c, q, g);
        const double k = v.in_coef[c] * v.w_coef[q];
        for (int i = 0; i < 3; ++i) {
          const Split& sp = splits[gi][(c * v.ppw + q) * 3 + i] = split(s, i);
          em.var[i] += a2 * n * k * k * sp.independent;
          for (std::size_t o = 0; o < sp.psi.size(); ++o) {
            if (s.po[o] <= 0) continue;
            auto& sh = shared[s.o0 + static_cast<int>(o)];
            sh[0] = s.po[o];
            sh[1 + i] += k * sp.psi[o];
          }
          gamma[i][c * v.ppw + q] = sp.gamma;
          beta[i][c * v.ppw + q] = sp.beta;
          if (i == 2) em.mean += alpha * n * k * sp.mean;
        }
      }
      for (const auto& [o, sh] : shared)
        for (int i = 0; i < 3; ++i) em.var[i] += a2 * n * sh[0] * sh[1 + i] * sh[1 + i];
    }
    const double rows = static_cast<double>(cl.gs[gi].rows) * cl.gs[gi].count;
    for (int i = 0; i < 4; ++i) {
      const auto [t1, t2] = coherent_row(v, cl.om, gamma[i], beta[i]);
      (i < 3 ? em.var[i] : em.analog) += rows * std::max(0.0, t2 - t1 * t1);
      if (i == 2) em.mean += rows * t1;
    }
  }
  if (bit_serial(v)) return em;

  // The column pairs, with their bounds.
  struct Pair {
    int gi, c, q1, q2;
    double k, psi[3], bound[3], order;
  };
  std::vector<Pair> pairs;
  for (std::size_t gi = 0; gi < cl.gs.size(); ++gi)
    for (int c = 0; c < v.cycles; ++c)
      for (int q1 = 0; q1 < v.ppw; ++q1)
        for (int q2 = q1 + 1; q2 < v.ppw; ++q2) {
          Pair pr{static_cast<int>(gi), c, q1, q2, 2.0 * cl.gs[gi].count * v.in_coef[c] * v.w_coef[q1] * v.in_coef[c] * v.w_coef[q2], {}, {}, 0};
          const ConversionStats &s1 = cl.at(v, c, q1, pr.gi), &s2 = cl.at(v, c, q2, pr.gi);
          const double spread = kAnalogSpread * v.adc_delta;
          if (s1.d2 - s1.d1 * s1.d1 > spread * spread || s2.d2 - s2.d1 * s2.d1 > spread * spread) continue;
          for (int i = 0; i < 3; ++i) {
            const Split &a = splits[gi][(c * v.ppw + q1) * 3 + i], &b = splits[gi][(c * v.ppw + q2) * 3 + i];
            for (std::size_t o = 0; o < a.psi.size(); ++o) {
              const long o2 = static_cast<long>(o) + s1.o0 - s2.o0;
              if (s1.po[o] > 0 && o2 >= 0 && o2 < static_cast<long>(b.psi.size())) pr.psi[i] += s1.po[o] * a.psi[o] * b.psi[o2];
            }
            const double r1 = std::sqrt(a.var_r), r2 = std::sqrt(b.var_r);
            pr.bound[i] = std::fabs(pr.k) * (r1 * r2 + r1 * std::sqrt(b.var_lin) + std::sqrt(a.var_lin) * r2 + std::fabs(pr.psi[i]));
            pr.order = std::max(pr.order, em.var[i] > 0 ? pr.bound[i] / em.var[i] : pr.bound[i] > 0 ? INFINITY : 0.0);
          }
          pairs.push_back(pr);
        }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.order < b.order; });
  double skipped[3] = {};
  ErrorMoments out = em;
  for (const Pair& pr : pairs) {
    bool skip = true;
    for (int i = 0; i < 3; ++i) skip = skip && skipped[i] + pr.bound[i] <= kPairSkip * em.var[i];
    if (skip) {
      for (int i = 0; i < 3; ++i) skipped[i] += pr.bound[i];
      continue;
    }
    const int rows = cl.gs[pr.gi].rows;
    const std::optional<PairMoments> pm = pair_moments(v, cl.om, cl.om.pa[pr.c], pr.c, pr.q1, pr.q2, rows, kPairBudget, cl.pairs);
    if (!pm || pm->p <= 0) continue;
    const PairMoments& t = *pm;
    double row[2][2];  // Cov(f1, f2) of one row, f = (m, d)
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b) row[a][b] = t.row[a][b] - t.row1[a] * t.row2[b];
    for (int i = 0; i < 3; ++i) {
      const Split& a = splits[pr.gi][(pr.c * v.ppw + pr.q1) * 3 + i];
      const Split& b = splits[pr.gi][(pr.c * v.ppw + pr.q2) * 3 + i];
      const double lin = rows * (a.gamma * b.gamma * row[0][0] + a.gamma * b.beta * row[0][1] +
                                 a.beta * b.gamma * row[1][0] + a.beta * b.beta * row[1][1]);
      const double cov_e = t.e12[i] / t.p - t.e1[i] * t.e2[i] / (t.p * t.p);
      out.var[i] += a2 * pr.k * (cov_e - lin - pr.psi[i]);
    }
  }
  return out;
}

}  // namespace cimmc::stat

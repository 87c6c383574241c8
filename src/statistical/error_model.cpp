// The statistical model's output error.
//
// For one logical output the sampler's error is exactly
//   y - x.w = sum_{c,g,q} k_cq (delta*code_cgq - V_cgq),  k_cq = in_coef[c] w_coef[q],
// with V the ideal integer column value sum_j s_j a_j l_j from the encoded
// (fault-free) levels, because the digital corrections cancel the encodings.
// Each term splits at M, the integer sum of the faulted levels:
//   e = delta*code - M   conversion error of the class (adc_transfer.cpp)
//   M - V                stuck cells: a sum over rows
// The conversions of one output share their rows, so their errors are
// correlated. Two parts of that dependence are carried:
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
#include <utility>

#include "statistical/model.hpp"

namespace cimmc::stat {
namespace {

// One class's conversion error split as in the file comment (variant i).
struct Split {
  double mean = 0, gamma = 0, beta = 1;  // mean = E[e] - gamma E[M] - beta E[D]
  double independent = 0;                // Var(r - psi)
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
  std::vector<double> a1(C, 0.0), a2(static_cast<std::size_t>(C) * C, 0.0);  // E[a_c], E[a_c a_c']
  for (const InputValue& x : om.xs)
    for (int c = 0; c < C; ++c) {
      a1[c] += x.p * x.a[c];
      for (int c2 = 0; c2 < C; ++c2) a2[c * C + c2] += x.p * x.a[c] * static_cast<double>(x.a[c2]);
    }
  auto quad = [&](const double* y, const double* z) {  // E[(sum_c a_c y_c)(sum_c a_c z_c)]
    double r = 0;
    for (int c = 0; c < C; ++c)
      for (int c2 = 0; c2 < C; ++c2) r += a2[c * C + c2] * y[c] * z[c2];
    return r;
  };
  // Per column q and encoded level l: eta averaged over the fates [(q * L + l) * C + c],
  // and the expected conditional variance of the column's term.
  std::vector<double> eta_mean(static_cast<std::size_t>(v.ppw) * L * C, 0.0), var(static_cast<std::size_t>(v.ppw) * L);
  std::vector<double> eta(C), kb(C);
  for (int q = 0; q < v.ppw; ++q) {
    for (int c = 0; c < C; ++c) kb[c] = v.in_coef[c] * v.w_coef[q] * beta[c * v.ppw + q];
    const double b2 = quad(kb.data(), kb.data());  // E[B_q^2]
    for (int l = 0; l < L; ++l) {
      double* em = &eta_mean[(static_cast<std::size_t>(q) * L + l) * C];
      const int fate[3] = {l, 0, L - 1};
      double y2 = 0;  // E[y_f^2 + B_q^2 var(g)] averaged over fates
      for (int f = 0; f < 3; ++f) {
        const double pf = om.p_fault[f];
        if (pf <= 0) continue;
        const int lf = fate[f];
        for (int c = 0; c < C; ++c) {
          const double k = v.in_coef[c] * v.w_coef[q];
          eta[c] = k * (gamma[c * v.ppw + q] * lf + beta[c * v.ppw + q] * (om.g_mean[lf] - lf) + (lf - l));
          em[c] += pf * eta[c];
        }
        y2 += pf * (b2 * om.g_var[lf] + quad(eta.data(), eta.data()));
      }
      var[q * L + l] = y2 - quad(em, em);
    }
  }
  double m1 = 0, m2 = 0;
  std::vector<double> H(C);
  for (const WeightValue& w : om.ws) {
    std::fill(H.begin(), H.end(), 0.0);
    double vw = 0;
    for (int q = 0; q < v.ppw; ++q) {
      const double* em = &eta_mean[(static_cast<std::size_t>(q) * L + w.l[q]) * C];
      for (int c = 0; c < C; ++c) H[c] += em[c];
      vw += var[q * L + w.l[q]];
    }
    double mean = 0;
    for (int c = 0; c < C; ++c) mean += a1[c] * H[c];
    m1 += w.p * w.s * mean;
    m2 += w.p * (vw + quad(H.data(), H.data()));  // s^2 = 1
  }
  return {m1, m2};
}

}  // namespace

ErrorMoments error_moments(const JobView& v, const ClassTable& cl) {
  ErrorMoments em;
  for (std::size_t gi = 0; gi < cl.gs.size(); ++gi) {
    const int g = static_cast<int>(gi);
    const double n = cl.gs[gi].count;  // conversions of one class per output
    // Slopes per variant; index 3: an ideal ADC (e = D: gamma 0, beta 1).
    std::vector<std::vector<double>> gamma(4, std::vector<double>(static_cast<std::size_t>(v.cycles) * v.ppw, 0.0));
    std::vector<std::vector<double>> beta(4, std::vector<double>(gamma[0].size(), 1.0));
    for (int c = 0; c < v.cycles; ++c) {
      std::map<int, std::array<double, 4>> shared;  // O -> P(O), sum_q k_cq psi_cq(O) per variant
      for (int q = 0; q < v.ppw; ++q) {
        const ConversionStats& s = cl.at(v, c, q, g);
        const double k = v.in_coef[c] * v.w_coef[q];
        for (int i = 0; i < 3; ++i) {
          const Split sp = split(s, i);
          em.var[i] += n * k * k * sp.independent;
          for (std::size_t o = 0; o < sp.psi.size(); ++o) {
            if (s.po[o] <= 0) continue;
            auto& sh = shared[s.o0 + static_cast<int>(o)];
            sh[0] = s.po[o];
            sh[1 + i] += k * sp.psi[o];
          }
          gamma[i][c * v.ppw + q] = sp.gamma;
          beta[i][c * v.ppw + q] = sp.beta;
          if (i == 2) em.mean += n * k * sp.mean;
        }
      }
      for (const auto& [o, sh] : shared)
        for (int i = 0; i < 3; ++i) em.var[i] += n * sh[0] * sh[1 + i] * sh[1 + i];
    }
    const double rows = static_cast<double>(cl.gs[gi].rows) * cl.gs[gi].count;
    for (int i = 0; i < 4; ++i) {
      const auto [t1, t2] = coherent_row(v, cl.om, gamma[i], beta[i]);
      (i < 3 ? em.var[i] : em.analog) += rows * std::max(0.0, t2 - t1 * t1);
      if (i == 2) em.mean += rows * t1;
    }
  }
  return em;
}

}  // namespace cimmc::stat

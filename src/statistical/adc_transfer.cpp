// ADC transfer of a column-value mixture: code probabilities, clip
// probability, column-value bins and the conversion error Q = delta*code - U
// against the noise-free analog value U, integrated exactly over each atom's
// Gaussian within +-8 sigma (partial moments of the normal on every code
// interval, gaussian.hpp). Point masses reproduce the sampler's
// floating-point rounding expressions.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "statistical/gaussian.hpp"
#include "statistical/model.hpp"

namespace cimmc::stat {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// E[R], E[R^2], E[R Z] of R = delta*code - Y against the ADC input Y = u + Z,
// summed over code cells: R = t - Z there, t = delta*code - u.
struct RMoments {
  double r = 0, r2 = 0, rz = 0;
  void add(double t, double p0, double p1, double p2) {
    r += t * p0 - p1;
    r2 += t * t * p0 - 2 * t * p1 + p2;
    rz += t * p1 - p2;
  }
};

// One atom's shares of E[Q], E[Q^2], E[Q D] and E[e] = E[Q] + E[D], weighted
// by p, from the R moments of its ADC input with noise variance vn.
// With Y = u + Z the ADC input (Z = Zp + Zn: programming spread, noise), the
// analog value U = Y - Zn, R = delta*code - Y and D = d + Zp:
//   Q = R + Zn,  E[Zn | Z] = (vn/var) Z,  E[Zp | Z] = (vp/var) Z, so
//   E[Q^2] = E[R^2] + 2 (vn/var) E[RZ] + vn,  E[Q D] = d E[R] + (vp/var) E[RZ].
struct Shares {
  double q1 = 0, q2 = 0, qd = 0, e = 0;
  void add(const Atom& at, double p, double vn, const RMoments& m) {
    const double var = at.vp + vn;
    const double fn = var > 0 ? vn / var : 0.0, fp = var > 0 ? at.vp / var : 0.0;
    q1 += p * m.r;
    q2 += p * (m.r2 + 2 * fn * m.rz + vn);
    qd += p * (at.d * m.r + fp * m.rz);
    e += p * m.r + p * at.d;
  }
};

// Up to two atoms whose noise variances have the atom's conditional mean vn
// and spread vn_sd: symmetric when vn_sd <= the read-noise part of vn, else
// {fixed, high} (fixed: the ADC's own noise variance).
struct NoiseMixture {
  int n = 1;
  double p[2] = {}, vn[2] = {};
};
NoiseMixture noise_mixture(const Atom& at, double vn, double fixed) {
  NoiseMixture mix;
  const double m = vn - fixed, sd = at.vn_sd;
  mix.p[0] = at.p, mix.vn[0] = vn;
  if (sd <= 0 || m <= 0) return mix;
  mix.n = 2;
  if (sd <= m) {
    mix.vn[0] = vn - sd, mix.vn[1] = vn + sd;
    mix.p[0] = mix.p[1] = 0.5 * at.p;
  } else {
    const double w_hi = m * m / (m * m + sd * sd);
    mix.vn[0] = fixed, mix.vn[1] = fixed + m + sd * sd / m;
    mix.p[0] = (1 - w_hi) * at.p, mix.p[1] = w_hi * at.p;
  }
  return mix;
}

// The ADC codes without and with the code-range limits.
struct Grids {
  Grid codes, clamped;
  int code_min;
};

// P(the code falls outside [code_min, code_max] before clamping), from the
// +-8 sigma window like everything else: the tail beyond the range where the
// window reaches past it, 1 where the window lies wholly outside.
double clip_probability(const Grids& g, double u, double s) {
  const double lo = g.clamped.lo, hi = g.clamped.hi;
  const double klo = g.codes.cell(u - kWindow * s), khi = g.codes.cell(u + kWindow * s);
  if (khi < lo || klo > hi) return 1.0;
  double p = 0;
  if (klo < lo) p += normal_cdf(((lo - 0.5) * g.codes.w - u) / s);
  if (khi > hi) p += normal_cdf((u - (hi + 0.5) * g.codes.w) / s);
  return p;
}

// Adds one atom's code probabilities and clip probability to cs and returns
// its shares per variant. The noise-free variants need one integration: over
// the unbounded codes, clamped for the bounded variant (merging the cells
// beyond the range into the end codes); without noise (vn = 0) that is also
// the real one. With noise, each part of the noise mixture needs its own.
void convert_atom(const Grids& g, double adc_var, const Atom& at, ConversionStats& cs, Shares (&sh)[3]) {
  const double vn = at.vn + adc_var;
  const bool noisy = vn > 0;
  double* pmf = cs.adc.data() - g.code_min;
  RMoments free[2];
  const double sp = std::sqrt(at.vp);
  for_each_cell(g.codes, at.u, sp, [&](double k, double p0, double p1, double p2) {
    const double kc = std::min(std::max(k, g.clamped.lo), g.clamped.hi);
    free[0].add(g.codes.w * k - at.u, p0, p1, p2);
    free[1].add(g.codes.w * kc - at.u, p0, p1, p2);
    if (!noisy) pmf[static_cast<long long>(kc)] += at.p * p0;
  });
  for (int i = 0; i < 2; ++i) sh[i].add(at, at.p, 0.0, free[i]);
  if (!noisy) {
    sh[2] = sh[1];
    cs.p_clip += at.p * clip_probability(g, at.u, sp);
    return;
  }
  const NoiseMixture mix = noise_mixture(at, vn, adc_var);
  for (int part = 0; part < mix.n; ++part) {
    const double p = mix.p[part], s = std::sqrt(at.vp + mix.vn[part]);
    RMoments m;
    for_each_cell(g.clamped, at.u, s, [&](double k, double p0, double p1, double p2) {
      m.add(g.codes.w * k - at.u, p0, p1, p2);
      pmf[static_cast<long long>(k)] += p * p0;
    });
    sh[2].add(at, p, mix.vn[part], m);
    cs.p_clip += p * clip_probability(g, at.u, s);
  }
}

// An ideal ADC (AdcMode::ideal) passes its noisy input Y = U + Zn on
// unquantized and never clips, so Q = Y - U = Zn: E[Q] = 0, E[Q^2] = vn in the
// real variant and 0 in the noise-free ones, E[Q D] = 0 (the read noise is
// independent of the analog deviation). Its codes are still counted at the
// shared step for pricing, as the sampler does: the clamped codes of Y, through
// the same noise mixture as a real ADC's.
void convert_ideal_atom(const Grids& g, const Atom& at, ConversionStats& cs, Shares (&sh)[3]) {
  double* pmf = cs.adc.data() - g.code_min;
  const NoiseMixture mix = noise_mixture(at, at.vn, 0.0);
  for (int part = 0; part < mix.n; ++part) {
    const double p = mix.p[part];
    for_each_cell(g.clamped, at.u, std::sqrt(at.vp + mix.vn[part]),
                  [&](double k, double p0, double, double) { pmf[static_cast<long long>(k)] += p * p0; });
  }
  const RMoments none;
  for (int i = 0; i < 3; ++i) sh[i].add(at, at.p, 0.0, none);
  sh[2].q2 += at.p * at.vn;
}

// Exact integer atoms, u = M with no spread (no g_off current, programming
// variation or noise: e.g. SRAM cells): everything but the statistics by O
// is a function of M alone, so the atoms' probabilities are summed by M first
// (into by_m, from m0) and each value is converted once. Fills by_m; false
// (by_m untouched) where any atom is not such a point.
bool integer_points(std::span<const Atom> atoms, std::vector<double>& by_m, int& m0) {
  if (atoms.empty()) return false;
  int m1 = atoms.front().m;
  m0 = m1;
  for (const Atom& at : atoms) {
    if (at.vp != 0 || at.vn != 0 || at.d != 0 || at.u != at.m) return false;
    m0 = std::min(m0, at.m), m1 = std::max(m1, at.m);
  }
  by_m.assign(static_cast<std::size_t>(m1 - m0) + 1, 0.0);
  for (const Atom& at : atoms) by_m[at.m - m0] += at.p;
  return true;
}

}  // namespace

void reset(ConversionStats& cs, const JobView& v, Pass pass, int o0, int no) {
  if (pass == Pass::bins) {
    cs.col.assign(v.col_nbins, 0.0);
    return;
  }
  ConversionStats z;  // zero moments, with cs's vectors (and their storage)
  auto take = [](std::vector<double>& to, std::vector<double>& from, std::size_t n) {
    to = std::move(from);
    to.assign(n, 0.0);
  };
  z.col = std::move(cs.col);
  take(z.adc, cs.adc, v.code_max - v.code_min + 1);
  take(z.po, cs.po, no);
  take(z.pd_o, cs.pd_o, no);
  take(z.pm_o, cs.pm_o, no);
  for (int i = 0; i < 3; ++i) take(z.pe_o[i], cs.pe_o[i], no);
  z.o0 = o0;
  cs = std::move(z);
}

// Also compiled for x86-64-v3 (AVX2, FMA), chosen at run time: fast_exp's
// std::fma is then one instruction instead of a libm call. Everything it calls
// is inlined into each copy (flatten); with no contraction of other
// operations (-ffp-contract=off) and the same order of operations, every copy
// gives the same bits.
__attribute__((target_clones("arch=x86-64-v3", "default"), flatten)) void convert(const JobView& v, double step,
                                                                                std::span<const Atom> atoms,
                                                                                Pass pass, ConversionStats& cs) {
  if (pass == Pass::bins) {
    reset(cs, v, pass, 0, 0);
    // The sampler bins U (before read and ADC noise) to the nearest bin centre col_lo + b*col_bw, clamped.
    const Grid bins{v.col_lo, v.col_bw, 1.0 / v.col_bw, 0.0, v.col_nbins - 1.0};
    std::vector<double> by_m;
    int m0 = 0;
    if (integer_points(atoms, by_m, m0)) {
      for (std::size_t i = 0; i < by_m.size(); ++i)
        if (by_m[i] != 0) cs.col[static_cast<int>(bins.cell(static_cast<double>(m0 + static_cast<int>(i))))] += by_m[i];
      return;
    }
    for (const Atom& at : atoms)
      for_each_cell(bins, at.u, std::sqrt(at.vp),
                    [&](double b, double p0, double, double) { cs.col[static_cast<int>(b)] += at.p * p0; });
    return;
  }
  int omin = atoms.empty() ? 0 : atoms.front().o, omax = omin;
  for (const Atom& at : atoms) omin = std::min(omin, at.o), omax = std::max(omax, at.o);
  reset(cs, v, pass, omin, omax - omin + 1);
  const double inv_delta = 1.0 / step;
  const Grids g{{0.0, step, inv_delta, -kInf, kInf},
                {0.0, step, inv_delta, static_cast<double>(v.code_min), static_cast<double>(v.code_max)},
                v.code_min};
  const double adc_var = static_cast<double>(v.adc_noise) * v.adc_noise * v.adc_delta * v.adc_delta;
  double* pmf = cs.adc.data() - g.code_min;
  std::vector<double> by_m;
  int m0 = 0;
  const bool ideal = v.adc_mode == AdcMode::ideal;
  if (adc_var == 0 && !ideal && integer_points(atoms, by_m, m0)) {
    // Per value M: the code, its errors e = delta*code - M per variant (the
    // clamped one twice: no noise), and the sums over M; by O, the atoms.
    std::vector<double> r(2 * by_m.size());
    for (std::size_t i = 0; i < by_m.size(); ++i) {
      const double M = m0 + static_cast<int>(i), P = by_m[i];
      const double k = g.codes.cell(M), kc = std::min(std::max(k, g.clamped.lo), g.clamped.hi);
      r[2 * i] = g.codes.w * k - M, r[2 * i + 1] = g.codes.w * kc - M;
      if (P == 0) continue;
      pmf[static_cast<long long>(kc)] += P;
      if (k != kc) cs.p_clip += P;
      for (int j = 0; j < 3; ++j) {
        const double t = r[2 * i + (j > 0)], e = P * t;
        cs.q1[j] += e, cs.q2[j] += P * (t * t), cs.em[j] += M * e;
      }
      cs.m1 += P * M, cs.m2 += P * M * M;
    }
    for (const Atom& at : atoms) {
      const int o = at.o - omin;
      const std::size_t i = at.m - m0;
      const double e0 = at.p * r[2 * i], e1 = at.p * r[2 * i + 1];
      cs.po[o] += at.p, cs.pm_o[o] += at.p * at.m;
      cs.pe_o[0][o] += e0, cs.pe_o[1][o] += e1, cs.pe_o[2][o] += e1;
    }
    return;
  }
  for (const Atom& at : atoms) {
    const int o = at.o - omin;
    if (at.vp == 0 && at.vn + adc_var == 0 && !ideal) {
      // A point mass: convert_atom's one cell, in its own arithmetic with the
      // terms that are zero left out (the same bits).
      const double k = g.codes.cell(at.u), kc = std::min(std::max(k, g.clamped.lo), g.clamped.hi);
      const double t[2] = {g.codes.w * k - at.u, g.codes.w * kc - at.u};
      pmf[static_cast<long long>(kc)] += at.p;
      if (k != kc) cs.p_clip += at.p;
      for (int i = 0; i < 3; ++i) {
        const double r = t[i == 0 ? 0 : 1], e = at.p * r + at.p * at.d;
        cs.q1[i] += at.p * r, cs.q2[i] += at.p * (r * r), cs.qd[i] += at.p * (at.d * r);
        cs.pe_o[i][o] += e, cs.em[i] += at.m * e;
      }
    } else {
      Shares sh[3];
      if (ideal) convert_ideal_atom(g, at, cs, sh);
      else convert_atom(g, adc_var, at, cs, sh);
      for (int i = 0; i < 3; ++i) {
        cs.q1[i] += sh[i].q1, cs.q2[i] += sh[i].q2, cs.qd[i] += sh[i].qd;
        cs.pe_o[i][o] += sh[i].e, cs.em[i] += at.m * sh[i].e;
      }
    }
    cs.d1 += at.p * at.d;
    cs.d2 += at.p * (at.d * at.d + at.vp);
    cs.m1 += at.p * at.m;
    cs.m2 += at.p * at.m * static_cast<double>(at.m);
    cs.md += at.p * at.m * at.d;
    cs.po[o] += at.p;
    cs.pd_o[o] += at.p * at.d;
    cs.pm_o[o] += at.p * at.m;
  }
}

void accumulate(const ConversionStats& part, const std::vector<ConversionStats*>& cs, const std::vector<double>& w) {
  if (std::all_of(w.begin(), w.end(), [](double x) { return x == 0; })) return;
  // The bins and codes the part's atoms reach, usually a narrow range.
  auto span = [](const std::vector<double>& x) {
    std::size_t lo = 0, hi = x.size();
    while (lo < hi && x[lo] == 0) ++lo;
    while (hi > lo && x[hi - 1] == 0) --hi;
    return std::pair{lo, hi};
  };
  const auto [c0, c1] = span(part.col);
  const auto [a0, a1] = span(part.adc);
  for (std::size_t j = 0; j < cs.size(); ++j) {
    const double wj = w[j];
    if (wj == 0) continue;
    ConversionStats& t = *cs[j];
    auto axpy = [wj](const std::vector<double>& x, std::size_t lo, std::size_t hi, double* y) {
      for (std::size_t i = lo; i < hi; ++i) y[i] += wj * x[i];
    };
    axpy(part.col, c0, c1, t.col.data());
    axpy(part.adc, a0, a1, t.adc.data());
    t.p_clip += wj * part.p_clip;
    const std::size_t no = part.po.size(), off = part.o0 - t.o0;
    for (int i = 0; i < 3; ++i) {
      t.q1[i] += wj * part.q1[i], t.q2[i] += wj * part.q2[i], t.qd[i] += wj * part.qd[i];
      t.em[i] += wj * part.em[i];
      axpy(part.pe_o[i], 0, no, t.pe_o[i].data() + off);
    }
    t.d1 += wj * part.d1, t.d2 += wj * part.d2;
    t.m1 += wj * part.m1, t.m2 += wj * part.m2, t.md += wj * part.md;
    axpy(part.po, 0, no, t.po.data() + off);
    axpy(part.pd_o, 0, no, t.pd_o.data() + off);
    axpy(part.pm_o, 0, no, t.pm_o.data() + off);
  }
}

}  // namespace cimmc::stat

// ADC transfer of a column-value mixture: code probabilities, clip
// probability, column-value bins and the conversion error Q = delta*code - U
// against the noise-free analog value U, integrated exactly over each atom's
// Gaussian (partial moments of the normal on every code interval). Point
// masses reproduce the sampler's floating-point rounding expressions.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "statistical/model.hpp"

namespace cimmc::stat {
namespace {

constexpr double kWindow = 8.0;  // sigmas; the mass beyond goes to the window's end codes
constexpr double kInf = std::numeric_limits<double>::infinity();

double pdf(double z) { return std::isinf(z) ? 0.0 : std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi); }

// P(za <= Z < zb) for a standard normal, without cancellation in the tails.
double prob_between(double za, double zb) {
  const double r = 1.0 / std::sqrt(2.0);
  if (za >= 0) return 0.5 * (std::erfc(za * r) - std::erfc(zb * r));
  if (zb <= 0) return 0.5 * (std::erfc(-zb * r) - std::erfc(-za * r));
  return 1.0 - 0.5 * std::erfc(-za * r) - 0.5 * std::erfc(zb * r);
}

// Partial moments E[Z^k; a <= Z < b], k = 0, 1, 2, of Z ~ N(0, s^2).
struct Partial {
  double p0, p1, p2;
};
Partial partial(double a, double b, double s) {
  const double za = a / s, zb = b / s, fa = pdf(za), fb = pdf(zb);
  Partial m;
  m.p0 = prob_between(za, zb);
  m.p1 = s * (fa - fb);
  m.p2 = s * s * (m.p0 + (std::isinf(za) ? 0.0 : za * fa) - (std::isinf(zb) ? 0.0 : zb * fb));
  return m;
}

struct Adc {
  double delta, inv_delta, lo, hi;  // code range [lo, hi], possibly infinite
  int code_min;
};

// Adds one atom's E[Q], E[Q^2], E[Q D] (weighted by its probability), and its
// code probabilities to pmf when given; returns the atom's share of E[Q].
// `noise` selects whether vn is applied.
// With Y = u + Z the ADC input (Z = Zp + Zn: programming spread, noise), the
// analog value U = Y - Zn, R = delta*code - Y and D = d + Zp:
//   Q = R + Zn,  E[Zn | Z] = (vn/var) Z,  E[Zp | Z] = (vp/var) Z, so
//   E[Q^2] = E[R^2] + 2 (vn/var) E[RZ] + vn,  E[Q D] = d E[R] + (vp/var) E[RZ].
double convert_atom(const Adc& adc, const Atom& at, bool noise, double* pmf, double* q) {
  const double vn = noise ? at.vn : 0.0, var = at.vp + vn;
  if (var <= 0) {
    const double cf = std::floor(at.u * adc.inv_delta + 0.5);
    const double cc = std::min(std::max(cf, adc.lo), adc.hi);
    const double r = adc.delta * cc - at.u;
    q[0] += at.p * r;
    q[1] += at.p * r * r;
    q[2] += at.p * r * at.d;
    if (pmf) pmf[static_cast<long long>(cc) - adc.code_min] += at.p;
    return at.p * r;
  }
  const double s = std::sqrt(var);
  const double klo = std::min(std::max(std::floor((at.u - kWindow * s) * adc.inv_delta + 0.5), adc.lo), adc.hi);
  const double khi = std::min(std::max(std::floor((at.u + kWindow * s) * adc.inv_delta + 0.5), adc.lo), adc.hi);
  double er = 0, er2 = 0, erz = 0;
  for (double k = klo; k <= khi; k += 1.0) {
    const double a = k == klo ? -kInf : (k - 0.5) * adc.delta - at.u;
    const double b = k == khi ? kInf : (k + 0.5) * adc.delta - at.u;
    const Partial m = partial(a, b, s);
    const double t = adc.delta * k - at.u;
    er += t * m.p0 - m.p1;
    er2 += t * t * m.p0 - 2 * t * m.p1 + m.p2;
    erz += t * m.p1 - m.p2;
    if (pmf) pmf[static_cast<long long>(k) - adc.code_min] += at.p * m.p0;
  }
  q[0] += at.p * er;
  q[1] += at.p * (er2 + 2 * (vn / var) * erz + vn);
  q[2] += at.p * (at.d * er + (at.vp / var) * erz);
  return at.p * er;
}

// P(code would fall outside [code_min, code_max]) before clamping.
double clip_probability(const JobView& v, const Atom& at) {
  const double var = at.vp + at.vn;
  if (var <= 0) {
    const double cf = std::floor(at.u * (1.0 / v.adc_delta) + 0.5);
    return (cf < v.code_min || cf > v.code_max) ? 1.0 : 0.0;
  }
  const double s = std::sqrt(var);
  return normal_cdf(((v.code_min - 0.5) * v.adc_delta - at.u) / s) +
         normal_cdf((at.u - (v.code_max + 0.5) * v.adc_delta) / s);
}

// Column-value bin probabilities of one atom: the sampler bins U (before read
// and ADC noise) to the nearest bin centre col_lo + b*col_bw, clamped.
void bin_atom(const JobView& v, const Atom& at, double* col) {
  const double inv_bw = 1.0 / v.col_bw, top = v.col_nbins - 1;
  if (at.vp <= 0) {
    col[static_cast<int>(std::min(std::max((at.u - v.col_lo) * inv_bw + 0.5, 0.0), top))] += at.p;
    return;
  }
  const double s = std::sqrt(at.vp);
  auto bin_of = [&](double x) { return std::min(std::max(std::floor((x - v.col_lo) * inv_bw + 0.5), 0.0), top); };
  const double blo = bin_of(at.u - kWindow * s), bhi = bin_of(at.u + kWindow * s);
  for (double b = blo; b <= bhi; b += 1.0) {
    const double za = b == blo ? -kInf : (v.col_lo + (b - 0.5) * v.col_bw - at.u) / s;
    const double zb = b == bhi ? kInf : (v.col_lo + (b + 0.5) * v.col_bw - at.u) / s;
    col[static_cast<int>(b)] += at.p * prob_between(za, zb);
  }
}

// Two atoms whose noise variances have the atom's conditional mean vn and
// spread vn_sd: symmetric when vn_sd <= the read-noise part of vn, else
// {fixed, high} (fixed: the ADC's own noise variance).
std::vector<Atom> noise_mixture(const Atom& at, double fixed) {
  const double m = at.vn - fixed, sd = at.vn_sd;
  if (sd <= 0 || m <= 0) return {at};
  Atom lo = at, hi = at;
  if (sd <= m) {
    lo.vn = at.vn - sd, hi.vn = at.vn + sd;
    lo.p = hi.p = 0.5 * at.p;
  } else {
    const double w_hi = m * m / (m * m + sd * sd);
    lo.vn = fixed, hi.vn = fixed + m + sd * sd / m;
    lo.p = (1 - w_hi) * at.p, hi.p = w_hi * at.p;
  }
  return {lo, hi};
}

}  // namespace

ConversionStats convert(const JobView& v, const std::vector<Atom>& atoms, bool with_adc) {
  ConversionStats cs;
  cs.col.assign(v.col_nbins, 0.0);
  if (!with_adc) {
    for (const Atom& at : atoms) bin_atom(v, at, cs.col.data());
    return cs;
  }
  cs.adc.assign(v.code_max - v.code_min + 1, 0.0);
  const double inv_delta = 1.0 / v.adc_delta;
  const Adc unbounded{v.adc_delta, inv_delta, -kInf, kInf, v.code_min};
  const Adc bounded{v.adc_delta, inv_delta, static_cast<double>(v.code_min), static_cast<double>(v.code_max),
                    v.code_min};
  int omin = 0, omax = 0;
  for (const Atom& at : atoms) omin = std::min(omin, at.o), omax = std::max(omax, at.o);
  cs.o0 = omin;
  cs.po.assign(omax - omin + 1, 0.0);
  cs.pd_o = cs.pm_o = cs.po;
  for (auto& e : cs.pe_o) e = cs.po;
  double q[3][3] = {};
  const Adc* adc[2] = {&unbounded, &bounded};
  const double adc_var = static_cast<double>(v.adc_noise) * v.adc_noise * v.adc_delta * v.adc_delta;
  for (const Atom& at : atoms) {
    bin_atom(v, at, cs.col.data());
    const int o = at.o - omin;
    double pe[3] = {};  // the atom's share of E[e]
    for (int i = 0; i < 2; ++i) pe[i] = convert_atom(*adc[i], at, false, nullptr, q[i]) + at.p * at.d;
    for (const Atom& part : noise_mixture(at, adc_var)) {
      pe[2] += convert_atom(bounded, part, true, cs.adc.data(), q[2]) + part.p * part.d;
      cs.p_clip += part.p * clip_probability(v, part);
    }
    for (int i = 0; i < 3; ++i) cs.pe_o[i][o] += pe[i], cs.em[i] += at.m * pe[i];
    cs.d1 += at.p * at.d;
    cs.d2 += at.p * (at.d * at.d + at.vp);
    cs.m1 += at.p * at.m;
    cs.m2 += at.p * at.m * static_cast<double>(at.m);
    cs.md += at.p * at.m * at.d;
    cs.po[o] += at.p;
    cs.pd_o[o] += at.p * at.d;
    cs.pm_o[o] += at.p * at.m;
  }
  for (int i = 0; i < 3; ++i) cs.q1[i] = q[i][0], cs.q2[i] = q[i][1], cs.qd[i] = q[i][2];
  return cs;
}

}  // namespace cimmc::stat

// The statistical model's inner loop: a Gaussian N(u, s^2) integrated over
// the cells of a uniform grid (ADC codes, column-value bins). Every column
// value atom goes through every cell it can reach, several times per class,
// so the normal tail comes from a table (gaussian.cpp) instead of erfc, each
// cell boundary is evaluated once for the two cells it separates, the density
// at equally spaced boundaries follows by a recurrence, and the exponentials
// that start it are inlined.
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>

namespace cimmc::stat {

// Sigmas covered around an atom; the mass beyond goes to the window's end cells.
constexpr double kWindow = 8.0;

// exp(x) inline, within 2 ulp (libm's call is a sizeable share of an
// integration of a few cells): x = (64 k + j) ln2/64 + r, 2^(j/64) from a
// table, e^r by its degree-5 Taylor polynomial (|r| <= ln2/128: truncation
// below 4e-17 relative).
struct Exp2Table {
  double t[64];  // 2^(j/64)
};
extern const Exp2Table kExp2;  // built once at start-up; constant after
inline double fast_exp(double x) {
  if (!(x > -700.0 && x < 700.0)) return std::exp(x);  // keeps the scaling below in the normal range
  constexpr double kInvStep = 64.0 / std::numbers::ln2;
  constexpr double kStepHi = 0x1.62e42fefa39efp-7, kStepLo = 0x1.abc9e3b39803fp-62;  // ln2/64 = hi + lo
  constexpr double kRound = 0x1.8p52;  // adding it rounds to an integer
  const double k = (x * kInvStep + kRound) - kRound;
  const long long ki = static_cast<long long>(k);
  const double r = std::fma(-k, kStepLo, std::fma(-k, kStepHi, x));
  const double p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120)))));
  const double scale = std::bit_cast<double>(static_cast<std::uint64_t>((ki >> 6) + 1023) << 52);  // 2^(k div 64)
  return kExp2.t[ki & 63] * p * scale;
}

inline double normal_pdf(double z) {
  return fast_exp(-0.5 * z * z) * (0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2);
}

// Mills' ratio R(a) = P(Z > a) / phi(a) as Taylor polynomials about nodes
// kStep apart (gaussian.cpp). The tail's relative error against erfc in long
// double is below 4e-15 for a < 9, where the integration looks.
struct MillsTable {
  static constexpr double kStep = 1.0 / 32;
  static constexpr double kZmax = 38.5;  // beyond, the tail and density underflow
  static constexpr int kTerms = 7, kNodes = static_cast<int>(kZmax / kStep) + 2;
  double c[kNodes][kTerms];
  // P(Z > a) for a >= 0, given pdf = phi(a).
  double tail(double a, double pdf) const {
    if (!(a < kZmax)) return 0.0;
    const int i = static_cast<int>(a * (1 / kStep) + 0.5);
    const double t = a - i * kStep;
    double r = c[i][kTerms - 1];
    for (int k = kTerms - 2; k >= 0; --k) r = r * t + c[i][k];
    return pdf * r;
  }
};
extern const MillsTable kMills;  // built once at start-up; constant after

// P(Z < z) for a standard normal, through the table.
double normal_cdf(double z);

// Cells k of width w centred at origin + k*w, clamped to [lo, hi] (possibly
// infinite): the end cells take everything beyond them.
struct Grid {
  double origin, w, inv_w, lo, hi;
  double cell(double x) const { return std::min(std::max(std::floor((x - origin) * inv_w + 0.5), lo), hi); }
};

// Calls f(k, p0, p1, p2) with the partial moments E[Z^j; u + Z in cell k],
// j = 0, 1, 2, of Z ~ N(0, s^2) for the cells from the one holding u - 8s to
// the one holding u + 8s; the first and last are open to -inf and +inf, so the
// p0 sum to 1. s = 0 is a point mass: one cell, p0 = 1.
template <class F>
void for_each_cell(const Grid& g, double u, double s, F&& f) {
  const double klo = g.cell(u - kWindow * s), khi = g.cell(u + kWindow * s);
  if (klo == khi) {
    f(klo, 1.0, 0.0, s * s);
    return;
  }
  // Boundaries z_j = z_0 + j dz: phi(z_{j+1}) = phi(z_j) r_j, r_{j+1} = r_j exp(-dz^2).
  // (Within the window |z| <= 8, and dz <= 16 where there are two or more, so no overflow.)
  const double inv_s = 1.0 / s, z0 = (g.origin + (klo + 0.5) * g.w - u) * inv_s, dz = g.w * inv_s;
  double phi = normal_pdf(z0), r = 0, shrink = 0;
  if (klo + 1 < khi) r = fast_exp(-dz * (z0 + 0.5 * dz));
  if (klo + 2 < khi) shrink = fast_exp(-dz * dz);
  // Boundary values in chunks, so that their evaluation does not wait on f.
  constexpr int kChunk = 16;
  double zc[kChunk], tc[kChunk], fc[kChunk];
  // Boundary a (below the cell) as z, its tail and z*phi; -inf to start.
  double za = -std::numeric_limits<double>::infinity(), ta = 0, fa = 0, zfa = 0;
  double k = klo;
  while (k < khi) {
    const int nc = static_cast<int>(std::min<double>(kChunk, khi - k));
    for (int j = 0; j < nc; ++j) {
      zc[j] = (g.origin + (k + j + 0.5) * g.w - u) * inv_s;
      fc[j] = phi;
      phi *= r, r *= shrink;
    }
    for (int j = 0; j < nc; ++j) tc[j] = kMills.tail(std::fabs(zc[j]), fc[j]);
    for (int j = 0; j < nc; ++j, k += 1.0) {
      const double zb = zc[j], tb = tc[j], fb = fc[j], zfb = zb * fb;
      // P(za <= Z < zb) from the tails, without cancellation (selected, not branched on).
      const double above = ta - tb, below = tb - ta, across = 1.0 - ta - tb;
      const double p0 = za >= 0 ? above : zb <= 0 ? below : across;
      f(k, p0, s * (fa - fb), s * s * (p0 + zfa - zfb));
      za = zb, ta = tb, fa = fb, zfa = zfb;
    }
  }
  // The last cell, open to +inf.
  const double p0 = za >= 0 ? ta : 1.0 - ta;
  f(khi, p0, s * fa, s * s * (p0 + zfa));
}

}  // namespace cimmc::stat

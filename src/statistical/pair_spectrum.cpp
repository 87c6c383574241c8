// A pair's conversion-error moments from the spectrum of its joint law, where
// no row deviates (see spectral_moments).
#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <string>
#include <vector>

#include "statistical/column_pairs.hpp"
#include "statistical/fft.hpp"

namespace cimmc::stat {
namespace {

using Complex = std::complex<double>;

// exp(-2 pi i k / N) at [k], k < N.
std::vector<Complex> twiddles(int N) {
  std::vector<Complex> t(N);
  for (int k = 0; k < N; ++k) {
    const double a = -2 * std::numbers::pi * k / N;
    t[k] = {std::cos(a), std::sin(a)};
  }
  return t;
}

// Whether variant c of a table of 3 variants per entry equals variant c - 1 everywhere.
bool same_as_previous(const std::vector<double>& e, int c) {
  for (std::size_t j = 0; j < e.size(); j += 3)
    if (e[j + c] != e[j + c - 1]) return false;
  return true;
}

// The DFT of a column's error table e (3 variants per sum, [3 j + c]) on the
// grid of the twiddles, at [3 w + c]: F(N - w) = conj F(w) for a real table,
// and a variant equal to the one before it is copied.
std::vector<Complex> error_spectrum(const std::vector<double>& e, const std::vector<Complex>& tw) {
  const int N = static_cast<int>(tw.size());
  const bool same[3] = {false, same_as_previous(e, 1), same_as_previous(e, 2)};
  std::vector<Complex> F(3 * static_cast<std::size_t>(N));
  for (int w = 0; w <= N / 2; ++w) {
    Complex s[3] = {};
    for (int c = 0; c < 3; ++c) {
      if (same[c]) {
        s[c] = s[c - 1];
        continue;
      }
      for (int j = 0, k = 0; j < N; ++j, k = k + w >= N ? k + w - N : k + w) s[c] += e[3 * j + c] * tw[k];
    }
    for (int c = 0; c < 3; ++c) {
      F[3 * w + c] = s[c];
      if (w > 0) F[3 * (N - w) + c] = std::conj(s[c]);
    }
  }
  return F;
}

// One row of the grid (fixed w2), over every w1, in arrays the compiler
// vectorizes (each entry's operations are the same in any vector width, so
// every copy gives the same bits): phi = sum_d T_d a_d, then P = phi^n by
// squaring, into (Pr, Pi). T: [d * N1 + w1], the twiddles of w1 * ds[d].
__attribute__((target_clones("avx512f", "avx2", "default"))) void row_power(const double* Tr, const double* Ti,
                                                                              const Complex* a, int D, int N1, int n,
                                                                              double* zr, double* zi, double* Pr,
                                                                              double* Pi) {
  for (int w = 0; w < N1; ++w) zr[w] = 0, zi[w] = 0;
  for (int d = 0; d < D; ++d) {
    const double ar = a[d].real(), ai = a[d].imag();
    const double *tr = Tr + static_cast<std::size_t>(d) * N1, *ti = Ti + static_cast<std::size_t>(d) * N1;
    for (int w = 0; w < N1; ++w) {
      const double r = tr[w] * ar - ti[w] * ai, i = tr[w] * ai + ti[w] * ar;
      zr[w] += r, zi[w] += i;
    }
  }
  for (bool first = true;;) {  // P = 1 until the first set bit, which copies
    if (n & 1) {
      if (first)
        for (int w = 0; w < N1; ++w) Pr[w] = zr[w], Pi[w] = zi[w];
      else
        for (int w = 0; w < N1; ++w) {
          const double r = Pr[w] * zr[w] - Pi[w] * zi[w], i = Pr[w] * zi[w] + Pi[w] * zr[w];
          Pr[w] = r, Pi[w] = i;
        }
      first = false;
    }
    if ((n >>= 1) == 0) return;
    for (int w = 0; w < N1; ++w) {
      const double r = zr[w] * zr[w] - zi[w] * zi[w], i = 2 * zr[w] * zi[w];
      zr[w] = r, zi[w] = i;
    }
  }
}

// acc += g P over one row of the grid, in real and imaginary arrays.
__attribute__((target_clones("avx512f", "avx2", "default"))) void add_row_product(double gr, double gi,
                                                                                    const double* Pr,
                                                                                    const double* Pi, double* ar,
                                                                                    double* ai, int N1) {
  for (int w = 0; w < N1; ++w) {
    const double r = gr * Pr[w] - gi * Pi[w], i = gr * Pi[w] + gi * Pr[w];
    ar[w] += r, ai[w] += i;
  }
}

// A column's error spectrum, from the memo where another pair computed it.
const std::vector<Complex>& column_spectrum(const JobView& v, double step, int M0, const std::vector<Complex>& tw,
                                            const std::vector<double>& e, PairMemo* memo,
                                            std::vector<Complex>& own) {
  if (!memo) return own = error_spectrum(e, tw);
  std::string key;
  const int N = static_cast<int>(tw.size());
  append_key(key, step), append_key(key, M0), append_key(key, N);
  append_adc_key(key, v);
  const auto it = memo->spectra.find(key);
  if (it != memo->spectra.end()) return it->second;
  return memo->spectra.emplace(std::move(key), error_spectrum(e, tw)).first->second;
}

}  // namespace

// E[f; .] of the pair where no row deviates, each column's error f a function
// of its own sum alone (column_errors at u = M), from the spectrum of the
// pair's law instead of the law: on the grid of N = n span + 1 points per
// column, which holds every sum (M = n lo + j, j < N, no wrap-around), the law
// of n rows is the n-th power of one row's DFT phi, and by Parseval
//   E[f1(M1) f2(M2)] = 1/(N1 N2) sum_w phi(w)^n conj(F1(w1)) conj(F2(w2)),
// F the DFT of a column's error table. A real law's spectrum is conjugate
// symmetric, so w2 runs over one half, the others counted twice. Rounding
// leaves an absolute error of about n eps times sqrt(sum f1^2 sum f2^2), not
// relative as in the direct sums; no atom is left out (p = phi(0)^n).
// Cost: N1 N2 / 2 points of about D + 2 log2 n + 3 complex products (D: the
// distinct m1 of a row), against the direct convolution's n^3 span1 span2 / 3
// times the row kinds: 5x fewer on 96 rows of 2-bit DAC levels on 1-bit cells.
void spectral_moments(const JobView& v, const std::vector<PairRow>& rows, int lo1, int hi1, int lo2, int hi2,
                      double step1, double step2, int n, PairMemo* memo, PairMoments& pm) {
  const int N1 = n * (hi1 - lo1) + 1, N2 = n * (hi2 - lo2) + 1, H2 = N2 / 2;
  std::vector<double> xs(3 * static_cast<std::size_t>(N1)), ys(3 * static_cast<std::size_t>(N2));
  for (int j = 0; j < N1; ++j) column_errors(v, step1, n * lo1 + j, n * lo1 + j, 0.0, 0.0, &xs[3 * j]);
  for (int j = 0; j < N2; ++j) column_errors(v, step2, n * lo2 + j, n * lo2 + j, 0.0, 0.0, &ys[3 * j]);
  const std::vector<Complex> tw1 = twiddles(N1), tw2 = twiddles(N2);
  std::vector<Complex> own1, own2;
  const std::vector<Complex>& F1 = column_spectrum(v, step1, n * lo1, tw1, xs, memo, own1);
  const std::vector<Complex>& F2 = column_spectrum(v, step2, n * lo2, tw2, ys, memo, own2);
  // Variants whose tables equal the previous variant's in both columns (no
  // ADC noise: the noisy variant is the clamped one) share its sums.
  bool copy[3] = {false, false, false};
  for (int c = 1; c < 3; ++c) copy[c] = same_as_previous(xs, c) && same_as_previous(ys, c);
  // phi(w1, w2) = sum_d exp(-2 pi i w1 d / N1) A_d(w2), d = m1 - lo1 over the
  // distinct ones (rows come sorted by m1).
  std::vector<int> ds;
  for (const PairRow& r : rows)
    if (ds.empty() || ds.back() != r.m1 - lo1) ds.push_back(r.m1 - lo1);
  const int D = static_cast<int>(ds.size());
  std::vector<Complex> A(static_cast<std::size_t>(D) * (H2 + 1));  // [w2 * D + d]
  for (int w2 = 0; w2 <= H2; ++w2)
    for (const PairRow& r : rows) {
      const int d = static_cast<int>(std::lower_bound(ds.begin(), ds.end(), r.m1 - lo1) - ds.begin());
      A[static_cast<std::size_t>(w2) * D + d] += r.p * tw2[static_cast<long>(w2) * (r.m2 - lo2) % N2];
    }
  std::vector<double> T(2 * static_cast<std::size_t>(D) * N1);  // real parts, then imaginary
  double *Tr = T.data(), *Ti = Tr + static_cast<std::size_t>(D) * N1;
  for (int d = 0; d < D; ++d)
    for (int w1 = 0; w1 < N1; ++w1) {
      const Complex t = tw1[static_cast<long>(w1) * ds[d] % N1];
      Tr[static_cast<std::size_t>(d) * N1 + w1] = t.real(), Ti[static_cast<std::size_t>(d) * N1 + w1] = t.imag();
    }
  // zr, zi, Pr, Pi, then per variant the sum over w2 of conj(F2) phi^n per
  // w1, real and imaginary parts.
  std::vector<double> work(10 * static_cast<std::size_t>(N1));
  double *zr = work.data(), *zi = zr + N1, *Pr = zi + N1, *Pi = Pr + N1;
  const auto acc = [&](int c, int part) { return Pi + N1 + static_cast<std::size_t>(2 * c + part) * N1; };
  Complex s2[3] = {};  // the marginal of column 2: w1 = 0
  for (int w2 = 0; w2 <= H2; ++w2) {
    const double twice = w2 == 0 || 2 * w2 == N2 ? 1.0 : 2.0;
    row_power(Tr, Ti, &A[static_cast<std::size_t>(w2) * D], D, N1, n, zr, zi, Pr, Pi);
    for (int c = 0; c < 3; ++c) {
      const Complex g = twice * std::conj(F2[3 * w2 + c]);
      s2[c] += cmul(g, {Pr[0], Pi[0]});
      if (!copy[c]) add_row_product(g.real(), g.imag(), Pr, Pi, acc(c, 0), acc(c, 1), N1);
    }
    if (w2 == 0) {  // the marginal of column 1, and P(0) = phi(0)^n
      for (int c = 0; c < 3; ++c) {
        Complex s1{0.0, 0.0};
        for (int w1 = 0; w1 < N1; ++w1) s1 += cmul(std::conj(F1[3 * w1 + c]), {Pr[w1], Pi[w1]});
        pm.e1[c] = s1.real() / N1;
      }
      pm.p = Pr[0];
    }
  }
  for (int c = 0; c < 3; ++c) {
    pm.e2[c] = s2[c].real() / N2;
    if (copy[c]) {
      pm.e12[c] = pm.e12[c - 1];
      continue;
    }
    double e12 = 0;  // the real part of sum conj(F1) acc
    for (int w1 = 0; w1 < N1; ++w1)
      e12 += F1[3 * w1 + c].real() * acc(c, 0)[w1] + F1[3 * w1 + c].imag() * acc(c, 1)[w1];
    pm.e12[c] = e12 / (static_cast<double>(N1) * N2);
  }
}

// A complex product counted as 4.
double spectral_cost(int n, int D, int N1, int N2) {
  const double per_point = 4.0 * (D + 2 * std::log2(n + 1.0) + 3);
  return per_point * N1 * (N2 / 2 + 1) + 6.0 * (1.0 * N1 * N1 + 1.0 * N2 * N2);
}

}  // namespace cimmc::stat

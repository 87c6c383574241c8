// Iterative radix-2 FFT (Cooley-Tukey, decimation in time). Twiddles are
// computed one by one from cos/sin, not by a recurrence, so their error stays
// at one rounding and the transform's error grows only as log n.
#include "statistical/fft.hpp"

#include <cmath>
#include <numbers>
#include <utility>

namespace cimmc::stat {

SpectralGrid::SpectralGrid(std::size_t min_size) {
  while (n_ < min_size) n_ <<= 1, ++log2n_;
  w_.resize(n_ / 2);
  for (std::size_t k = 0; k < n_ / 2; ++k) {
    const double t = -2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(n_);
    w_[k] = {std::cos(t), std::sin(t)};
  }
  rev_.resize(n_);
  for (std::size_t i = 0; i < n_; ++i) {
    std::size_t r = 0;
    for (int b = 0; b < log2n_; ++b) r |= ((i >> b) & 1) << (log2n_ - 1 - b);
    rev_[i] = r;
  }
}

void SpectralGrid::transform(std::vector<std::complex<double>>& x, bool inverse) const {
  for (std::size_t i = 0; i < n_; ++i)
    if (i < rev_[i]) std::swap(x[i], x[rev_[i]]);
  for (std::size_t len = 2; len <= n_; len <<= 1) {
    const std::size_t half = len / 2, step = n_ / len;
    for (std::size_t s = 0; s < n_; s += len)
      for (std::size_t k = 0; k < half; ++k) {
        const std::complex<double> w = inverse ? std::conj(w_[k * step]) : w_[k * step];
        const std::complex<double> t = cmul(w, x[s + k + half]);
        x[s + k + half] = x[s + k] - t;
        x[s + k] += t;
      }
  }
  if (inverse)
    for (auto& z : x) z /= static_cast<double>(n_);
}

void SpectralGrid::forward(const std::vector<double>& a, const std::vector<double>& b, Spectrum& sa,
                           Spectrum& sb) const {
  sa.clear(), sb.clear();
  if (a.empty() && b.empty()) return;
  Spectrum z(n_);
  for (std::size_t i = 0; i < a.size(); ++i) z[i].real(a[i]);
  for (std::size_t i = 0; i < b.size(); ++i) z[i].imag(b[i]);
  transform(z, false);
  // z = A + iB with A, B Hermitian: A[k] = (Z[k] + conj Z[-k]) / 2, B[k] = (Z[k] - conj Z[-k]) / 2i.
  sa.resize(a.empty() ? 0 : n_);
  sb.resize(b.empty() ? 0 : n_);
  for (std::size_t k = 0; k < n_; ++k) {
    const std::complex<double> zk = z[k], zc = std::conj(z[(n_ - k) & (n_ - 1)]);
    if (!a.empty()) sa[k] = 0.5 * (zk + zc);
    if (!b.empty()) sb[k] = cmul({0, -0.5}, zk - zc);
  }
}

void SpectralGrid::inverse(const Spectrum& sa, const Spectrum& sb, std::vector<double>& a,
                           std::vector<double>& b) const {
  Spectrum z(sa);
  const std::complex<double> i(0, 1);
  if (!sb.empty())
    for (std::size_t k = 0; k < n_; ++k) z[k] += cmul(i, sb[k]);
  transform(z, true);
  a.resize(n_);
  for (std::size_t k = 0; k < n_; ++k) a[k] = z[k].real();
  b.clear();
  if (!sb.empty()) {
    b.resize(n_);
    for (std::size_t k = 0; k < n_; ++k) b[k] = z[k].imag();
  }
}

}  // namespace cimmc::stat

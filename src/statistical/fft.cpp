// Iterative radix-2 FFT (Cooley-Tukey, decimation in time). Twiddles are
// computed one by one from cos/sin, not by a recurrence, so their error stays
// at one rounding and the transform's error grows only as log n.
#include "statistical/fft.hpp"

#include <cmath>
#include <map>
#include <memory>
#include <numbers>
#include <utility>

namespace cimmc::stat {

SpectralGrid::SpectralGrid(std::size_t min_size) {
  while (n_ < min_size) n_ <<= 1, ++log2n_;
  // Stage by stage (half-length h = 1, 2, 4, ...): exp(-2 pi i k / 2h), k < h,
  // at w_[h - 1 + k], so each stage reads its twiddles in order.
  w_.resize(n_ > 1 ? n_ - 1 : 0);
  for (std::size_t h = 1; h < n_; h <<= 1)
    for (std::size_t k = 0; k < h; ++k) {
      const double t = -std::numbers::pi * static_cast<double>(k) / static_cast<double>(h);
      w_[h - 1 + k] = {std::cos(t), std::sin(t)};
    }
  rev_.resize(n_);
  for (std::size_t i = 0; i < n_; ++i) {
    std::size_t r = 0;
    for (int b = 0; b < log2n_; ++b) r |= ((i >> b) & 1) << (log2n_ - 1 - b);
    rev_[i] = r;
  }
}

// The inverse transform is conj(F(conj x)) / n.
void SpectralGrid::transform(std::vector<std::complex<double>>& x, bool inverse) const {
  if (inverse)
    for (auto& z : x) z = std::conj(z);
  for (std::size_t i = 0; i < n_; ++i)
    if (i < rev_[i]) std::swap(x[i], x[rev_[i]]);
  for (std::size_t half = 1; half < n_; half <<= 1) {
    const std::complex<double>* w = w_.data() + half - 1;
    for (std::size_t s = 0; s < n_; s += 2 * half) {
      std::complex<double>* a = x.data() + s;
      std::complex<double>* b = a + half;
      for (std::size_t k = 0; k < half; ++k) {
        const std::complex<double> t = cmul(w[k], b[k]);
        b[k] = a[k] - t;
        a[k] += t;
      }
    }
  }
  if (inverse) {
    const double scale = 1.0 / static_cast<double>(n_);
    for (auto& z : x) z = std::conj(z) * scale;
  }
}

void SpectralGrid::forward(const std::vector<double>& a, const std::vector<double>& b, Spectrum& sa,
                           Spectrum& sb) const {
  sa.clear(), sb.clear();
  if (a.empty() && b.empty()) return;
  Spectrum& z = work_;
  z.assign(n_, 0.0);
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
  if (!sb.empty())
    for (std::size_t k = 0; k < n_; ++k) z[k] += cmul({0, 1}, sb[k]);
  if (sb.empty()) b.clear();
  inverse(z, a, sb.empty() ? nullptr : &b);
}

void SpectralGrid::inverse(Spectrum& z, std::vector<double>& a, std::vector<double>* b) const {
  transform(z, true);
  a.resize(n_);
  for (std::size_t k = 0; k < n_; ++k) a[k] = z[k].real();
  if (b) {
    b->resize(n_);
    for (std::size_t k = 0; k < n_; ++k) (*b)[k] = z[k].imag();
  }
}

const SpectralGrid& spectral_grid(std::size_t min_size) {
  thread_local std::map<std::size_t, std::unique_ptr<SpectralGrid>> grids;
  std::size_t n = 1;
  while (n < min_size) n <<= 1;
  auto& g = grids[n];
  if (!g) g = std::make_unique<SpectralGrid>(n);
  return *g;
}

}  // namespace cimmc::stat

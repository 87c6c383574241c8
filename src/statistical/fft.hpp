// Convolution powers of short real sequences by FFT, for the statistical
// model's value_dp classes whose direct convolution would cost too much (e.g.
// 128 rows of 8-bit DAC levels times 16-level cells: values up to 489,600,
// 5e10 multiply-adds and 54 s directly, 27 ms this way). The n-fold convolution of a
// pmf is one power of its spectrum; rows' weighted sums against layers n-1 and
// n-2 are products of spectra too. Rounding leaves an absolute error of about
// 1e-16 per entry (not relative, as in the direct sums), so callers drop
// entries below kFftFloor (column_distribution.cpp).
#pragma once
#include <complex>
#include <cstddef>
#include <vector>

namespace cimmc::stat {

// Entries of an FFT convolution below this are rounding noise or close to it
// (measured against the direct convolution: |difference| at most 1.3e-17 on
// 128 rows of 256 DAC x 16 cell levels, below 1e-16 on 24 rows of 64 x 16 in
// tests/test_statistical_fft.cpp).
constexpr double kFftFloor = 1e-13;

// a * b without std::complex's NaN/infinity recovery (a library call per
// product; the values here are finite).
inline std::complex<double> cmul(std::complex<double> a, std::complex<double> b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

// A cyclic grid of size (a power of 2) and the spectra of real sequences on
// it. One thread at a time: forward() works in a buffer of the grid's
// (spectral_grid gives each thread its own grids).
class SpectralGrid {
 public:
  explicit SpectralGrid(std::size_t min_size);
  std::size_t size() const { return n_; }
  using Spectrum = std::vector<std::complex<double>>;
  // Spectra of two real sequences (zero-padded) from one complex transform; an
  // empty sequence gets an empty spectrum.
  void forward(const std::vector<double>& a, const std::vector<double>& b, Spectrum& sa, Spectrum& sb) const;
  // The real sequences of two spectra of real sequences (sb may be empty: b is left empty).
  void inverse(const Spectrum& sa, const Spectrum& sb, std::vector<double>& a, std::vector<double>& b) const;
  // The same from z = sa + i sb, transformed in place (b null: sb was 0).
  void inverse(Spectrum& z, std::vector<double>& a, std::vector<double>* b) const;

 private:
  void transform(std::vector<std::complex<double>>& x, bool inverse) const;
  std::size_t n_ = 1;
  int log2n_ = 0;
  std::vector<std::complex<double>> w_;  // twiddles, stage by stage (fft.cpp)
  std::vector<std::size_t> rev_;         // bit reversal
  mutable std::vector<std::complex<double>> work_;  // forward()'s transform, kept between calls
};

// This thread's grid of at least min_size points, built once per size (its
// twiddles cost as much as a transform).
const SpectralGrid& spectral_grid(std::size_t min_size);

}  // namespace cimmc::stat

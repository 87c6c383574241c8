// value_dp by FFT (statistical/fft.hpp, column_distribution.cpp from_spectra)
// against the direct convolutions it replaces.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include "engine/job_builder.hpp"
#include "statistical/fft.hpp"
#include "statistical/model.hpp"
#include "test_util.hpp"

using namespace cimmc;

namespace {

std::vector<double> direct(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> r(a.size() + b.size() - 1, 0.0);
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = 0; j < b.size(); ++j) r[i + j] += a[i] * b[j];
  return r;
}

std::vector<double> pseudo_random(std::size_t n, std::uint64_t seed) {
  std::vector<double> x(n);
  for (double& y : x) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    y = static_cast<double>(seed >> 11) * 0x1p-53;
  }
  return x;
}

// The FFT atoms of the job's first class against the direct value_dp
// convolution's: the same values M, probabilities within rounding, the same
// conditional moments, and only atoms below kFftFloor dropped, within the
// stated bound on their mass.
void expect_fft_matches_direct(const Config& c) {
  BuiltJob job;
  build_job(c, philox::JobId{}, job, false);
  const JobView& v = job.view;
  ASSERT_GT(v.r_off, 0.0f);
  const stat::OperandModel om = stat::operand_model(job);
  const int n = v.R;
  const stat::ColumnDistribution exact =
      stat::column_distribution(v, om.pa[0], om.cell[0], n, std::numeric_limits<double>::infinity());
  const stat::ColumnDistribution fft = stat::column_distribution(v, om.pa[0], om.cell[0], n, 0.0);
  ASSERT_EQ(exact.method, stat::Method::value_dp);
  ASSERT_EQ(fft.method, stat::Method::value_fft);
  std::map<int, stat::Atom> by_m;
  for (const stat::Atom& a : exact.atoms) by_m[a.m] = a;
  double kept = 0, max_dp = 0;
  for (const stat::Atom& a : fft.atoms) {
    const auto it = by_m.find(a.m);
    ASSERT_NE(it, by_m.end()) << "M = " << a.m << " is not an atom of the direct convolution";
    const stat::Atom& e = it->second;
    max_dp = std::max(max_dp, std::fabs(a.p - e.p));
    // Conditional moments are ratios of transformed sums to P(M): an absolute
    // rounding of ~1e-17 in each gives a relative error of about 1e-17 / P(M)
    // (more where the variance is a difference of moments); 100x margin.
    const double rel = 1e-12 + 1e-15 / e.p, rel_var = 1e-9 + 1e-13 / e.p;
    EXPECT_NEAR(a.u, e.u, rel * (1 + std::fabs(e.u))) << a.m << " p " << e.p;
    EXPECT_NEAR(a.d, e.d, rel * (1 + std::fabs(e.d))) << a.m << " p " << e.p;
    EXPECT_NEAR(a.vn, e.vn, rel * (1 + e.vn)) << a.m << " p " << e.p;
    EXPECT_NEAR(a.vp, e.vp, rel_var * (1 + e.vp)) << a.m << " p " << e.p;
    EXPECT_NEAR(a.vn_sd, e.vn_sd, rel_var * (1 + e.vn_sd)) << a.m << " p " << e.p;
    kept += e.p;
    by_m.erase(it);
  }
  EXPECT_LT(max_dp, 1e-16);  // absolute rounding of the transforms
  // What the FFT path dropped: atoms below kFftFloor, within the stated bound.
  double dropped = 0;
  for (const auto& [m, a] : by_m) {
    EXPECT_LE(a.p, stat::kFftFloor + 1e-16) << m;
    dropped += a.p;
  }
  int lo = 1 << 30, hi = 0;
  for (int a = 0; a < static_cast<int>(om.pa[0].size()); ++a)
    for (const stat::CellOutcome& cell : om.cell[0]) lo = std::min(lo, a * cell.l), hi = std::max(hi, a * cell.l);
  EXPECT_LE(dropped, n * (hi - lo) * stat::kFftFloor);
  EXPECT_NEAR(kept + dropped, 1.0, 1e-12);
}

Config multilevel(int rows, int dac_bits, int bits_per_cell) {
  Config c = test::small_config();
  c.macro.rows = rows;
  c.macro.cols = 4;
  c.macro.bits_per_cell = bits_per_cell;
  c.macro.weight_encoding = WeightEncoding::unsigned_plain;
  c.macro.dac_bits = dac_bits;
  c.macro.g_on_us = 10.0;
  c.macro.g_off_us = 1.0;
  c.macro.noise.read_sigma_us = 0.2;
  c.macro.noise.prog_sigma_rel = 0.03;
  c.tile.rows_used = rows;
  c.tile.cols_used = 4;
  c.tile.inputs.bits = dac_bits;
  c.tile.inputs.dist.kind = DistKind::relu_laplace;
  c.tile.inputs.dist.zero_fraction = 0.4;
  c.tile.inputs.dist.b = 1.0;
  c.tile.weights = test::uniform_operand(bits_per_cell, false, 0.0, 1.0, 1.0);
  return c;
}

}  // namespace

// 24 rows of 6-bit DAC levels times 16-level cells (values 0..945), with g_off
// current, programming variation and read noise, so that every conditional row
// sum is used. The grid spans every value of the sum.
TEST(StatisticalFft, ValueDpByFftMatchesDirectConvolution) { expect_fft_matches_direct(multilevel(24, 6, 4)); }

// 128 rows of 3-bit DAC levels times 4-level cells (values 0..21): the
// window ([68, 1182] by Chernoff's bound, [0, 1353] by Bernstein's; a grid of
// 2048) is under the sum's range [0, 2688], so what lies beyond wraps around
// onto the grid.
TEST(StatisticalFft, WindowedGridMatchesDirectConvolution) { expect_fft_matches_direct(multilevel(128, 3, 2)); }

TEST(StatisticalFft, SpectraMultiplyLikeDirectConvolution) {
  const std::vector<double> a = pseudo_random(37, 1), b = pseudo_random(61, 2);
  const stat::SpectralGrid grid(a.size() + b.size() - 1);
  EXPECT_EQ(grid.size(), 128u);
  stat::SpectralGrid::Spectrum sa, sb;
  grid.forward(a, b, sa, sb);  // two real sequences in one transform
  stat::SpectralGrid::Spectrum prod(grid.size()), sq(grid.size());
  for (std::size_t k = 0; k < grid.size(); ++k) prod[k] = stat::cmul(sa[k], sb[k]), sq[k] = stat::cmul(sa[k], sa[k]);
  std::vector<double> ab, aa;
  grid.inverse(prod, sq, ab, aa);  // and two results back
  const std::vector<double> want_ab = direct(a, b), want_aa = direct(a, a);
  for (std::size_t i = 0; i < grid.size(); ++i) {
    EXPECT_NEAR(ab[i], i < want_ab.size() ? want_ab[i] : 0.0, 1e-13) << i;
    EXPECT_NEAR(aa[i], i < want_aa.size() ? want_aa[i] : 0.0, 1e-13) << i;
  }
}

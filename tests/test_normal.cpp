// The table-based standard normal against the closed-form normal CDF.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "normal.hpp"
#include "philox.hpp"

using namespace cimmc;

namespace {
double phi(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
}  // namespace

TEST(Normal, KnotsAreExactQuantiles) {
  const float* k = normal_knots();
  EXPECT_NEAR(k[kNormalBins / 2], 0.0, 1e-7);
  EXPECT_NEAR(phi(k[1024]), 0.25, 1e-7);
  EXPECT_NEAR(phi(k[1]) * kNormalBins, 1.0, 1e-5);
}

TEST(Normal, TailFormulaMatchesTheCdf) {
  for (double p : {1e-9, 1e-6, 1e-4, 2.4e-4}) EXPECT_NEAR(phi(normal_lower_tail(p)) / p, 1.0, 1e-5) << p;
}

TEST(Normal, MomentsAndTailsOfPhiloxDraws) {
  // 4e6 deviates: mean 0 (SE 5e-4), variance 1 (SE 7e-4), P(z < -3) = 1.35e-3,
  // P(z > 3.5) = 2.33e-4, and a fine CDF check at 41 points.
  const NormalBin* k = normal_table();
  const int n = 1000000;
  double s1 = 0, s2 = 0, below3 = 0, above35 = 0;
  std::vector<double> pts;
  for (int i = -20; i <= 20; ++i) pts.push_back(i * 0.15);
  std::vector<double> cnt(pts.size(), 0);
  for (std::uint32_t i = 0; i < n; ++i) {
    const philox::Counter r = philox::draw(philox::stream_key(3, {1, 0}), i, 0, philox::kReadNoise);
    for (int t = 0; t < 4; ++t) {
      const double z = std_normal(r.v[t], k);
      s1 += z;
      s2 += z * z;
      below3 += z < -3.0;
      above35 += z > 3.5;
      for (std::size_t j = 0; j < pts.size(); ++j) cnt[j] += z <= pts[j];
    }
  }
  const double N = 4.0 * n;
  EXPECT_NEAR(s1 / N, 0.0, 2.5e-3);
  EXPECT_NEAR(s2 / N, 1.0, 3.5e-3);
  EXPECT_NEAR(below3 / N, phi(-3.0), 4 * std::sqrt(phi(-3.0) / N));
  EXPECT_NEAR(above35 / N, phi(-3.5), 4 * std::sqrt(phi(-3.5) / N));
  for (std::size_t j = 0; j < pts.size(); ++j) EXPECT_NEAR(cnt[j] / N, phi(pts[j]), 1.3e-3) << pts[j];
}

TEST(Normal, TableHoldsKnotsAndWidths) {
  const float* k = normal_knots();
  const NormalBin* t = normal_table();
  for (int i : {1, 7, 2048, 4094}) {
    EXPECT_EQ(t[i].a, k[i]);
    EXPECT_EQ(t[i].d, k[i + 1] - k[i]);
  }
  // The midpoint of bin 2048 (f = 1/2) interpolates between its knots.
  EXPECT_FLOAT_EQ(std_normal((2048u << kNormalShift) | (1u << (kNormalShift - 1)), t), 0.5f * (k[2048] + k[2049]));
}

TEST(Normal, BatchEqualsOneAtATime) {
  // std_normals (16 at a time where the CPU has AVX-512) must give the bits of
  // std_normal: words from Philox plus planted end-bin words (both tails, in
  // the first, a middle and the last vector), and lengths that leave a remainder.
  const NormalBin* t = normal_table();
  std::vector<std::uint32_t> u(1000);
  for (std::uint32_t i = 0; i < u.size() / 4; ++i) {
    const philox::Counter r = philox::draw(philox::stream_key(9, {2, 0}), i, 0, philox::kReadNoise);
    for (int j = 0; j < 4; ++j) u[4 * i + j] = r.v[j];
  }
  u[0] = 5;
  u[17] = 0xFFFFFFF0u;
  u[500] = 0x000FFFFFu;
  u[995] = 0xFFF00000u;
  for (int n : {0, 15, 16, 33, 1000}) {
    std::vector<float> z(n, -99.f);
    std_normals(u.data(), z.data(), 0, n, 1, t);
    for (int p = 0; p < n; ++p) ASSERT_EQ(z[p], std_normal(u[p], t)) << "n " << n << " p " << p;
  }
  // Strided (how GPU lanes call it): every third deviate, the rest untouched.
  std::vector<float> z(40, -99.f);
  std_normals(u.data(), z.data(), 1, 40, 3, t);
  for (int p = 0; p < 40; ++p) EXPECT_EQ(z[p], p % 3 == 1 ? std_normal(u[p], t) : -99.f) << p;
  EXPECT_LT(z[0 + 1], 10.f);
}

// The statistical model's tabulated normal against the C library's erfc.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "statistical/gaussian.hpp"

using namespace cimmc::stat;

TEST(Gaussian, CdfMatchesErfc) {
  double worst = 0;
  for (double z = -9.0; z <= 9.0; z += 0.0137) {
    const double ref = 0.5 * std::erfc(-z / std::sqrt(2.0));
    worst = std::max(worst, std::fabs(normal_cdf(z) - ref) / std::min(ref, 1.0 - ref + 1e-300));
  }
  EXPECT_LT(worst, 1e-12);
}

TEST(Gaussian, CellMomentsMatchClosedForms) {
  // N(u, s^2) over cells of width 0.7: probabilities sum to 1, first moments
  // of Z sum to 0 and second moments to s^2; one interior cell against erfc.
  const Grid g{0.0, 0.7, 1.0 / 0.7, -1e9, 1e9};
  const double u = 1.3, s = 1.1;
  double p0 = 0, p1 = 0, p2 = 0, cell0 = -1;
  for_each_cell(g, u, s, [&](double k, double a, double b, double c) {
    p0 += a;
    p1 += b;
    p2 += c;
    if (k == 2.0) cell0 = a;
  });
  EXPECT_NEAR(p0, 1.0, 1e-12);
  EXPECT_NEAR(p1, 0.0, 1e-12);
  EXPECT_NEAR(p2, s * s, 1e-12);
  const double lo = (2 * 0.7 - 0.35 - u) / s, hi = (2 * 0.7 + 0.35 - u) / s;
  const double ref = 0.5 * (std::erfc(-hi / std::sqrt(2.0)) - std::erfc(-lo / std::sqrt(2.0)));
  EXPECT_NEAR(cell0, ref, 1e-13);
}

TEST(Gaussian, InlineExpWithinTwoUlp) {
  double worst = 0;
  for (double x = -708.0; x <= 709.0; x += 0.01234567) {  // normal results
    const long double ref = std::exp(static_cast<long double>(x));
    worst = std::max(worst, static_cast<double>(std::fabs((fast_exp(x) - ref) / ref)));
  }
  for (double x = -40.0; x <= 40.0; x += 1.1e-5) {  // where the integration looks, densely
    const long double ref = std::exp(static_cast<long double>(x));
    worst = std::max(worst, static_cast<double>(std::fabs((fast_exp(x) - ref) / ref)));
  }
  EXPECT_LT(worst, 2 * std::numeric_limits<double>::epsilon());
}

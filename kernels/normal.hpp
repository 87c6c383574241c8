// Standard normal deviates from one 32-bit word by the inverse CDF: the top 12
// bits pick one of 4096 equal-probability bins, whose quantiles (the knots) are
// tabulated exactly on the host; inside a bin the value is interpolated
// linearly. The two outer bins (|z| > 3.49, probability 1/2048) use Acklam's
// tail approximation (relative error < 1.2e-9). One table lookup per deviate
// instead of Box-Muller's log, sqrt and sin/cos: read noise per conversion and
// programming variation per cell are the hot random draws.
#pragma once
#include <cmath>
#include <cstdint>

#include "hd.hpp"

namespace cimmc {

constexpr int kNormalBins = 4096;            // table has kNormalBins + 1 knots
constexpr int kNormalShift = 32 - 12;

// Lower-tail quantile for p < 1/4096 (Acklam's rational approximation).
CIMMC_HD float normal_lower_tail(double p) {
  const double c0 = -7.784894002430293e-03, c1 = -3.223964580411365e-01, c2 = -2.400758277161838e+00,
               c3 = -2.549732539343734e+00, c4 = 4.374664141464968e+00, c5 = 2.938163982698783e+00;
  const double d0 = 7.784695709041462e-03, d1 = 3.224671290700398e-01, d2 = 2.445134137142996e+00,
               d3 = 3.754408661907416e+00;
  const double q = sqrt(-2.0 * log(p));
  return static_cast<float>((((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
                            ((((d0 * q + d1) * q + d2) * q + d3) * q + 1.0));
}

CIMMC_HD float std_normal(std::uint32_t u, const float* knots) {
  const std::uint32_t bin = u >> kNormalShift;
  const std::uint32_t low = u & ((1u << kNormalShift) - 1u);
  if (bin == 0) return normal_lower_tail((static_cast<double>(u) + 0.5) * 2.3283064365386963e-10);
  if (bin == kNormalBins - 1)
    return -normal_lower_tail((static_cast<double>(~u) + 0.5) * 2.3283064365386963e-10);
  const float f = static_cast<float>(low) * (1.0f / (1u << kNormalShift));
  const float a = knots[bin], b = knots[bin + 1];
  return a + f * (b - a);
}

// Host: the knots Phi^-1(i / kNormalBins), i = 0..kNormalBins (ends unused).
const float* normal_knots();

}  // namespace cimmc

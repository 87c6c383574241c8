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

// A standard normal deviate without the table, for draws whose CDF must be
// right everywhere (the Gaussian copula of correlated inputs maps z through
// quantization thresholds that can sit anywhere): the table's linear
// interpolation is off by up to 2e-5 in P(z < t) for t near +-3.3, a tenth of
// the probability of a 4096th bin. Acklam's rational approximation of Phi^-1
// (relative error < 1.2e-9) on the lower half p = (min(u, ~u) + 1/2) / 2^32,
// the upper half mirrored, so both tails keep their relative precision. In
// double: in float the central rational function cancels to 1e-3 near its
// ends. One log and sqrt only in the tails (p < 0.02425).
CIMMC_HD float std_normal_precise(std::uint32_t u) {
  const bool upper = u >= 0x80000000u;
  const double p = (static_cast<double>(upper ? ~u : u) + 0.5) * 2.3283064365386963e-10;  // (0, 1/2)
  double z;
  if (p < 0.02425) {
    z = normal_lower_tail(p);
  } else {
    const double q = p - 0.5, r = q * q;
    z = (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r +
           1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q /
        (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r +
           6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1.0);
  }
  return static_cast<float>(upper ? -z : z);
}

// Host: the knots Phi^-1(i / kNormalBins), i = 0..kNormalBins (ends unused).
const float* normal_knots();

}  // namespace cimmc

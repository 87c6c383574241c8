#include <cmath>

#include "normal.hpp"

namespace cimmc {

// Quantiles by bisection on erfc: exact to double precision, computed once.
const float* normal_knots() {
  static const auto table = [] {
    static float k[kNormalBins + 1];
    for (int i = 1; i < kNormalBins; ++i) {
      const double p = static_cast<double>(i) / kNormalBins;
      double lo = -10, hi = 10;
      for (int it = 0; it < 100; ++it) {
        const double mid = 0.5 * (lo + hi);
        (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
      }
      k[i] = static_cast<float>(0.5 * (lo + hi));
    }
    k[0] = -k[kNormalBins - 1] - 1.0f;  // never read: the end bins use the tail formula
    k[kNormalBins] = -k[0];
    return k;
  }();
  return table;
}

const NormalBin* normal_table() {
  static const auto table = [] {
    static NormalBin t[kNormalBins];
    const float* k = normal_knots();
    for (int i = 0; i < kNormalBins; ++i) t[i] = {k[i], k[i + 1] - k[i]};
    return t;
  }();
  return table;
}

}  // namespace cimmc

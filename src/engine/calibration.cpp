#include "engine/calibration.hpp"

#include <algorithm>
#include <cmath>

#include "engine/job_builder.hpp"

namespace cimmc {

double exact_quantile(double* first, double* last, double quantile) {
  const std::size_t n = static_cast<std::size_t>(last - first);
  if (n == 0) return 0.0;
  // The rank the histogram walk stops at: the first count c with c >= q * n.
  const double target = quantile * static_cast<double>(n);
  const std::size_t rank = std::clamp<std::size_t>(static_cast<std::size_t>(std::ceil(target)), 1, n);
  double* nth = first + (rank - 1);
  std::nth_element(first, nth, last);
  return *nth;
}

int adc_slice_of(const JobView& v, int q) { return v.w_part[q] == WPart::neg ? q - v.ppw / 2 : q; }

double on_cell_unit(const JobView& v) { return ((1 << v.dac_bits) - 1) * (v.L - 1 + static_cast<double>(v.r_off)); }

namespace {

// CrossSim rounds a calibrated range up to 128/2^k on-cell units: the next
// power of two (any integer exponent) of the on-cell unit.
double round_up_pow2(double fs, double unit) { return unit * std::exp2(std::ceil(std::log2(fs / unit))); }

}  // namespace

std::array<double, kMaxPhysPerWeight> calibrated_full_scales(const JobView& v, double* values, const AdcSpec& adc) {
  const std::uint64_t n = capture_values(v);
  for (std::uint64_t i = 0; i < n; ++i) values[i] = std::fabs(values[i]);
  // Column positions pooled per group: all of them in place, or one copy per slice.
  std::vector<std::vector<double>> slices(adc.per_slice ? v.ppw : 0);
  if (adc.per_slice) {
    for (auto& m : slices) m.reserve(static_cast<std::size_t>(n / v.ppw));
    for (std::uint64_t i = 0; i < n; ++i)
      slices[adc_slice_of(v, static_cast<int>(i % static_cast<std::uint64_t>(v.P)) % v.ppw)].push_back(values[i]);
  }
  std::array<double, kMaxPhysPerWeight> fs{};
  for (int q = 0; q < v.ppw; ++q) {
    const int grp = adc.per_slice ? adc_slice_of(v, q) : 0;
    if (grp != q) {  // shares an earlier position's range
      fs[q] = fs[grp];
      continue;
    }
    double f = adc.per_slice ? exact_quantile(slices[grp].data(), slices[grp].data() + slices[grp].size(), adc.quantile)
                             : exact_quantile(values, values + n, adc.quantile);
    if (f <= 0) f = v.col_bw;  // all-zero pilot values: keep one bin of range
    if (adc.round_pow2) f = round_up_pow2(f, on_cell_unit(v));
    fs[q] = f;
  }
  return fs;
}

void set_adc_full_scales(JobView& v, const std::array<double, kMaxPhysPerWeight>& fs, bool per_slice) {
  set_adc_full_scale(v, fs[0]);
  if (!per_slice) return;
  double top = 0;
  for (int q = 0; q < v.ppw; ++q) {
    v.adc_delta_q[q] = fs[q] / v.code_max;
    v.adc_inv_q[q] = 1.0 / v.adc_delta_q[q];
    top = std::max(top, fs[q]);
  }
  set_adc_full_scale(v, top);
  v.adc_mode = AdcMode::per_slice;
}

}  // namespace cimmc

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

double calibrated_range(const JobView& v, double f, const AdcSpec& adc) {
  if (f <= 0) f = v.col_bw;  // all-zero values (e.g. a cycle whose level is always 0): one bin of range
  return adc.round_pow2 ? round_up_pow2(f, on_cell_unit(v)) : f;
}

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
    const double f = adc.per_slice
                         ? exact_quantile(slices[grp].data(), slices[grp].data() + slices[grp].size(), adc.quantile)
                         : exact_quantile(values, values + n, adc.quantile);
    fs[q] = calibrated_range(v, f, adc);
  }
  return fs;
}

std::vector<double> calibrated_cycle_scales(const JobView& v, const double* values, const AdcSpec& adc) {
  const std::uint64_t n = capture_values(v), GP = static_cast<std::uint64_t>(v.G) * v.P;
  // Group of value i: its cycle c = (i / (G P)) % cycles, and with per_slice its
  // position's slice (the pilot records [((sample * cycles + c) * G + g) * P + p]).
  const int per = adc.per_slice ? v.ppw : 1;
  std::vector<std::vector<double>> groups(static_cast<std::size_t>(v.cycles) * per);
  for (std::uint64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>((i / GP) % static_cast<std::uint64_t>(v.cycles));
    const int q = static_cast<int>(i % static_cast<std::uint64_t>(v.P)) % v.ppw;
    groups[static_cast<std::size_t>(c) * per + (adc.per_slice ? adc_slice_of(v, q) : 0)].push_back(std::fabs(values[i]));
  }
  std::vector<double> gq(groups.size());
  for (std::size_t k = 0; k < groups.size(); ++k) {
    std::vector<double>& g = groups[k];
    gq[k] = calibrated_range(v, g.empty() ? 0.0 : exact_quantile(g.data(), g.data() + g.size(), adc.quantile), adc);
  }
  std::vector<double> fs(static_cast<std::size_t>(v.cycles) * v.ppw);
  for (int c = 0; c < v.cycles; ++c)
    for (int q = 0; q < v.ppw; ++q)
      fs[static_cast<std::size_t>(c) * v.ppw + q] = gq[static_cast<std::size_t>(c) * per + (adc.per_slice ? adc_slice_of(v, q) : 0)];
  return fs;
}

void set_adc_cycle_scales(JobView& v, const std::vector<double>& fs) {
  double top = 0;
  for (std::size_t i = 0; i < fs.size(); ++i) {
    v.adc_delta_cq[i] = fs[i] / v.code_max;
    v.adc_inv_cq[i] = 1.0 / v.adc_delta_cq[i];
    top = std::max(top, fs[i]);
  }
  set_adc_full_scale(v, top);
  v.adc_mode = AdcMode::per_cycle;
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

// macro.slice_combine charge: the ppw physical columns holding one weight's
// slices share their charge through binary-weighted capacitors before one ADC
// conversion per weight (the analog macros whose ZigZag-IMC summaries have one
// ADC per output, e.g. AIMC2, JSSC 2023). Column q enters with its place value
// w_coef[q] (2^(q bits_per_cell); negative for a two's-complement MSB slice or
// a differential negative column: that charge is subtracted).
//
// Units: the combined value is sum_q w_coef[q] x column_q in column-value
// units. Sharing divides the signal by the total capacitance, and the
// columns' read noise with it, so referred to the ADC input only the combined
// value per ADC step matters; the step (adc_delta) is set on the combined
// range (range full: the place-value sum of the columns' ranges).
// Noise: column q's read noise (sigma_q, column units) enters scaled by its
// place value, variance sum_q w_coef[q]^2 sigma_q^2, plus the ADC's input-
// referred noise in LSBs of the combined step. One normal deviate per weight
// (the slot of its first column in fill_noise) carries the whole variance: a
// sum of independent Gaussians is Gaussian. Not modelled: kT/C noise of the
// sharing capacitors, capacitor mismatch (place-value error), charge injection.
#pragma once
#include <cmath>
#include <cstdint>

#include "convert.hpp"
#include "hd.hpp"
#include "job_view.hpp"
#include "workspace.hpp"

namespace cimmc {
inline namespace CIMMC_ISA_NS {  // hd.hpp

// sum_q w_coef[q]^2: scales a per-column noise variance that every column of
// the weight shares (absolute read noise) to the combined value.
CIMMC_HD double combined_noise_gain(const JobView& v) {
  double s = 0.0;
  for (int q = 0; q < v.ppw; ++q) s += v.w_coef[q] * v.w_coef[q];
  return s;
}

// One conversion per weight of this lane: the weight's columns are counted in
// the column-value histogram (each physical column still discharges its
// bitline), then combined, noised, converted once and counted once. k.abs_var
// and k.abs_sd already hold the combined absolute variance (convert_all).
// The combined code goes to ypart[n * ppw] with the place values applied.
template <NoiseKind Noise, AdcMode Mode, class Columns, class Exec>
CIMMC_HD std::uint64_t combine_pass(const Columns& colv, const ConvConsts& k, const double* coef, const Workspace& ws,
                                    std::uint64_t* col_h, std::uint64_t* adc_h, int N, const Exec& ex) {
  const int ppw = k.ppw;
  std::uint64_t clipped = 0;
  for (int n = ex.lane(); n < N; n += ex.nlanes()) {
    double val = 0.0, sq_sum = 0.0;
    for (int q = 0; q < ppw; ++q) {
      const int p = n * ppw + q;
      float sq;
      const double cv = colv(p, sq);
      ex.add(&col_h[column_bin(cv, k) + static_cast<std::uint32_t>(p % kShards * k.ncol)], 1);
      val += coef[q] * cv;
      sq_sum += coef[q] * coef[q] * static_cast<double>(sq);
    }
    const double z = static_cast<double>(ws.noise[n * ppw]);
    if constexpr (Noise == NoiseKind::absolute) val += z * k.abs_sd;
    if constexpr (Noise == NoiseKind::proportional) val += z * sqrt(k.abs_var + k.rel2 * sq_sum);
    // per_cycle: the cycle's step (convert_all points dq, iq at the cycle);
    // without per-slice calibration every position of a cycle shares it.
    const double inv_delta = Mode == AdcMode::per_cycle ? k.iq[0] : k.inv_delta;
    const double scale = Mode == AdcMode::per_cycle ? k.coef * k.dq[0] : k.scale;
    const double cf = nearest_code(val, inv_delta);
    const double cc = clamp_low_nan(cf, k.cmin, k.cmax);
    if constexpr (Mode != AdcMode::ideal) clipped += clips(cf, k);
    ex.add(&adc_h[static_cast<std::uint32_t>(cc - k.cmin) + static_cast<std::uint32_t>(n % kAdcShards * k.ncode)], 1);
    if constexpr (Mode == AdcMode::ideal) ws.ypart[n * ppw] += k.coef * val;
    else ws.ypart[n * ppw] += scale * cc;
  }
  return clipped;
}

template <AdcMode Mode, class Columns, class Exec>
CIMMC_HD std::uint64_t combine_set(const Columns& colv, const ConvConsts& k, const double* coef, const Workspace& ws,
                                   std::uint64_t* col_h, std::uint64_t* adc_h, int N, const Exec& ex) {
  if (!k.noisy) return combine_pass<NoiseKind::none, Mode>(colv, k, coef, ws, col_h, adc_h, N, ex);
  if (k.rel2 > 0.f) return combine_pass<NoiseKind::proportional, Mode>(colv, k, coef, ws, col_h, adc_h, N, ex);
  return combine_pass<NoiseKind::absolute, Mode>(colv, k, coef, ws, col_h, adc_h, N, ex);
}

// Every ADC mode but per_slice, which validation refuses with charge
// combination (one conversion per weight has no slices to range apart).
template <class Columns, class Exec>
CIMMC_HD std::uint64_t convert_combined(const JobView& v, const Columns& colv, const ConvConsts& k, const Workspace& ws,
                                        std::uint64_t* col_h, std::uint64_t* adc_h, const Exec& ex) {
  if (v.adc_mode == AdcMode::per_cycle) return combine_set<AdcMode::per_cycle>(colv, k, v.w_coef, ws, col_h, adc_h, v.N, ex);
  if (v.adc_mode == AdcMode::ideal) return combine_set<AdcMode::ideal>(colv, k, v.w_coef, ws, col_h, adc_h, v.N, ex);
  return combine_set<AdcMode::shared>(colv, k, v.w_coef, ws, col_h, adc_h, v.N, ex);
}

// The calibration pilot's record: the weight's combined value (before noise)
// at every one of its column positions, so the pilot's quantile over all P
// positions is the quantile of the combined values (each repeated ppw times).
template <class Columns, class Exec>
CIMMC_HD void capture_combined(const JobView& v, const Columns& colv, std::uint32_t sample, int cg, const Exec& ex) {
  double* out = v.col_capture + (static_cast<std::size_t>(sample) * v.cycles * v.G + cg) * v.P;
  for (int n = ex.lane(); n < v.N; n += ex.nlanes()) {
    double val = 0.0;
    for (int q = 0; q < v.ppw; ++q) {
      float sq;
      val += v.w_coef[q] * colv(n * v.ppw + q, sq);
    }
    for (int q = 0; q < v.ppw; ++q) out[n * v.ppw + q] = val;
  }
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc

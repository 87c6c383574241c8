// One sample's conversions: for every (input cycle, row group) the column
// source its path needs (bit planes, fixed unrolled planes, byte dot products
// or float conductances), converted per column (convert.hpp) or, with
// macro.slice_combine charge, per weight (slice_combine.hpp).
#pragma once
#include <cmath>
#include <cstdint>

#include "convert.hpp"
#include "hd.hpp"
#include "ir_drop.hpp"
#include "job_view.hpp"
#include "slice_combine.hpp"
#include "workspace.hpp"

namespace cimmc {
inline namespace CIMMC_ISA_NS {  // hd.hpp

template <bool FloatPath, class Exec>
CIMMC_HD void convert_all(const JobView& v, const Workspace& ws, std::uint32_t sample,
                          LaneStats& st, const Exec& ex) {
  const int lane = ex.lane(), nl = ex.nlanes();
  const int P = v.P, G = v.G, wpg = v.wpg;
  const std::size_t stride = static_cast<std::size_t>(G) * wpg;
  ConvConsts k{};
  k.inv_delta = 1.0 / v.adc_delta;
  k.col_lo = v.col_lo;
  k.inv_bw = 1.0 / v.col_bw;
  k.top_bin = v.col_nbins - 1;
  k.cmin = v.code_min;
  k.cmax = v.code_max;
  k.ncol = v.col_nbins;
  k.ncode = v.code_max - v.code_min + 1;
  k.noisy = v.noisy;
  k.rel2 = v.read_rel * v.read_rel;
  k.dq = v.adc_delta_q;
  k.iq = v.adc_inv_q;
  k.ppw = v.ppw;
  const float adc_var = v.adc_noise * v.adc_noise * static_cast<float>(v.adc_delta * v.adc_delta);
  // A pair reads two cells per row: twice the absolute read-noise variance.
  const float read_var = v.pair ? 2.f * v.read_abs * v.read_abs : v.read_abs * v.read_abs;
  // Charge-combined slices (slice_combine.hpp): one conversion per weight,
  // whose absolute read-noise variance is the columns' scaled by sum coef^2.
  const bool combine = v.slice_combine;
  const float comb_gain = combine ? static_cast<float>(combined_noise_gain(v)) : 1.f;
  const bool fixed_ok = fixed_layout(v) && v.adc_mode == AdcMode::shared && !combine;
  // One lane (the CPU): GPU lanes read bit planes coalesced, cell levels not.
  // tests/test_lanes.cpp checks the two against each other, bit for bit.
  const bool dot = !FloatPath && v.dac_bits > 1 && nl == 1;
  std::uint64_t* col_h = ws.col_local;
  std::uint64_t* adc_h = ws.adc_local;
  std::uint64_t clipped = 0;
  for (int p = lane; p < P; p += nl) ws.ypart[p] = 0.0;
  if (combine) ex.sync();  // a weight's lane is not its first column's
  for (int c = 0; c < v.cycles; ++c) {
    if (v.adc_mode == AdcMode::per_cycle) {
      k.dq = v.adc_delta_cq + c * v.ppw;
      k.iq = v.adc_inv_cq + c * v.ppw;
    }
    for (int g = 0; g < G; ++g) {
      const int cg = c * G + g;
      // A calibration pilot only records the values before noise: no noise
      // draws, no conversions (its histograms and moments are not used).
      const bool capture = v.col_capture != nullptr;
      if (k.noisy && !capture) {
        fill_noise(v, ws, sample, cg, ex);
        ex.sync();
      }
      k.coef = v.in_coef[c];
      k.scale = v.in_coef[c] * v.adc_delta;
      k.abs_var = comb_gain * read_var * ws.suma2[cg] + adc_var;
      k.abs_sd = sqrtf(k.abs_var);
      const std::uint64_t* ab = ws.abits + static_cast<std::size_t>(c) * v.dac_bits * stride + g * wpg;
      const std::uint64_t* wb = ws.wbits + g * wpg;
      bool done = false;
      // One conversion set from a column source, or the pilot's record of it.
      auto run = [&](const auto& cols) {
        if (capture && combine) capture_combined(v, cols, sample, cg, ex);
        else if (capture) capture_set(v, cols, sample, cg, ex);
        else if (combine) clipped += convert_combined(v, cols, k, ws, col_h, adc_h, ex);
        else clipped += convert_any(cols, v.adc_mode, k, ws, col_h, adc_h, P, ex);
      };
      if (FloatPath) {
        conductance_columns(v, ws, c, g, v.read_rel > 0.f, ex);
        if (v.ir_rho > 0.f) ir_drop_columns(v, ws, c, g, ex);
        if (v.pair || combine) ex.sync();  // a pair (or a combined weight) reads columns another lane summed
        const FloatColumns cols{ws.fval, ws.fsq};
        if (v.pair) run(PairColumns<FloatColumns>{cols, P});
        else run(cols);
      } else if (dot) {
        dot_columns(v, ws, c, g, ex);
        ex.sync();  // a pair (or a combined weight) reads columns another lane summed
        if (v.pair) run(PairColumns<DotColumns>{{ws.ival, ws.ineg, 0.0, 0.0}, P});
        else run(DotColumns{ws.ival, ws.ineg, v.r_off, static_cast<double>(ws.suma[cg])});
      } else if (v.pair) {
        run(PairColumns<PlaneColumns>{
            {ab, wb, nullptr, stride, v.dac_bits, v.bpc, wpg, v.ppw, G, 0.0, 0.0, v.r_off, static_cast<double>(ws.suma[cg])}, P});
      } else {
        const double suma = static_cast<double>(ws.suma[cg]);
        const PlaneColumns cols{ab, wb, v.signed_cols ? ws.negbits + g * wpg : nullptr, stride, v.dac_bits,
                                v.bpc, wpg, v.ppw, G, v.r_off, suma, v.r_off, suma};
        if (capture || combine) {
          run(cols);
        } else {
          if (fixed_ok) clipped += convert_fixed(v, ab, g, suma, k, ws, col_h, adc_h, ex, done);
          if (!done) clipped += convert_any(cols, v.adc_mode, k, ws, col_h, adc_h, P, ex);
        }
      }
      if (k.noisy && !capture) ex.sync();
    }
  }
  st.clipped += clipped;
  const int nconv = conversion_columns(v);
  st.conversions += static_cast<std::uint64_t>((nconv - lane + nl - 1) / nl) * v.cycles * G;
  ex.sync();
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc

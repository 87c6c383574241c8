// Per-vector input scaling (macro.input_scaling: abs_max), aihwkit's "noise
// management": before the DAC each input vector x is multiplied by Q / m,
// m = max_j |x_j| and Q the input encoding's largest magnitude, and rounded
// to the DAC's integers, so every vector drives the DAC's full range; the
// shift-added output is multiplied by m / Q after the ADC. Output-referred
// noise and ADC steps then act on a full-range signal and shrink by m / Q in
// the output, at the price of rounding the rescaled inputs (at most half an
// input step of m / Q).
//
// Integer arithmetic only, so the host, the CPU lanes and the GPU round alike.
#pragma once
#include <cstdint>

#include "hd.hpp"
#include "job_view.hpp"

namespace cimmc {
inline namespace CIMMC_ISA_NS {  // hd.hpp

// x Q / m rounded half away from zero; m > 0, |x| <= m.
CIMMC_HD std::int32_t scale_input(std::int32_t x, std::int32_t m, std::int32_t q) {
  const std::int64_t mag = x < 0 ? -static_cast<std::int64_t>(x) : x;
  const std::int64_t r = (2 * mag * q + m) / (2 * static_cast<std::int64_t>(m));
  return static_cast<std::int32_t>(x < 0 ? -r : r);
}

// The factor that takes a scaled vector's output back to the inputs' units:
// m / Q. An all-zero vector (m = 0) drives nothing: its output is 0.
CIMMC_HD double input_rescale(const JobView& v, std::int32_t m) {
  return static_cast<double>(m) / static_cast<double>(v.x_scale_q);
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc

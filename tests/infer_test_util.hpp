// The macro of the inference tests: a square array, 8-bit unsigned inputs,
// 8-bit signed weights, full-range ADC, g_off = 0 and no noise (small_config).
#pragma once
#include "test_util.hpp"

namespace cimmc::test {

inline Config infer_macro(int size, WeightEncoding enc, int bpc, int dac_bits, int adc_bits, int per_instance) {
  Config c = small_config();
  c.macro.rows = c.macro.cols = size;
  c.macro.weight_encoding = enc;
  c.macro.bits_per_cell = bpc;
  c.macro.dac_bits = dac_bits;
  c.macro.adc.bits = adc_bits;
  c.macro.adc.range = AdcRange::full;
  c.tile.inputs.bits = 8;
  c.tile.weights.bits = 8;
  c.tile.weights.is_signed = true;
  c.run.inputs_per_instance = per_instance;
  return c;
}

}  // namespace cimmc::test

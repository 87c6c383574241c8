// Shared by the inference tests: the macro (a square array, 8-bit unsigned
// inputs, 8-bit signed weights, full-range ADC, g_off = 0 and no noise:
// small_config), random 4 x 4 images, the hand-built ONNX files.
#pragma once
#include <random>
#include <string>

#include "infer/task.hpp"
#include "onnx/import.hpp"
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

// `count` 4 x 4 images of whole byte values / 255 (the inputs of the files in
// tests/data/onnx/), labels 0..2.
inline infer::TaskData random_images(int count, unsigned seed) {
  std::mt19937 g(seed);
  infer::TaskData d;
  d.count = d.calibration_count = count;
  d.sample_size = 16;
  for (int i = 0; i < count * 16; ++i) d.x.push_back(static_cast<float>(g() % 256) / 255.f);
  d.calibration = d.x;
  for (int i = 0; i < count; ++i) d.labels.push_back(static_cast<int>(g() % 3));  // tiny_cnn has 3 classes
  return d;
}

inline infer::Network tiny_onnx(const std::string& name) {
  return onnx::load_network(std::string(CIMMC_SOURCE_DIR) + "/tests/data/onnx/" + name + ".onnx");
}

}  // namespace cimmc::test

// The macros the benchmarks time (bench_macro.cpp, bench_statistical.cpp):
//   0  128 inputs x 128 8-bit signed weights, 2-bit cells, differential
//      (1,024 physical columns), bit-serial 8-bit inputs, 6-bit ADC, noise-free
//   1  the same with absolute read noise, 2 with programming variation,
//   3  digital (1-bit two's-complement cells, the same cell reads),
//   4  proportional read noise,
//   5  aihwkit's regime: one 16-level cell per 4-bit weight, one 8-bit DAC
//      cycle, 128 x 128, 8-bit ADC.
#pragma once
#include "spec/spec.hpp"

namespace cimmc::bench {

inline Config macro_config(int variant) {
  Config c;
  c.macro.rows = 128;
  c.macro.cols = 1024;
  c.macro.bits_per_cell = 2;
  c.macro.weight_encoding = WeightEncoding::differential;
  c.macro.adc.bits = 6;
  c.tile.inputs.bits = 8;
  c.tile.inputs.dist.kind = DistKind::relu_laplace;
  c.tile.inputs.dist.zero_fraction = 0.4;
  c.tile.inputs.dist.b = 1.0;
  c.tile.weights.bits = 8;
  c.tile.weights.is_signed = true;
  c.tile.weights.dist.kind = DistKind::laplace;
  c.tile.weights.dist.b = 0.05;
  c.run.inputs_per_instance = 64;
  if (variant == 1) c.macro.noise.read_sigma_us = 0.2;
  if (variant == 2) c.macro.noise.prog_sigma_rel = 0.03;
  if (variant == 4) c.macro.noise.read_sigma_rel = 0.02;  // proportional read noise (the float path)
  if (variant == 5) {  // aihwkit's regime: one 16-level cell per (4-bit) weight, one 8-bit DAC cycle, 128 columns
    c.macro.cols = 128;
    c.macro.bits_per_cell = 4;
    c.macro.weight_encoding = WeightEncoding::unsigned_plain;
    c.macro.dac_bits = 8;
    c.macro.adc.bits = 8;
    c.tile.weights.bits = 4;
    c.tile.weights.is_signed = false;
    c.tile.weights.dist.kind = DistKind::uniform;
    c.tile.weights.dist.low = 0.0;
    c.tile.weights.dist.high = 1.0;
  }
  if (variant == 3) {  // digital: 1-bit cells, two's complement -> 8 columns per weight, the same cell reads
    c.macro.kind = MacroKind::digital;
    c.macro.bits_per_cell = 1;
    c.macro.weight_encoding = WeightEncoding::twos_complement;
  }
  return c;
}

}  // namespace cimmc::bench

// Shared fixtures for the engine, pricing and CLI tests.
#pragma once
#include <cstdint>

#include "engine/engine.hpp"
#include "spec/spec.hpp"

namespace cimmc::test {

inline OperandSpec uniform_operand(int bits, bool is_signed, double lo, double hi, double clip) {
  OperandSpec op;
  op.bits = bits;
  op.is_signed = is_signed;
  op.dist.kind = DistKind::uniform;
  op.dist.low = lo;
  op.dist.high = hi;
  op.dist.clip = clip;
  return op;
}

inline OperandSpec constant_operand(int bits, bool is_signed, double value, double clip) {
  OperandSpec op;
  op.bits = bits;
  op.is_signed = is_signed;
  op.dist.kind = DistKind::constant;
  op.dist.value = value;
  op.dist.clip = clip;
  return op;
}

// 1-bit unsigned operand that is 1 with probability p (uniform on [0,1]
// quantized with clip 2(1-p): q = 1 iff x > (1-p)).
inline OperandSpec bernoulli_operand(double p) {
  return uniform_operand(1, false, 0.0, 1.0, 2.0 * (1.0 - p));
}

// A small noise-free macro; tests change what they probe.
inline Config small_config() {
  Config c;
  c.name = "test";
  c.macro.rows = 64;
  c.macro.cols = 64;
  c.macro.bits_per_cell = 1;
  c.macro.weight_encoding = WeightEncoding::unsigned_plain;
  c.macro.input_encoding = InputEncoding::unsigned_plain;
  c.macro.g_off_us = 0.0;
  c.macro.adc.bits = 8;
  c.tile.inputs = uniform_operand(4, false, 0.0, 1.0, 1.0);
  c.tile.weights = uniform_operand(4, false, 0.0, 1.0, 1.0);
  c.run.samples = 2000;
  c.run.seed = 7;
  c.run.inputs_per_instance = 16;
  return c;
}

// A digital macro of `rows` rows and one weight column, constant operands x
// and w, two MVMs in one array instance: small enough to count every toggle by hand.
inline Config digital_by_hand(int rows, OperandSpec x, OperandSpec w) {
  Config c = small_config();
  c.macro.kind = MacroKind::digital;
  c.macro.cell = CellKind::sram;
  c.macro.rows = rows;
  c.tile.inputs = x;
  c.tile.weights = w;
  c.tile.cols_used = 1;
  c.run.samples = 2;
  c.run.inputs_per_instance = 2;
  return c;
}

inline JobResult run_cpu(const Config& c, int threads = 1) {
  EngineOptions o;
  o.backend = Backend::cpu;
  o.threads = threads;
  return run_job(c, o);
}

}  // namespace cimmc::test

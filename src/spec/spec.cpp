#include "spec/spec.hpp"

namespace cimmc {

const char* to_string(DistKind k) {
  switch (k) {
    case DistKind::normal: return "normal";
    case DistKind::laplace: return "laplace";
    case DistKind::uniform: return "uniform";
    case DistKind::constant: return "constant";
    case DistKind::relu_normal: return "relu_normal";
    case DistKind::relu_laplace: return "relu_laplace";
    case DistKind::histogram: return "histogram";
    case DistKind::patches: return "patches";
  }
  return "?";
}
const char* to_string(WeightEncoding e) {
  switch (e) {
    case WeightEncoding::unsigned_plain: return "unsigned";
    case WeightEncoding::offset: return "offset";
    case WeightEncoding::differential: return "differential";
    case WeightEncoding::twos_complement: return "twos_complement";
    case WeightEncoding::sign_magnitude: return "sign_magnitude";
    case WeightEncoding::differential_analog: return "differential_analog";
  }
  return "?";
}
const char* to_string(ProgNoiseModel p) {
  switch (p) {
    case ProgNoiseModel::constant: return "constant";
    case ProgNoiseModel::pcm: return "pcm";
    case ProgNoiseModel::reram_wan: return "reram_wan";
  }
  return "?";
}
const char* to_string(InputEncoding e) {
  switch (e) {
    case InputEncoding::unsigned_plain: return "unsigned";
    case InputEncoding::offset: return "offset";
    case InputEncoding::twos_complement: return "twos_complement";
    case InputEncoding::sign_magnitude: return "sign_magnitude";
  }
  return "?";
}
const char* to_string(InputScaling s) { return s == InputScaling::abs_max ? "abs_max" : "none"; }
const char* to_string(AdcRange r) {
  switch (r) {
    case AdcRange::full: return "full";
    case AdcRange::max: return "max";
    case AdcRange::calibrated: return "calibrated";
    case AdcRange::ideal: return "ideal";
  }
  return "?";
}
const char* to_string(MacroKind k) { return k == MacroKind::digital ? "digital" : "analog"; }
const char* to_string(AdderTree t) { return t == AdderTree::per_weight ? "per_weight" : "per_column"; }
const char* to_string(GroupOrder o) { return o == GroupOrder::cycles_inside ? "cycles_inside" : "groups_inside"; }
const char* to_string(SliceCombine s) { return s == SliceCombine::charge ? "charge" : "none"; }
const char* to_string(CycleBits b) {
  return b == CycleBits::leaves ? "leaves" : b == CycleBits::booth ? "booth" : "trees";
}

const char* to_string(LayerKind k) {
  switch (k) {
    case LayerKind::conv2d: return "conv2d";
    case LayerKind::linear: return "linear";
    case LayerKind::matmul: return "matmul";
  }
  return "?";
}
const char* to_string(Objective o) {
  switch (o) {
    case Objective::energy: return "energy";
    case Objective::latency: return "latency";
    case Objective::edp: return "edp";
  }
  return "?";
}
const char* to_string(MappingOptions::Mapper m) {
  switch (m) {
    case MappingOptions::Mapper::automatic: return "auto";
    case MappingOptions::Mapper::exhaustive: return "exhaustive";
    case MappingOptions::Mapper::random: return "random";
    case MappingOptions::Mapper::mip: return "mip";
  }
  return "?";
}

namespace {
int ceil_div(int a, int b) { return (a + b - 1) / b; }
}  // namespace

// Signed operands are symmetric (|w| <= 2^(n-1)-1): magnitudes need n-1 bits;
// offset storage (w + 2^(n-1)) and unsigned operands need all n.
int weight_magnitude_bits(const OperandSpec& w, WeightEncoding e) {
  switch (e) {
    case WeightEncoding::unsigned_plain:
    case WeightEncoding::offset: return w.bits;
    default: return w.bits - 1;
  }
}

int weight_slices(const MacroSpec& m, const OperandSpec& w) {
  return ceil_div(weight_magnitude_bits(w, m.weight_encoding), m.bits_per_cell);
}

int phys_cols_per_weight(const MacroSpec& m, const OperandSpec& w) {
  const int s = weight_slices(m, w);
  switch (m.weight_encoding) {
    case WeightEncoding::differential:
    case WeightEncoding::differential_analog: return 2 * s;
    case WeightEncoding::twos_complement: return s + 1;  // the sign bit gets its own column
    default: return s;
  }
}

int adc_cols_per_weight(const MacroSpec& m, const OperandSpec& w) {
  if (m.weight_encoding == WeightEncoding::differential_analog) return weight_slices(m, w);
  return phys_cols_per_weight(m, w);
}

int input_cycles(const MacroSpec& m, const OperandSpec& x) {
  switch (m.input_encoding) {
    case InputEncoding::twos_complement:
      // Booth digits of a signed B-bit input: ceil(B/2), the top one reading the sign bit at -2 x 4^j.
      if (m.cycle_bits == CycleBits::booth) return ceil_div(x.bits, 2);
      return ceil_div(x.bits - 1, m.dac_bits) + 1;
    case InputEncoding::sign_magnitude: return 2 * ceil_div(x.bits - 1, m.dac_bits);
    default:
      // Radix-4 Booth digits of an unsigned B-bit input: digit j reads bits
      // 2j+1, 2j, 2j-1, so bit B-1 needs digit floor(B/2) (kernels/digital_booth.hpp).
      if (m.cycle_bits == CycleBits::booth) return x.bits / 2 + 1;
      return ceil_div(x.bits, m.dac_bits);
  }
}

}  // namespace cimmc

// Integer quantization of a Network for CiM inference: per-tensor symmetric
// weights, and activations requantized at every conv/linear input with a scale
// calibrated on the float network. The integer products of a layer come from
// an IntGemmFn: exact (the ideal-quantized network) or the macro model.
#pragma once
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "infer/forward.hpp"

namespace cimmc::infer {

// A network that cannot run as configured (negative activations into unsigned
// inputs, too few bits): bad input, exit 2.
struct InferError : std::runtime_error { using std::runtime_error::runtime_error; };

struct QuantBits {
  int x_bits = 8, w_bits = 8;
  bool x_signed = false;  // the macro takes signed inputs
};

struct LayerQuant {
  std::string name;
  int x_lo = 0, x_hi = 255;        // integer input range
  double x_scale = 1, w_scale = 1; // real value of one integer step
  double x_max = 0;                // calibrated largest |input|
  std::vector<std::int32_t> w;     // N x K integer weights
};

struct Quantization {
  std::vector<LayerQuant> layers;  // one per conv/linear op, in order
};

// Weights: w_int = round(w / s_w), s_w = max|w| / (2^(b-1) - 1). Inputs: the
// largest |input| of each layer over the calibration samples maps to the top
// code: s_x = max / (2^b - 1) unsigned, max / (2^(b-1) - 1) signed; x_int =
// clamp(round(x / s_x)). Throws InferError when a layer sees negative inputs
// and the inputs are unsigned.
Quantization calibrate(const Network& net, const std::vector<float>& x, int B, const QuantBits& bits);

// acc (M x N) = X (M x K) times the layer's integer weights, as doubles.
using IntGemmFn = std::function<void(int layer, const LayerQuant& q, const Op& op,
                                     const std::vector<std::int32_t>& X, std::int64_t M, std::vector<double>& acc)>;

// Exact int64 sums (the reference).
void exact_int_gemm(const LayerQuant& q, const Op& op, const std::vector<std::int32_t>& X, std::int64_t M,
                    std::vector<double>& acc);

// The GemmFn of a quantized pass: quantize the lowered inputs, take the
// integer products from int_gemm, scale back by s_x s_w.
GemmFn quantized_gemm(const Quantization& q, const IntGemmFn& int_gemm);

}  // namespace cimmc::infer

// Forward passes of a Network over a batch of samples. Everything between the
// conv/linear layers (bias, ReLU, pooling, flattening) is host code shared by
// every pass; what a layer's matrix product is comes from a GemmFn:
//   - float_gemm: the float network (the trained model's accuracy);
//   - quantized passes (quant.hpp): operands quantized to integers and the
//     integer products computed exactly (the ideal-quantized network) or by
//     the macro model (macro_gemm.hpp).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "infer/network.hpp"

namespace cimmc::infer {

// Layer `layer` (index among the conv/linear ops) of `op`: `cols` holds M rows
// of K lowered inputs (im2col for conv, the activation for linear); fill `out`
// with M x N products sum_k cols[m][k] weight[n][k] (no bias).
using GemmFn = std::function<void(int layer, const Op& op, const std::vector<float>& cols, std::int64_t M,
                                  std::vector<float>& out)>;

// Logits (B x classes) of B samples `x` (B x net.input.size()).
std::vector<float> forward(const Network& net, const std::vector<float>& x, int B, const GemmFn& gemm);

// The plain float product.
void float_gemm(const Op& op, const std::vector<float>& cols, std::int64_t M, std::vector<float>& out);

// Row b's class: the first index of the largest logit.
std::vector<int> argmax_rows(const std::vector<float>& logits, int B, int classes);

}  // namespace cimmc::infer

// The workload a loop nest tiles: one GEMM out[m][n] = sum_k in[m][k] * w[k][n],
// as three loop dimensions and three operands, each operand indexed by two of
// them. Everything in loopnest/ is written in terms of `relevant(op, d)` so a
// further product-indexed problem (batched GEMM, 1x1 conv) only changes this
// file; sliding-window conv (p*stride + r) does not fit this form and needs
// its own projection (see loopnest.hpp).
#pragma once
#include <array>
#include <cstdint>

namespace cimmc::loopnest {

enum class Dim : std::uint8_t { M = 0, K = 1, N = 2 };
inline constexpr int kDims = 3;

enum class Operand : std::uint8_t { inputs = 0, weights = 1, outputs = 2 };
inline constexpr int kOperands = 3;
inline constexpr std::array<Operand, kOperands> kAllOperands{Operand::inputs, Operand::weights,
                                                             Operand::outputs};

// in[m][k], w[k][n], out[m][n]: a dimension is relevant to an operand when the
// operand's index changes with it. K is the reduction (irrelevant to outputs).
constexpr bool relevant(Operand op, int d) {
  switch (op) {
    case Operand::inputs: return d != int(Dim::N);
    case Operand::weights: return d != int(Dim::M);
    case Operand::outputs: return d != int(Dim::K);
  }
  return false;
}

struct GemmShape {
  std::int64_t M = 1, K = 1, N = 1;
  std::int64_t size(int d) const { return d == 0 ? M : d == 1 ? K : N; }
  std::int64_t macs() const { return M * K * N; }
  // Words of one operand's whole tensor.
  std::int64_t words(Operand op) const {
    std::int64_t w = 1;
    for (int d = 0; d < kDims; ++d)
      if (relevant(op, d)) w *= size(d);
    return w;
  }
};

constexpr const char* dim_name(int d) { return d == 0 ? "M" : d == 1 ? "K" : "N"; }
constexpr const char* operand_name(Operand op) {
  return op == Operand::inputs ? "inputs" : op == Operand::weights ? "weights" : "outputs";
}

}  // namespace cimmc::loopnest

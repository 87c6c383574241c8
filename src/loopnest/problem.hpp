// The workload a loop nest tiles: one (grouped) convolution, Timeloop-style,
// as eight loop dimensions and three operands,
//   out[g][n][m][p][q] += in[g][n][c][p*stride_h + r*dilation_h][q*stride_w + s*dilation_w]
//                         * w[g][m][c][r][s]
// G groups (depthwise: C = 1 per group), N batch, M output channels (per
// group), C input channels (per group), P x Q output rows x columns, R x S
// filter rows x columns. A GEMM out[m][n] = sum_k in[m][k] w[k][n] is the conv
// with N = m, C = k, M = n and G = P = Q = R = S = 1 (gemm() builds it): note
// the GEMM's M is the conv's N (batch) and the GEMM's N is the conv's M.
// Inputs are the padded input tensor (H = (P-1)*stride_h + (R-1)*dilation_h
// + 1 rows): padding zeros count as stored words, which never undercounts.
// Everything in loopnest/ is written in terms of `relevant(op, d)` and the
// tile footprint (TileGeometry::words, sim_content.hpp's windows).
#pragma once
#include <array>
#include <cstdint>

namespace cimmc::loopnest {

enum class Dim : std::uint8_t { G = 0, N = 1, M = 2, C = 3, P = 4, Q = 5, R = 6, S = 7 };
inline constexpr int kDims = 8;

enum class Operand : std::uint8_t { inputs = 0, weights = 1, outputs = 2 };
inline constexpr int kOperands = 3;
inline constexpr std::array<Operand, kOperands> kAllOperands{Operand::inputs, Operand::weights,
                                                             Operand::outputs};

// A dimension is relevant to an operand when the operand's index changes with
// it: inputs ignore M, weights ignore N, P, Q, outputs ignore the reduction
// dims C, R, S. Inputs see P and R (Q and S) only through the sliding window
// h = p*stride + r*dilation.
constexpr bool relevant(Operand op, int d) {
  switch (op) {
    case Operand::inputs: return d != int(Dim::M);
    case Operand::weights: return d != int(Dim::N) && d != int(Dim::P) && d != int(Dim::Q);
    case Operand::outputs: return d != int(Dim::C) && d != int(Dim::R) && d != int(Dim::S);
  }
  return false;
}

constexpr const char* dim_name(int d) {
  constexpr const char* names[kDims] = {"G", "N", "M", "C", "P", "Q", "R", "S"};
  return d >= 0 && d < kDims ? names[d] : "?";
}
constexpr const char* operand_name(Operand op) {
  return op == Operand::inputs ? "inputs" : op == Operand::weights ? "weights" : "outputs";
}

// Rows (columns) of the input window that p_extent output rows and r_extent
// filter rows read: (P_ext-1)*stride + (R_ext-1)*dilation + 1.
constexpr std::int64_t window(std::int64_t p_extent, std::int64_t r_extent, std::int64_t stride,
                              std::int64_t dilation) {
  return (p_extent - 1) * stride + (r_extent - 1) * dilation + 1;
}

struct ConvShape {
  std::int64_t G = 1, N = 1, M = 1, C = 1, P = 1, Q = 1, R = 1, S = 1;
  std::int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;

  std::int64_t size(int d) const {
    switch (Dim(d)) {
      case Dim::G: return G;
      case Dim::N: return N;
      case Dim::M: return M;
      case Dim::C: return C;
      case Dim::P: return P;
      case Dim::Q: return Q;
      case Dim::R: return R;
      case Dim::S: return S;
    }
    return 1;
  }
  std::int64_t macs() const { return G * N * M * C * P * Q * R * S; }
  std::int64_t input_h() const { return window(P, R, stride_h, dilation_h); }
  std::int64_t input_w() const { return window(Q, S, stride_w, dilation_w); }
  // Words of one operand's whole tensor.
  std::int64_t words(Operand op) const {
    switch (op) {
      case Operand::inputs: return G * N * C * input_h() * input_w();
      case Operand::weights: return G * M * C * R * S;
      case Operand::outputs: return G * N * M * P * Q;
    }
    return 0;
  }
};

// The GEMM out[m][n] = sum_k in[m][k] w[k][n] as a conv (see the top).
constexpr ConvShape gemm(std::int64_t m, std::int64_t k, std::int64_t n) {
  ConvShape s;
  s.N = m;
  s.C = k;
  s.M = n;
  return s;
}

// GEMM sizes by their own names, for call sites that think in GEMMs; converts
// to the conv (implicitly, so it can be passed wherever a ConvShape is taken).
struct GemmShape {
  std::int64_t M = 1, K = 1, N = 1;
  operator ConvShape() const { return gemm(M, K, N); }
};

}  // namespace cimmc::loopnest

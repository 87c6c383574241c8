// A layer as matrix products (DESIGN.md "layer"): what the mapping tiles onto
// macros. conv2d is lowered by im2col; see LayerSpec in spec/spec.hpp for the
// formulas of every layer kind.
#pragma once
#include <cstdint>

#include "spec/spec.hpp"

namespace cimmc {

// `groups` independent products, each of an M x K input matrix (M input
// vectors of length K) with a K x N stored matrix (N weight columns).
struct Gemm {
  std::int64_t M = 1, K = 1, N = 1;  // per group
  int groups = 1;
  std::int64_t macs() const { return M * K * N * groups; }
};

// The lowering, in any arithmetic type: the config checks a layer's size in
// double before lower() computes it in int64, so both use this one formula.
template <class T>
struct GemmDims {
  T M, K, N, groups;
};

template <class T>
GemmDims<T> gemm_dims(const LayerSpec& l) {
  switch (l.kind) {
    case LayerKind::linear:
      return {T(l.batch) * T(l.tokens), T(l.C), T(l.M), T(1)};
    case LayerKind::matmul:
      return {T(l.gemm_m), T(l.gemm_k), T(l.gemm_n), T(l.batch)};
    case LayerKind::conv2d:
      break;
  }
  return {T(l.batch) * T(l.P) * T(l.Q), T(l.C / l.groups) * T(l.R) * T(l.S), T(l.M / l.groups), T(l.groups)};
}

// Largest MAC count (M*K*N*groups, times repeat for layer_macs) the int64
// arithmetic downstream is guaranteed to hold; the config enforces it.
inline constexpr double kMaxLayerMacs = 4611686018427387904.0;  // 2^62

// Throws std::invalid_argument for a layer the config would reject
// (non-positive sizes, groups not dividing C and M, more than 2^62 MACs):
// validated configs never do.
Gemm lower(const LayerSpec& layer);

// MACs of one inference of the layer, repeats included.
std::int64_t layer_macs(const LayerSpec& layer);

}  // namespace cimmc

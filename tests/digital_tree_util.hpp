// Hand-count helpers for the digital adder-tree tests (kernels/digital_model.hpp,
// digital_weight_tree.hpp, digital_booth.hpp): the tree's shape and the
// toggles of nodes that switch once from zero.
#pragma once
#include <algorithm>
#include <cstdint>

namespace cimmc::test {

// Rows under node i of stage s of an R-row tree, or 0 when the node is a wire.
inline int node_rows(int i, int s, int R) {
  const int lo = i << s, mid = lo + (1 << (s - 1));
  if (lo >= R || mid >= R) return 0;
  return std::min(R, (i + 1) << s) - lo;
}

inline int popcount_bits(std::int64_t v, int bits) {
  const std::uint64_t u = static_cast<std::uint64_t>(v) & ((1ull << bits) - 1);
  return __builtin_popcountll(u);
}

// Stage s of an R-row tree whose every leaf is w, switched once from zero:
// each adder node holds w x its rows in leaf_bits + s bits.
inline std::uint64_t constant_stage_toggles(std::int64_t w, int R, int leaf_bits, int s) {
  std::uint64_t t = 0;
  for (int i = 0; (i << s) < R; ++i)
    if (const int n = node_rows(i, s, R)) t += popcount_bits(w * n, leaf_bits + s);
  return t;
}

}  // namespace cimmc::test

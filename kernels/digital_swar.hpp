// Adder-tree arithmetic shared by the digital macro's per-column trees
// (digital_model.hpp) and per-weight product trees (digital_weight_tree.hpp):
// stage s of a tree over rows adds pairs of 2^(s-1)-row sums, which within a
// 64-row word are the fields of a SWAR popcount.
#pragma once
#include <cstdint>

#include "hd.hpp"

namespace cimmc {
inline namespace CIMMC_ISA_NS {  // hd.hpp

// Low bits of each 2^s-bit field: 0x5555.. for s = 1, 0x3333.. for s = 2, ...
CIMMC_HOT std::uint64_t swar_mask(int s) { return ~0ull / ((1ull << (1 << (s - 1))) + 1ull); }

// One tree stage on a word: 2^(s-1)-bit fields added in pairs.
CIMMC_HOT std::uint64_t swar_stage(std::uint64_t x, int s) {
  const std::uint64_t m = swar_mask(s);
  return (x & m) + ((x >> (1 << (s - 1))) & m);
}

// Node i of stage t (covering rows [i 2^t, (i+1) 2^t)) is an adder when its
// right child holds a row of the R-row tree.
CIMMC_HD bool tree_adder(std::int64_t i, int t, int R) {
  return (i << t) + (std::int64_t{1} << (t - 1)) < R;
}

CIMMC_HD std::uint64_t low_mask(int bits) { return bits >= 64 ? ~0ull : (1ull << bits) - 1ull; }

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc

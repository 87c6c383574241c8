// Philox4x32-10's rounds on vectors of blocks, one block per 32-bit lane and
// one vector per counter word, for the CPU copies' wide draws
// (philox_x8.hpp: AVX2, philox_x16.hpp: AVX-512). Ops supplies the vector
// type V and set1 (a word in every lane), xor3 and mulhilo (hi and lo halves
// of 32 x 32-bit lane products); the rounds are philox4x32's, so the words are
// its bits.
#pragma once
#include <cstdint>

#include "philox.hpp"

namespace cimmc::philox {
inline namespace CIMMC_ISA_NS {

template <class Ops>
inline void philox_rounds(typename Ops::V& x0, typename Ops::V& x1, typename Ops::V& x2, typename Ops::V& x3, Key k) {
  using V = typename Ops::V;
  const V m0 = Ops::set1(kM0), m1 = Ops::set1(kM1);
  std::uint32_t k0 = k.v[0], k1 = k.v[1];
  for (int r = 0; r < 10; ++r) {
    if (r > 0) k0 += kW0, k1 += kW1;
    V hi0, lo0, hi1, lo1;
    Ops::mulhilo(x0, m0, hi0, lo0);
    Ops::mulhilo(x2, m1, hi1, lo1);
    const V y0 = Ops::xor3(hi1, x1, Ops::set1(k0));
    const V y2 = Ops::xor3(hi0, x3, Ops::set1(k1));
    x0 = y0, x1 = lo1, x2 = y2, x3 = lo0;
  }
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc::philox

// A run of consecutive Philox blocks into a buffer, on one CPU lane: draw()'s
// blocks {index, slot0 + b, stream, c3}, b = 0..n-1. Drawn alone, they form a
// branch-free loop (sixteen blocks per step in the avx512 copy, eight in the
// avx2 copy, vectorized by the compiler elsewhere), where drawing one block per use runs the scalar
// rounds between table lookups. The same words as draw(), block by block
// (tests/test_lanes.cpp compares the single CPU lane with lane blocks, which
// draw one block at a time).
#pragma once
#include <cstdint>

#include "hd.hpp"
#include "philox.hpp"
#include "philox_x16.hpp"
#include "philox_x8.hpp"

namespace cimmc::philox {
inline namespace CIMMC_ISA_NS {

#if !defined(__CUDA_ARCH__)
// Block b's four words at out[4 b .. 4 b + 3].
inline void draw_run(const StreamKey& k, std::uint32_t index, std::uint32_t slot0, int n, std::uint32_t stream,
                     std::uint32_t* CIMMC_RESTRICT out) {
  int b = 0;
#if defined(CIMMC_ISA_AVX512)
  for (; b + 16 <= n; b += 16)
    philox4x32_x16(index, slot0 + static_cast<std::uint32_t>(b), stream, k.c3, Key{{k.k0, k.k1}}, out + 4 * b);
#elif defined(CIMMC_ISA_AVX2)
  for (; b + 8 <= n; b += 8)
    philox4x32_x8(index, slot0 + static_cast<std::uint32_t>(b), stream, k.c3, Key{{k.k0, k.k1}}, out + 4 * b);
#endif
#pragma omp simd
  for (int i = b; i < n; ++i) {
    const Counter r = draw(k, index, slot0 + static_cast<std::uint32_t>(i), stream);
    for (int t = 0; t < 4; ++t) out[4 * i + t] = r.v[t];
  }
}
#endif

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc::philox

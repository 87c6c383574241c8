// Eight Philox4x32-10 blocks at once with AVX2 (the avx2 CPU copy,
// cpu_kernel_avx2.cpp, which defines CIMMC_ISA_AVX2): philox_x16.hpp's
// rounds (philox_lanes.hpp) in 256-bit vectors, one block per 32-bit lane and
// one vector per counter word, so the rounds need no shuffles (GCC 12's vectorization of the
// portable philox4x32 keeps the words interleaved and spends about as many
// instructions on shuffles as on the rounds). The same bits as philox4x32
// (tests/test_cpu_isa.cpp compares the avx2 copy with the baseline).
#pragma once
#if !defined(__CUDA_ARCH__) && defined(CIMMC_ISA_AVX2)
#include <immintrin.h>

#include <cstdint>

#include "philox.hpp"
#include "philox_lanes.hpp"

namespace cimmc::philox {
inline namespace CIMMC_ISA_NS {

// philox_rounds' vector operations on 8 lanes.
struct Lanes8 {
  using V = __m256i;
  static V set1(std::uint32_t w) { return _mm256_set1_epi32(static_cast<int>(w)); }
  static V xor3(V a, V b, V c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
  static void mulhilo(V a, V m, V& hi, V& lo) {
    const V even = _mm256_mul_epu32(a, m);                        // lanes 0, 2, ...: 64-bit products
    const V odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);  // lanes 1, 3, ...
    lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
  }
};

// Blocks with counters {c0, c1 + i, c2, c3}, i = 0..7, under key k: their
// 32 words in block order (block i's four words at out[4 i .. 4 i + 3]).
inline void philox4x32_x8(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3, Key k,
                          std::uint32_t* out) {
  __m256i x0 = Lanes8::set1(c0), x2 = Lanes8::set1(c2), x3 = Lanes8::set1(c3);
  __m256i x1 = _mm256_add_epi32(Lanes8::set1(c1), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  philox_rounds<Lanes8>(x0, x1, x2, x3, k);
  // 4 x 8 words to block order: a 4 x 4 transpose within each 128-bit half
  // (blocks 0-3 in the low halves, 4-7 in the high), then the halves paired.
  const __m256i t0 = _mm256_unpacklo_epi32(x0, x1), t1 = _mm256_unpackhi_epi32(x0, x1);
  const __m256i t2 = _mm256_unpacklo_epi32(x2, x3), t3 = _mm256_unpackhi_epi32(x2, x3);
  const __m256i r0 = _mm256_unpacklo_epi64(t0, t2), r1 = _mm256_unpackhi_epi64(t0, t2);  // blocks 0 | 4, 1 | 5
  const __m256i r2 = _mm256_unpacklo_epi64(t1, t3), r3 = _mm256_unpackhi_epi64(t1, t3);  // blocks 2 | 6, 3 | 7
  auto* o = reinterpret_cast<__m256i*>(out);
  _mm256_storeu_si256(o, _mm256_permute2x128_si256(r0, r1, 0x20));
  _mm256_storeu_si256(o + 1, _mm256_permute2x128_si256(r2, r3, 0x20));
  _mm256_storeu_si256(o + 2, _mm256_permute2x128_si256(r0, r1, 0x31));
  _mm256_storeu_si256(o + 3, _mm256_permute2x128_si256(r2, r3, 0x31));
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc::philox
#endif

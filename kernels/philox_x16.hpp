// Sixteen Philox4x32-10 blocks at once with AVX-512 (the avx512 CPU copy,
// cpu_kernel_avx512.cpp, which defines CIMMC_ISA_AVX512). GCC 12 vectorizes the portable
// philox4x32 with 64-bit multiplies (zero-extend, then vpmullq: 3 uops each),
// where Philox needs only 32x32 -> 64-bit products (vpmuludq, one uop). The
// same integer arithmetic, so the same bits as philox4x32 (tests/test_lanes.cpp
// compares a single CPU lane, which takes this path, with lane blocks, which
// do not; test_cpu_isa.cpp compares it with the baseline build).
#pragma once
#if !defined(__CUDA_ARCH__) && defined(CIMMC_ISA_AVX512)
#include <immintrin.h>

#include <cstdint>

#include "philox.hpp"
#include "philox_lanes.hpp"

// GCC 12's shift intrinsics read an _mm512_undefined value it then warns about.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
namespace cimmc::philox {
inline namespace CIMMC_ISA_NS {

// philox_rounds' vector operations on 16 lanes.
struct Lanes16 {
  using V = __m512i;
  static V set1(std::uint32_t w) { return _mm512_set1_epi32(static_cast<int>(w)); }
  static V xor3(V a, V b, V c) { return _mm512_xor_si512(_mm512_xor_si512(a, b), c); }
  static void mulhilo(V a, V m, V& hi, V& lo) {
    const V even = _mm512_mul_epu32(a, m);                        // lanes 0, 2, ...: 64-bit products
    const V odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);  // lanes 1, 3, ...
    lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
    hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
  }
};

// Blocks with counters {c0, c1 + i, c2, c3}, i = 0..15, under key k: their
// 64 words in block order (block i's four words at out[4 i .. 4 i + 3]).
inline void philox4x32_x16(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3, Key k,
                           std::uint32_t* out) {
  __m512i x0 = Lanes16::set1(c0), x2 = Lanes16::set1(c2), x3 = Lanes16::set1(c3);
  __m512i x1 = _mm512_add_epi32(Lanes16::set1(c1), _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  philox_rounds<Lanes16>(x0, x1, x2, x3, k);
  // 4 x 16 words to block order: a 4 x 4 transpose within each 128-bit lane,
  // then one of the 128-bit lanes.
  const __m512i t0 = _mm512_unpacklo_epi32(x0, x1), t1 = _mm512_unpackhi_epi32(x0, x1);
  const __m512i t2 = _mm512_unpacklo_epi32(x2, x3), t3 = _mm512_unpackhi_epi32(x2, x3);
  const __m512i r0 = _mm512_unpacklo_epi64(t0, t2), r1 = _mm512_unpackhi_epi64(t0, t2);
  const __m512i r2 = _mm512_unpacklo_epi64(t1, t3), r3 = _mm512_unpackhi_epi64(t1, t3);
  const __m512i s0 = _mm512_shuffle_i32x4(r0, r1, 0x44), s1 = _mm512_shuffle_i32x4(r2, r3, 0x44);
  const __m512i s2 = _mm512_shuffle_i32x4(r0, r1, 0xEE), s3 = _mm512_shuffle_i32x4(r2, r3, 0xEE);
  _mm512_storeu_si512(out, _mm512_shuffle_i32x4(s0, s1, 0x88));
  _mm512_storeu_si512(out + 16, _mm512_shuffle_i32x4(s0, s1, 0xDD));
  _mm512_storeu_si512(out + 32, _mm512_shuffle_i32x4(s2, s3, 0x88));
  _mm512_storeu_si512(out + 48, _mm512_shuffle_i32x4(s2, s3, 0xDD));
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc::philox
#pragma GCC diagnostic pop
#endif

// Four columns' population counts per step for the x86 copies of the CPU
// model, in 256-bit vectors of four 64-bit lanes: VPOPCNTQ in the avx512 copy
// (AVX512-VPOPCNTDQ with VL); AVX2 has no vector popcount, so there each
// byte's count is two table lookups of its nibbles (VPSHUFB, Mula's method)
// and VPSADBW adds a lane's eight bytes. Lanes of four columns let the
// noise-free column loop (convert.hpp level_sum_outputs_x4) count each
// column's level sum as soon as it has it.
#pragma once
#include <cstdint>

#include "hd.hpp"

#if (defined(CIMMC_ISA_AVX2) || defined(CIMMC_ISA_AVX512)) && !defined(__CUDA_ARCH__)
#define CIMMC_POPCOUNT_X4 1
#include <immintrin.h>

namespace cimmc {
inline namespace CIMMC_ISA_NS {  // hd.hpp

// The ones of up to 31 words per lane, added up word by word.
struct LaneOnes {
#if defined(CIMMC_ISA_AVX512)
  __m256i n;
  CIMMC_HOT LaneOnes() : n(_mm256_setzero_si256()) {}
  // The ones of x times 2^q.
  CIMMC_HOT void add(__m256i x, int q = 0) { n = _mm256_add_epi64(n, _mm256_slli_epi64(_mm256_popcnt_epi64(x), q)); }
  CIMMC_HOT __m256i lanes() const { return n; }
#else
  __m256i bytes;  // each byte at most 8 << q per word added: the caller keeps the sum below 256
  CIMMC_HOT LaneOnes() : bytes(_mm256_setzero_si256()) {}
  // The ones of x times 2^q (q <= 5): the nibble table's entries shifted (at
  // most 4 << 5 = 128 per entry, so no bit crosses into the next byte).
  CIMMC_HOT void add(__m256i x, int q = 0) {
    const __m256i table = _mm256_slli_epi16(_mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                                                             0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4),
                                            q);
    const __m256i low = _mm256_set1_epi8(0x0f);
    const __m256i lo = _mm256_shuffle_epi8(table, _mm256_and_si256(x, low));
    const __m256i hi = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(x, 4), low));
    bytes = _mm256_add_epi8(bytes, _mm256_add_epi8(lo, hi));
  }
  CIMMC_HOT __m256i lanes() const { return _mm256_sad_epu8(bytes, _mm256_setzero_si256()); }
#endif
};

// Lanes holding integers in [0, 2^31) as doubles (exact): their low halves
// gathered into four 32-bit integers and converted.
CIMMC_HOT __m256d small_lanes_to_double(__m256i x) {
  const __m256i low_halves = _mm256_permutevar8x32_epi32(x, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6));
  return _mm256_cvtepi32_pd(_mm256_castsi256_si128(low_halves));
}

// The largest of four lanes holding integers in [0, 2^31).
CIMMC_HOT int max_small_lane(__m256i x) {
  alignas(32) std::int64_t v[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(v), x);
  std::int64_t m = v[0];
  for (int i = 1; i < 4; ++i) m = v[i] > m ? v[i] : m;
  return static_cast<int>(m);
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc
#endif

// Standard normal deviates from one 32-bit word by the inverse CDF: the top 12
// bits pick one of 4096 equal-probability bins, whose quantiles (the knots) are
// tabulated exactly on the host; inside a bin the value is interpolated
// linearly. The table stores each bin's knot and width side by side, so a bin
// is one 8-byte load (and a vector of bins one 64-bit gather on the CPU). The two outer bins (|z| > 3.49, probability 1/2048) use Acklam's
// tail approximation (relative error < 1.2e-9). One table lookup per deviate
// instead of Box-Muller's log, sqrt and sin/cos: read noise per conversion and
// programming variation per cell are the hot random draws.
#pragma once
#include <cmath>
#include <cstdint>

#include "hd.hpp"

// The AVX-512 path: compiled where the whole translation unit targets AVX-512
// (CIMMC_NATIVE builds) or in the AVX-512 copy of the CPU model, whose target
// pragma GCC does not announce through __AVX512F__.
#if (defined(__AVX512F__) || defined(CIMMC_ISA_AVX512)) && !defined(__CUDA_ARCH__)
#define CIMMC_NORMAL_AVX512 1
#include <immintrin.h>
#elif defined(CIMMC_ISA_AVX2) && !defined(__CUDA_ARCH__)
#define CIMMC_NORMAL_AVX2 1  // the avx2 copy of the CPU model
#include <immintrin.h>
#endif

namespace cimmc {

constexpr int kNormalBins = 4096;            // table has kNormalBins + 1 knots
constexpr int kNormalShift = 32 - 12;

// Bin i: z = a + f * d for the fraction f of the way through it.
struct NormalBin {
  float a, d;  // knot Phi^-1(i / kNormalBins) and knot(i + 1) - knot(i), in float
};

// Host: the knots Phi^-1(i / kNormalBins), i = 0..kNormalBins (ends unused),
// and the bins built from them (kNormalBins entries).
const float* normal_knots();
const NormalBin* normal_table();

inline namespace CIMMC_ISA_NS {  // hd.hpp

// Lower-tail quantile for p < 1/4096 (Acklam's rational approximation).
CIMMC_HD float normal_lower_tail(double p) {
  const double c0 = -7.784894002430293e-03, c1 = -3.223964580411365e-01, c2 = -2.400758277161838e+00,
               c3 = -2.549732539343734e+00, c4 = 4.374664141464968e+00, c5 = 2.938163982698783e+00;
  const double d0 = 7.784695709041462e-03, d1 = 3.224671290700398e-01, d2 = 2.445134137142996e+00,
               d3 = 3.754408661907416e+00;
  const double q = sqrt(-2.0 * log(p));
  return static_cast<float>((((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
                            ((((d0 * q + d1) * q + d2) * q + d3) * q + 1.0));
}

CIMMC_HD float std_normal(std::uint32_t u, const NormalBin* table) {
  const std::uint32_t bin = u >> kNormalShift;
  const std::uint32_t low = u & ((1u << kNormalShift) - 1u);
  if (bin == 0) return normal_lower_tail((static_cast<double>(u) + 0.5) * 2.3283064365386963e-10);
  if (bin == kNormalBins - 1)
    return -normal_lower_tail((static_cast<double>(~u) + 0.5) * 2.3283064365386963e-10);
  const float f = static_cast<float>(low) * (1.0f / (1u << kNormalShift));
  return fmaf(f, table[bin].d, table[bin].a);
}

// z[p] = std_normal(u[p]) for p = p0, p0 + step, ... below n. With AVX-512 on
// the CPU, 16 deviates at a time: the bins come in by two 64-bit gathers
// (Zen 4 gathers 8 qwords much faster than 16 dwords) and the rare vectors
// holding an end bin are redone lane by lane; the arithmetic is std_normal's,
// so the values are the same bits. The avx2 copy does the same 8 at a time
// (two gathers of 4 qwords); its within-bin fraction converts as signed,
// exact below 2^20 as the unsigned conversion is.
CIMMC_HD void std_normals(const std::uint32_t* CIMMC_RESTRICT u, float* CIMMC_RESTRICT z, int p0, int n, int step,
                          const NormalBin* CIMMC_RESTRICT table) {
  int p = p0;
#if defined(CIMMC_NORMAL_AVX512)
  if (step == 1) {
    const __m512i low_mask = _mm512_set1_epi32((1 << kNormalShift) - 1);
    const __m512 scale = _mm512_set1_ps(1.0f / (1u << kNormalShift));
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512i one = _mm512_set1_epi32(1), inner = _mm512_set1_epi32(kNormalBins - 2);
    const __mmask16 all16 = 0xFFFF;
    const __mmask8 all8 = 0xFF;
    for (; p + 16 <= n; p += 16) {
      const __m512i x = _mm512_loadu_si512(u + p);
      // Zero-masked forms with full masks: GCC 12 warns about the unmasked
      // intrinsics' undefined source operands once they are inlined.
      const __m512i bin = _mm512_maskz_srli_epi32(all16, x, kNormalShift);
      const __m512 f = _mm512_mul_ps(_mm512_maskz_cvtepu32_ps(all16, _mm512_and_si512(x, low_mask)), scale);
      const __m512 lo = _mm512_castsi512_ps(
          _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), all8, _mm512_maskz_extracti64x4_epi64(all8, bin, 0), table, 8));
      const __m512 hi = _mm512_castsi512_ps(_mm512_mask_i32gather_epi64(
          _mm512_setzero_si512(), all8, _mm512_maskz_extracti64x4_epi64(all8, bin, 1), table, 8));
      const __m512 a = _mm512_permutex2var_ps(lo, even, hi), d = _mm512_permutex2var_ps(lo, odd, hi);
      _mm512_storeu_ps(z + p, _mm512_fmadd_ps(f, d, a));
      // bin - 1 >= kNormalBins - 2 (unsigned): bin 0 or the last one.
      if (_mm512_cmpge_epu32_mask(_mm512_sub_epi32(bin, one), inner))
        for (int t = p; t < p + 16; ++t) z[t] = std_normal(u[t], table);
    }
  }
#elif defined(CIMMC_NORMAL_AVX2)
  if (step == 1) {
    const __m256i low_mask = _mm256_set1_epi32((1 << kNormalShift) - 1);
    const __m256 scale = _mm256_set1_ps(1.0f / (1u << kNormalShift));
    const __m256i zero = _mm256_setzero_si256(), last = _mm256_set1_epi32(kNormalBins - 1);
    const long long* bins = reinterpret_cast<const long long*>(table);
    for (; p + 8 <= n; p += 8) {
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(u + p));
      const __m256i bin = _mm256_srli_epi32(x, kNormalShift);
      const __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(x, low_mask)), scale);
      // Bins 0-3 and 4-7 as (a, d) pairs, then a and d of all eight in order.
      const __m256 lo = _mm256_castsi256_ps(_mm256_i32gather_epi64(bins, _mm256_castsi256_si128(bin), 8));
      const __m256 hi = _mm256_castsi256_ps(_mm256_i32gather_epi64(bins, _mm256_extracti128_si256(bin, 1), 8));
      const __m256 a = _mm256_castpd_ps(
          _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0))), 0xD8));
      const __m256 d = _mm256_castpd_ps(
          _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1))), 0xD8));
      _mm256_storeu_ps(z + p, _mm256_fmadd_ps(f, d, a));
      if (_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi32(bin, zero), _mm256_cmpeq_epi32(bin, last))))
        for (int t = p; t < p + 8; ++t) z[t] = std_normal(u[t], table);
    }
  }
#endif
  for (; p < n; p += step) z[p] = std_normal(u[p], table);
}

// A standard normal deviate without the table, for draws whose CDF must be
// right everywhere (the Gaussian copula of correlated inputs maps z through
// quantization thresholds that can sit anywhere): the table's linear
// interpolation is off by up to 2e-5 in P(z < t) for t near +-3.3, a tenth of
// the probability of a 4096th bin. Acklam's rational approximation of Phi^-1
// (relative error < 1.2e-9) on the lower half p = (min(u, ~u) + 1/2) / 2^32,
// the upper half mirrored, so both tails keep their relative precision. In
// double: in float the central rational function cancels to 1e-3 near its
// ends. One log and sqrt only in the tails (p < 0.02425).
CIMMC_HD float std_normal_precise(std::uint32_t u) {
  const bool upper = u >= 0x80000000u;
  const double p = (static_cast<double>(upper ? ~u : u) + 0.5) * 2.3283064365386963e-10;  // (0, 1/2)
  double z;
  if (p < 0.02425) {
    z = normal_lower_tail(p);
  } else {
    const double q = p - 0.5, r = q * q;
    z = (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r +
           1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q /
        (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r +
           6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1.0);
  }
  return static_cast<float>(upper ? -z : z);
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc

// The conversion step of one sample: for every (input cycle, row group) each
// physical column's analog value goes through read noise and the ADC, is
// counted, and is shift-added. This is the hot loop: the job fields it needs
// are copied to locals, because stores to the uint64 histograms could
// otherwise alias them and force a reload per column.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "encoding.hpp"
#include "hd.hpp"
#include "ir_drop.hpp"
#include "job_view.hpp"
#include "normal.hpp"
#include "philox.hpp"
#include "philox_run.hpp"
#include "popcount_x4.hpp"
#include "workspace.hpp"

namespace cimmc {
inline namespace CIMMC_ISA_NS {  // hd.hpp

// Integer column value from bit planes: sum over DAC bit b and cell bit q of
// popcount(inputs_b & cells_q) << (b + q). `neg` (sign-magnitude) marks rows
// whose weight is negative; their products are subtracted.
CIMMC_HD std::int64_t planes_dot(const std::uint64_t* CIMMC_RESTRICT ab, const std::uint64_t* CIMMC_RESTRICT wb,
                                 const std::uint64_t* CIMMC_RESTRICT neg, int dac_bits, int bpc, int wpg,
                                 std::size_t stride, std::int64_t& neg_inputs) {
  std::int64_t acc = 0, nacc = 0, na = 0;
  for (int b = 0; b < dac_bits; ++b) {
    const std::uint64_t* a = ab + b * stride;
    for (int q = 0; q < bpc; ++q) {
      const std::uint64_t* w = wb + q * stride;
      std::int64_t pc = 0, pn = 0;
      for (int k = 0; k < wpg; ++k) {
        const std::uint64_t m = a[k] & w[k];
        pc += popc64(m);
        if (neg) pn += popc64(m & neg[k]);
      }
      acc += pc << (b + q);
      nacc += pn << (b + q);
    }
    if (neg) {
      std::int64_t pa = 0;
      for (int k = 0; k < wpg; ++k) pa += popc64(a[k] & neg[k]);
      na += pa << b;
    }
  }
  neg_inputs = na;
  return acc - 2 * nacc;
}

// Proportional read noise on the integer path (1-bit DAC levels, so a^2 = a):
// sum over the group's rows of a_j (l_j + r)^2 = S2 + r (2 S1 + r S0), with
// S1 = sum a l = sum_q 2^q popc(a & w_q), S0 = the active rows, and
// S2 = sum a l^2 = sum_q 4^q popc(a & w_q) + sum_{q<q'} 2^(q+q'+1) popc(a & w_q & w_q')
// (l^2 of l = sum_q 2^q w_q). The sign of a sign-magnitude cell squares away.
struct PlaneSums {
  std::int64_t s1, s2;
  CIMMC_HD double squares(double r, double active) const {
    return squares_of(static_cast<double>(s1), static_cast<double>(s2), r, active);
  }
  // The same from the sums as doubles (exact: they are below 2^31).
  CIMMC_HD static double squares_of(double s1, double s2, double r, double active) {
    return s2 + r * (2.0 * s1 + r * active);
  }
};

// Word k of cell bit q is w[q * qs + k * ks].
CIMMC_HD PlaneSums plane_sums(const std::uint64_t* CIMMC_RESTRICT a, const std::uint64_t* CIMMC_RESTRICT w, int bpc,
                              int wpg, std::size_t qs, std::size_t ks) {
  PlaneSums s{0, 0};
  for (int q = 0; q < bpc; ++q) {
    std::int64_t pc = 0;
    for (int k = 0; k < wpg; ++k) pc += popc64(a[k] & w[q * qs + k * ks]);
    s.s1 += pc << q;
    s.s2 += pc << (2 * q);
    for (int q2 = q + 1; q2 < bpc; ++q2) {
      std::int64_t pp = 0;
      for (int k = 0; k < wpg; ++k) pp += popc64(a[k] & w[q * qs + k * ks] & w[q2 * qs + k * ks]);
      s.s2 += pp << (q + q2 + 1);
    }
  }
  return s;
}

// Float column values of one (cycle, row group) for all of this lane's
// columns: v_p = sum_j a_j G_jp over the group's rows, skipping rows at DAC
// level 0, and (for proportional read noise) sum_j (a_j G_jp)^2. Conductances
// are stored row-major ([j][p]) so the inner loop runs along columns: it
// vectorizes on the CPU and reads coalesced across GPU lanes. The row order is
// fixed, so results are repeatable.
template <class Exec>
CIMMC_HD void conductance_columns(const JobView& v, const Workspace& ws, int c, int g, bool squares, const Exec& ex) {
  const int P = v.pcell, j0 = g * v.R, j1 = (g + 1) * v.R < v.K ? (g + 1) * v.R : v.K;
  float* CIMMC_RESTRICT val = ws.fval;
  float* CIMMC_RESTRICT sq = ws.fsq;
  for (int p = ex.lane(); p < P; p += ex.nlanes()) val[p] = sq[p] = 0.f;
  for (int j = j0; j < j1; ++j) {
    const float a = ws.af[static_cast<std::size_t>(c) * v.K + j];
    if (a == 0.f) continue;
    const float* CIMMC_RESTRICT gj = ws.gf + static_cast<std::size_t>(j) * P;
    if (squares) {
      for (int p = ex.lane(); p < P; p += ex.nlanes()) {
        const float t = a * gj[p];
        val[p] += t;
        sq[p] += t * t;
      }
    } else {
#if !defined(__CUDA_ARCH__)
#pragma omp simd
#endif
      for (int p = ex.lane(); p < P; p += ex.nlanes()) val[p] += a * gj[p];
    }
  }
}

template <class Exec>
CIMMC_HD void fill_noise(const JobView& v, const Workspace& ws, std::uint32_t sample, int cg, const Exec& ex) {
  // Two passes: the Philox blocks alone form a branch-free loop the CPU
  // compiler vectorizes; the table lookups (with their rare tail branch) follow.
  const int blocks = (v.P + 3) / 4;
  const philox::StreamKey key = v.key;
  // Slots cg * blocks + blk: config validation keeps cycles x G x blocks <= 2^32.
  const std::uint32_t stream = philox::kReadNoise + v.stream_base,
                      base = static_cast<std::uint32_t>(cg) * static_cast<std::uint32_t>(blocks);
  std::uint32_t* CIMMC_RESTRICT bits = ws.noise_bits;
#if !defined(__CUDA_ARCH__)
  if (ex.nlanes() == 1) {
    philox::draw_run(key, sample, base, blocks, stream, bits);
  } else
#endif
  {
    for (int blk = ex.lane(); blk < blocks; blk += ex.nlanes()) {
      const philox::Counter r = philox::draw(key, sample, base + static_cast<std::uint32_t>(blk), stream);
      for (int t = 0; t < 4; ++t) bits[blk * 4 + t] = r.v[t];
    }
  }
  ex.sync();
  std_normals(bits, ws.noise, ex.lane(), v.P, ex.nlanes(), v.normal_table);
}

// Column-value sources for one (cycle, row group). Each returns the analog
// column value in cell-level x DAC-level units and, for proportional read
// noise, the sum of squared cell contributions.
struct FloatColumns {  // programming variation or proportional read noise
  const float* val;    // conductance_columns() results
  const float* sq;
  CIMMC_HD double operator()(int p, float& s) const {
    s = sq[p];
    return val[p];
  }
};

struct PlaneColumns {  // any DAC width, bits per cell, sign-magnitude columns
  const std::uint64_t* ab;
  const std::uint64_t* wbits;  // offset to the group's words
  const std::uint64_t* negbits;
  std::size_t stride;
  int dac_bits, bpc, wpg, ppw, G;
  double r_off, suma;        // the g_off current in the value (0 in a pair, where it cancels)
  double sq_r_off, sq_active; // r_off and active rows for the squares (1-bit DACs; wider ones take the float path)
  CIMMC_HD double operator()(int p, float& sq) const {
    const std::uint64_t* w = wbits + static_cast<std::size_t>(p) * bpc * stride;
    sq = static_cast<float>(plane_sums(ab, w, bpc, wpg, stride, 1).squares(sq_r_off, sq_active));
    const std::uint64_t* neg = negbits ? negbits + static_cast<std::size_t>(p / ppw) * G * wpg : nullptr;
    std::int64_t na = 0;
    const std::int64_t acc = planes_dot(ab, w, neg, dac_bits, bpc, wpg, stride, na);
    return static_cast<double>(acc) + r_off * (suma - 2.0 * static_cast<double>(na));
  }
};

// Multi-bit DACs on the CPU: dac_bits x bits_per_cell bit planes cost that
// many popcounts per word, where a direct dot product of the group's DAC
// levels and cell levels costs one byte product per row. dot_columns() fills
// the integer sums of every cell column of the set (na: the DAC levels of
// rows stored negative, sign-magnitude), then DotColumns reads them with
// PlaneColumns' formula: the same integers, the same doubles.
template <class Exec>
CIMMC_HD void dot_columns(const JobView& v, const Workspace& ws, int c, int g, const Exec& ex) {
  const int j0 = g * v.R, n = ((g + 1) * v.R < v.K ? (g + 1) * v.R : v.K) - j0;
  const std::uint8_t* CIMMC_RESTRICT a = ws.a + static_cast<std::size_t>(c) * v.K + j0;
  for (int p = ex.lane(); p < v.pcell; p += ex.nlanes()) {
    const std::uint8_t* CIMMC_RESTRICT l = ws.lev + static_cast<std::size_t>(p) * v.K + j0;
    std::int32_t acc = 0, na = 0;  // < 2^8 x 2^4 x 65536 rows
    if (v.signed_cols) {
      const std::uint8_t* CIMMC_RESTRICT ng = ws.wneg + static_cast<std::size_t>(p / v.ppw) * v.K + j0;
      for (int j = 0; j < n; ++j) {
        const std::int32_t t = a[j] * l[j], s = ng[j];
        acc += t - 2 * s * t;
        na += s * a[j];
      }
    } else {
      for (int j = 0; j < n; ++j) acc += a[j] * l[j];
    }
    ws.ival[p] = acc;
    ws.ineg[p] = na;
  }
}

struct DotColumns {  // multi-bit DACs: never with proportional read noise (the float path)
  const std::int32_t* val;  // dot_columns() results
  const std::int32_t* neg;
  double r_off, suma;
  CIMMC_HD double operator()(int p, float& sq) const {
    sq = 0.f;
    return static_cast<double>(val[p]) + r_off * (suma - 2.0 * static_cast<double>(neg[p]));
  }
};

// The common case, unrolled: 1-bit DAC levels, unsigned columns. Its cell
// bit words are transposed, [q][k][column] (Workspace::wbits_t), so the CPU
// loads eight columns' words with one vector load instead of eight inserts.
// The squares only with proportional read noise: computed and discarded, they
// cost the noise-free loop half its speed (its vectorization, with GCC 12).
template <int BPC, int WPG, bool Squares>
struct FixedColumns {
  static constexpr bool kSquares = Squares;
  std::uint64_t a[WPG];
  const std::uint64_t* wt;  // the group's words: bit q, word k of column p at wt[(q * WPG + k) * pc + p]
  std::size_t pc;           // cell columns
  double offset;            // r_off * sum of levels: the g_off current of the active rows
  double r_off, active;
  CIMMC_HOT double operator()(int p, float& sq) const {
    const std::uint64_t* w = wt + p;
    if constexpr (Squares) {
      const PlaneSums s = plane_sums(a, w, BPC, WPG, WPG * pc, pc);
      sq = static_cast<float>(s.squares(r_off, active));
      return static_cast<double>(s.s1) + offset;
    }
    sq = 0.f;
    return static_cast<double>(level_sum(p)) + offset;
  }
  // sum over the group's active rows of column p's cell levels
  CIMMC_HOT int level_sum(int p) const {
    const std::uint64_t* w = wt + p;
    int acc = 0;
    CIMMC_UNROLL
    for (int q = 0; q < BPC; ++q) {
      int n = 0;
      CIMMC_UNROLL
      for (int k = 0; k < WPG; ++k) n += popc64(a[k] & w[(q * WPG + k) * pc]);
      acc += n << q;
    }
    return acc;
  }
#if defined(CIMMC_POPCOUNT_X4)
  // level_sum() of columns p .. p + 3, one 64-bit lane each.
  CIMMC_HOT __m256i level_sums_x4(int p) const {
    const std::uint64_t* w = wt + p;
#if defined(CIMMC_ISA_AVX2)
    // The planes' byte counts, weighted by 2^q, in one byte accumulator (one
    // VPSADBW for all planes) where the sum fits a byte: 8 WPG (2^BPC - 1) < 256.
    constexpr bool kOneSum = 8 * WPG * ((1 << BPC) - 1) < 256;
#else
    constexpr bool kOneSum = false;
#endif
    LaneOnes all;
    __m256i acc = _mm256_setzero_si256();
    CIMMC_UNROLL
    for (int q = 0; q < BPC; ++q) {
      LaneOnes ones;
      CIMMC_UNROLL
      for (int k = 0; k < WPG; ++k) {
        const __m256i words = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + (q * WPG + k) * pc));
        const __m256i x = _mm256_and_si256(words, _mm256_set1_epi64x(a[k]));
        if constexpr (kOneSum) all.add(x, q);
        else ones.add(x);
      }
      if constexpr (!kOneSum) acc = _mm256_add_epi64(acc, _mm256_slli_epi64(ones.lanes(), q));
    }
    return kOneSum ? all.lanes() : acc;
  }
  // plane_sums() of columns p .. p + 3, one 64-bit lane each.
  CIMMC_HOT void plane_sums_x4(int p, __m256i& s1, __m256i& s2) const {
    const std::uint64_t* w = wt + p;
    auto words = [&](int q, int k) {
      return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + (q * WPG + k) * pc));
    };
    s1 = s2 = _mm256_setzero_si256();
    CIMMC_UNROLL
    for (int q = 0; q < BPC; ++q) {
      LaneOnes ones;
      CIMMC_UNROLL
      for (int k = 0; k < WPG; ++k) ones.add(_mm256_and_si256(words(q, k), _mm256_set1_epi64x(a[k])));
      s1 = _mm256_add_epi64(s1, _mm256_slli_epi64(ones.lanes(), q));
      s2 = _mm256_add_epi64(s2, _mm256_slli_epi64(ones.lanes(), 2 * q));
      CIMMC_UNROLL
      for (int q2 = q + 1; q2 < BPC; ++q2) {
        LaneOnes both;
        CIMMC_UNROLL
        for (int k = 0; k < WPG; ++k)
          both.add(_mm256_and_si256(_mm256_and_si256(words(q, k), words(q2, k)), _mm256_set1_epi64x(a[k])));
        s2 = _mm256_add_epi64(s2, _mm256_slli_epi64(both.lanes(), q + q2 + 1));
      }
    }
  }
#endif
};

#if defined(CIMMC_ISA_AVX2)
// The avx2 copy's noisy fixed columns: AVX2 has no vector popcount, so GCC
// leaves convert_pass's loop over FixedColumns scalar. Their sums are stored
// first, four columns per step (store_plane_sums), and StoredColumns reads
// them back in convert_pass, whose loop then vectorizes: the same integers,
// the same doubles, the same bits.
template <bool Squares>
struct StoredColumns {
  const std::int32_t* s1;  // level sums (PlaneSums::s1)
  const std::int32_t* s2;  // PlaneSums::s2 (with Squares)
  double offset, r_off, active;
  CIMMC_HOT double operator()(int p, float& sq) const {
    sq = 0.f;
    if constexpr (Squares)
      sq = static_cast<float>(PlaneSums::squares_of(static_cast<double>(s1[p]), static_cast<double>(s2[p]), r_off, active));
    return static_cast<double>(s1[p]) + offset;
  }
};

// The low halves of four 64-bit lanes holding integers in [0, 2^31) into out[0..3].
CIMMC_HOT void store_small_lanes(__m256i x, std::int32_t* out) {
  const __m256i low = _mm256_permutevar8x32_epi32(x, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_castsi256_si128(low));
}

template <int BPC, int WPG, bool Squares>
CIMMC_HOT void store_plane_sums(const FixedColumns<BPC, WPG, Squares>& cols, std::int32_t* CIMMC_RESTRICT s1,
                                std::int32_t* CIMMC_RESTRICT s2, int P) {
  int p = 0;
  for (; p + 4 <= P; p += 4) {
    if constexpr (Squares) {
      __m256i a, b;
      cols.plane_sums_x4(p, a, b);
      store_small_lanes(a, s1 + p);
      store_small_lanes(b, s2 + p);
    } else {
      store_small_lanes(cols.level_sums_x4(p), s1 + p);
    }
  }
  for (; p < P; ++p) {
    if constexpr (Squares) {
      const PlaneSums s = plane_sums(cols.a, cols.wt + p, BPC, WPG, WPG * cols.pc, cols.pc);
      s1[p] = static_cast<std::int32_t>(s.s1), s2[p] = static_cast<std::int32_t>(s.s2);
    } else {
      s1[p] = cols.level_sum(p);
    }
  }
}
#endif

// Array-subtracted differential pair: conversion column p reads the current
// of cell column p minus that of cell column p + P, each from the source
// Columns; their squared contributions (proportional read noise) add. Plane
// sources are built without the g_off term, which cancels exactly.
template <class Columns>
struct PairColumns {
  Columns cells;
  int P;
  CIMMC_HD double operator()(int p, float& sq) const {
    float s_pos, s_neg;
    const double pos = cells(p, s_pos), neg = cells(p + P, s_neg);
    sq = s_pos + s_neg;
    return pos - neg;
  }
};

// Everything the per-column loop needs, as plain values.
struct ConvConsts {
  double inv_delta, col_lo, inv_bw, top_bin, cmin, cmax, scale;
  double coef;                  // the cycle's input coefficient (scale = coef * adc_delta)
  const double *dq, *iq;        // AdcMode::per_slice: step and inverse step by column position
  int ppw;
  float abs_var, abs_sd, rel2;  // noise variance from absolute sources, its root, proportional sigma^2
  int ncol, ncode;  // shard strides of the local histograms
  bool noisy;
};

// Counts each column's bin and code (indices already offset to the column's
// shard) into the local histograms.
template <class Exec>
CIMMC_HD void count_set(const Workspace& ws, std::uint64_t* CIMMC_RESTRICT col_h, std::uint64_t* CIMMC_RESTRICT adc_h,
                        int P, const Exec& ex) {
  for (int p = ex.lane(); p < P; p += ex.nlanes()) {
    ex.add(&col_h[ws.col_idx[p]], 1);
    ex.add(&adc_h[ws.adc_idx[p]], 1);
  }
}

// The clamps of a conversion, safe for values validation never lets through
// (a column value overflowing float becomes inf, and inf - inf NaN): a NaN
// must never become a histogram index. std::max(lo, x) is (lo < x) ? x : lo,
// which is lo for NaN, so the bottom bin takes it and the outer std::min sees
// no NaN; +inf clamps to the top, -inf to the bottom. For every other value
// this equals min(max(x, lo), hi) (signed zeros aside, which cast and add
// alike), so finite results keep their bits.
CIMMC_HD double clamp_low_nan(double x, double lo, double hi) { return std::min(hi, std::max(lo, x)); }

// The pieces of one conversion every conversion path shares (convert_pass,
// convert_level_sums, combine_pass), so they give the same bits.
// Column-value bin (nearest centre, clamped) of a value before noise.
CIMMC_HOT std::uint32_t column_bin(double val, const ConvConsts& k) {
  return static_cast<std::uint32_t>(clamp_low_nan((val - k.col_lo) * k.inv_bw + 0.5, 0.0, k.top_bin));
}
// The nearest code, before clipping to [cmin, cmax].
CIMMC_HOT double nearest_code(double val, double inv_delta) { return floor(val * inv_delta + 0.5); }
// 1 where that code lies outside the range (a NaN counts as below it).
CIMMC_HOT std::uint64_t clips(double cf, const ConvConsts& k) { return !(cf >= k.cmin) + (cf > k.cmax); }

// Read noise of a conversion: none, one sigma for every column (absolute
// sources), or a sigma per column (proportional to its cell currents).
enum class NoiseKind { none, absolute, proportional };

// A conversion set in two passes: the per-column arithmetic first, with no
// memory dependences or branches between columns so the CPU compiler
// vectorizes it, then the histogram increments (count_set). Returns the
// clipped conversions. An ideal ADC passes the noisy value on unquantized and
// never clips; its code is still counted at the shared step.
template <NoiseKind Noise, AdcMode Mode, class Columns, class Exec>
CIMMC_HD std::uint64_t convert_pass(const Columns& colv, const ConvConsts k, const Workspace& ws, std::uint64_t* col_h,
                                    std::uint64_t* adc_h, int P, const Exec& ex) {
  const float* CIMMC_RESTRICT noise = ws.noise;
  double* CIMMC_RESTRICT ypart = ws.ypart;
  std::uint32_t* CIMMC_RESTRICT col_idx = ws.col_idx;
  std::uint32_t* CIMMC_RESTRICT adc_idx = ws.adc_idx;
  std::uint64_t clipped = 0;
  for (int p = ex.lane(); p < P; p += ex.nlanes()) {
    float sq;
    double val = colv(p, sq);
    // Column-value bin (nearest centre, clamped) of the value before noise.
    // Histogram slots carry the shard offset, so the counting pass is two increments.
    col_idx[p] = column_bin(val, k) + static_cast<std::uint32_t>(p % kShards * k.ncol);
    if constexpr (Noise == NoiseKind::absolute) val += static_cast<double>(noise[p] * k.abs_sd);
    if constexpr (Noise == NoiseKind::proportional) val += static_cast<double>(noise[p] * sqrtf(k.abs_var + k.rel2 * sq));
    // ADC: nearest code; inputs beyond the range clip to the end codes (a NaN
    // to the bottom one, counted as clipped).
    double inv_delta = k.inv_delta, scale = k.scale;
    if constexpr (Mode == AdcMode::per_slice) {
      const int q = p % k.ppw;
      inv_delta = k.iq[q];
      scale = k.coef * k.dq[q];
    }
    const double cf = nearest_code(val, inv_delta);
    const double cc = clamp_low_nan(cf, k.cmin, k.cmax);
    if constexpr (Mode != AdcMode::ideal) clipped += clips(cf, k);
    adc_idx[p] = static_cast<std::uint32_t>(cc - k.cmin) + static_cast<std::uint32_t>(p % kAdcShards * k.ncode);
    if constexpr (Mode == AdcMode::ideal) ypart[p] += k.coef * val;
    else ypart[p] += scale * cc;
  }
  count_set(ws, col_h, adc_h, P, ex);
  return clipped;
}

template <AdcMode Mode, class Columns, class Exec>
CIMMC_HD std::uint64_t convert_set(const Columns& colv, const ConvConsts& k, const Workspace& ws, std::uint64_t* col_h,
                                   std::uint64_t* adc_h, int P, const Exec& ex) {
  if (!k.noisy) return convert_pass<NoiseKind::none, Mode>(colv, k, ws, col_h, adc_h, P, ex);
  if (k.rel2 > 0.f) return convert_pass<NoiseKind::proportional, Mode>(colv, k, ws, col_h, adc_h, P, ex);
  return convert_pass<NoiseKind::absolute, Mode>(colv, k, ws, col_h, adc_h, P, ex);
}

// Any ADC mode; the unrolled fixed columns (convert_fixed) take the shared one only.
template <class Columns, class Exec>
CIMMC_HD std::uint64_t convert_any(const Columns& colv, AdcMode mode, const ConvConsts& k, const Workspace& ws,
                                   std::uint64_t* col_h, std::uint64_t* adc_h, int P, const Exec& ex) {
  // per_cycle is per_slice with the cycle's steps (convert_all points dq, iq at them).
  if (mode == AdcMode::per_slice || mode == AdcMode::per_cycle)
    return convert_set<AdcMode::per_slice>(colv, k, ws, col_h, adc_h, P, ex);
  if (mode == AdcMode::ideal) return convert_set<AdcMode::ideal>(colv, k, ws, col_h, adc_h, P, ex);
  return convert_set<AdcMode::shared>(colv, k, ws, col_h, adc_h, P, ex);
}

// The calibration pilot's record of the set's column values before noise.
template <class Columns, class Exec>
CIMMC_HD void capture_set(const JobView& v, const Columns& colv, std::uint32_t sample, int cg, const Exec& ex) {
  double* out = v.col_capture + (static_cast<std::size_t>(sample) * v.cycles * v.G + cg) * v.P;
  for (int p = ex.lane(); p < v.P; p += ex.nlanes()) {
    float sq;
    out[p] = colv(p, sq);
  }
}

#if defined(CIMMC_POPCOUNT_X4)
// level_sum_outputs() of columns [0, P rounded down to 4) in the x86 copies,
// four per step, the outputs in packed doubles by the same operations in the
// same order (MAXPD and MINPD return their second operand on equality or NaN,
// as clamp_low_nan's std::max(lo, x) and std::min(hi, y) do). Each step counts
// its four sums at once: a second pass over stored sums left the count table's
// read-modify-writes with nothing to overlap, a fifth of a noise-free MVM in
// both copies (perf). Returns the largest sum.
template <class Columns>
inline int level_sum_outputs_x4(const Columns& cols, const ConvConsts& k, std::uint32_t* CIMMC_RESTRICT count,
                                double* CIMMC_RESTRICT ypart, int P) {
  const __m256d off = _mm256_set1_pd(cols.offset), inv_delta = _mm256_set1_pd(k.inv_delta),
                half = _mm256_set1_pd(0.5), cmin = _mm256_set1_pd(k.cmin), cmax = _mm256_set1_pd(k.cmax),
                scale = _mm256_set1_pd(k.scale);
  __m256i top = _mm256_setzero_si256();
  for (int p = 0; p + 4 <= P; p += 4) {
    const __m256i a = cols.level_sums_x4(p);  // in [0, 2^31): see level_sum_entries
    top = _mm256_max_epi32(top, a);           // the high halves are zero
    const __m256d val = _mm256_add_pd(small_lanes_to_double(a), off);
    const __m256d cf = _mm256_floor_pd(_mm256_add_pd(_mm256_mul_pd(val, inv_delta), half));
    const __m256d cc = _mm256_min_pd(_mm256_max_pd(cf, cmin), cmax);
    _mm256_storeu_pd(ypart + p, _mm256_add_pd(_mm256_loadu_pd(ypart + p), _mm256_mul_pd(scale, cc)));
    alignas(32) std::int64_t sums[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(sums), a);
    for (int t = 0; t < 4; ++t) count_level_sum(count, static_cast<int>(sums[t]), p + t);
  }
  return max_small_lane(top);
}
#endif

// Each column's level sum counted, and its output added to ypart. The output
// comes from the code, computed: a table lookup would be a gather, which GCC
// does not emit for generic x86 tuning. The base copy and the x86 copies'
// last columns run the scalar loop.
// Returns the largest sum (at most (L - 1) x the group's rows: the count table's size).
template <class Columns>
CIMMC_HD int level_sum_outputs(const Columns& cols, const ConvConsts& k, std::uint32_t* CIMMC_RESTRICT count,
                               double* CIMMC_RESTRICT ypart, int P) {
  const double off = cols.offset, inv_delta = k.inv_delta, cmin = k.cmin, cmax = k.cmax, scale = k.scale;
  int top = 0, p0 = 0;
#if defined(CIMMC_POPCOUNT_X4)
  top = level_sum_outputs_x4(cols, k, count, ypart, P);
  p0 = P / 4 * 4;
#endif
  for (int p = p0; p < P; ++p) {
    const int a = cols.level_sum(p);
    top = a > top ? a : top;
    ypart[p] += scale * clamp_low_nan(nearest_code(static_cast<double>(a) + off, inv_delta), cmin, cmax);
    count_level_sum(count, a, p);
  }
  return top;
}

// Noise-free fixed columns on one CPU lane: a column's value is its level
// sum a plus the set's offset, so its bin, code and clip are functions of a.
// Columns are counted per sum, and each sum that occurs is converted once
// (convert_pass's arithmetic on the same doubles) and added to the
// histograms with its count: one increment per column instead of two, and
// no per-column floating point but the output's. The same bits as
// convert_pass (tests/test_lanes.cpp compares it with the GPU lanes' path).
template <class Columns>
CIMMC_HD std::uint64_t convert_level_sums(const Columns& cols, const ConvConsts& k, const Workspace& ws,
                                          std::uint64_t* CIMMC_RESTRICT col_h, std::uint64_t* CIMMC_RESTRICT adc_h,
                                          int P) {
  std::uint32_t* CIMMC_RESTRICT count = ws.sum_count;
  const int top = level_sum_outputs(cols, k, count, ws.ypart, P);
  std::uint64_t clipped = 0;
  for (int a = 0; a <= top; ++a) {
    std::uint32_t n = 0;
    for (int c = 0; c < kSumCopies; ++c) {
      n += count[a * kSumCopies + c];
      count[a * kSumCopies + c] = 0;
    }
    if (!n) continue;
    const double val = static_cast<double>(a) + cols.offset;
    col_h[column_bin(val, k)] += n;
    const double cf = nearest_code(val, k.inv_delta);
    adc_h[static_cast<std::uint32_t>(clamp_low_nan(cf, k.cmin, k.cmax) - k.cmin)] += n;
    clipped += clips(cf, k) * n;
  }
  return clipped;
}

template <class Exec>
CIMMC_HD std::uint64_t convert_fixed(const JobView& v, const std::uint64_t* ab, int g, double active,
                                     const ConvConsts& k, const Workspace& ws, std::uint64_t* col_h,
                                     std::uint64_t* adc_h, const Exec& ex, bool& done) {
  done = true;
  auto run = [&](auto cols) {
    for (int i = 0; i < static_cast<int>(sizeof(cols.a) / sizeof(cols.a[0])); ++i) cols.a[i] = ab[i];
    cols.pc = static_cast<std::size_t>(v.pcell);
    cols.wt = ws.wbits_t + static_cast<std::size_t>(g) * v.bpc * v.wpg * cols.pc;
    cols.offset = v.r_off * active;
    cols.r_off = v.r_off;
    cols.active = active;
#if !defined(__CUDA_ARCH__)
    if (!k.noisy && ex.nlanes() == 1)
      return convert_level_sums(cols, k, ws, col_h, adc_h, v.P);
#endif
#if defined(CIMMC_ISA_AVX2)
    if (ex.nlanes() == 1) {
      store_plane_sums(cols, ws.ival, ws.ineg, v.P);
      const StoredColumns<decltype(cols)::kSquares> stored{ws.ival, ws.ineg, cols.offset, cols.r_off, cols.active};
      return convert_set<AdcMode::shared>(stored, k, ws, col_h, adc_h, v.P, ex);
    }
#endif
    return convert_set<AdcMode::shared>(cols, k, ws, col_h, adc_h, v.P, ex);
  };
  auto pick = [&](auto squares) -> std::uint64_t {
    constexpr bool S = decltype(squares)::value;
    switch (v.bpc * 8 + v.wpg) {
      case 1 * 8 + 1: return run(FixedColumns<1, 1, S>{});
      case 1 * 8 + 2: return run(FixedColumns<1, 2, S>{});
      case 1 * 8 + 4: return run(FixedColumns<1, 4, S>{});
      case 2 * 8 + 1: return run(FixedColumns<2, 1, S>{});
      case 2 * 8 + 2: return run(FixedColumns<2, 2, S>{});
      case 2 * 8 + 4: return run(FixedColumns<2, 4, S>{});
      case 4 * 8 + 2: return run(FixedColumns<4, 2, S>{});
      default: done = false; return 0;
    }
  };
  return k.noisy && k.rel2 > 0.f ? pick(std::true_type{}) : pick(std::false_type{});
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc

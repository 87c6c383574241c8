// The per-instance macro model, written once for host and device.
//
// One array instance = one draw of the tile's weights, faults and programming
// variation, serving `per_instance` input samples. Work inside an instance is
// split over `lanes` (one on the CPU, a thread block on the GPU); every loop is
// strided by lane and every random draw is addressed by (sample or instance,
// slot, stream), so the numbers never depend on the lane count.
//
// Exec provides: lane(), nlanes(), sync(), add(counter*, n) and the moment
// reduction reduce(LaneStats) -> LaneStats (valid on lane 0).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "convert_all.hpp"
#include "device_model.hpp"
#include "digital_model.hpp"
#include "encoding.hpp"
#include "workspace.hpp"
#include "hd.hpp"
#include "input_scaling.hpp"
#include "job_view.hpp"
#include "normal.hpp"
#include "philox.hpp"
#include "philox_run.hpp"

namespace cimmc {
inline namespace CIMMC_ISA_NS {  // hd.hpp

// Rows of row group g that fall in its 64-bit word w.
CIMMC_HD int word_rows(const JobView& v, int g, int w) {
  int n = v.R - w * 64;
  const int left = v.K - (g * v.R + w * 64);
  n = n < 64 ? n : 64;
  n = n < left ? n : left;
  return n > 0 ? n : 0;
}

// Bit i of the word = bit `shift` (< 8) of src[i], for i < n. Eight bytes at a
// time: after the shift and mask each byte holds its bit in bit 0, and the
// multiply gathers byte k's bit into bit 56 + k (no two partial products
// collide), so the top byte is the eight bits in order (little-endian load).
CIMMC_HD std::uint64_t pack_bits(const std::uint8_t* src, int n, int shift) {
  std::uint64_t word = 0;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t chunk;
    memcpy(&chunk, src + i, sizeof chunk);
    chunk = (chunk >> shift) & 0x0101010101010101ull;
    word |= ((chunk * 0x0102040810204080ull) >> 56) << i;
  }
  for (; i < n; ++i) word |= static_cast<std::uint64_t>((src[i] >> shift) & 1u) << i;
  return word;
}

// Weight n and column position qc (an index into w_part / w_shift) of cell
// column p. Pairs: cell columns P + p hold the negative devices of conversion
// column p, at positions ppw..2 ppw-1.
CIMMC_HD void cell_column(const JobView& v, int p, int& n, int& qc) {
  const int half = p >= v.P, pp = half ? p - v.P : p;
  n = pp / v.ppw;
  qc = pp % v.ppw + half * v.ppw;
}

// Global drift compensation (aihwkit's GlobalDriftCompensation, after Le Gallo
// et al. 2018): every conversion column is read with all rows driven alike,
// once right after programming (g0) and once at the read time (gf), and the
// outputs are scaled by the ratio of the summed magnitudes. Column sums are
// lane-strided, then lane 0 adds them in column order: the same bits for any
// lane count.
template <class Exec>
CIMMC_HD void drift_compensation(const JobView& v, const Workspace& ws, const Exec& ex) {
  const int lane = ex.lane(), nl = ex.nlanes();
  const std::size_t PC = static_cast<std::size_t>(v.pcell);
  for (int p = lane; p < v.P; p += nl) {
    double s0 = 0.0, st = 0.0;
    for (int j = 0; j < v.K; ++j) {
      const std::size_t at = static_cast<std::size_t>(j) * PC + p;
      s0 += ws.g0[at];
      st += ws.gf[at];
      if (v.pair) s0 -= ws.g0[at + v.P], st -= ws.gf[at + v.P];
    }
    ws.comp[p] = fabs(s0);
    ws.comp[v.P + p] = fabs(st);
  }
  ex.sync();
  if (lane == 0) {
    double at0 = 0.0, at_t = 0.0;
    for (int p = 0; p < v.P; ++p) at0 += ws.comp[p], at_t += ws.comp[v.P + p];
    *ws.alpha = at_t > 0.0 ? at0 / at_t : 1.0;
  }
  ex.sync();
}

// Counts of (DAC level, cell level) cell events: summed per instance from
// per-row level counts (cnt, K x 2^dac_bits) on the GPU and for narrow DACs,
// or, on one CPU lane with a DAC of 4+ bits, added row by row as inputs are
// drawn (one 16-wide vector add per row: an 8-bit DAC's cnt is 256 entries
// per row, almost all zero). The same integers either way.
CIMMC_HD bool pairs_by_row(const JobView& v, int nl) {
#if defined(__CUDA_ARCH__)
  (void)v, (void)nl;
  return false;
#else
  return nl == 1 && v.dac_bits >= 4;
#endif
}

// ---------------------------------------------------------------- programming
template <class Exec>
CIMMC_HD void program_instance(const JobView& v, const Workspace& ws, std::uint32_t inst,
                               const Exec& ex) {
  const int lane = ex.lane(), nl = ex.nlanes();
  const std::uint32_t sb = v.stream_base;
  if (v.w_given) inst = 0;  // one chip: the same programming draws for every batch of samples
  // Products of array sizes are 64-bit: N*K and P*K reach 2^32 (65536 x 65536
  // arrays), P*bpc*G*wpg 2^34. Philox slots (blk) stay below 2^30.
  const std::int64_t nw = static_cast<std::int64_t>(v.N) * v.K;
  // Block blk's four weights from its weight and polarity words.
  auto program_block = [&](std::int64_t blk, const std::uint32_t* rw, const std::uint32_t* rz) {
    for (int t = 0; t < 4 && blk * 4 + t < nw; ++t) {
      const std::int64_t i = blk * 4 + t;
      const std::int32_t w = v.w_given ? v.w_given[i] : alias_draw(v.w_dist, rw[t]);
      ws.w[i] = w;
      // Sign-magnitude: a zero weight's cells (level 0, still g_off and its
      // programming noise) take a random polarity, so their currents cancel
      // on average instead of always adding (a fixed polarity biases the error).
      if (v.signed_cols) ws.wneg[i] = static_cast<std::uint8_t>(w < 0 || (w == 0 && (rz[t] >> 31)));
    }
  };
  const std::uint32_t w_stream = philox::kWeights + sb, z_stream = philox::kPolarity + sb;
#if !defined(__CUDA_ARCH__)
  if (nl == 1) {  // the words in runs of blocks (philox_run.hpp)
    constexpr int kRun = 64;
    std::uint32_t rw[4 * kRun], rz[4 * kRun];  // each read only where drawn
    const std::int64_t nblk = (nw + 3) / 4;
    for (std::int64_t b0 = 0; b0 < nblk; b0 += kRun) {
      const int n = static_cast<int>(nblk - b0 < kRun ? nblk - b0 : kRun);
      const std::uint32_t slot0 = static_cast<std::uint32_t>(b0);
      if (!v.w_given) philox::draw_run(v.key, inst, slot0, n, w_stream, rw);
      if (v.signed_cols) philox::draw_run(v.key, inst, slot0, n, z_stream, rz);
      for (int b = 0; b < n; ++b) program_block(b0 + b, rw + 4 * b, rz + 4 * b);
    }
  } else
#endif
  {
    for (std::int64_t blk = lane; blk * 4 < nw; blk += nl) {
      philox::Counter r{}, z{};
      if (!v.w_given) r = philox::draw(v.key, inst, static_cast<std::uint32_t>(blk), w_stream);
      if (v.signed_cols) z = philox::draw(v.key, inst, static_cast<std::uint32_t>(blk), z_stream);
      program_block(blk, r.v, z.v);
    }
  }
  ex.sync();
  for (int n = lane; n < v.N; n += nl) {
    std::int64_t s = 0;
    for (int j = 0; j < v.K; ++j) s += ws.w[static_cast<std::size_t>(n) * v.K + j];
    ws.wsum[n] = s;
  }
#if !defined(__CUDA_ARCH__)
  if (nl == 1) {
    std::int64_t m = 0;
    for (std::int64_t i = 0; i < nw; ++i) {
      const std::int64_t a = ws.w[i] < 0 ? -static_cast<std::int64_t>(ws.w[i]) : ws.w[i];
      m = a > m ? a : m;
    }
    *ws.wmax = m;
  }
#endif
  const int PC = v.pcell;
  const std::int64_t ncell = static_cast<std::int64_t>(PC) * v.K;
  const bool faults = v.stuck_off_u32 | v.stuck_on_u32;
  // Cell c = p * K + j sits in cell column p = n * ppw + q (pairs: see
  // cell_column). Without random draws per cell, whole columns are encoded at once.
  if (!faults && !v.float_path) {
    for (int p = 0; p < PC; ++p) {
      int n, q;
      cell_column(v, p, n, q);
      encode_column(v, ws.w + static_cast<std::size_t>(n) * v.K, q, ws.lev + static_cast<std::size_t>(p) * v.K, lane,
                    nl);
    }
  } else {
    // Cells go in Philox blocks of four, their indices advancing
    // incrementally: three divisions per cell cost more than its encoding.
    const int skip = 4 * (nl - 1), skip_p = skip / v.K, skip_j = skip % v.K;
    int p = 4 * lane / v.K, j = 4 * lane % v.K, n = 0, q = 0, p_nq = p;
    cell_column(v, p, n, q);
    for (std::int64_t blk = lane; blk * 4 < ncell; blk += nl) {
      philox::Counter f{}, gz{}, dz{};
      if (faults) f = philox::draw(v.key, inst, static_cast<std::uint32_t>(blk), philox::kFaults + sb);
      if (v.float_path) gz = philox::draw(v.key, inst, static_cast<std::uint32_t>(blk), philox::kProgramming + sb);
      if (v.dev.drift) dz = philox::draw(v.key, inst, static_cast<std::uint32_t>(blk), philox::kDrift + sb);
      for (int t = 0; t < 4 && blk * 4 + t < ncell; ++t) {
        if (p != p_nq) cell_column(v, p, n, q), p_nq = p;
        const std::int64_t c = blk * 4 + t;
        const int wv = ws.w[static_cast<std::size_t>(n) * v.K + j];
        int l = encode_weight(v, wv, q);
        if (faults) {  // one word decides: [0, off) stuck off, [off, off + on) stuck on
          const std::uint32_t u = f.v[t];
          if (u < v.stuck_off_u32) l = 0;
          else if (u - v.stuck_off_u32 < v.stuck_on_u32) l = v.L - 1;
        }
        ws.lev[c] = static_cast<std::uint8_t>(l);
        if (v.float_path) {
          // Programming variation (device_model.hpp prog_sigma), then drift
          // from the programmed value with nu of the nominal state.
          const float g = static_cast<float>(l) + v.r_off;
          const float sd = prog_sigma(v, g);
          float gv = g + sd * std_normal(gz.v[t], v.normal_table);
          gv = gv < 0.f ? 0.f : gv;  // a conductance cannot be negative
          const float sgn = (v.signed_cols && ws.wneg[static_cast<std::size_t>(n) * v.K + j]) ? -1.f : 1.f;
          const std::size_t at = static_cast<std::size_t>(j) * PC + p;
          if (v.dev.compensate) ws.g0[at] = sgn * gv;
          if (v.dev.drift) gv *= drift_factor(v.dev, l, std_normal(dz.v[t], v.normal_table));
          ws.gf[at] = sgn * gv;
        }
        if (++j == v.K) j = 0, ++p;
      }
      j += skip_j, p += skip_p;
      if (j >= v.K) j -= v.K, ++p;
    }
  }
  ex.sync();
  if (v.dev.compensate) drift_compensation(v, ws, ex);
  // Column by column (lanes stride over columns): a flat word index costs
  // three divisions per word.
  const bool transposed = fixed_layout(v);
  const int bpc = v.bpc, G = v.G, wpg = v.wpg;
  for (int p = lane; p < PC; p += nl) {
    const std::uint8_t* lp = ws.lev + static_cast<std::size_t>(p) * v.K;
    std::uint64_t* CIMMC_RESTRICT wp = ws.wbits + static_cast<std::size_t>(p) * bpc * G * wpg;  // [p][q][g][w]
    for (int q = 0; q < bpc; ++q)
      for (int g = 0; g < G; ++g)
        for (int w = 0; w < wpg; ++w) {
          const std::uint64_t bits = pack_bits(lp + g * v.R + w * 64, word_rows(v, g, w), q);
          wp[(q * G + g) * wpg + w] = bits;
          if (transposed) ws.wbits_t[((static_cast<std::size_t>(g) * bpc + q) * wpg + w) * PC + p] = bits;
        }
  }
  if (v.signed_cols) {
    for (std::int64_t idx = lane; idx < static_cast<std::int64_t>(v.N) * v.G * v.wpg; idx += nl) {
      const int w = static_cast<int>(idx % v.wpg), g = static_cast<int>((idx / v.wpg) % v.G);
      const int n = static_cast<int>(idx / (v.wpg * v.G));
      ws.negbits[idx] = pack_bits(ws.wneg + static_cast<std::size_t>(n) * v.K + g * v.R + w * 64, word_rows(v, g, w), 0);
    }
  }
  const int A = 1 << v.dac_bits;
  const bool by_row = pairs_by_row(v, nl);
  for (int j = lane; j < v.K; j += nl) {
    for (int l = 0; l < v.L; ++l) ws.rowcount[l * v.K + j] = 0;
    if (!by_row)
      for (int a = 0; a < A; ++a) ws.cnt[j * A + a] = 0;
  }
  // p outer, j inner: contiguous levels on the CPU (one compare-add per level,
  // which vectorizes: the sizes are locals, as the stores could alias v),
  // coalesced across lanes on the GPU, each row one lane's.
  const int K = v.K, L = v.L;
  for (int p = 0; p < PC; ++p) {
    const std::uint8_t* CIMMC_RESTRICT lp = ws.lev + static_cast<std::size_t>(p) * K;
    for (int l = 0; l < L; ++l) {
      std::uint32_t* CIMMC_RESTRICT rc = ws.rowcount + static_cast<std::size_t>(l) * K;
      const std::uint8_t level = static_cast<std::uint8_t>(l);
      for (int j = lane; j < K; j += nl) rc[j] += lp[j] == level;
    }
  }
  if (by_row) {
    for (int j = 0; j < K; ++j)
      for (int l = 0; l < L; ++l) ws.rowlev[j * L + l] = ws.rowcount[l * K + j];
    for (int i = 0; i < A * L; ++i) ws.lvl_pairs[i] = 0;
    for (int a = 0; a < A; ++a) ws.dac_seen[a] = 0;
  }
  const int ncol = kShards * v.col_nbins, ncode = kAdcShards * (v.code_max - v.code_min + 1);
  for (int b = lane; b < ncol; b += nl) ws.col_local[b] = 0;
  for (int b = lane; b < ncode; b += nl) ws.adc_local[b] = 0;
  const std::size_t nsum = fixed_layout(v) ? kSumCopies * level_sum_entries(v) : kSumCopies;
  for (std::size_t b = lane; b < nsum; b += nl) ws.sum_count[b] = 0;
  ex.sync();
}

// ---------------------------------------------------------------- one sample
// Philox slot of a sample's common copula deviate: row blocks use slots
// 0..ceil(K/4)-1 with K <= 65536, so the last slot is never a row's.
constexpr std::uint32_t kCommonSlot = 0xFFFFFFFFu;

// Every row's DAC levels for its input xs[j] (after any per-vector scaling),
// cycle by cycle so the row loop vectorizes, then their counts. The fields
// come as locals (InputCode, L, K): the level stores are bytes, which may
// alias any field of v.
CIMMC_HD void dac_levels(const JobView& v, const Workspace& ws, const InputCode& e,
                         const std::int32_t* CIMMC_RESTRICT xs, bool by_row, int lane, int nl) {
  const int A = 1 << e.dac_bits, L = v.L, K = v.K, cycles = e.cycles;
  const bool fl = v.float_path;
  std::uint8_t* CIMMC_RESTRICT a = ws.a;
  float* CIMMC_RESTRICT af = ws.af;
  // This lane's rows; one CPU lane gets a unit-stride copy, which vectorizes.
  auto rows = [&](auto&& body) {
    if (nl == 1)
      for (int j = 0; j < K; ++j) body(j);
    else
      for (int j = lane; j < K; j += nl) body(j);
  };
  for (int c = 0; c < cycles; ++c) {
    std::uint8_t* CIMMC_RESTRICT ac = a + static_cast<std::size_t>(c) * K;
    if (plain_input(e)) rows([&](int j) { ac[j] = static_cast<std::uint8_t>(encode_plain(e, xs[j], c)); });
    else rows([&](int j) { ac[j] = static_cast<std::uint8_t>(encode_input(e, xs[j], c)); });
    if (fl) rows([&](int j) { af[static_cast<std::size_t>(c) * K + j] = static_cast<float>(ac[j]); });
  }
  if (by_row) {  // one CPU lane (pairs_by_row)
    for (int j = 0; j < K; ++j) {
      const std::uint64_t* CIMMC_RESTRICT r = ws.rowlev + static_cast<std::size_t>(j) * L;
      for (int c = 0; c < cycles; ++c) {
        const int l0 = a[static_cast<std::size_t>(c) * K + j];
        std::uint64_t* CIMMC_RESTRICT h = ws.lvl_pairs + static_cast<std::size_t>(l0) * L;
        for (int l = 0; l < L; ++l) h[l] += r[l];
        ++ws.dac_seen[l0];
      }
    }
  } else if (A == 2) {  // 1-bit DACs: a row's ones, and the rest zeros
    std::uint64_t* CIMMC_RESTRICT cnt = ws.cnt;
    rows([&](int j) {
      int ones = 0;
      for (int c = 0; c < cycles; ++c) ones += a[static_cast<std::size_t>(c) * K + j];
      cnt[2 * j] += static_cast<std::uint64_t>(cycles - ones);
      cnt[2 * j + 1] += static_cast<std::uint64_t>(ones);
    });
  } else {
    for (int c = 0; c < cycles; ++c)
      for (int j = lane; j < K; j += nl) ++ws.cnt[j * A + a[static_cast<std::size_t>(c) * K + j]];
  }
}

// `local` indexes given inputs (x_given); `sample` addresses the draws.
template <class Exec>
CIMMC_HD void sample_inputs(const JobView& v, const Workspace& ws, std::uint32_t sample, std::uint64_t local,
                            std::uint64_t* hist, const Exec& ex) {
  const int lane = ex.lane(), nl = ex.nlanes();
  // Correlated inputs: z_j = sqrt(rho) z0 + sqrt(1 - rho) e_j with one common z0
  // per sample (its own Philox slot, beyond any row block) and e_j from the
  // row's own word, then x_j = F^-1(Phi(z_j)): every row keeps its marginal.
  // Every lane draws the same z0, so nothing is shared between lanes. The
  // deviates are the precise ones: the table's tail error would bias the
  // marginals of small tail bins.
  // Image patches (x_npatches > 0, never with rho) use the same common slot:
  // one draw picks the sample's first patch and the rows follow from it.
  const bool corr = v.x_rho > 0.f, patches = v.x_npatches > 0, scaling = v.x_scale_q > 0;
  const bool by_row = pairs_by_row(v, nl);
  const InputCode e(v);
  float common = 0.f, own = 1.f;
  std::uint32_t first = 0;
  if (corr || patches) {
    const philox::Counter r0 =
        philox::draw(v.key, sample, kCommonSlot, philox::kInputs + v.stream_base);
    if (patches) first = patch_first(v, r0.v[0], r0.v[1]);
    else common = sqrtf(v.x_rho) * std_normal_precise(r0.v[0]);
    own = sqrtf(1.f - v.x_rho);
  }
  const bool drawn = !patches && !v.x_given;
  const std::uint32_t x_stream = philox::kInputs + v.stream_base;
  auto input_block = [&](int blk, const std::uint32_t* r) {
    for (int t = 0; t < 4 && blk * 4 + t < v.K; ++t) {
      const int j = blk * 4 + t;
      const int x = v.x_given ? v.x_given[local * v.K + j]
                    : patches ? patch_input(v, first, j)
                    : corr  ? copula_draw(v, common + own * std_normal_precise(r[t]))
                            : alias_draw(v.x_dist, r[t]);
      ws.x[j] = x;
    }
  };
#if !defined(__CUDA_ARCH__)
  if (nl == 1) {  // the words in runs of blocks (philox_run.hpp)
    constexpr int kRun = 64;
    std::uint32_t rx[4 * kRun];  // read only where drawn
    const int nblk = (v.K + 3) / 4;
    for (int b0 = 0; b0 < nblk; b0 += kRun) {
      const int n = nblk - b0 < kRun ? nblk - b0 : kRun;
      if (drawn) philox::draw_run(v.key, sample, static_cast<std::uint32_t>(b0), n, x_stream, rx);
      for (int b = 0; b < n; ++b) input_block(b0 + b, rx + 4 * b);
    }
  } else
#endif
  {
    for (int blk = lane; blk * 4 < v.K; blk += nl) {
      philox::Counter r{};
      if (drawn) r = philox::draw(v.key, sample, static_cast<std::uint32_t>(blk), x_stream);
      input_block(blk, r.v);
    }
  }
  ex.sync();
  if (scaling) {
    // The vector's max |x| is known only once every row is drawn: lane 0
    // takes it (exact integers, any order), then every lane scales its rows.
    if (lane == 0) {
      std::int32_t m = 0;
      for (int j = 0; j < v.K; ++j) {
        const std::int32_t a = ws.x[j] < 0 ? -ws.x[j] : ws.x[j];
        m = a > m ? a : m;
      }
      *ws.xmax = m;
    }
    ex.sync();
    const std::int32_t m = *ws.xmax;
    for (int j = lane; j < v.K; j += nl) ws.xq[j] = m > 0 ? scale_input(ws.x[j], m, v.x_scale_q) : 0;
    ex.sync();
  }
  dac_levels(v, ws, e, scaling ? ws.xq : ws.x, by_row, lane, nl);
  ex.sync();
  const int nab = v.cycles * v.dac_bits * v.G * v.wpg;
  for (int idx = lane; idx < nab; idx += nl) {
    const int w = idx % v.wpg, g = (idx / v.wpg) % v.G, b = (idx / (v.wpg * v.G)) % v.dac_bits;
    const int c = idx / (v.wpg * v.G * v.dac_bits);
    ws.abits[idx] = pack_bits(ws.a + static_cast<std::size_t>(c) * v.K + g * v.R + w * 64, word_rows(v, g, w), b);
  }
  for (int cg = lane; cg < v.cycles * v.G; cg += nl) {
    const int c = cg / v.G, g = cg % v.G;
    const int j1 = (g + 1) * v.R < v.K ? (g + 1) * v.R : v.K;
    const std::uint8_t* CIMMC_RESTRICT ac = ws.a + static_cast<std::size_t>(c) * v.K;
    int s = 0, active = 0;
    std::int64_t s2i = 0;
    for (int j = g * v.R; j < j1; ++j) {
      const int a = ac[j];
      s += a;
      s2i += a * a;
      active += a != 0;
    }
    // The float sum in row order is exact, so equal to the integer one, while
    // every partial sum stays below 2^24; otherwise it is summed in that order.
    float s2 = static_cast<float>(s2i);
    if (s2i >= (std::int64_t(1) << 24)) {
      s2 = 0.f;
      for (int j = g * v.R; j < j1; ++j) s2 += static_cast<float>(ac[j] * ac[j]);
    }
    ws.suma[cg] = s;
    ws.suma2[cg] = s2;
    ex.add(&hist[v.off_row + active], 1);
  }
  if (lane == 0) {
    const std::int32_t* xd = scaling ? ws.xq : ws.x;
    std::int64_t s = 0;
    for (int j = 0; j < v.K; ++j) s += xd[j];
    *ws.xsum = s;
  }
  ex.sync();
}

// sum_j x_j w_j, accumulated in Acc (exact when no partial sum overflows it).
template <class Acc>
CIMMC_HD std::int64_t exact_dot(const std::int32_t* CIMMC_RESTRICT x, const std::int32_t* CIMMC_RESTRICT w, int K) {
  Acc s = 0;
  for (int j = 0; j < K; ++j) s += static_cast<Acc>(x[j]) * static_cast<Acc>(w[j]);
  return s;
}

// Outputs and their errors, one per lane-strided column; then lane 0 adds
// them to the moments in column order, so the float sums are the same bits
// for any number of lanes (one on the CPU, a block on the GPU).
template <class Exec>
CIMMC_HD void finish_sample(const JobView& v, const Workspace& ws, std::uint64_t local, LaneStats& st,
                            const Exec& ex) {
  const int lane = ex.lane(), nl = ex.nlanes();
  const double xsum = static_cast<double>(*ws.xsum);
  const double k_off = static_cast<double>(v.K) * v.x_offset * v.w_offset;
  // The exact dot products in 32-bit sums when no partial sum can overflow
  // them (16 products per AVX-512 instruction instead of 8 widened ones).
  bool narrow = false;
#if !defined(__CUDA_ARCH__)
  if (nl == 1) {
    std::int64_t xm = 0;
    for (int j = 0; j < v.K; ++j) {
      const std::int64_t a = ws.x[j] < 0 ? -static_cast<std::int64_t>(ws.x[j]) : ws.x[j];
      xm = a > xm ? a : xm;
    }
    narrow = xm * *ws.wmax * v.K < (std::int64_t(1) << 31);
  }
#endif
  for (int n = lane; n < v.N; n += nl) {
    double y = 0.0;
    for (int q = 0; q < v.ppw; ++q) y += v.w_coef[q] * ws.ypart[n * v.ppw + q];
    if (v.slice_combine) y = ws.ypart[n * v.ppw];  // slice_combine.hpp: place values applied in the charge domain
    if (v.tree_booth) y = static_cast<double>(ws.dwacc[n]);  // digital_booth.hpp: the Booth trees' sum
    if (v.dev.compensate) y *= *ws.alpha;  // in digital, on the analog part only
    y -= v.w_offset * xsum + v.x_offset * static_cast<double>(ws.wsum[n]) + k_off;
    if (v.x_scale_q > 0) y *= input_rescale(v, *ws.xmax);  // back to the inputs' units
    const std::int32_t* wn = ws.w + static_cast<std::size_t>(n) * v.K;
    const std::int64_t ref = narrow ? exact_dot<std::int32_t>(ws.x, wn, v.K) : exact_dot<std::int64_t>(ws.x, wn, v.K);
    ws.err[n] = y - static_cast<double>(ref);
    ws.ref[n] = static_cast<double>(ref);
    if (v.y_out) v.y_out[local * v.N + n] = y;
  }
  ex.sync();
  if (lane == 0) {
    for (int n = 0; n < v.N; ++n) {
      const double e = ws.err[n], rf = ws.ref[n];
      st.n += 1.0;
      st.sum_err += e;
      st.sum_err2 += e * e;
      st.max_abs_err = fabs(e) > st.max_abs_err ? fabs(e) : st.max_abs_err;
      st.sum_ref += rf;
      st.sum_ref2 += rf * rf;
    }
  }
  ex.sync();
}

// Fold the instance's (row, DAC level) counts into the DAC and cell histograms:
// cell[a][l] += sum_j cnt[j][a] * rowcount[j][l] (exact integers).
template <class Exec>
CIMMC_HD void flush_instance(const JobView& v, const Workspace& ws, std::uint64_t* hist,
                             const Exec& ex) {
  const int lane = ex.lane(), nl = ex.nlanes();
  const int A = 1 << v.dac_bits;
#if !defined(__CUDA_ARCH__)
  if (pairs_by_row(v, nl)) {  // summed as the rows were drawn
    for (int a = 0; a < A; ++a) {
      if (!ws.dac_seen[a]) continue;
      ex.add(&hist[v.off_dac + a], ws.dac_seen[a]);
      for (int l = 0; l < v.L; ++l) ex.add(&hist[v.off_cell + a * v.L + l], ws.lvl_pairs[a * v.L + l]);
    }
  } else if (nl == 1) {
    // One CPU lane, narrow DACs: rows outer, and of each row only the DAC
    // levels it saw; the lane-strided form below multiplies every zero.
    std::uint32_t rc[16];  // 2^bits_per_cell <= 16 (config rule kBitsPerCell)
    for (int j = 0; j < v.K; ++j) {
      for (int l = 0; l < v.L; ++l) rc[l] = ws.rowcount[l * v.K + j];
      const std::uint64_t* cj = ws.cnt + static_cast<std::size_t>(j) * A;
      for (int a = 0; a < A; ++a) {
        const std::uint64_t c = cj[a];
        if (!c) continue;
        ex.add(&hist[v.off_dac + a], c);
        for (int l = 0; l < v.L; ++l) ex.add(&hist[v.off_cell + a * v.L + l], c * rc[l]);
      }
    }
  } else
#endif
  for (int al = lane; al < A * v.L; al += nl) {
    const int a = al / v.L, l = al % v.L;
    std::uint64_t s = 0, d = 0;
    for (int j = 0; j < v.K; ++j) {
      s += static_cast<std::uint64_t>(ws.cnt[j * A + a]) * ws.rowcount[l * v.K + j];
      d += ws.cnt[j * A + a];
    }
    ex.add(&hist[v.off_cell + al], s);
    if (l == 0) ex.add(&hist[v.off_dac + a], d);
  }
  const int ncode = v.code_max - v.code_min + 1;
  for (int b = lane; b < v.col_nbins; b += nl) {
    std::uint64_t s = 0;
    for (int k = 0; k < kShards; ++k) s += ws.col_local[k * v.col_nbins + b];
    if (s) ex.add(&hist[v.off_col + b], s);
  }
  for (int b = lane; b < ncode; b += nl) {
    std::uint64_t s = 0;
    for (int k = 0; k < kAdcShards; ++k) s += ws.adc_local[k * ncode + b];
    if (s) ex.add(&hist[v.off_adc + b], s);
  }
  ex.sync();
}

// The whole instance: program, run its samples, flush. Returns lane-reduced
// moments (valid on lane 0). hist points at the instance's batch group block.
template <class Exec>
CIMMC_HD LaneStats run_instance(const JobView& v, const Workspace& ws, std::uint32_t inst,
                                std::uint64_t* hist, const Exec& ex) {
  program_instance(v, ws, inst, ex);
  if (v.digital) digital_program(v, ws, ex);
  LaneStats st;
  const std::uint64_t s0 = static_cast<std::uint64_t>(inst) * v.per_instance;
  std::uint64_t s1 = s0 + v.per_instance;
  s1 = s1 < v.samples ? s1 : v.samples;
  for (std::uint64_t s = s0; s < s1; ++s) {
    const std::uint32_t si = static_cast<std::uint32_t>(s) + v.sample_base;
    sample_inputs(v, ws, si, s, hist, ex);
    if (v.digital) digital_sample(v, ws, hist, ex);
    else if (v.float_path) convert_all<true>(v, ws, si, st, ex);
    else convert_all<false>(v, ws, si, st, ex);
    finish_sample(v, ws, s, st, ex);
  }
  flush_instance(v, ws, hist, ex);
  return ex.reduce(st);
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc

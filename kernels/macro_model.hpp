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
#include <type_traits>

#include "encoding.hpp"
#include "hd.hpp"
#include "job_view.hpp"
#include "philox.hpp"

namespace cimmc {

// Scratch for one instance in flight; sizes in workspace_layout() below.
struct Workspace {
  std::int32_t* w;          // N*K weights, [n][j]
  std::int64_t* wsum;       // N: sum_j w[n][j]
  std::uint8_t* lev;        // P*K cell levels, [p][j]
  std::uint64_t* wbits;     // P*bpc*G*wpg: bit q of each cell level, per row group
  std::uint64_t* negbits;   // N*G*wpg: rows holding a negative weight (sign-magnitude)
  float* gf;                // P*K signed conductance / g_lsb (float path)
  std::uint32_t* rowcount;  // K*L: cells of row j at level l
  std::int32_t* x;          // K inputs of the current sample
  std::uint8_t* a;          // cycles*K DAC levels
  float* af;                // cycles*K DAC levels as float (float path)
  std::uint64_t* abits;     // cycles*dac_bits*G*wpg
  std::int32_t* suma;       // cycles*G: sum of levels per conversion
  float* suma2;             // cycles*G: sum of squared levels
  double* ypart;            // P: shift-added ADC outputs per physical column
  float* noise;             // P: standard normals for the current conversion set
  std::uint32_t* cnt;       // K*2^dac_bits: (row, level) occurrences in this instance
  std::int64_t* xsum;       // 1
};

struct LaneStats {
  double n = 0, sum_err = 0, sum_err2 = 0, max_abs_err = 0, sum_ref = 0, sum_ref2 = 0;
  std::uint64_t clipped = 0, conversions = 0;
};

CIMMC_HD LaneStats combine(const LaneStats& a, const LaneStats& b) {
  LaneStats r;
  r.n = a.n + b.n;
  r.sum_err = a.sum_err + b.sum_err;
  r.sum_err2 = a.sum_err2 + b.sum_err2;
  r.max_abs_err = a.max_abs_err > b.max_abs_err ? a.max_abs_err : b.max_abs_err;
  r.sum_ref = a.sum_ref + b.sum_ref;
  r.sum_ref2 = a.sum_ref2 + b.sum_ref2;
  r.clipped = a.clipped + b.clipped;
  r.conversions = a.conversions + b.conversions;
  return r;
}

// Byte layout of a Workspace inside one scratch block (host sizes it, both bind it).
CIMMC_HD std::size_t bind_workspace(const JobView& v, char* base, Workspace* ws) {
  std::size_t off = 0;
  auto take = [&](auto*& ptr, std::size_t count) {
    using T = std::remove_reference_t<decltype(*ptr)>;
    off = (off + 63) & ~std::size_t(63);  // cache-line aligned arrays
    if (ws) ptr = reinterpret_cast<T*>(base + off);
    off += count * sizeof(T);
  };
  Workspace tmp{};
  Workspace& w = ws ? *ws : tmp;
  const std::size_t K = v.K, N = v.N, P = v.P, C = v.cycles, G = v.G, W = v.wpg;
  take(w.w, N * K);
  take(w.wsum, N);
  take(w.lev, P * K);
  take(w.wbits, P * v.bpc * G * W);
  take(w.negbits, v.signed_cols ? N * G * W : 1);
  take(w.gf, v.float_path ? P * K : 1);
  take(w.rowcount, K * v.L);
  take(w.x, K);
  take(w.a, C * K);
  take(w.af, v.float_path ? C * K : 1);
  take(w.abits, C * v.dac_bits * G * W);
  take(w.suma, C * G);
  take(w.suma2, C * G);
  take(w.ypart, P);
  take(w.noise, P);
  take(w.cnt, K * (std::size_t(1) << v.dac_bits));
  take(w.xsum, 1);
  return (off + 63) & ~std::size_t(63);
}

// ---------------------------------------------------------------- programming
template <class Exec>
CIMMC_HD void program_instance(const JobView& v, const Workspace& ws, std::uint32_t inst,
                               const Exec& ex) {
  const int lane = ex.lane(), nl = ex.nlanes();
  const std::uint32_t sb = v.stream_base;
  const int nw = v.N * v.K;
  for (int blk = lane; blk * 4 < nw; blk += nl) {
    const philox::Counter r = philox::draw(v.seed, v.job_id, inst, blk, philox::kWeights + sb);
    for (int t = 0; t < 4 && blk * 4 + t < nw; ++t) ws.w[blk * 4 + t] = alias_draw(v.w_dist, r.v[t]);
  }
  ex.sync();
  for (int n = lane; n < v.N; n += nl) {
    std::int64_t s = 0;
    for (int j = 0; j < v.K; ++j) s += ws.w[n * v.K + j];
    ws.wsum[n] = s;
  }
  const int ncell = v.P * v.K;
  for (int blk = lane; blk * 4 < ncell; blk += nl) {
    const bool faults = v.stuck_off_u32 | v.stuck_on_u32;
    philox::Counter f{}, g0{}, g1{};
    if (faults) f = philox::draw(v.seed, v.job_id, inst, blk, philox::kFaults + sb);
    if (v.float_path) {
      g0 = philox::draw(v.seed, v.job_id, inst, 2 * blk, philox::kProgramming + sb);
      g1 = philox::draw(v.seed, v.job_id, inst, 2 * blk + 1, philox::kProgramming + sb);
    }
    for (int t = 0; t < 4 && blk * 4 + t < ncell; ++t) {
      const int c = blk * 4 + t, p = c / v.K, j = c % v.K;
      const int n = p / v.ppw, q = p % v.ppw;
      const int wv = ws.w[n * v.K + j];
      int l = encode_weight(v, wv, q);
      if (faults) {  // one word decides: [0, off) stuck off, [off, off + on) stuck on
        const std::uint32_t u = f.v[t];
        if (u < v.stuck_off_u32) l = 0;
        else if (u - v.stuck_off_u32 < v.stuck_on_u32) l = v.L - 1;
      }
      ws.lev[c] = static_cast<std::uint8_t>(l);
      if (v.float_path) {
        const philox::Counter& gr = (t < 2) ? g0 : g1;
        float za, zr;
        gauss2(gr.v[(t & 1) * 2], gr.v[(t & 1) * 2 + 1], za, zr);
        const float g = static_cast<float>(l) + v.r_off;
        float gv = g + v.prog_abs * za + v.prog_rel * g * zr;
        gv = gv < 0.f ? 0.f : gv;  // a conductance cannot be negative
        ws.gf[c] = (v.signed_cols && wv < 0) ? -gv : gv;
      }
    }
  }
  ex.sync();
  const int nwb = v.P * v.bpc * v.G * v.wpg;
  for (int idx = lane; idx < nwb; idx += nl) {
    const int w = idx % v.wpg, g = (idx / v.wpg) % v.G, q = (idx / (v.wpg * v.G)) % v.bpc;
    const int p = idx / (v.wpg * v.G * v.bpc);
    std::uint64_t word = 0;
    for (int bit = 0; bit < 64; ++bit) {
      const int r = w * 64 + bit, j = g * v.R + r;
      if (r < v.R && j < v.K && ((ws.lev[p * v.K + j] >> q) & 1)) word |= 1ull << bit;
    }
    ws.wbits[idx] = word;
  }
  if (v.signed_cols) {
    for (int idx = lane; idx < v.N * v.G * v.wpg; idx += nl) {
      const int w = idx % v.wpg, g = (idx / v.wpg) % v.G, n = idx / (v.wpg * v.G);
      std::uint64_t word = 0;
      for (int bit = 0; bit < 64; ++bit) {
        const int r = w * 64 + bit, j = g * v.R + r;
        if (r < v.R && j < v.K && ws.w[n * v.K + j] < 0) word |= 1ull << bit;
      }
      ws.negbits[idx] = word;
    }
  }
  const int A = 1 << v.dac_bits;
  for (int j = lane; j < v.K; j += nl) {
    for (int l = 0; l < v.L; ++l) ws.rowcount[j * v.L + l] = 0;
    for (int p = 0; p < v.P; ++p) ++ws.rowcount[j * v.L + ws.lev[p * v.K + j]];
    for (int a = 0; a < A; ++a) ws.cnt[j * A + a] = 0;
  }
  ex.sync();
}

// ---------------------------------------------------------------- one sample
template <class Exec>
CIMMC_HD void sample_inputs(const JobView& v, const Workspace& ws, std::uint32_t sample,
                            std::uint64_t* hist, const Exec& ex) {
  const int lane = ex.lane(), nl = ex.nlanes();
  const int A = 1 << v.dac_bits;
  for (int blk = lane; blk * 4 < v.K; blk += nl) {
    const philox::Counter r =
        philox::draw(v.seed, v.job_id, sample, blk, philox::kInputs + v.stream_base);
    for (int t = 0; t < 4 && blk * 4 + t < v.K; ++t) {
      const int j = blk * 4 + t;
      const int x = alias_draw(v.x_dist, r.v[t]);
      ws.x[j] = x;
      for (int c = 0; c < v.cycles; ++c) {
        const int a = encode_input(v, x, c);
        ws.a[c * v.K + j] = static_cast<std::uint8_t>(a);
        if (v.float_path) ws.af[c * v.K + j] = static_cast<float>(a);
        ++ws.cnt[j * A + a];
      }
    }
  }
  ex.sync();
  const int nab = v.cycles * v.dac_bits * v.G * v.wpg;
  for (int idx = lane; idx < nab; idx += nl) {
    const int w = idx % v.wpg, g = (idx / v.wpg) % v.G, b = (idx / (v.wpg * v.G)) % v.dac_bits;
    const int c = idx / (v.wpg * v.G * v.dac_bits);
    std::uint64_t word = 0;
    for (int bit = 0; bit < 64; ++bit) {
      const int r = w * 64 + bit, j = g * v.R + r;
      if (r < v.R && j < v.K && ((ws.a[c * v.K + j] >> b) & 1)) word |= 1ull << bit;
    }
    ws.abits[idx] = word;
  }
  for (int cg = lane; cg < v.cycles * v.G; cg += nl) {
    const int c = cg / v.G, g = cg % v.G;
    const int j1 = (g + 1) * v.R < v.K ? (g + 1) * v.R : v.K;
    int s = 0, active = 0;
    float s2 = 0.f;
    for (int j = g * v.R; j < j1; ++j) {
      const int a = ws.a[c * v.K + j];
      s += a;
      s2 += static_cast<float>(a * a);
      active += a != 0;
    }
    ws.suma[cg] = s;
    ws.suma2[cg] = s2;
    ex.add(&hist[v.off_row + active], 1);
  }
  if (lane == 0) {
    std::int64_t s = 0;
    for (int j = 0; j < v.K; ++j) s += ws.x[j];
    *ws.xsum = s;
  }
  ex.sync();
}

// Column value of physical column p for conversion (c, g), and the sum over its
// cells of (level * g)^2 for proportional read noise (float path only).
template <bool FloatPath>
CIMMC_HD double column_value(const JobView& v, const Workspace& ws, int c, int g, int p,
                             float& rel2) {
  if (FloatPath) {
    const int j0 = g * v.R, j1 = (g + 1) * v.R < v.K ? (g + 1) * v.R : v.K;
    const float* gp = ws.gf + static_cast<std::size_t>(p) * v.K;
    const float* ap = ws.af + static_cast<std::size_t>(c) * v.K;
    float s = 0.f, s2 = 0.f;
    for (int j = j0; j < j1; ++j) {
      const float t = ap[j] * gp[j];
      s += t;
      s2 += t * t;
    }
    rel2 = s2;
    return s;
  }
  rel2 = 0.f;
  const std::uint64_t* ab = ws.abits + (static_cast<std::size_t>(c) * v.dac_bits * v.G + g) * v.wpg;
  const std::uint64_t* wb = ws.wbits + (static_cast<std::size_t>(p) * v.bpc * v.G + g) * v.wpg;
  const std::size_t astride = static_cast<std::size_t>(v.G) * v.wpg;
  std::int64_t acc = 0, neg = 0, nega = 0;
  const std::uint64_t* nb = v.signed_cols ? ws.negbits + (static_cast<std::size_t>(p / v.ppw) * v.G + g) * v.wpg : nullptr;
  for (int b = 0; b < v.dac_bits; ++b) {
    for (int q = 0; q < v.bpc; ++q) {
      std::int64_t pc = 0, pn = 0;
      for (int w = 0; w < v.wpg; ++w) {
        const std::uint64_t m = ab[b * astride + w] & wb[q * astride + w];
        pc += popc64(m);
        if (nb) pn += popc64(m & nb[w]);
      }
      acc += pc << (b + q);
      neg += pn << (b + q);
    }
    if (nb) {
      std::int64_t pa = 0;
      for (int w = 0; w < v.wpg; ++w) pa += popc64(ab[b * astride + w] & nb[w]);
      nega += pa << b;
    }
  }
  const double sa = ws.suma[c * v.G + g] - 2.0 * static_cast<double>(nega);
  return static_cast<double>(acc - 2 * neg) + static_cast<double>(v.r_off) * sa;
}

template <bool FloatPath, class Exec>
CIMMC_HD void convert_all(const JobView& v, const Workspace& ws, std::uint32_t sample,
                          std::uint64_t* hist, LaneStats& st, const Exec& ex) {
  const int lane = ex.lane(), nl = ex.nlanes();
  for (int p = lane; p < v.P; p += nl) ws.ypart[p] = 0.0;
  const double inv_delta = 1.0 / v.adc_delta;
  const float adc_var = v.adc_noise * v.adc_noise * static_cast<float>(v.adc_delta * v.adc_delta);
  for (int c = 0; c < v.cycles; ++c) {
    for (int g = 0; g < v.G; ++g) {
      const int cg = c * v.G + g;
      if (v.noisy) {
        for (int blk = lane; blk * 4 < v.P; blk += nl) {
          const std::uint32_t slot = static_cast<std::uint32_t>(cg * ((v.P + 3) / 4) + blk);
          const philox::Counter r =
              philox::draw(v.seed, v.job_id, sample, slot, philox::kReadNoise + v.stream_base);
          float z[4];
          gauss2(r.v[0], r.v[1], z[0], z[1]);
          gauss2(r.v[2], r.v[3], z[2], z[3]);
          for (int t = 0; t < 4 && blk * 4 + t < v.P; ++t) ws.noise[blk * 4 + t] = z[t];
        }
        ex.sync();
      }
      const float abs_var = v.read_abs * v.read_abs * ws.suma2[cg];
      const double scale = v.in_coef[c] * v.adc_delta;
      for (int p = lane; p < v.P; p += nl) {
        float rel2;
        double val = column_value<FloatPath>(v, ws, c, g, p, rel2);
        // Column value histogram: value before any noise reaches the ADC.
        double bf = (val - v.col_lo) / v.col_bw + 0.5;
        int bin = bf <= 0.0 ? 0 : static_cast<int>(bf);
        bin = bin >= v.col_nbins ? v.col_nbins - 1 : bin;
        ex.add(&hist[v.off_col + bin], 1);
        if (v.noisy) {
          const float var = abs_var + v.read_rel * v.read_rel * rel2 + adc_var;
          val += static_cast<double>(ws.noise[p] * sqrtf(var));
        }
        // ADC: nearest code; out-of-range inputs clip to the end codes.
        const double cf = floor(val * inv_delta + 0.5);
        int code;
        if (cf > v.code_max) { code = v.code_max; ++st.clipped; }
        else if (cf < v.code_min) { code = v.code_min; ++st.clipped; }
        else code = static_cast<int>(cf);
        ++st.conversions;
        ex.add(&hist[v.off_adc + code - v.code_min], 1);
        ws.ypart[p] += scale * code;
      }
      if (v.noisy) ex.sync();
    }
  }
  ex.sync();
}

template <class Exec>
CIMMC_HD void finish_sample(const JobView& v, const Workspace& ws, LaneStats& st, const Exec& ex) {
  const int lane = ex.lane(), nl = ex.nlanes();
  const double xsum = static_cast<double>(*ws.xsum);
  const double k_off = static_cast<double>(v.K) * v.x_offset * v.w_offset;
  for (int n = lane; n < v.N; n += nl) {
    double y = 0.0;
    for (int q = 0; q < v.ppw; ++q) y += v.w_coef[q] * ws.ypart[n * v.ppw + q];
    y -= v.w_offset * xsum + v.x_offset * static_cast<double>(ws.wsum[n]) + k_off;
    std::int64_t ref = 0;
    const std::int32_t* wn = ws.w + static_cast<std::size_t>(n) * v.K;
    for (int j = 0; j < v.K; ++j) ref += static_cast<std::int64_t>(ws.x[j]) * wn[j];
    const double e = y - static_cast<double>(ref), rf = static_cast<double>(ref);
    st.n += 1.0;
    st.sum_err += e;
    st.sum_err2 += e * e;
    st.max_abs_err = fabs(e) > st.max_abs_err ? fabs(e) : st.max_abs_err;
    st.sum_ref += rf;
    st.sum_ref2 += rf * rf;
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
  for (int al = lane; al < A * v.L; al += nl) {
    const int a = al / v.L, l = al % v.L;
    std::uint64_t s = 0, d = 0;
    for (int j = 0; j < v.K; ++j) {
      s += static_cast<std::uint64_t>(ws.cnt[j * A + a]) * ws.rowcount[j * v.L + l];
      d += ws.cnt[j * A + a];
    }
    ex.add(&hist[v.off_cell + al], s);
    if (l == 0) ex.add(&hist[v.off_dac + a], d);
  }
  ex.sync();
}

// The whole instance: program, run its samples, flush. Returns lane-reduced
// moments (valid on lane 0). hist points at the instance's batch group block.
template <class Exec>
CIMMC_HD LaneStats run_instance(const JobView& v, const Workspace& ws, std::uint32_t inst,
                                std::uint64_t* hist, const Exec& ex) {
  program_instance(v, ws, inst, ex);
  LaneStats st;
  const std::uint64_t s0 = static_cast<std::uint64_t>(inst) * v.per_instance;
  std::uint64_t s1 = s0 + v.per_instance;
  s1 = s1 < v.samples ? s1 : v.samples;
  for (std::uint64_t s = s0; s < s1; ++s) {
    const std::uint32_t si = static_cast<std::uint32_t>(s);
    sample_inputs(v, ws, si, hist, ex);
    if (v.float_path) convert_all<true>(v, ws, si, hist, st, ex);
    else convert_all<false>(v, ws, si, hist, st, ex);
    finish_sample(v, ws, st, ex);
  }
  flush_instance(v, ws, hist, ex);
  return ex.reduce(st);
}

}  // namespace cimmc

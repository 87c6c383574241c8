// The digital (DIMC) macro kind, beside the analog crossbar of convert.hpp:
// 1-bit SRAM cells feed one NOR/AND multiplier each, every physical column
// (one weight bit) sums its R active rows in an adder tree, the tree output
// is shift-added into an accumulator per column over input cycles and row
// groups, and the columns of one weight are combined into an output register.
// Outputs are exact. Energy is data-dependent: every bit of every stage output
// is compared with its value at the tree's previous evaluation (the previous
// cycle, row group or input vector of the same array instance; zero after
// programming) and each change is counted as a toggle.
//
// The tree is the full binary tree over rows in order: stage s (1..S, S =
// ceil(log2 R)) has adders of s-bit inputs whose (s+1)-bit outputs each sum
// 2^s consecutive rows. Where R is not a power of two, a node whose right
// subtree holds no row is a wire, not an adder, and its output is not counted.
// Within one 64-row word the stage outputs are the fields of the SWAR
// popcount (stage s: 2^s-bit fields), so 64 rows' worth of a stage costs a few
// word operations, and the toggles of all its adders are one popcount of an
// XOR. Stages beyond 64 rows add word sums as integers.
//
// Operand sampling, encodings and programming are shared with the analog kind
// (macro_model.hpp); only the conversion step differs.
#pragma once
#include <cstddef>
#include <cstdint>

#include "digital_booth.hpp"
#include "digital_swar.hpp"
#include "digital_weight_tree.hpp"
#include "hd.hpp"
#include "job_view.hpp"
#include "workspace.hpp"

namespace cimmc {
inline namespace CIMMC_ISA_NS {  // hd.hpp


// Stage s of a column's word: the new SWAR value replaces `state`, and the
// bits that changed in the fields that are adders are added to `toggles`.
CIMMC_HOT std::uint64_t stage_step(std::uint64_t x, int s, std::uint64_t& state, std::uint64_t adders,
                                   std::uint64_t& toggles) {
  x = swar_stage(x, s);
  toggles += popc64((x ^ state) & adders);
  state = x;
  return x;
}


// After programming: the weight bits in column-minor order, all tree state at
// zero, and which SWAR fields are adders.
template <class Exec>
CIMMC_HD void digital_program(const JobView& v, const Workspace& ws, const Exec& ex) {
  const int lane = ex.lane(), nl = ex.nlanes();
  const int P = v.P, W = v.wpg, G = v.G;
  const std::int64_t gwp = static_cast<std::int64_t>(G) * W * P;
  const int B = v.dac_bits;
  for (std::int64_t idx = lane; idx < gwp; idx += nl) {
    const std::int64_t p = idx % P, gk = idx / P;  // bpc = 1: wbits is [p][g][k]
    ws.dwt[idx] = ws.wbits[p * G * W + gk];
  }
  for (std::int64_t idx = lane; idx < B * gwp; idx += nl) ws.dmul[idx] = 0;
  for (std::int64_t idx = lane; idx < 6ll * B * W * P; idx += nl) ws.dstage[idx] = 0;
  for (int idx = lane; idx < 6 * W; idx += nl) {
    const int s = idx / W + 1, k = idx % W, width = 1 << s;
    std::uint64_t m = 0;
    for (int i = 0; i < 64 / width; ++i)
      if (tree_adder(static_cast<std::int64_t>(k) * (64 / width) + i, s, v.R)) m |= low_mask(width) << (i * width);
    ws.dmask[idx] = m;
  }
  for (int idx = lane; idx < B * G * W; idx += nl) ws.dline[idx] = 0;
  for (std::int64_t idx = lane; idx < static_cast<std::int64_t>(B) * dcross_len(v) * P; idx += nl) ws.dcross[idx] = 0;
  for (int p = lane; p < P; p += nl) ws.dacc[p] = 0, ws.dpvs[p] = 0;
  for (int n = lane; n < v.N; n += nl) ws.dout[n] = 0;
  if (product_trees(v)) {
    const int U = tree_units(v);
    for (std::int64_t idx = lane; idx < static_cast<std::int64_t>(tree_sets(v)) * U * wtree_len(v); idx += nl)
      ws.dwtree[idx] = 0;
    ex.sync();  // dwt above is written lane by lane
    // Row j of word k of group g, unit u: a weight's sum_q w_coef[q] x (its
    // bit q), or a column's bit.
    for (std::int64_t idx = lane; idx < static_cast<std::int64_t>(G) * W * U * 64; idx += nl) {
      const int j = static_cast<int>(idx % 64), u = static_cast<int>(idx / 64 % U);
      const std::int64_t gk = idx / 64 / U;
      std::int64_t w = 0;
      if (v.tree_per_weight)
        for (int q = 0; q < v.ppw; ++q)
          w += static_cast<std::int64_t>(v.w_coef[q]) * static_cast<std::int64_t>((ws.dwt[gk * P + u * v.ppw + q] >> j) & 1);
      else
        w = static_cast<std::int64_t>((ws.dwt[gk * P + u] >> j) & 1);
      ws.dwval[idx] = static_cast<std::int32_t>(w);
    }
    for (int u = lane; u < U; u += nl) ws.dwpv[u] = ws.dwacc[u] = 0;
    if (v.tree_booth) {
      for (std::int64_t idx = lane; idx < 3ll * G * W; idx += nl) ws.dsel[idx] = 0;
      for (std::int64_t idx = lane; idx < static_cast<std::int64_t>(G) * W * U * 64; idx += nl) ws.dleaf[idx] = 0;
    }
  }
  ex.sync();
}

// Stages 1..6 of word k of every column for one evaluation: leaves
// (multiplier outputs) = input bits & weight bits. Adds the toggles of the
// multipliers and of each stage to tog, leaves each column's 64-row sum in
// dword[k][p].
template <class Exec>
CIMMC_HD void tree_word(const JobView& v, const Workspace& ws, std::uint64_t ak, int g, int k, std::uint64_t* tog,
                        const Exec& ex) {
  const int P = v.P, W = v.wpg;
  const std::size_t gk = (static_cast<std::size_t>(g) * W + k) * P, wp = static_cast<std::size_t>(W) * P;
  const std::uint64_t* CIMMC_RESTRICT wt = ws.dwt + gk;
  // A cell group's cells share one multiplier: the row groups take turns on it.
  std::uint64_t* CIMMC_RESTRICT mul = ws.dmul + (v.cell_group > 1 ? static_cast<std::size_t>(k) * P : gk);
  std::uint64_t* CIMMC_RESTRICT s1 = ws.dstage + static_cast<std::size_t>(k) * P;
  std::uint64_t* CIMMC_RESTRICT s2 = s1 + wp;
  std::uint64_t* CIMMC_RESTRICT s3 = s2 + wp;
  std::uint64_t* CIMMC_RESTRICT s4 = s3 + wp;
  std::uint64_t* CIMMC_RESTRICT s5 = s4 + wp;
  std::uint64_t* CIMMC_RESTRICT s6 = s5 + wp;
  std::uint32_t* CIMMC_RESTRICT sum = ws.dword + static_cast<std::size_t>(k) * P;
  const std::uint64_t m1 = ws.dmask[k], m2 = ws.dmask[W + k], m3 = ws.dmask[2 * W + k], m4 = ws.dmask[3 * W + k],
                      m5 = ws.dmask[4 * W + k], m6 = ws.dmask[5 * W + k];
  std::uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, t6 = 0;
  // Columns are independent; without the hint GCC gives up on proving the
  // nine arrays apart and leaves the loop scalar (5x slower).
#if !defined(__CUDA_ARCH__)
#pragma GCC ivdep
#endif
  for (int p = ex.lane(); p < P; p += ex.nlanes()) {
    std::uint64_t x = ak & wt[p];
    t0 += popc64(x ^ mul[p]);
    mul[p] = x;
    x = stage_step(x, 1, s1[p], m1, t1);
    x = stage_step(x, 2, s2[p], m2, t2);
    x = stage_step(x, 3, s3[p], m3, t3);
    x = stage_step(x, 4, s4[p], m4, t4);
    x = stage_step(x, 5, s5[p], m5, t5);
    x = stage_step(x, 6, s6[p], m6, t6);
    sum[p] = static_cast<std::uint32_t>(x);
  }
  // Stages past S have no adder fields (masks 0), so only S counters exist.
  const std::uint64_t t[7] = {t0, t1, t2, t3, t4, t5, t6};
  tog[kTogMult] += t[0];
  for (int s = 1; s <= 6 && s <= v.tree_stages; ++s) tog[kTogStage1 + s - 1] += t[s];
}

// Stage 7 of a 65..128-row tree (two words) for every column, vectorized:
// the common case of tree_cross.
template <class Exec>
CIMMC_HD void tree_stage7(const JobView& v, const Workspace& ws, std::uint64_t* tog, const Exec& ex) {
  const int P = v.P;
  std::uint32_t* CIMMC_RESTRICT w0 = ws.dword;
  const std::uint32_t* CIMMC_RESTRICT w1 = ws.dword + P;
  std::uint32_t* CIMMC_RESTRICT x = ws.dcross;
  std::uint64_t t = 0;
  for (int p = ex.lane(); p < P; p += ex.nlanes()) {
    const std::uint32_t s = w0[p] + w1[p];
    t += popc64(s ^ x[p]);
    x[p] = s;
    w0[p] = s;
  }
  tog[kTogStage1 + 6] += t;
}

// Stages 7..S of column p: word sums added in pairs, in place in dword, so
// dword[p] ends as the tree output.
CIMMC_HD void tree_cross(const JobView& v, const Workspace& ws, int p, std::uint64_t* tog) {
  const std::size_t P = static_cast<std::size_t>(v.P);
  std::uint32_t* w = ws.dword;
  std::uint32_t* x = ws.dcross;
  int n = v.wpg;
  std::size_t node = 0;
  for (int t = 7; t <= v.tree_stages; ++t) {
    const int m = (n + 1) / 2;
    std::uint64_t tt = 0;
    for (int i = 0; i < m; ++i, ++node) {
      const std::uint32_t s = w[2 * i * P + p] + (2 * i + 1 < n ? w[(2 * i + 1) * P + p] : 0u);
      if (tree_adder(i, t, v.R)) {
        tt += popc64(s ^ x[node * P + p]);
        x[node * P + p] = s;
      }
      w[i * P + p] = s;
    }
    tog[kTogStage1 + t - 1] += tt;
    n = m;
  }
}

// One sample (input vector): every (input cycle, row group), in the order of
// macro.group_order, evaluates every column's tree; the accumulators add the
// outputs shifted by the cycle's weight (negative for a two's-complement sign
// cycle); the output registers take the weighted column sums. ypart gets the
// accumulators for finish_sample.
template <class Exec>
CIMMC_HD void digital_sample(const JobView& v, const Workspace& ws, std::uint64_t* hist, const Exec& ex) {
  const int lane = ex.lane(), nl = ex.nlanes();
  const int P = v.P, W = v.wpg, G = v.G, S = v.tree_stages;
  std::uint64_t tog[kMaxTreeStages + 4] = {};
  // Per-weight trees: the per-column trees still give the exact column values
  // (and the multiplier toggles); their stage and register toggles are
  // replaced by the product trees' and the weights' registers.
  std::uint64_t col_tog[kMaxTreeStages + 4] = {};
  std::uint64_t* ctog = product_trees(v) ? col_tog : tog;
  // Booth: the rows' lines are the encoders' select lines (digital_booth.hpp).
  std::uint64_t* ltog = v.tree_booth ? col_tog : tog;
  const double inv_bw = 1.0 / v.col_bw;
  const std::uint32_t top = static_cast<std::uint32_t>(v.col_nbins - 1);
  const std::uint64_t acc_mask = low_mask(v.acc_bits);
  const int B = v.dac_bits;
  const std::size_t gwp = static_cast<std::size_t>(G) * W * P;
  // Evaluation e is (cycle c, row group g): groups inside cycles by default,
  // cycles inside groups with macro.group_order cycles_inside.
  const int C = v.cycles;
  for (int e = 0; e < C * G; ++e) {
    const int c = v.cycles_inside ? e % C : e / G, g = v.cycles_inside ? e / C : e % G;
    const std::int64_t coef = static_cast<std::int64_t>(v.in_coef[c]);
    // dac_bits > 1: one tree per input bit of the cycle (ZigZag-IMC's
    // input_bit_per_cycle trees), each with its own multipliers, lines and
    // stage state; a place-value adder sums their outputs x 2^b.
    for (int b = 0; b < B; ++b) {
      Workspace wb = ws;
      wb.dmul += b * gwp;
      wb.dstage += static_cast<std::size_t>(b) * 6 * W * P;
      wb.dline += static_cast<std::size_t>(b) * G * W;
      wb.dcross += static_cast<std::size_t>(b) * dcross_len(v) * P;
      const std::uint64_t* a = ws.abits + ((static_cast<std::size_t>(c) * B + b) * G + g) * W;
      const int gl = v.cell_group > 1 ? 0 : g;  // a cell group's cells share the input line too
      if (lane == 0)
        for (int k = 0; k < W; ++k) {
          ltog[kTogInput] += popc64(a[k] ^ wb.dline[gl * W + k]);
          wb.dline[gl * W + k] = a[k];
        }
      for (int k = 0; k < W; ++k) tree_word(v, wb, a[k], g, k, ctog, ex);
      if (W == 2) tree_stage7(v, wb, ctog, ex);
      else if (W > 2)
        for (int p = lane; p < P; p += nl) tree_cross(v, wb, p, ctog);
      if (v.tree_per_weight && !v.tree_booth) {
        const LeafTerms lt = {{a}, {1}, 1};
        for (int n = lane; n < v.N; n += nl)
          weight_tree(v, ws, lt, g, n, ws.dwtree + (static_cast<std::size_t>(b) * v.N + n) * wtree_len(v), tog);
      }
      if (B > 1)  // dword[p] holds plane b's tree output for column p
        for (int p = lane; p < P; p += nl) ws.dpv[p] = (b == 0 ? 0u : ws.dpv[p]) + (ws.dword[p] << b);
    }
    if (v.tree_cycle_leaves) {  // one tree per column over the cycle's B-bit leaves
      const std::uint64_t* a0 = ws.abits + (static_cast<std::size_t>(c) * B * G + g) * W;
      LeafTerms lt{};
      lt.n = B;
      for (int b = 0; b < B; ++b) lt.a[b] = a0 + static_cast<std::size_t>(b) * G * W, lt.coef[b] = 1 << b;
      for (int p = lane; p < P; p += nl)
        weight_tree(v, ws, lt, g, p, ws.dwtree + static_cast<std::size_t>(p) * wtree_len(v), tog);
    }
    if (v.tree_booth) booth_cycle(v, ws, c, g, tog, ex);
    std::uint64_t tpv = 0;  // the place-value adder's output bits, charged as accumulator toggles
    if (B > 1)
      for (int p = lane; p < P; p += nl) {
        tpv += popc64(ws.dpv[p] ^ ws.dpvs[p]);
        ws.dpvs[p] = ws.dpv[p];
      }
    ctog[kTogStage1 + S] += tpv;
    // out[p] is column p's value of this (cycle, row group).
    const std::uint32_t* CIMMC_RESTRICT out = B > 1 ? ws.dpv : ws.dword;
    std::int64_t* CIMMC_RESTRICT accs = ws.dacc;
    const std::int64_t keep = e == 0 ? 0 : -1;  // the first evaluation loads instead of adding
    std::uint64_t ta = 0;
    for (int p = lane; p < P; p += nl) {
      const std::int64_t old = accs[p], acc = (old & keep) + coef * static_cast<std::int64_t>(out[p]);
      ta += popc64(static_cast<std::uint64_t>(acc ^ old) & acc_mask);
      accs[p] = acc;
    }
    ctog[kTogStage1 + S] += ta;
    if (v.tree_cycle_leaves) tog[kTogStage1 + S] += ta;  // no place-value adder: the leaves hold the cycle's bits
    if (v.tree_per_weight && !v.tree_booth) {  // a weight's registers read the columns other lanes own
      ex.sync();
      tog[kTogStage1 + S] += weight_registers(v, ws, ex);
      ex.sync();
    }
    for (int p = lane; p < P; p += nl) {
      std::uint32_t bin = static_cast<std::uint32_t>(out[p] * inv_bw + 0.5);
      bin = bin < top ? bin : top;
      ex.add(&ws.col_local[static_cast<std::size_t>(p % kShards) * v.col_nbins + bin], 1);
    }
  }
  if (product_trees(v) && !v.tree_booth) tog[kTogMult] += col_tog[kTogMult];
  for (int p = lane; p < P; p += nl) ws.ypart[p] = static_cast<double>(ws.dacc[p]);
  ex.sync();  // an output reads the accumulators of columns other lanes own
  const std::uint64_t out_mask = low_mask(v.out_bits);
  for (int n = lane; n < v.N; n += nl) {
    std::int64_t y = 0;
    for (int q = 0; q < v.ppw; ++q) y += static_cast<std::int64_t>(v.w_coef[q]) * ws.dacc[n * v.ppw + q];
    if (v.tree_booth) y = ws.dwacc[n];  // the Booth trees' own result (finish_sample reads it too)
    tog[kTogStage1 + S + 1] += popc64(static_cast<std::uint64_t>(y ^ ws.dout[n]) & out_mask);
    ws.dout[n] = y;
  }
  for (int i = 0; i < v.tog_len; ++i)
    if (tog[i]) ex.add(&hist[v.off_tog + i], tog[i]);
  ex.sync();
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc

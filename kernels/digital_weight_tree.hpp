// macro.adder_tree per_weight: a weight's bits are combined before the adder
// tree, as in ZigZag-IMC's DIMC template (DimcArrayUnit: B_w-bit multiplier
// outputs feed one tree per output) and the chips it validates with
// multi-bit multipliers (ISSCC 2022 15.5 and 11.7). Every row's leaf is the
// product of its input bit and its weight, sum_q w_coef[q] * (x & w_q), a
// leaf_bits-bit word; one tree per weight adds them, stage s holding
// (leaf_bits + s)-bit sums. The multipliers are the same 1-bit gates as in
// the per-column tree (one per weight bit), so their toggles are counted there.
//
// A leaf is the row's weight value (the w_coef-weighted sum of its cells'
// bits, computed once per programmed array) where the input bit is 1, else 0;
// the tree adds leaves in pairs, as the per-column SWAR tree adds bits.
// Toggles are counted on the two's-complement bits of each node's value,
// changed against the node's previous evaluation (zero after programming).
//
// macro.cycle_bits leaves uses the same trees with a column as the unit: the
// leaf is the column's weight bit times the cycle's dac_bits input bits, one
// tree per column instead of one per input bit and a place-value adder (the
// record of ISSCC 2023 7.2 in ZigZag-IMC's validation: 2-bit tree inputs).
#pragma once
#include <cstdint>

#include "digital_swar.hpp"
#include "hd.hpp"
#include "job_view.hpp"
#include "workspace.hpp"

namespace cimmc {
inline namespace CIMMC_ISA_NS {  // hd.hpp

// Adds the toggles of one node whose new value is `val` and whose previous
// value is `*st` over its low `bits` bits, and stores the new value.
CIMMC_HD std::uint64_t node_toggles(std::int64_t val, std::int32_t* st, int bits) {
  const std::uint64_t changed = static_cast<std::uint64_t>(val ^ static_cast<std::int64_t>(*st));
  *st = static_cast<std::int32_t>(val);
  return popc64(changed & (bits >= 64 ? ~0ull : (1ull << bits) - 1ull));
}

// A leaf's input terms: leaf = sum_t coef[t] x (the row's unit value where
// bit j of a[t][k] is 1). Per-weight trees: one term (the input bit); cycle
// leaves: the cycle's dac_bits bits at 2^b; Booth: +x[2j], +x[2j-1], -2 x[2j+1].
constexpr int kMaxLeafTerms = 8;  // dac_bits <= 8 (config/rules.hpp kDacBits)
struct LeafTerms {
  const std::uint64_t* a[kMaxLeafTerms];  // one word per 64 rows of the row group
  std::int32_t coef[kMaxLeafTerms];
  int n;
};

// Weight n's product tree for one evaluation of row group g with the input
// terms `lt`. `st` is the tree's wtree_len(v) nodes. Leaves are the rows'
// weight values gated by their input bits (dwval, set at programming); each
// stage adds pairs in place. With `leaf_st` (Booth: [k][u][j], stride
// tree_units x 64 per word) the leaves' own toggles over leaf_bits bits are
// added to the multiplier counter: they are the partial-product selectors' outputs.
CIMMC_HD void weight_tree(const JobView& v, const Workspace& ws, const LeafTerms& lt, int g, int n, std::int32_t* st,
                          std::uint64_t* tog, std::int32_t* leaf_st = nullptr) {
  const int W = v.wpg, S = v.tree_stages;
  std::int32_t* words = st + W * 63 + dcross_len(v);  // each word's 64-row product sum
  for (int k = 0; k < W; ++k) {
    const std::int32_t* wv = ws.dwval + ((static_cast<std::size_t>(g) * W + k) * tree_units(v) + n) * 64;
    // Two buffers, each stage reading one and writing the other: in place the
    // loops would not vectorize; 32-bit halves of the input word likewise.
    std::int32_t buf[2][64];
    {
      const std::uint64_t ak = lt.a[0][k];
      const std::int32_t cf = lt.coef[0];
      const std::uint32_t lo = static_cast<std::uint32_t>(ak), hi = static_cast<std::uint32_t>(ak >> 32);
      for (int j = 0; j < 32; ++j) buf[0][j] = (wv[j] & -static_cast<std::int32_t>((lo >> j) & 1u)) * cf;
      for (int j = 0; j < 32; ++j) buf[0][32 + j] = (wv[32 + j] & -static_cast<std::int32_t>((hi >> j) & 1u)) * cf;
    }
    for (int b = 1; b < lt.n; ++b) {
      const std::uint64_t ak = lt.a[b][k];
      const std::int32_t cf = lt.coef[b];
      const std::uint32_t lo = static_cast<std::uint32_t>(ak), hi = static_cast<std::uint32_t>(ak >> 32);
      for (int j = 0; j < 32; ++j) buf[0][j] += (wv[j] & -static_cast<std::int32_t>((lo >> j) & 1u)) * cf;
      for (int j = 0; j < 32; ++j) buf[0][32 + j] += (wv[32 + j] & -static_cast<std::int32_t>((hi >> j) & 1u)) * cf;
    }
    if (leaf_st) {  // rows past R hold weight 0: their leaves never change
      std::int32_t* ls = leaf_st + static_cast<std::size_t>(k) * tree_units(v) * 64;
      const std::uint32_t lb = static_cast<std::uint32_t>(low_mask(v.leaf_bits));
      std::uint64_t t = 0;
      for (int j = 0; j < 64; ++j) {
        t += popc64((static_cast<std::uint32_t>(buf[0][j]) ^ static_cast<std::uint32_t>(ls[j])) & lb);
        ls[j] = buf[0][j];
      }
      tog[kTogMult] += t;
    }
    const std::int32_t* val = buf[0];
    for (int s = 1; s <= 6; ++s) {
      const int width = 1 << s, fields = 64 >> s;
      std::int32_t* next = buf[s & 1];
      for (int i = 0; i < fields; ++i) next[i] = val[2 * i] + val[2 * i + 1];
      val = next;
      // Adders are a prefix of the stage's nodes: node i is one while
      // (k fields + i) 2^s + 2^(s-1) < R (tree_adder).
      const int first_wire = ((v.R - (1 << (s - 1)) + width - 1) >> s) - k * fields;
      const int adders = first_wire < 0 ? 0 : (first_wire < fields ? first_wire : fields);
      std::int32_t* node = st + W * (64 - (128 >> s)) + k * fields;
      // Sums fit 31 bits (leaf_bits + S <= 31, a config rule), so the compare
      // runs on 32-bit words, which vectorizes.
      const std::uint32_t bits = static_cast<std::uint32_t>(low_mask(v.leaf_bits + s));
      std::uint64_t t = 0;
      for (int i = 0; i < adders; ++i) {
        t += popc64((static_cast<std::uint32_t>(val[i]) ^ static_cast<std::uint32_t>(node[i])) & bits);
        node[i] = val[i];
      }
      if (s <= S) tog[kTogStage1 + s - 1] += t;
    }
    words[k] = val[0];
  }
  // Stages 7..S add word sums in pairs, in the node order of tree_cross.
  std::int32_t* cross = st + W * 63;
  int m = W;
  for (int t = 7; t <= S; ++t) {
    const int half = (m + 1) / 2;
    std::uint64_t tt = 0;
    for (int i = 0; i < half; ++i, ++cross) {
      const std::int64_t s = static_cast<std::int64_t>(words[2 * i]) + (2 * i + 1 < m ? words[2 * i + 1] : 0);
      if (tree_adder(i, t, v.R)) tt += node_toggles(s, cross, v.leaf_bits + t);
      words[i] = static_cast<std::int32_t>(s);
    }
    tog[kTogStage1 + t - 1] += tt;
    m = half;
  }
}

// The weights' place-value adders (dac_bits > 1) and accumulators, from the
// columns' (a weight's value is the w_coef-weighted sum of its columns'):
// toggles of their output bits, added to the accumulator counter. Reads
// columns other lanes own, so the caller syncs before and after.
template <class Exec>
CIMMC_HD std::uint64_t weight_registers(const JobView& v, const Workspace& ws, const Exec& ex) {
  std::uint64_t t = 0;
  for (int n = ex.lane(); n < v.N; n += ex.nlanes()) {
    std::int64_t pv = 0, acc = 0;
    for (int q = 0; q < v.ppw; ++q) {
      const std::int64_t c = static_cast<std::int64_t>(v.w_coef[q]);
      const std::size_t p = static_cast<std::size_t>(n) * v.ppw + q;
      if (v.dac_bits > 1) pv += c * static_cast<std::int64_t>(ws.dpv[p]);
      acc += c * ws.dacc[p];
    }
    if (v.dac_bits > 1) {
      t += popc64(static_cast<std::uint64_t>(pv ^ ws.dwpv[n]) & low_mask(v.leaf_bits + v.tree_stages + v.dac_bits));
      ws.dwpv[n] = pv;
    }
    t += popc64(static_cast<std::uint64_t>(acc ^ ws.dwacc[n]) & low_mask(v.acc_bits + v.leaf_bits));
    ws.dwacc[n] = acc;
  }
  return t;
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc

// macro.cycle_bits booth: radix-4 Booth recoding of a digital macro's 2-bit
// input cycles, as ISSCC 2022 15.5 (DIMC1) does: each cycle, every row feeds
// one (B_w + 2)-bit leaf, digit x weight, into one adder tree per weight,
// instead of two trees of B_w-bit products and a place-value adder.
//
// An unsigned B-bit input x has floor(B/2) + 1 digits
//   d_j = -2 x[2j+1] + x[2j] + x[2j-1],  x[-1] = 0, bits >= B zero,
// with sum_j d_j 4^j = x (the sum telescopes: each bit 2j+1 is -2 x 4^j in
// digit j and +4^(j+1) in digit j+1). The top digit reads only bits below
// B: x[B-1] in {0, 1} for even B, x[B-1] + x[B-2] in {0, 1, 2} for odd B, so
// it is never negative and no sign cycle is needed. A two's-complement
// B-bit input has ceil(B/2) digits over its bits sign-extended to an even
// width: the top digit's -2 x[2j+1] weighs the sign bit at -2^(B-1) (odd B:
// x[B-1] twice, at +4^j and -2 x 4^j), so the same digits sum to x.
// Digit j's bits are input cycle j's two planes and cycle j-1's upper plane
// (abits, dac_bits 2: encode_input gives the input's own bits, so the cycle
// past an unsigned input's last bit has zero planes). The per-column trees
// still run on those planes for the column-value histogram; the outputs are
// the Booth accumulators.
//
// Per row per cycle a Booth encoder turns (x[2j+1], x[2j], x[2j-1]) into the
// select lines neg = x[2j+1], one = x[2j] ^ x[2j-1], two = the digit is +-2;
// these three lines run along the row across the weights in place of the two
// input-bit lines, so their toggles are the input-line toggles. The encoder
// itself is priced per row per cycle (pricing/digital_energy.cpp). Each leaf's
// selector (w or 2w by one/two, then negated by neg, the negation's +1 taken
// as a carry-in of the tree) outputs the leaf's two's-complement bits: their
// toggles, over leaf_bits bits against the leaf's previous evaluation, are the
// multiplier toggles. The weight's accumulator adds 4^j x the tree output.
#pragma once
#include <cstdint>

#include "digital_swar.hpp"
#include "digital_weight_tree.hpp"
#include "hd.hpp"
#include "job_view.hpp"
#include "workspace.hpp"

namespace cimmc {
inline namespace CIMMC_ISA_NS {  // hd.hpp

// Digit j of an input's radix-4 Booth recoding (j <= 15); a signed input as
// its 32-bit two's complement.
CIMMC_HD int booth_digit(std::uint32_t x, int j) {
  const std::uint32_t hi = (x >> (2 * j + 1)) & 1u, mid = (x >> (2 * j)) & 1u, lo = j > 0 ? (x >> (2 * j - 1)) & 1u : 0u;
  return static_cast<int>(mid + lo) - 2 * static_cast<int>(hi);
}

// Booth cycle c of row group g: the select lines' toggles, every weight's
// tree on its digit x weight leaves, and the weights' accumulators. Lanes own
// weights; lane 0 the select lines.
template <class Exec>
CIMMC_HD void booth_cycle(const JobView& v, const Workspace& ws, int c, int g, std::uint64_t* tog, const Exec& ex) {
  const int G = v.G, W = v.wpg;
  const std::uint64_t* x0 = ws.abits + ((static_cast<std::size_t>(c) * 2) * G + g) * W;  // x[2c]
  const std::uint64_t* x1 = x0 + static_cast<std::size_t>(G) * W;                         // x[2c+1]
  LeafTerms lt{};
  lt.a[0] = x0, lt.coef[0] = 1;
  lt.a[1] = x1, lt.coef[1] = -2;
  lt.n = 2;
  const std::uint64_t* xm = nullptr;  // x[2c-1]: cycle c-1's upper plane
  if (c > 0) xm = x0 - static_cast<std::size_t>(G) * W, lt.a[2] = xm, lt.coef[2] = 1, lt.n = 3;
  const int gl = v.cell_group > 1 ? 0 : g;  // a cell group's cells share the row's lines and selectors
  if (ex.lane() == 0) {
    std::uint64_t t = 0;
    for (int k = 0; k < W; ++k) {
      const std::uint64_t h = x1[k], m = x0[k], l = xm ? xm[k] : 0;
      const std::uint64_t sel[3] = {h, m ^ l, (h & ~m & ~l) | (~h & m & l)};
      for (int s = 0; s < 3; ++s) {
        std::uint64_t& line = ws.dsel[(static_cast<std::size_t>(s) * G + gl) * W + k];
        t += popc64(sel[s] ^ line);
        line = sel[s];
      }
    }
    tog[kTogInput] += t;
  }
  const std::uint64_t acc_mask = low_mask(v.acc_bits + v.leaf_bits);
  const bool first = c == 0 && g == 0;  // the first evaluation loads the accumulator
  std::uint64_t ta = 0;
  for (int n = ex.lane(); n < v.N; n += ex.nlanes()) {
    std::int32_t* st = ws.dwtree + static_cast<std::size_t>(n) * wtree_len(v);
    weight_tree(v, ws, lt, g, n, st, tog, ws.dleaf + (static_cast<std::size_t>(gl) * W * v.N + n) * 64);
    const std::int64_t out = st[W * 63 + dcross_len(v)];
    const std::int64_t old = ws.dwacc[n], acc = (first ? 0 : old) + out * (std::int64_t(1) << (2 * c));
    ta += popc64(static_cast<std::uint64_t>(acc ^ old) & acc_mask);
    ws.dwacc[n] = acc;
  }
  tog[kTogStage1 + v.tree_stages] += ta;
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc

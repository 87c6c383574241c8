// Operand encodings: integer operand -> cell level / DAC level. Host+device, used
// by the sampler, the host job builder's tests and (later) the statistical model.
#pragma once
#include <cstdint>
#include <type_traits>

#include "hd.hpp"
#include "job_view.hpp"
#include "philox.hpp"

namespace cimmc {
inline namespace CIMMC_ISA_NS {  // hd.hpp

// The JobView fields a weight's encoding reads, as plain values: stores of
// the uint8 levels may alias any field of v, so a loop reading v directly
// reloads them per cell and does not vectorize.
struct WeightCode {
  int l1, w_offset;
  unsigned w_mask;
  int shift;  // w_shift[q] of the column
  CIMMC_HD WeightCode(const JobView& v, int q) : l1(v.L - 1), w_offset(v.w_offset), w_mask(v.w_mask), shift(v.w_shift[q]) {}
};

// Cell level of weight w in a physical column (WeightCode of column q, 0 <= q
// < ppw), for the part that column stores.
template <WPart Part>
CIMMC_HD int encode_part(const WeightCode& e, int w) {
  const int l1 = e.l1;
  if constexpr (Part == WPart::plain) {
    // unsigned and offset weights store w + offset; two's complement stores the
    // low n-1 bits here and the sign bit in its own column.
    const unsigned u = static_cast<unsigned>(w + e.w_offset) & e.w_mask;
    return static_cast<int>((u >> e.shift) & static_cast<unsigned>(l1));
  } else if constexpr (Part == WPart::pos) {
    return ((w > 0 ? w : 0) >> e.shift) & l1;
  } else if constexpr (Part == WPart::neg) {
    return ((w < 0 ? -w : 0) >> e.shift) & l1;
  } else if constexpr (Part == WPart::sign_bit) {
    return w < 0 ? 1 : 0;
  } else {
    return ((w < 0 ? -w : w) >> e.shift) & l1;
  }
}

// Calls f(std::integral_constant<WPart, part of column q>).
template <class F>
CIMMC_HD auto with_part(const JobView& v, int q, const F& f) {
  using P = WPart;
  switch (v.w_part[q]) {
    case P::plain: return f(std::integral_constant<P, P::plain>{});
    case P::pos: return f(std::integral_constant<P, P::pos>{});
    case P::neg: return f(std::integral_constant<P, P::neg>{});
    case P::sign_bit: return f(std::integral_constant<P, P::sign_bit>{});
    default: return f(std::integral_constant<P, P::signed_mag>{});
  }
}

CIMMC_HD int encode_weight(const JobView& v, int w, int q) {
  const WeightCode e(v, q);
  return with_part(v, q, [&](auto part) { return encode_part<decltype(part)::value>(e, w); });
}

// Levels of physical column q for the K weights w of one output, lanes
// striding over rows: one dispatch per column, so the loop vectorizes.
CIMMC_HD void encode_column(const JobView& v, const std::int32_t* CIMMC_RESTRICT w, int q,
                            std::uint8_t* CIMMC_RESTRICT lev, int lane, int nl) {
  const WeightCode e(v, q);
  const int K = v.K;
  with_part(v, q, [&](auto part) {
    for (int j = lane; j < K; j += nl) lev[j] = static_cast<std::uint8_t>(encode_part<decltype(part)::value>(e, w[j]));
  });
}

// The JobView fields an input's encoding reads, as plain values (see WeightCode).
struct InputCode {
  bool booth;
  int in_enc, in_bits, dac_bits, cycles, x_offset;
  CIMMC_HD explicit InputCode(const JobView& v)
      : booth(v.tree_booth), in_enc(v.in_enc), in_bits(v.in_bits), dac_bits(v.dac_bits), cycles(v.cycles),
        x_offset(v.x_offset) {}
};

// Unsigned and offset inputs (no Booth digits): the DAC bits of x + offset
// for cycle c, with no branch, so a loop over rows vectorizes.
CIMMC_HD bool plain_input(const InputCode& e) { return !e.booth && e.in_enc != 2 && e.in_enc != 3; }
CIMMC_HD int encode_plain(const InputCode& e, int x, int c) {
  const unsigned u = static_cast<unsigned>(x + e.x_offset);
  return static_cast<int>((u >> (e.dac_bits * c)) & ((1u << e.dac_bits) - 1u));
}

// DAC level of input x in cycle c. InputEncoding order: unsigned_plain, offset,
// twos_complement, sign_magnitude (src/spec/spec.hpp).
CIMMC_HD int encode_input(const InputCode& e, int x, int c) {
  const unsigned amask = (1u << e.dac_bits) - 1u;
  // Booth (digital_booth.hpp): the input's own bits, 2 per cycle; a signed
  // input's two's complement sign-extends into the top cycle's bits.
  if (e.booth) return static_cast<int>((static_cast<unsigned>(x) >> (2 * c)) & 3u);
  switch (e.in_enc) {
    case 2: {  // two's complement: magnitude cycles, then a 1-level sign cycle
      if (c == e.cycles - 1) return x < 0 ? 1 : 0;
      const unsigned low = static_cast<unsigned>(x) & ((1u << (e.in_bits - 1)) - 1u);
      return static_cast<int>((low >> (e.dac_bits * c)) & amask);
    }
    case 3: {  // sign-magnitude: positive phase, then negative phase
      const int half = e.cycles / 2;
      const unsigned m = static_cast<unsigned>(x < 0 ? -x : x);
      if (c < half) return x > 0 ? static_cast<int>((m >> (e.dac_bits * c)) & amask) : 0;
      return x < 0 ? static_cast<int>((m >> (e.dac_bits * (c - half))) & amask) : 0;
    }
    default:
      return encode_plain(e, x, c);
  }
}

CIMMC_HD int encode_input(const JobView& v, int x, int c) { return encode_input(InputCode(v), x, c); }

// Walker alias draw from one 32-bit word: the high part picks the bin, the low
// part decides between the bin and its alias.
CIMMC_HD std::int32_t alias_draw(const AliasView& a, std::uint32_t r) {
  const std::uint64_t t = static_cast<std::uint64_t>(r) * a.n;
  const std::uint32_t i = static_cast<std::uint32_t>(t >> 32);
  const std::uint64_t frac = t & 0xFFFFFFFFull;
  // The bin or its alias by a mask, not a branch: which one is a coin flip
  // per draw, and GCC turns a select into a jump the predictor misses.
  const std::uint32_t alt = static_cast<std::uint32_t>(a.alias[i]);
  const std::uint32_t keep = 0u - static_cast<std::uint32_t>(frac < a.prob[i]);
  return a.value[alt ^ ((i ^ alt) & keep)];
}

// Inverse CDF in normal-score space (Gaussian copula of correlated inputs):
// the input whose thresholds bracket z, i.e. the smallest k with z < x_z[k].
// Comparing z with Phi^-1(F(k)) instead of Phi(z) with F(k) needs no erfc on
// the device and keeps the tails' relative precision (see build_normal_scores).
CIMMC_HD std::int32_t copula_draw(const JobView& v, float z) {
  std::uint32_t lo = 0, hi = v.x_dist.n - 1;  // x_z[n - 1] = +inf: the answer is <= n - 1
  while (lo < hi) {
    const std::uint32_t mid = (lo + hi) / 2;
    if (z < v.x_z[mid]) hi = mid;
    else lo = mid + 1;
  }
  return v.x_dist.value[lo];
}

// First patch of a sample's input vector, uniform over all patches of all
// images, from two 32-bit words: the 64-bit modulo's bias (< 2^-32) is far
// below any sampling error, where one word's would reach 1% at 47M patches.
CIMMC_HD std::uint32_t patch_first(const JobView& v, std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t u = (static_cast<std::uint64_t>(hi) << 32) | lo;
  return static_cast<std::uint32_t>(u % v.x_npatches);
}

// Row j's input when the inputs are image patches: rows fill patch after patch
// (kernel^2 rows each, row-major inside a patch), and patch slot s = j / k^2
// is the position s after the first patch's, wrapping inside the same image,
// so a vector longer than one patch is still real data of one image (as the
// channels and positions of one image in a conv layer are).
CIMMC_HD std::int32_t patch_input(const JobView& v, std::uint32_t first, int j) {
  const int k = v.x_kernel, plen = k * k;
  const int ow = v.x_img_w - k + 1, npos = (v.x_img_h - k + 1) * ow;
  const std::uint32_t img = first / static_cast<std::uint32_t>(npos);
  const int pos = static_cast<int>((first % static_cast<std::uint32_t>(npos) + static_cast<std::uint32_t>(j / plen)) %
                                   static_cast<std::uint32_t>(npos));
  const int t = j % plen;
  const int y = pos / ow + t / k, x = pos % ow + t % k;
  return v.x_lut[v.x_pixels[(static_cast<std::size_t>(img) * v.x_img_h + y) * v.x_img_w + x]];
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc

// Unit checks of the kernels' bit-level helpers against their definitions.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "encoding.hpp"
#include "engine/job_builder.hpp"
#include "macro_model.hpp"
#include "test_util.hpp"

namespace cimmc {
namespace {

// Bit i of pack_bits(src, n, shift) is bit `shift` of src[i], for every
// length (whole 8-byte chunks and the tail) and bit position.
TEST(Kernels, PackBitsGathersOneBitPerByte) {
  std::mt19937 rng(3);
  std::vector<std::uint8_t> src(64);
  for (int trial = 0; trial < 20; ++trial) {
    for (auto& b : src) b = static_cast<std::uint8_t>(rng());
    for (int n = 0; n <= 64; ++n)
      for (int shift = 0; shift < 8; ++shift) {
        std::uint64_t want = 0;
        for (int i = 0; i < n; ++i) want |= static_cast<std::uint64_t>((src[i] >> shift) & 1u) << i;
        ASSERT_EQ(pack_bits(src.data(), n, shift), want) << "n " << n << " shift " << shift;
      }
  }
}

// encode_column (the dispatch hoisted out of the row loop) gives every row
// the level encode_weight gives it, for every weight encoding and column.
TEST(Kernels, EncodeColumnMatchesEncodeWeight) {
  for (WeightEncoding e : {WeightEncoding::unsigned_plain, WeightEncoding::offset, WeightEncoding::differential,
                           WeightEncoding::twos_complement, WeightEncoding::sign_magnitude}) {
    for (int bpc : {1, 2, 3}) {
      Config c = test::small_config();
      c.macro.cols = 256;
      c.macro.weight_encoding = e;
      c.macro.bits_per_cell = bpc;
      const bool is_signed = e != WeightEncoding::unsigned_plain;
      c.tile.weights = test::uniform_operand(7, is_signed, is_signed ? -1.0 : 0.0, 1.0, 1.0);
      c.tile.rows_used = 64;
      c.tile.cols_used = 4;
      BuiltJob job;
      build_job(c, philox::JobId{}, job);
      const JobView& v = job.view;
      std::vector<std::int32_t> w(v.K);
      const int lo = is_signed ? -64 : 0, hi = is_signed ? 63 : 127;
      for (int j = 0; j < v.K; ++j) w[j] = lo + (j * 37) % (hi - lo + 1);
      w[0] = lo, w[1] = hi, w[2] = 0;
      std::vector<std::uint8_t> lev(v.K);
      for (int q = 0; q < v.ppw; ++q) {
        encode_column(v, w.data(), q, lev.data(), 0, 1);
        for (int j = 0; j < v.K; ++j)
          ASSERT_EQ(lev[j], encode_weight(v, w[j], q)) << "encoding " << static_cast<int>(e) << " bpc " << bpc
                                                       << " column " << q << " w " << w[j];
      }
    }
  }
}

}  // namespace
}  // namespace cimmc

// Unit checks of the kernels' bit-level helpers against their definitions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "encoding.hpp"
#include "engine/job_builder.hpp"
#include "macro_model.hpp"
#include "model_test_util.hpp"
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

// An instance's (row, DAC level) counts reach inputs_per_instance x cycles
// (up to 2^31 x 32) before flush_instance folds them into the DAC and cell
// histograms. Start every count at 2^32 - 1, let one sample add its levels,
// and fold: the incremented counts pass 2^32 (a 32-bit count wraps to 0 and
// each total loses 2^32 per increment).
TEST(Kernels, InstanceCountsPast32BitsFoldExactly) {
  Config c = test::small_config();
  c.macro.bits_per_cell = 2;
  c.macro.dac_bits = 2;
  c.tile.rows_used = 12;
  c.tile.cols_used = 3;
  BuiltJob job;
  build_job(c, {}, job);
  const JobView& v = job.view;
  const int A = 1 << v.dac_bits;
  test::BoundWorkspace bound(v);
  const Workspace& ws = bound.ws;
  std::vector<std::uint64_t> hist(v.hist_size, 0);
  program_instance(v, ws, 0, test::OneLane{});
  const std::uint64_t start = 0xFFFFFFFFull;
  for (int i = 0; i < v.K * A; ++i) ws.cnt[i] = start;
  sample_inputs(v, ws, 0, 0, hist.data(), test::OneLane{});
  std::vector<std::uint64_t> want(static_cast<std::size_t>(v.K) * A, start);
  for (int cyc = 0; cyc < v.cycles; ++cyc)
    for (int j = 0; j < v.K; ++j) ++want[static_cast<std::size_t>(j) * A + ws.a[cyc * v.K + j]];
  flush_instance(v, ws, hist.data(), test::OneLane{});
  std::uint64_t dac_total = 0;
  for (int a = 0; a < A; ++a) {
    std::uint64_t d = 0;
    for (int j = 0; j < v.K; ++j) d += want[j * A + a];
    EXPECT_EQ(hist[v.off_dac + a], d) << "DAC level " << a;
    dac_total += hist[v.off_dac + a];
    for (int l = 0; l < v.L; ++l) {
      std::uint64_t s = 0;
      for (int j = 0; j < v.K; ++j) s += want[j * A + a] * ws.rowcount[l * v.K + j];
      EXPECT_EQ(hist[v.off_cell + a * v.L + l], s) << "DAC level " << a << " cell level " << l;
    }
  }
  EXPECT_EQ(dac_total, static_cast<std::uint64_t>(v.K) * A * start + static_cast<std::uint64_t>(v.K) * v.cycles);
}

// Cell indices of an instance reach P x K = 2^32 (65536 x 65536 arrays). The
// per-cell path (faults) over P x K = 2,148,925,440 > 2^31 cells, end to end:
// 2.7 GB of workspace and about 20 s, so only with CIMMC_LARGE_TESTS=1.
// With int cell indices no cell was encoded: every cell read level 0.
TEST(Kernels, CellIndicesPast2To31) {
  if (!std::getenv("CIMMC_LARGE_TESTS")) GTEST_SKIP() << "set CIMMC_LARGE_TESTS=1 to run (2.7 GB, ~20 s)";
  Config c = test::small_config();
  c.macro.rows = 65536;
  c.macro.rows_active = 32768;  // column values <= 32768 < 2^16 - 1 codes: the ADC is lossless
  c.macro.cols = 32790;
  c.macro.weight_encoding = WeightEncoding::differential;
  c.macro.adc.bits = 16;
  c.macro.noise.stuck_off = 1.0 / 4294967296.0;  // the per-cell path, about one stuck cell in 2^32
  c.tile.inputs = test::bernoulli_operand(0.5);
  c.tile.weights = test::uniform_operand(16, true, -1.0, 1.0, 1.0);  // 2 x 15 columns per weight: 1093 weights
  c.run.samples = 2;
  c.run.inputs_per_instance = 2;
  const JobResult r = test::run_cpu(c, 1);
  const JobView& v = r.view;
  ASSERT_EQ(static_cast<std::int64_t>(v.P) * v.K, 2148925440);
  // Each weight's 15 columns of its own sign hold its magnitude bits, half of
  // them 1 on average: a quarter of all cells sit at level 1.
  const std::vector<std::uint64_t> cell = r.total(Hist::cell);
  std::uint64_t all = 0, ones = 0;
  for (int a = 0; a < (1 << v.dac_bits); ++a)
    for (int l = 0; l < v.L; ++l) {
      all += cell[a * v.L + l];
      if (l == 1) ones += cell[a * v.L + l];
    }
  EXPECT_EQ(all, 2 * static_cast<std::uint64_t>(v.P) * v.K);
  EXPECT_NEAR(static_cast<double>(ones) / static_cast<double>(all), 0.25, 0.01);
  // Lossless conversion: every output exact but for the rare stuck cell.
  const GroupMoments m = r.totals();
  EXPECT_EQ(m.outputs, 2.0 * v.N);
  EXPECT_LT(m.sum_err2, 1e-6 * m.sum_ref2);
}

// Values no config may set (validation caps relative sigmas at 10) still may
// not crash the sampler: with programming variation of 1e19-1e30 x the level,
// proportional read noise squares overflow float and column values become
// inf or NaN. Every conversion must still land in a column bin and an ADC
// code (NaN at the bottom, +inf at the top), and outputs stay finite. Before
// the NaN-safe clamps a NaN became a random uint32 histogram index: a
// segfault or counts written outside the histograms.
TEST(Kernels, NonFiniteColumnValuesLandInEndBins) {
  for (const double prog_rel : {1e19, 1e30}) {
    for (const CpuIsa isa : supported_cpu_isas()) {
      Config c = test::small_config();
      c.macro.bits_per_cell = 2;
      c.macro.weight_encoding = WeightEncoding::differential;
      c.macro.g_off_us = 0.1;
      c.macro.noise.prog_sigma_rel = prog_rel;
      c.macro.noise.read_sigma_rel = 0.02;
      c.tile.weights = test::uniform_operand(8, true, -1.0, 1.0, 1.0);
      c.tile.inputs = test::uniform_operand(8, false, 0.0, 1.0, 1.0);
      c.run.samples = 256;
      EngineOptions o;
      o.backend = Backend::cpu;
      o.threads = 1;
      o.cpu_isa = isa;
      const JobResult r = run_job(c, o);
      const std::uint64_t conv = r.conversions();
      ASSERT_GT(conv, 0u);
      for (const Hist h : {Hist::col, Hist::adc}) {
        std::uint64_t n = 0;
        for (std::uint64_t x : r.total(h)) n += x;
        EXPECT_EQ(n, conv) << kHistNames[static_cast<int>(h)] << " sigma_rel " << prog_rel << " isa "
                           << cpu_isa_name(isa);
      }
      const GroupMoments m = r.totals();
      EXPECT_TRUE(std::isfinite(m.sum_err) && std::isfinite(m.sum_err2) && std::isfinite(m.max_abs_err))
          << "sigma_rel " << prog_rel << " isa " << cpu_isa_name(isa);
    }
  }
}

}  // namespace
}  // namespace cimmc

// Area and clock in study rows (study/rollup.cpp, study/tables.cpp): a sweep
// over one macro key moves the rows' area and clock as the closed form of the
// area model's formula for that key says (physical/area_clock.cpp, ZigZag-IMC
// 28 nm gate constants: NAND2 0.614 um^2, flip-flop 6 NAND2; ADC delay
// B (0.00653 D2 + 0.640) ns).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "config/sweep.hpp"
#include "study/runner.hpp"
#include "study_test_util.hpp"

using namespace cimmc;

namespace {

const std::string kTiny = test::tiny_network("run: {samples: 256, seed: 3}");

const std::vector<double>& col(const Table& t, const std::string& n) {
  const Column* c = t.find(n);
  EXPECT_NE(c, nullptr) << n;
  return std::get<std::vector<double>>(c->data);
}

StudyFile statistical(const std::string& sweep) {
  const Sweep s = parse_sweep(kTiny + sweep, "tiny.yaml");
  StudyOptions o;
  o.engine.backend = Backend::cpu;
  o.model = Model::statistical;
  o.energy_only = true;
  StudyStats st;
  return run_study(s, o, st);
}

}  // namespace

// tiny_network's macro: 64 rows, ReRAM cells, 6-bit ADC per column, 4-bit
// inputs bit-serial, 8 macros. Every area term but the input registers is a
// count per column (cells, ADCs, accumulators, output registers: 64 is a
// multiple of the 2 columns per differential weight), so doubling the columns
// doubles all of them: A(128) = 2 A(64) - rows x dac_bits x one flip-flop.
TEST(StudyArea, DoublingColumnsDoublesTheColumnPeriphery) {
  const StudyFile f = statistical("sweep:\n  cartesian:\n    macro.cols: [64, 128]\n");
  const Table& n = f.network;
  ASSERT_EQ(n.rows(), 2u);
  const double a64 = col(n, "macro_area_mm2")[0], a128 = col(n, "macro_area_mm2")[1];
  const double input_regs_mm2 = 64 * 1 * (6 * 0.614) * 1e-6;
  EXPECT_GT(a64, 0.0);
  EXPECT_NEAR(a128, 2 * a64 - input_regs_mm2, 1e-12);
  for (std::size_t p = 0; p < 2; ++p) {
    const double cim = col(n, "cim_area_mm2")[p];
    EXPECT_NEAR(cim, 8 * col(n, "macro_area_mm2")[p], 1e-15) << "architecture.macros: 8";
    EXPECT_NEAR(col(n, "tops_per_mm2")[p], col(n, "tops")[p] / cim, 1e-12 * col(n, "tops_per_mm2")[p]);
  }
  // Columns do not enter the analog critical path (ADC, accumulator).
  EXPECT_EQ(col(n, "clock_ns")[0], col(n, "clock_ns")[1]);
  // Layer rows: their own TOPS over the same provisioned area.
  const auto& pt = std::get<std::vector<std::int64_t>>(f.layers.find("point")->data);
  for (std::size_t r = 0; r < f.layers.rows(); ++r) {
    const double cim = col(n, "cim_area_mm2")[pt[r]];
    EXPECT_NEAR(col(f.layers, "tops_per_mm2")[r], col(f.layers, "tops")[r] / cim, 1e-12 * col(f.layers, "tops_per_mm2")[r]);
  }
}

// The analog clock is ADC + accumulator; only the ADC delay sees the rows
// summed: 6 bits x 0.00653 ns x 64 more rows. Rows scale the cells and the
// input registers only: 64 more rows add 64 x 64 ReRAM cells (12 F^2 at
// 28 nm, the model's assumed cell) and 64 input flip-flops.
TEST(StudyArea, RowsMoveClockAndAreaByTheirTerms) {
  const StudyFile f = statistical("sweep:\n  cartesian:\n    macro.rows: [64, 128]\n");
  const Table& n = f.network;
  ASSERT_EQ(n.rows(), 2u);
  EXPECT_NEAR(col(n, "clock_ns")[1] - col(n, "clock_ns")[0], 6 * 0.00653 * 64, 1e-12);
  const double cells = 64 * 64 * (12 * 0.028 * 0.028), flops = 64 * (6 * 0.614);
  EXPECT_NEAR(col(n, "macro_area_mm2")[1] - col(n, "macro_area_mm2")[0], (cells + flops) * 1e-6, 1e-15);
}

// --model hybrid refines the best points by TOPS/mm^2 beside energy and
// latency (energy-only: no SQNR): the point with the highest TOPS/mm^2 in the
// statistical screen is re-run sampled even where it is best by nothing else.
TEST(StudyArea, HybridRefinesTheBestTopsPerMm2) {
  const std::string sweep = "sweep:\n  cartesian:\n    architecture.macros: [1, 64]\n    macro.cols: [16, 128]\n";
  const StudyFile screen = statistical(sweep);
  const Sweep s = parse_sweep(kTiny + sweep, "tiny.yaml");
  StudyOptions o;
  o.engine.backend = Backend::cpu;
  o.model = Model::hybrid;
  o.energy_only = true;
  o.refine = 1;
  StudyStats st;
  const StudyFile hyb = run_study(s, o, st);
  const Table& n = screen.network;
  auto best = [&](const std::string& c, bool low) {
    const auto& v = col(n, c);
    std::size_t b = 0;
    for (std::size_t i = 1; i < v.size(); ++i)
      if (low ? v[i] < v[b] : v[i] > v[b]) b = i;
    return b;
  };
  const std::size_t area_best = best("tops_per_mm2", false);
  ASSERT_NE(area_best, best("total_pj", true)) << "the sweep must separate the objectives";
  ASSERT_NE(area_best, best("latency_ns", true)) << "the sweep must separate the objectives";
  const auto& model = std::get<std::vector<std::string>>(hyb.network.find("model")->data);
  EXPECT_EQ(model.at(area_best), "sampled");
  EXPECT_EQ(st.points_refined, 3u);
}

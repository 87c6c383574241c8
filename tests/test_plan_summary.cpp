// `cimmc plan` in bounded memory (issue 10, "Sweeps do not scale in memory"):
// the streamed exact plan equals one plan of the whole expanded sweep, and a
// summarised sweep's unique-job estimate equals the closed form of its grid
// (the product of the distinct job-changing values of each axis), up to a
// 10^7-point sweep that expanding would need about 15 GB for.
#include <gtest/gtest.h>

#include <chrono>

#include "config/config.hpp"
#include "config/sweep.hpp"
#include "study/plan.hpp"
#include "study/plan_summary.hpp"

using namespace cimmc;

namespace {

const std::string kHead = R"(name: ps
run: {samples: 64, pilot_samples: 16, seed: 3}
macro: {rows: 32, cols: 32}
workload:
  inputs: {bits: 4, signed: false, distribution: {kind: uniform, low: 0, high: 1}}
  weights: {bits: 4, signed: true, distribution: {kind: normal, std: 0.3}}
)";

SummaryOptions quick(std::size_t exact_limit, std::size_t sample_points) {
  SummaryOptions o;
  o.exact_limit = exact_limit;
  o.sample_points = sample_points;
  o.chunk_points = 3;  // several chunks even for small sweeps
  o.timed_jobs = 1;
  return o;
}

}  // namespace

// Streamed chunk by chunk (job ids kept across chunks) vs one make_plan of
// every point: identical counts, explicit points and duplicate jobs included.
TEST(PlanSummary, StreamedExactPlanEqualsTheWholePlan) {
  const std::string yaml = kHead + R"(sweep:
  cartesian:
    macro.adc.bits: [4, 5, 4]
    energy.adc.e0_pj: [1, 2]
    workload.tile.rows_used: [8, 16, 32]
  points:
    - {macro.adc.bits: 5, energy.adc.e0_pj: 7, workload.tile.rows_used: 8}
    - {macro.adc.bits: 6, energy.adc.e0_pj: 7, workload.tile.rows_used: 8}
)";
  const Sweep whole = parse_sweep(yaml, "ps.yaml");
  std::vector<const Config*> pts;
  for (const SweepPoint& p : whole.points) pts.push_back(&p.config);
  const StudyPlan plan = make_plan(pts, 0, pts.size());
  const PlanSummary s = summarize_plan(SweepSource(yaml, "ps.yaml"), quick(1000, 10));
  ASSERT_TRUE(s.exact);
  EXPECT_EQ(s.points, 20u);
  EXPECT_EQ(s.points_planned, 20u);
  EXPECT_EQ(s.layer_evaluations, 20.0);
  EXPECT_EQ(s.mappings, static_cast<double>(plan.mappings));
  EXPECT_EQ(s.job_refs, static_cast<double>(plan.job_refs));
  // By hand: (adc 4, 5) x rows (8, 16, 32) = 6 jobs, plus adc 6 x rows 8.
  EXPECT_EQ(plan.jobs.size(), 7u);
  EXPECT_EQ(s.unique_jobs, 7.0);
  EXPECT_DOUBLE_EQ(s.cell_reads, plan.cell_reads);
}

// Summarised from a 7-point sample: energy keys do not change tile jobs, the
// ADC axis has 5 distinct values, the DAC axis 2 (1 is listed twice), so the
// grid has 5 x 2 = 10 unique jobs; every other count is 1 per point.
TEST(PlanSummary, SummarisedGridMatchesClosedForm) {
  const std::string yaml = kHead + R"(sweep:
  cartesian:
    macro.adc.bits: [4, 5, 6, 7, 8]
    energy.adc.e0_pj: [1, 2, 3]
    macro.dac_bits: [1, 2, 1]
    energy.dac.e0_pj: [1, 2]
)";
  const PlanSummary s = summarize_plan(SweepSource(yaml, "ps.yaml"), quick(0, 7));
  ASSERT_FALSE(s.exact);
  EXPECT_EQ(s.points, 90u);
  EXPECT_EQ(s.job_axes, (std::vector<std::string>{"macro.adc.bits", "macro.dac_bits"}));
  EXPECT_DOUBLE_EQ(s.unique_jobs, 10.0);
  EXPECT_DOUBLE_EQ(s.layer_evaluations, 90.0);
  EXPECT_DOUBLE_EQ(s.job_refs, 90.0);
  // Star: point 0 + 4 + 2 + 2 + 1 = 10 points; sample: 7.
  EXPECT_EQ(s.points_planned, 17u);
  // The exact plan agrees on the jobs. Cell reads are the sample's mean per
  // job times the jobs: near with 7 of 10 combinations seen (DAC 2 halves
  // the reads), exact once the sample sees them all.
  const PlanSummary e = summarize_plan(SweepSource(yaml, "ps.yaml"), quick(1000, 7));
  EXPECT_EQ(e.unique_jobs, 10.0);
  EXPECT_NEAR(s.cell_reads, e.cell_reads, 0.25 * e.cell_reads);
  const PlanSummary all = summarize_plan(SweepSource(yaml, "ps.yaml"), quick(0, 90));
  EXPECT_FALSE(all.exact);
  EXPECT_DOUBLE_EQ(all.cell_reads, e.cell_reads);
}

// 10^7 points: summarised in seconds without expanding (expanding took
// 2 minutes and 15 GB before this). 10^4 job-changing combinations of four
// 10-value axes times 8 distinct DAC settings = 80,000 unique jobs.
TEST(PlanSummary, TenMillionPointsWithoutExpanding) {
  const std::string yaml = kHead + R"(sweep:
  cartesian:
    macro.adc.bits: [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    run.seed: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    energy.adc.e0_pj: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    macro.rows_active: [1, 2, 4, 8, 16, 32, 3, 5, 6, 7]
    macro.g_on_us: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    macro.dac_bits: [1, 2, 3, 4, 5, 6, 7, 8, 1, 2]
    energy.dac.e0_pj: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
)";
  const auto t0 = std::chrono::steady_clock::now();
  const PlanSummary s = summarize_plan(SweepSource(yaml, "ps.yaml"), quick(20000, 200));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(s.points, 10000000u);
  EXPECT_FALSE(s.exact);
  EXPECT_DOUBLE_EQ(s.unique_jobs, 80000.0);
  EXPECT_DOUBLE_EQ(s.layer_evaluations, 1e7);
  EXPECT_LT(seconds, 60.0);
}

// A bad value far into a huge sweep is found by the star (every swept value
// is validated once), with the sweep line, without building the grid.
TEST(PlanSummary, BadValueOfAHugeSweepIsFoundByTheStar) {
  const std::string yaml = kHead + R"(sweep:
  cartesian:
    run.seed: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    energy.adc.e0_pj: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    macro.g_on_us: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    macro.rows_active: [1, 2, 4, 8, 16, 32, 3, 5, 6, 7]
    energy.dac.e0_pj: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    macro.adc.bits: [4, 5, 6, 7, 8, 9, 10, 11, 12, 99]
)";
  try {
    summarize_plan(SweepSource(yaml, "ps.yaml"), quick(20000, 50));
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("ps.yaml:14: sweep.cartesian.macro.adc.bits[9]: value '99'"), std::string::npos)
        << e.what();
  }
}

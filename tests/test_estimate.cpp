// `cimmc plan`'s sampling-time estimate against the time the same jobs take:
// within a factor of 2.5 either way on a sweep whose jobs differ in kind
// (noise-free, programming variation, calibrated ADC) and size. The constant
// throughput it replaced was 25x low on the shipped ResNet-18 sweep.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "config/sweep.hpp"
#include "study/estimate.hpp"
#include "study/plan.hpp"

using namespace cimmc;

TEST(Estimate, PlanEstimateWithinAFactorOfTheRun) {
  const std::string yaml = R"(name: est
run: {samples: 3000, seed: 4, inputs_per_instance: 32}
macro:
  rows: 128
  cols: 128
  bits_per_cell: 2
  weight_encoding: differential
  adc: {bits: 6, range: calibrated}
workload:
  tile: {rows_used: 128, cols_used: 16}
  inputs: {bits: 8, signed: false, distribution: {kind: relu_normal, std: 1.0, zero_fraction: 0.4}}
  weights: {bits: 8, signed: true, distribution: {kind: normal, std: 0.5}}
sweep:
  cartesian:
    macro.noise.programming_sigma_rel: [0, 0.03]
    workload.tile.rows_used: [32, 128]
    macro.adc.bits: [5, 7]
)";
  const Sweep s = parse_sweep(yaml, "est.yaml");
  std::vector<const Config*> points;
  for (const auto& p : s.points) points.push_back(&p.config);
  const StudyPlan plan = make_plan(points, 0, points.size());
  ASSERT_EQ(plan.jobs.size(), 8u);
  EngineOptions opt;
  opt.backend = Backend::cpu;
  opt.threads = 1;
  const SamplingEstimate est = estimate_sampling(plan, opt, 1);
  EXPECT_GT(est.jobs_timed, 0u);
  std::vector<const Config*> jobs;
  for (const Config& j : plan.jobs) jobs.push_back(&j);
  const auto t0 = std::chrono::steady_clock::now();
  run_jobs(jobs, plan.job_ids, opt);
  const double actual = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("estimate %.3f s, run %.3f s\n", est.seconds, actual);
  EXPECT_GT(est.seconds, actual / 2.5) << "estimate " << est.seconds << " s, run " << actual << " s";
  EXPECT_LT(est.seconds, actual * 2.5) << "estimate " << est.seconds << " s, run " << actual << " s";
}

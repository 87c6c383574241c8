// How an MPI run deals tile jobs to ranks (study/partition.hpp): LPT against
// a hand-worked case, closed forms for equal costs, Graham's bound against a
// brute-force optimum, chunks against a first-use scan, and `plan --ranks`.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "config/sweep.hpp"
#include "shell_util.hpp"
#include "study/partition.hpp"
#include "study/pipeline.hpp"
#include "study/plan.hpp"
#include "study/shard.hpp"
#include "study/tile_jobs.hpp"
#include "study_test_util.hpp"

using namespace cimmc;

namespace {

double makespan(const std::vector<double>& cost, const std::vector<std::uint32_t>& owner, std::size_t ranks) {
  std::vector<double> load(ranks, 0.0);
  for (std::size_t i = 0; i < cost.size(); ++i) load[owner[i]] += cost[i];
  return *std::max_element(load.begin(), load.end());
}

// The best makespan over every assignment (ranks^n of them).
double brute_force_optimum(const std::vector<double>& cost, std::size_t ranks) {
  std::size_t total = 1;
  for (std::size_t i = 0; i < cost.size(); ++i) total *= ranks;
  double best = INFINITY;
  std::vector<std::uint32_t> owner(cost.size());
  for (std::size_t code = 0; code < total; ++code) {
    std::size_t c = code;
    for (auto& o : owner) {
      o = static_cast<std::uint32_t>(c % ranks);
      c /= ranks;
    }
    best = std::min(best, makespan(cost, owner, ranks));
  }
  return best;
}

// Five single-tile points that differ only in ADC bits: five tile jobs of
// equal cost (the ADC does not change the cell reads).
const char* kEqualJobs = R"(name: equal
run: {samples: 256, seed: 3, inputs_per_instance: 16}
macro: {rows: 32, cols: 64, bits_per_cell: 2, weight_encoding: differential, adc: {bits: 5, range: full}}
workload:
  tile: {rows_used: 32, cols_used: 4}
  inputs: {bits: 4, signed: false, distribution: {kind: relu_normal, std: 1.0, zero_fraction: 0.5}}
  weights: {bits: 4, signed: true, distribution: {kind: normal, std: 0.5}}
sweep:
  cartesian:
    macro.adc.bits: [3, 4, 5, 6, 7]
)";

StudyPlan plan_of(const Sweep& sweep) {
  std::vector<const Config*> pts;
  for (const SweepPoint& p : sweep.points) pts.push_back(&p.config);
  return make_plan(pts, 0, pts.size());
}

}  // namespace

TEST(Partition, LptDealsLargestFirstToTheLeastLoadedRank) {
  // Sorted: 5, 4, 3, 3, 3. 5 -> r0 (5), 4 -> r1 (4), 3 -> r1 (7), 3 -> r0 (8),
  // 3 -> r1 (10): makespan 10 where {5, 4} / {3, 3, 3} gives 9 (LPT's classic miss).
  const std::vector<double> cost = {3, 5, 3, 4, 3};
  const std::vector<std::uint32_t> owner = partition_lpt(cost, 2);
  EXPECT_EQ(owner, (std::vector<std::uint32_t>{1, 0, 0, 1, 1}));
  EXPECT_EQ(makespan(cost, owner, 2), 10.0);
  EXPECT_EQ(brute_force_optimum(cost, 2), 9.0);
  EXPECT_THROW(partition_lpt(cost, 0), std::invalid_argument);
}

TEST(Partition, DealingStartsFromTheLoadsRanksCarry) {
  // Loads {5, 0, 3}; costs 2, 2, 4 sorted 4, 2, 2: 4 -> r1 (4), 2 -> r2 (5),
  // 2 -> r1 (6): ties (r0 and r2 at 5) would go to the lower rank.
  std::vector<double> loads = {5, 0, 3};
  EXPECT_EQ(deal_lpt({2, 2, 4}, loads), (std::vector<std::uint32_t>{2, 1, 1}));
  EXPECT_EQ(loads, (std::vector<double>{5, 6, 5}));
  EXPECT_EQ(deal_lpt({1}, loads), (std::vector<std::uint32_t>{0}));
  std::vector<double> none;
  EXPECT_THROW(deal_lpt({1}, none), std::invalid_argument);
}

// Worked by hand: rank 0 holds rank 1 back when only one result may be in
// flight. Rounds (rank 0, rank 1): (5, 1), (-, 1), (-, 5). Rank 1 posts round
// 0 at 1; round 1 is done at 2 but waits for rank 0 to take round 0 at 5;
// round 2 runs 5..10. With room for four, round 1 posts at 2 and round 2 ends
// at 7.
TEST(Partition, PipelineClockHoldsARankAtItsDepth) {
  for (const auto& [ahead, wall] : {std::pair{std::size_t{1}, 10.0}, std::pair{std::size_t{4}, 7.0}}) {
    PipelineClock clock(2, ahead);
    clock.round({5, 1}, {1, 1});
    EXPECT_EQ(clock.wall(), 5.0);
    clock.round({0, 1}, {0, 1});
    EXPECT_EQ(clock.wall(), 5.0);
    clock.round({0, 5}, {0, 1});
    EXPECT_EQ(clock.wall(), wall) << "ahead " << ahead;
  }
  EXPECT_THROW(PipelineClock(0), std::invalid_argument);
}

// With room for every round, nothing holds the other ranks back, so the last
// round is taken when rank 0 has done all its own work after the latest of
// the others' posts: max(C0, max over rounds k and ranks r != 0 with a share
// of (r's costs through k + rank 0's costs after k)). Random rounds against
// that formula.
TEST(Partition, PipelineClockWithoutDepthLimitMatchesTheClosedForm) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, 10.0);
  for (int trial = 0; trial < 100; ++trial) {
    const std::size_t ranks = 1 + trial % 5, rounds = 1 + trial % 9;
    std::vector<std::vector<double>> cost(rounds, std::vector<double>(ranks));
    std::vector<std::vector<std::size_t>> jobs(rounds, std::vector<std::size_t>(ranks));
    PipelineClock clock(ranks, rounds);
    for (std::size_t k = 0; k < rounds; ++k) {
      for (std::size_t r = 0; r < ranks; ++r) {
        jobs[k][r] = rng() % 3 == 0 ? 0 : 1;
        cost[k][r] = jobs[k][r] ? u(rng) : 0.0;
      }
      clock.round(cost[k], jobs[k]);
    }
    double rank0 = 0, want = 0;
    for (std::size_t k = 0; k < rounds; ++k) rank0 += cost[k][0];
    want = rank0;
    std::vector<double> through(ranks, 0.0);
    double before = 0;  // rank 0's costs up to and including round k
    for (std::size_t k = 0; k < rounds; ++k) {
      before += cost[k][0];
      for (std::size_t r = 1; r < ranks; ++r) {
        through[r] += cost[k][r];
        if (jobs[k][r]) want = std::max(want, through[r] + (rank0 - before));
      }
    }
    EXPECT_NEAR(clock.wall(), want, 1e-9 * want) << "trial " << trial;
  }
}

TEST(Partition, EqualCostsGiveTheLowRanksOneMore) {
  for (std::size_t jobs = 0; jobs <= 20; ++jobs)
    for (std::size_t ranks = 1; ranks <= 6; ++ranks) {
      const std::vector<std::uint32_t> owner = partition_lpt(std::vector<double>(jobs, 2.5), ranks);
      std::vector<std::size_t> count(ranks, 0);
      for (std::uint32_t r : owner) ++count[r];
      for (std::size_t r = 0; r < ranks; ++r)
        EXPECT_EQ(count[r], jobs / ranks + (r < jobs % ranks ? 1 : 0)) << jobs << " jobs, " << ranks << " ranks";
    }
}

TEST(Partition, WithinGrahamsBoundOfTheBruteForceOptimum) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(1.0, 100.0);
  for (int trial = 0; trial < 200; ++trial) {
    const std::size_t ranks = 2 + trial % 2, n = 3 + trial % 6;
    std::vector<double> cost(n);
    for (double& c : cost) c = u(rng);
    const double lpt = makespan(cost, partition_lpt(cost, ranks), ranks), opt = brute_force_optimum(cost, ranks);
    EXPECT_GE(lpt, opt);
    EXPECT_LE(lpt, (4.0 / 3.0 - 1.0 / (3.0 * ranks)) * opt * (1 + 1e-12)) << "trial " << trial;
  }
}

TEST(Partition, ChunksHoldEachJobOnceWhereItIsFirstUsed) {
  const std::string yaml = test::tiny_network("run: {samples: 64, seed: 1, inputs_per_instance: 16}") +
                           "sweep:\n  cartesian:\n    macro.adc.bits: [4, 6]\n    macro.rows: [32, 64, 128]\n";
  const StudyPlan plan = plan_of(parse_sweep(yaml, "sweep.yaml"));
  for (const PointRange range : {PointRange{0, 6}, PointRange{2, 5}})
    for (std::size_t span = 1; span <= 7; ++span) {
      // First use of each job by a scan of the range, then its chunk.
      std::vector<std::vector<std::size_t>> want((range.end - range.begin + span - 1) / span);
      std::vector<bool> seen(plan.jobs.size(), false);
      for (std::size_t p = range.begin; p < range.end; ++p)
        for (const LayerPlan& lp : plan.points[p].layers)
          for (const auto& ids : lp.jobs)
            for (std::size_t j : ids)
              if (!seen[j]) {
                seen[j] = true;
                want[(p - range.begin) / span].push_back(j);
              }
      EXPECT_EQ(chunk_jobs(plan, range, span), want) << "span " << span;
    }
}

// The streamed load (plans of a few points at a time, job keys only between
// them) against rank_load on the whole plan: the same bits, for chunk spans
// that do and do not divide the sweep, several layouts in one pass, planned
// 1, 4 or all points at a time. The
// sweep shares jobs between points (energy keys do not change jobs).
TEST(Partition, StreamedLoadEqualsTheWholePlans) {
  const std::string yaml = test::tiny_network("run: {samples: 64, seed: 1, inputs_per_instance: 16}") +
                           "sweep:\n  cartesian:\n    macro.adc.bits: [4, 6]\n    energy.adc.e0_pj: [1, 2]\n"
                           "    macro.rows: [32, 64, 128]\n";
  const Sweep sweep = parse_sweep(yaml, "sweep.yaml");
  const StudyPlan plan = plan_of(sweep);
  const auto plan_points = [&](std::size_t first, std::size_t last) {
    std::vector<const Config*> pts;
    for (const SweepPoint& p : sweep.points) pts.push_back(&p.config);
    return make_plan(pts, first, last);
  };
  const auto cost = [](const Config& j) { return job_cost(j); };
  const auto reads = [](const Config& j) { return job_cell_reads(j, j.run.samples, true); };
  const std::vector<RankLayout> layouts = {{1, 2}, {3, 5}, {3, 12}, {2, 1}};
  for (std::size_t step : {1, 4, 100}) {
    const auto got = stream_rank_load(plan_points, 12, layouts, step, {cost, reads});
    for (std::size_t l = 0; l < layouts.size(); ++l) {
      const auto [ranks, span] = layouts[l];
      const RankLoad want[] = {rank_load(plan, {0, 12}, span, ranks, cost), rank_load(plan, {0, 12}, span, ranks, reads)};
      for (int k = 0; k < 2; ++k) {
        EXPECT_EQ(got[l][k].cost, want[k].cost) << ranks << " ranks, span " << span << ", step " << step;
        EXPECT_EQ(got[l][k].jobs, want[k].jobs);
        EXPECT_EQ(got[l][k].total, want[k].total);
        EXPECT_EQ(got[l][k].wall, want[k].wall);
      }
    }
  }
}

TEST(Partition, EqualJobsBalanceInClosedForm) {
  const StudyPlan plan = plan_of(parse_sweep(kEqualJobs, "equal.yaml"));
  ASSERT_EQ(plan.jobs.size(), 5u);
  const double c = job_cost(plan.jobs[0]);
  for (const Config& j : plan.jobs) ASSERT_EQ(job_cost(j), c) << "the jobs were meant to cost the same";
  const auto cost = [](const Config& j) { return job_cost(j); };
  for (std::size_t ranks = 1; ranks <= 6; ++ranks) {
    // One chunk of five jobs: the largest rank has ceil(5/N) of them.
    const RankLoad one = rank_load(plan, {0, 5}, 8, ranks, cost);
    const double largest = std::ceil(5.0 / ranks);
    EXPECT_DOUBLE_EQ(one.balance(), largest * ranks / 5.0) << ranks;
    EXPECT_DOUBLE_EQ(one.wall, largest * c);
    EXPECT_DOUBLE_EQ(one.efficiency(), 5.0 / (ranks * largest));
    // One job per chunk: dealt onto the loads so far, chunk k goes to rank
    // k mod N, and no rank waits for a chunk's end, so the same ceil(5/N)
    // jobs on the largest rank (a barrier per chunk made it 5, 1/N efficiency).
    const RankLoad each = rank_load(plan, {0, 5}, 1, ranks, cost);
    EXPECT_DOUBLE_EQ(each.wall, largest * c) << ranks;
    EXPECT_DOUBLE_EQ(each.efficiency(), 5.0 / (ranks * largest));
    for (std::size_t r = 0; r < ranks; ++r) EXPECT_EQ(each.jobs[r], 5 / ranks + (r < 5 % ranks ? 1 : 0)) << r;
    EXPECT_EQ(each.largest, c);
  }
}

TEST(Partition, PlanRanksPrintsThatBalance) {
  const std::filesystem::path cfg =
      std::filesystem::temp_directory_path() / ("cimmc_partition_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(cfg) << kEqualJobs;
  // --chunk-points 8 per rank: one chunk of the five jobs for N = 2 and 4.
  for (const auto& [ranks, text] : {std::pair{2, "1.2000"}, std::pair{4, "1.6000"}}) {
    const test::Ran r = test::cimmc("plan " + cfg.string() + " --ranks " + std::to_string(ranks) + " --threads 1");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find(std::string("load balance:     ") + text), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(std::to_string(ranks) + " MPI rank(s)"), std::string::npos) << r.out;
  }
  const test::Ran bad = test::cimmc("run " + cfg.string() + " --ranks 2");
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("--ranks applies to plan"), std::string::npos) << bad.out;
  // A list gives each layout from one pass over the sweep, the same numbers.
  const test::Ran both = test::cimmc("plan " + cfg.string() + " --ranks 2,4 --threads 1");
  EXPECT_EQ(both.code, 0) << both.out;
  ASSERT_NE(both.out.find("load balance:     1.6000"), std::string::npos) << both.out;
  EXPECT_LT(both.out.find("load balance:     1.2000"), both.out.find("load balance:     1.6000")) << both.out;
  for (const char* v : {"0", "2,,4", "2,x", "-3", "1000001"}) {
    const test::Ran bad_list = test::cimmc("plan " + cfg.string() + " --ranks " + v);
    EXPECT_EQ(bad_list.code, 2) << bad_list.out;
    EXPECT_NE(bad_list.out.find("must be an integer in [1, 1000000]"), std::string::npos) << v << ": " << bad_list.out;
  }
  std::filesystem::remove(cfg);
}

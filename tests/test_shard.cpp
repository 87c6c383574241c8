// Slurm job-array mode through the cimmc binary: `run --shard I/N` then
// `merge` gives the single run's tables bit for bit, shards of another sweep
// or an incomplete set are refused, and the cut balances sampling work.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "config/sweep.hpp"
#include "io/study_file.hpp"
#include "shell_util.hpp"
#include "table_test_util.hpp"
#include "study/plan.hpp"
#include "study/shard.hpp"
#include "study/tables.hpp"
#include "study_test_util.hpp"

namespace fs = std::filesystem;
using namespace cimmc;
using cimmc::test::expect_same_table;

namespace {

// Six points; the three of each ADC width share their tile jobs (energy.adc
// only prices), so cuts inside a group make two shards sample the same jobs.
const std::string kSweep = test::tiny_network("run: {samples: 128, seed: 11, inputs_per_instance: 16}") +
                           "sweep:\n  cartesian:\n    macro.adc.bits: [4, 6]\n    energy.adc.e0_pj: [0.1, 0.2, 0.3]\n";

class Shard : public ::testing::Test {
 protected:
  fs::path dir;
  std::string cfg;
  void SetUp() override {
    dir = fs::temp_directory_path() / ("cimmc_shard_" + std::to_string(::getpid()) + "_" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
    cfg = (dir / "sweep.yaml").string();
    std::ofstream(cfg) << kSweep;
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  // Shard i of n to part-<tag>-i.h5.
  std::string shard(std::size_t i, std::size_t n, const std::string& tag = "", const std::string& extra = "") {
    const std::string out = path("part" + tag + "-" + std::to_string(n) + "-" + std::to_string(i) + ".h5");
    const test::Ran r = test::cimmc("run " + cfg + " --backend cpu --threads 2 --shard " + std::to_string(i) + "/" +
                                    std::to_string(n) + " -o " + out + " " + extra);
    EXPECT_EQ(r.code, 0) << r.out;
    return out;
  }
};

}  // namespace

TEST_F(Shard, MergedShardsEqualTheSingleRunBitForBit) {
  const std::string single = path("single.h5");
  ASSERT_EQ(test::cimmc("run " + cfg + " --backend cpu --threads 2 -o " + single).code, 0);
  const StudyFile want = read_study_file(single);
  ASSERT_EQ(want.network.rows(), 6u);

  const Sweep sweep = parse_sweep(kSweep, cfg);
  std::vector<const Config*> pts;
  for (const SweepPoint& p : sweep.points) pts.push_back(&p.config);
  const StudyPlan plan = make_plan(pts, 0, pts.size());

  for (std::size_t n = 1; n <= 4; ++n) {
    SCOPED_TRACE("N = " + std::to_string(n));
    const std::vector<PointRange> cut = split_points(plan, n);
    std::vector<std::string> parts;
    std::size_t shard_job_rows = 0;
    for (std::size_t i = 0; i < n; ++i) {
      parts.push_back(shard(i, n));
      const StudyFile s = read_study_file(parts.back());
      EXPECT_EQ(s.shard.index, i);
      EXPECT_EQ(s.shard.count, n);
      EXPECT_EQ(s.shard.begin, cut[i].begin);  // the cut the library makes, on any machine
      EXPECT_EQ(s.shard.end, cut[i].end);
      EXPECT_EQ(s.points_done, cut[i].end - cut[i].begin);
      EXPECT_EQ(s.network.rows(), cut[i].end - cut[i].begin);
      EXPECT_TRUE(s.complete);
      shard_job_rows += s.jobs.rows();
    }
    if (n >= 3) {
      EXPECT_GT(shard_job_rows, want.jobs.rows()) << "no job was sampled by two shards: dedupe untested";
    }
    // Reverse order on the command line: merge sorts by shard index.
    std::string args;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) args += " " + *it;
    const std::string merged = path("merged-" + std::to_string(n) + ".h5");
    const test::Ran m = test::cimmc("merge" + args + " -o " + merged);
    ASSERT_EQ(m.code, 0) << m.out;
    const StudyFile got = read_study_file(merged);
    test::expect_same_study(want, got);
    EXPECT_EQ(got.shard.count, 0u);  // a merged file is a whole study, not a shard
    // And by h5diff, every dataset and its attributes.
    for (const char* g : {"/layers", "/network", "/jobs"})
      EXPECT_EQ(test::shell("h5diff -q " + single + " " + merged + " " + g + " " + g).code, 0) << g;
  }
}

TEST_F(Shard, IncompleteOrForeignShardSetsAreRefused) {
  const std::string p0 = shard(0, 3), p1 = shard(1, 3), p2 = shard(2, 3);
  const std::string out = path("out.h5");
  const auto refused = [&](const std::string& files, const std::string& says) {
    const test::Ran r = test::cimmc("merge " + files + " -o " + out);
    EXPECT_EQ(r.code, 2) << files << "\n" << r.out;
    EXPECT_NE(r.out.find(says), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(out));
  };
  refused(p0 + " " + p2, "shard(s) 1 of 3 missing");
  fs::copy_file(p1, path("copy.h5"));
  refused(p0 + " " + p1 + " " + path("copy.h5") + " " + p2, "shard 1/3 is given twice");
  refused(p0 + " " + shard(1, 3, "seed", "--seed 99") + " " + p2, "the seed differs");
  refused(p0 + " " + shard(1, 3, "samples", "--samples 64") + " " + p2, "run.samples differs");
  refused(p0 + " " + shard(1, 2, "n2") + " " + p2, "the shard count N differs");
  const std::string whole = path("whole.h5");
  ASSERT_EQ(test::cimmc("run " + cfg + " --backend cpu -o " + whole).code, 0);
  refused(p0 + " " + whole, "is not a shard");
  EXPECT_EQ(test::cimmc("merge " + p0 + " " + p1 + " " + p2 + " -o " + out).code, 0);

  // The command line.
  EXPECT_EQ(test::cimmc("run " + cfg + " --shard 3/3 -o " + out).code, 2);
  EXPECT_EQ(test::cimmc("run " + cfg + " --shard 1 -o " + out).code, 2);
  const test::Ran many = test::cimmc("run " + cfg + " --shard 0/7 -o " + path("x.h5"));
  EXPECT_EQ(many.code, 2);
  EXPECT_NE(many.out.find("at most one shard per point"), std::string::npos) << many.out;
  EXPECT_EQ(test::cimmc("run " + cfg + " --shard 0/2").code, 2);  // no -o
  EXPECT_EQ(test::cimmc("run " + cfg + " --shard 0/2 --model hybrid -o " + path("h.h5")).code, 2);
  EXPECT_EQ(test::cimmc("merge " + path("nothing.h5") + " -o " + path("y.h5")).code, 4);  // unreadable: file error
}

TEST_F(Shard, ResumeContinuesTheSameShardOnly) {
  // The checkpoint a run of shard 1/2 with --chunk-points 1 writes after its
  // first point, cut from the finished shard: that point's layer and network
  // rows and the jobs it used first (its unique jobs lead /jobs).
  const std::string out = shard(1, 2);
  const StudyFile done = read_study_file(out);
  const Sweep sweep = parse_sweep(kSweep, cfg);
  std::vector<const Config*> pts;
  for (const SweepPoint& p : sweep.points) pts.push_back(&p.config);
  const StudyPlan plan = make_plan(pts, 0, pts.size());
  std::set<std::size_t> first_jobs;
  for (const LayerPlan& lp : plan.points[done.shard.begin].layers)
    for (const auto& ids : lp.jobs) first_jobs.insert(ids.begin(), ids.end());
  ASSERT_GE(done.shard.end - done.shard.begin, 2u);
  StudyFile part = done;
  part.complete = false;
  part.points_done = 1;
  part.layers = part.network = part.jobs = Table{};
  const auto& lp = std::get<std::vector<std::int64_t>>(done.layers.find("point")->data);
  for (std::size_t i = 0; i < done.layers.rows(); ++i)
    if (lp[i] == static_cast<std::int64_t>(done.shard.begin)) append_row(part.layers, done.layers, i);
  append_row(part.network, done.network, 0);
  for (std::size_t i = 0; i < first_jobs.size(); ++i) append_row(part.jobs, done.jobs, i);
  const std::string again = path("again.h5");
  write_study_file(again + ".partial", part);
  // Another shard's checkpoint is refused.
  const test::Ran wrong = test::cimmc("run " + cfg + " --backend cpu --shard 0/2 -o " + again + " --resume");
  EXPECT_EQ(wrong.code, 4) << wrong.out;
  EXPECT_NE(wrong.out.find("the shard"), std::string::npos) << wrong.out;
  const test::Ran r = test::cimmc("run " + cfg + " --backend cpu --shard 1/2 -o " + again + " --resume");
  ASSERT_EQ(r.code, 0) << r.out;
  const StudyFile got = read_study_file(again);
  expect_same_table(done.layers, got.layers, "layers");
  expect_same_table(done.network, got.network, "network");
  expect_same_table(done.jobs, got.jobs, "jobs");
  EXPECT_EQ(got.shard, done.shard);
  EXPECT_TRUE(got.complete);
}

TEST(ShardSplit, BalancesSamplingWorkWhereEqualCountsDoNot) {
  // Input cycles 1, 2, 4, 8 (dac_bits 8, 4, 2, 1 on 8-bit inputs): the later
  // points cost up to 5x the first. Planned only, never sampled.
  std::string text = test::tiny_network("run: {samples: 8192, seed: 1, inputs_per_instance: 16}");
  const std::string from = "inputs: {bits: 4,", to = "inputs: {bits: 8,";
  text.replace(text.find(from), from.size(), to);
  text += "sweep:\n  cartesian:\n    macro.dac_bits: [8, 4, 2, 1]\n    macro.adc.bits: [5, 6, 7]\n";
  const Sweep sweep = parse_sweep(text, "uneven.yaml");
  std::vector<const Config*> pts;
  for (const SweepPoint& p : sweep.points) pts.push_back(&p.config);
  const StudyPlan plan = make_plan(pts, 0, pts.size());
  ASSERT_EQ(plan.points.size(), 12u);
  // A shard's work counted here directly: its distinct jobs' costs.
  const auto work = [&](std::size_t b, std::size_t e) {
    std::set<std::size_t> jobs;
    for (std::size_t p = b; p < e; ++p)
      for (const LayerPlan& lp : plan.points[p].layers)
        for (const auto& ids : lp.jobs) jobs.insert(ids.begin(), ids.end());
    double w = 0;
    for (std::size_t j : jobs) w += job_cost(plan.jobs[j]);
    return w;
  };
  for (std::size_t n = 2; n <= 4; ++n) {
    SCOPED_TRACE("N = " + std::to_string(n));
    const std::vector<PointRange> cut = split_points(plan, n);
    ASSERT_EQ(cut.size(), n);
    double most = 0, sum = 0, most_equal = 0, sum_equal = 0;
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(cut[i].begin, i == 0 ? 0 : cut[i - 1].end);
      EXPECT_LT(cut[i].begin, cut[i].end);
      const double w = work(cut[i].begin, cut[i].end);
      EXPECT_DOUBLE_EQ(w, range_cost(plan, cut[i]));
      most = std::max(most, w);
      sum += w;
      const double we = work(i * 12 / n, (i + 1) * 12 / n);
      most_equal = std::max(most_equal, we);
      sum_equal += we;
    }
    EXPECT_EQ(cut.back().end, 12u);
    // 12 points of unequal cost cut 4 ways cannot be much better (1.31 at N = 4).
    EXPECT_LE(most / (sum / n), 1.5);
    std::printf("N = %zu: max/mean work %.3f by cost, %.3f by equal counts\n", n, most / (sum / n),
                most_equal / (sum_equal / n));
    if (n >= 3) {
      EXPECT_GT(most_equal / (sum_equal / n), 1.5) << "the sweep is not uneven enough to test balance";
    }
    // Deterministic: the same cut again.
    const std::vector<PointRange> again = split_points(plan, n);
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(again[i].end, cut[i].end);
  }
  EXPECT_THROW(split_points(plan, 13), std::invalid_argument);
  EXPECT_THROW(split_points(plan, 0), std::invalid_argument);
  EXPECT_EQ(parse_shard("2/5").index, 2u);
  for (const char* bad : {"5/5", "1", "/3", "a/3", "1/0", "-1/3", "1/3x"}) EXPECT_THROW(parse_shard(bad), std::invalid_argument) << bad;
}

// With every job's samples in one array instance there are no CIs: the merged
// file's note counts the points of the whole sweep, as a single run's does.
TEST_F(Shard, MergedNoteOnMissingCisCountsTheWholeSweep) {
  const std::string single = path("single.h5");
  ASSERT_EQ(test::cimmc("run " + cfg + " --backend cpu --threads 2 --samples 16 -o " + single).code, 0);
  const std::string merged = path("merged.h5");
  const std::string a = shard(0, 2, "", "--samples 16"), b = shard(1, 2, "", "--samples 16");
  ASSERT_EQ(test::cimmc("merge " + a + " " + b + " -o " + merged).code, 0);
  const StudyFile want = read_study_file(single), got = read_study_file(merged);
  EXPECT_NE(want.ci_note.find("(6 of 6 points)"), std::string::npos) << want.ci_note;
  EXPECT_EQ(got.ci_note, want.ci_note);
}

// Statistical shards stream (study/stream_pass.hpp) and are cut by count:
// merged, they are the file the single (streamed) statistical run writes, for
// N = 1 to 4 (N = 3 with --energy-only), with the cut counted by hand.
TEST_F(Shard, MergedStatisticalShardsEqualTheSingleRunBitForBit) {
  // 6 points in N shards: the first 6 % N hold one more.
  const std::vector<std::vector<std::size_t>> sizes = {{6}, {3, 3}, {2, 2, 2}, {2, 2, 1, 1}};
  // Every N for the full model, one for --energy-only (each run costs a process).
  const std::vector<std::pair<std::string, std::vector<std::size_t>>> runs = {
      {"--model statistical", {1, 2, 3, 4}}, {"--model statistical --energy-only", {3}}};
  for (const auto& [model, counts] : runs) {
    SCOPED_TRACE(model);
    const std::string single = path("single-stat.h5");
    fs::remove(single);
    ASSERT_EQ(test::cimmc("run " + cfg + " --backend cpu --threads 2 " + model + " -o " + single).code, 0);
    const StudyFile want = read_study_file(single);
    for (std::size_t n : counts) {
      SCOPED_TRACE("N = " + std::to_string(n));
      std::string args;
      std::size_t begin = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const std::string part = path("stat-" + std::to_string(n) + "-" + std::to_string(i) + ".h5");
        fs::remove(part);
        const test::Ran r = test::cimmc("run " + cfg + " --backend cpu --threads 2 " + model + " --shard " +
                                        std::to_string(i) + "/" + std::to_string(n) + " -o " + part);
        ASSERT_EQ(r.code, 0) << r.out;
        const StudyFile s = read_study_file(part);
        EXPECT_EQ(s.shard.begin, begin);
        EXPECT_EQ(s.shard.end, begin + sizes[n - 1][i]);
        EXPECT_EQ(s.network.rows(), sizes[n - 1][i]);
        begin = s.shard.end;
        args = " " + part + args;  // reverse order: merge sorts by shard index
      }
      const std::string merged = path("merged-stat-" + std::to_string(n) + ".h5");
      fs::remove(merged);
      const test::Ran m = test::cimmc("merge" + args + " -o " + merged);
      ASSERT_EQ(m.code, 0) << m.out;
      test::expect_same_study(want, read_study_file(merged));
      for (const char* g : {"/layers", "/network"})
        EXPECT_EQ(test::shell("h5diff -q " + single + " " + merged + " " + g + " " + g).code, 0) << g;
    }
  }
  EXPECT_EQ(equal_points(10, 3, 0).end, 4u);
  EXPECT_EQ(equal_points(10, 3, 1).begin, 4u);
  EXPECT_EQ(equal_points(10, 3, 2).begin, 7u);
  EXPECT_EQ(equal_points(10, 3, 2).end, 10u);
  EXPECT_THROW(equal_points(2, 3, 0), std::invalid_argument);
  EXPECT_THROW(equal_points(2, 0, 0), std::invalid_argument);
  const test::Ran many = test::cimmc("run " + cfg + " --model statistical --shard 0/7 -o " + path("x.h5"));
  EXPECT_EQ(many.code, 2);
  EXPECT_NE(many.out.find("at most one shard per point"), std::string::npos) << many.out;
  EXPECT_EQ(test::cimmc("run " + cfg + " --model statistical --shard 0/2").code, 2);  // no -o
}

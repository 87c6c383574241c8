// The MPI backend through mpirun and the cimmc binary: N = 1..4 ranks write
// the one-process file bit for bit, the /ranks table shows the partition the
// plan predicts, an error on one rank ends the job, and a rank killed with
// SIGKILL is resumed to the same file. Skipped, with a message, when cimmc was
// built without MPI or mpirun is missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/sweep.hpp"
#include "io/checkpoint_log.hpp"
#include "io/study_file.hpp"
#include "shell_util.hpp"
#include "study/partition.hpp"
#include "study/plan.hpp"
#include "study/shard.hpp"
#include "study_test_util.hpp"
#include "table_test_util.hpp"

namespace fs = std::filesystem;
using namespace cimmc;
using cimmc::test::expect_same_study;

namespace {

// Twelve points; the three of each ADC width share their tile jobs (energy.adc
// only prices), so chunks of a few points both take new jobs and reuse old ones.
std::string sweep_yaml(int samples) {
  return test::tiny_network("run: {samples: " + std::to_string(samples) + ", seed: 11, inputs_per_instance: 16}") +
         "sweep:\n  cartesian:\n    macro.adc.bits: [4, 5, 6, 7]\n    energy.adc.e0_pj: [0.1, 0.2, 0.3]\n";
}

class Mpi : public ::testing::Test {
 protected:
  fs::path dir;
  void SetUp() override {
    const std::string mpiexec = CIMMC_MPIEXEC;
    if (mpiexec.empty()) GTEST_SKIP() << "cimmc was built without MPI (no libopenmpi-dev): MPI backend not tested";
    if (!fs::exists(mpiexec)) GTEST_SKIP() << mpiexec << " is missing (openmpi-bin): MPI backend not tested";
    dir = fs::temp_directory_path() / ("cimmc_mpi_" + std::to_string(::getpid()) + "_" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
  }
  void TearDown() override {
    if (!dir.empty()) fs::remove_all(dir);
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  std::string config(int samples) const {
    const std::string cfg = path("sweep.yaml");
    std::ofstream(cfg) << sweep_yaml(samples);
    return cfg;
  }
  // `cimmc ARGS` on n ranks; a hung job is ended after 300 s.
  static std::string mpirun(int n) {
    return std::string("timeout 300 ") + CIMMC_MPIEXEC + " --allow-run-as-root --oversubscribe -np " +
           std::to_string(n) + " " + CIMMC_BINARY + " ";
  }
};

}  // namespace

TEST_F(Mpi, AnyRankCountWritesTheOneProcessFileBitForBit) {
  const std::string cfg = config(256);
  const std::string single = path("single.h5");
  const test::Ran one = test::cimmc("run " + cfg + " --backend cpu --threads 2 -o " + single);
  ASSERT_EQ(one.code, 0) << one.out;
  const StudyFile want = read_study_file(single);
  ASSERT_EQ(want.network.rows(), 12u);
  EXPECT_EQ(want.ranks.rows(), 0u) << "a run without mpirun has no /ranks";

  const Sweep sweep = parse_sweep(sweep_yaml(256), cfg);
  std::vector<const Config*> pts;
  for (const SweepPoint& p : sweep.points) pts.push_back(&p.config);
  const StudyPlan plan = make_plan(pts, 0, pts.size());

  for (int n = 1; n <= 4; ++n) {
    SCOPED_TRACE("N = " + std::to_string(n));
    // One point per rank per chunk: several chunks, each dealt anew.
    const std::string out = path("mpi-" + std::to_string(n) + ".h5");
    const test::Ran r = test::shell(mpirun(n) + "run " + cfg + " --backend cpu --threads 1 --chunk-points 1 -o " + out);
    ASSERT_EQ(r.code, 0) << r.out;
    const StudyFile got = read_study_file(out);
    expect_same_study(want, got);
    for (const char* g : {"/layers", "/network", "/jobs"})
      EXPECT_EQ(test::shell("h5diff -q " + single + " " + out + " " + g + " " + g).code, 0) << g;

    // /ranks: the partition `plan --ranks` computes, each job sampled once.
    const RankLoad load = rank_load(plan, {0, plan.points.size()}, chunk_span(1, n), n,
                                    [](const Config& j) { return job_cost(j); });
    ASSERT_EQ(got.ranks.rows(), static_cast<std::size_t>(n));
    const auto& rank = std::get<std::vector<std::int64_t>>(got.ranks.find("rank")->data);
    const auto& jobs = std::get<std::vector<std::int64_t>>(got.ranks.find("jobs")->data);
    const auto& cost = std::get<std::vector<double>>(got.ranks.find("cost_cell_reads")->data);
    const auto& backend = std::get<std::vector<std::string>>(got.ranks.find("backend")->data);
    const auto& host = std::get<std::vector<std::string>>(got.ranks.find("host")->data);
    const auto& waiting = std::get<std::vector<double>>(got.ranks.find("waiting_s")->data);
    std::int64_t total = 0, busy = 0;
    for (int k = 0; k < n; ++k) {
      EXPECT_EQ(rank[k], k);
      EXPECT_EQ(static_cast<std::size_t>(jobs[k]), load.jobs[k]) << "rank " << k;
      EXPECT_EQ(cost[k], load.cost[k]) << "rank " << k;
      EXPECT_EQ(backend[k], "cpu");
      EXPECT_FALSE(host[k].empty());
      EXPECT_TRUE(waiting[k] >= 0 && waiting[k] < 300) << "rank " << k << " waited " << waiting[k] << " s";
      total += jobs[k];
      busy += jobs[k] > 0;
    }
    EXPECT_EQ(static_cast<std::size_t>(total), want.jobs.rows()) << "every tile job sampled exactly once";
    EXPECT_EQ(busy, std::min<std::int64_t>(n, static_cast<std::int64_t>(want.jobs.rows())))
        << "some rank sampled nothing: spreading untested";
  }
}

// Statistical studies stream under MPI too (rank 0 computes them alone, the
// sweep a chunk at a time): the one-process file, with a /ranks row per rank.
TEST_F(Mpi, StatisticalStudyOnRanksWritesTheOneProcessFile) {
  const std::string cfg = config(256);
  const std::string single = path("single.h5"), out = path("ranks.h5");
  const test::Ran one = test::cimmc("run " + cfg + " --model statistical --backend cpu --threads 2 -o " + single);
  ASSERT_EQ(one.code, 0) << one.out;
  const test::Ran r = test::shell(mpirun(3) + "run " + cfg + " --model statistical --backend cpu --threads 1 -o " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  const StudyFile got = read_study_file(out);
  expect_same_study(read_study_file(single), got);
  ASSERT_EQ(got.ranks.rows(), 3u);
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(got.ranks.find("rank")->data), (std::vector<std::int64_t>{0, 1, 2}));
}

// A hybrid study streams under MPI too: rank 0 screens, the refined points
// are sampled over the ranks, and the file is the one-process file with a
// /ranks row per rank whose jobs are the refined points' jobs.
TEST_F(Mpi, HybridStudyOnRanksWritesTheOneProcessFile) {
  const std::string cfg = config(256);
  const std::string single = path("single.h5"), out = path("ranks.h5");
  const std::string flags = " --model hybrid --refine 1 --pareto --backend cpu ";
  const test::Ran one = test::cimmc("run " + cfg + flags + "--threads 2 -o " + single);
  ASSERT_EQ(one.code, 0) << one.out;
  const test::Ran r = test::shell(mpirun(2) + "run " + cfg + flags + "--threads 1 --chunk-points 1 -o " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  const StudyFile want = read_study_file(single), got = read_study_file(out);
  expect_same_study(want, got);
  ASSERT_EQ(got.ranks.rows(), 2u);
  std::int64_t sampled = 0;
  for (std::int64_t j : std::get<std::vector<std::int64_t>>(got.ranks.find("jobs")->data)) sampled += j;
  EXPECT_EQ(static_cast<std::size_t>(sampled), want.jobs.rows()) << "the refined points' jobs, each once";
  EXPECT_GT(want.jobs.rows(), 0u);
}

TEST_F(Mpi, AnErrorOnRankZeroEndsEveryRank) {
  const std::string cfg = config(64);
  // Rank 0 alone claims the output; its directory does not exist.
  const test::Ran r = test::shell(mpirun(3) + "run " + cfg + " --backend cpu --threads 1 -o " + path("no/such/dir/x.h5"));
  EXPECT_EQ(r.code, 4) << r.out;
  EXPECT_NE(r.out.find("rank 0: "), std::string::npos) << r.out;
  const test::Ran tile = test::shell(mpirun(2) + "run " + CIMMC_SOURCE_DIR + "/configs/quickstart.yaml --threads 1");
  EXPECT_EQ(tile.code, 2) << tile.out;
  EXPECT_NE(tile.out.find("one tile job"), std::string::npos) << tile.out;
}

TEST_F(Mpi, ARankKilledMidRunIsResumedToTheSameFile) {
  const std::string cfg = config(20000);
  const std::string single = path("single.h5"), out = path("killed.h5");
  ASSERT_EQ(test::cimmc("run " + cfg + " --backend cpu --threads 2 -o " + single).code, 0);
  // Four ranks, four points per chunk: three chunks. Once rank 0 has logged
  // the first chunk, SIGKILL rank 2; mpirun then ends the others.
  const std::string script = path("kill.sh");
  std::ofstream(script) << "set -u\n" << mpirun(4) << "run " << cfg << " --backend cpu --threads 1 --chunk-points 1 -o "
                        << out << " > " << path("first.log") << " 2>&1 &\nmp=$!\n"
                        << "for i in $(seq 600); do [ -e " << out << ".partial ] && break; sleep 0.05; done\n"
                        // the log starts with its head: wait for the first chunk's record
                        << "s0=$(stat -c %s " << out << ".partial)\n"
                        << "for i in $(seq 600); do [ $(stat -c %s " << out << ".partial) -gt $s0 ] && break; sleep 0.05; done\n"
                        << "victim=''\nfor p in $(pgrep -P $(pgrep -P $mp)); do  # timeout, then mpirun, then the ranks\n"
                        << "  tr '\\0' '\\n' < /proc/$p/environ | grep -qx OMPI_COMM_WORLD_RANK=2 && victim=$p\ndone\n"
                        << "[ -n \"$victim\" ] || { echo 'no rank 2 found'; kill $mp; exit 9; }\n"
                        << "kill -9 $victim\nwait $mp\necho \"mpirun exit $?\"\n";
  const test::Ran killed = test::shell("bash " + script);
  ASSERT_EQ(killed.out.find("no rank 2 found"), std::string::npos) << killed.out;
  EXPECT_EQ(killed.out.find("mpirun exit 0"), std::string::npos) << "the run ended before the kill: " << killed.out;
  ASSERT_FALSE(fs::exists(out)) << "the killed run wrote its file";
  ASSERT_TRUE(fs::exists(out + ".partial"));
  // The checkpoint log holds the chunks rank 0 finished: some, not all.
  ASSERT_TRUE(is_checkpoint_log(out + ".partial"));
  std::uint64_t done = 0;
  CheckpointLog::resume(out + ".partial", [](const StudyFile&) {}, [&](CheckpointChunk&& c) { done = c.points_done; });
  ASSERT_GT(done, 0u);
  ASSERT_LT(done, 12u);

  const test::Ran resumed =
      test::shell(mpirun(4) + "run " + cfg + " --backend cpu --threads 1 --chunk-points 1 --resume -o " + out);
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  const StudyFile got = read_study_file(out);
  expect_same_study(read_study_file(single), got);
  EXPECT_FALSE(fs::exists(out + ".partial"));
  // The resumed run sampled only the jobs of the points after the checkpoint.
  std::int64_t sampled = 0;
  for (std::int64_t j : std::get<std::vector<std::int64_t>>(got.ranks.find("jobs")->data)) sampled += j;
  EXPECT_LT(static_cast<std::size_t>(sampled), got.jobs.rows());
}

// Issue 10: under a result budget the ranks cut each chunk into the same
// sub-batches and drop (and later sample again) the same jobs, because every
// decision comes from the plan alone. 16-bit ADC jobs hold 16 MiB each: a
// 40 MiB budget samples two at a time and keeps one between chunks.
TEST_F(Mpi, ResultBudgetGivesTheOneProcessFileBitForBit) {
  const std::string cfg = path("adc16.yaml");
  std::string yaml = test::tiny_network("run: {samples: 64, seed: 11, inputs_per_instance: 16}") +
                     "sweep:\n  cartesian:\n    energy.adc.e0_pj: [0.1, 0.2, 0.3]\n";
  yaml.replace(yaml.find("bits: 6"), 7, "bits: 16");
  std::ofstream(cfg) << yaml;
  const std::string single = path("single.h5"), spread = path("spread.h5");
  const test::Ran one = test::cimmc("run " + cfg + " --backend cpu --threads 2 -o " + single);
  ASSERT_EQ(one.code, 0) << one.out;
  const test::Ran r = test::shell(mpirun(2) + "run " + cfg +
                                  " --backend cpu --threads 1 --chunk-points 1 --memory-budget 40 -o " + spread);
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* g : {"/layers", "/network", "/jobs"})
    EXPECT_EQ(test::shell("h5diff -q " + single + " " + spread + " " + g + " " + g).code, 0) << g;
  const StudyFile got = read_study_file(spread);
  std::int64_t sampled = 0;
  for (std::int64_t n : std::get<std::vector<std::int64_t>>(got.ranks.find("jobs")->data)) sampled += n;
  EXPECT_GT(static_cast<std::size_t>(sampled), got.jobs.rows()) << "no job was dropped and sampled again";
}

// The Slurm job-array path on a real single-node Slurm:
// scripts/slurm/local-slurm-test.sh starts slurmctld + slurmd in a temporary
// directory, submits scripts/slurm/array.sbatch as an array of
// `cimmc run --shard I/N` tasks and its dependent merge job, and checks the
// merged file with h5diff. Here the same files are also read back and compared
// table by table (expect_same_study) with a run of this test's own, on another
// thread count. Skipped, with the script's reason, where Slurm cannot start
// (not root, no slurm-wlm, the daemons fail).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "io/study_file.hpp"
#include "shell_util.hpp"
#include "table_test_util.hpp"

namespace fs = std::filesystem;
using namespace cimmc;

TEST(Slurm, JobArrayOnALocalSlurmMergesToTheOneProcessFile) {
  const fs::path dir = fs::temp_directory_path() / ("cimmc_slurm_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct Remove {
    fs::path p;
    ~Remove() { fs::remove_all(p); }
  } remove{dir};
  const std::string cfg = std::string(CIMMC_SOURCE_DIR) + "/tests/data/slurm-sweep.yaml";  // 12 points
  const int shards = 3;
  const test::Ran r = test::shell("N=" + std::to_string(shards) + " KEEP=" + (dir / "keep").string() +
                                  " CIMMC=" + CIMMC_BINARY + " timeout 300 " + CIMMC_SOURCE_DIR +
                                  "/scripts/slurm/local-slurm-test.sh " + cfg);
  if (r.code == 77) GTEST_SKIP() << r.out;
  ASSERT_EQ(r.code, 0) << r.out;

  const test::Ran own = test::cimmc("run " + cfg + " --backend cpu --threads 2 -o " + (dir / "own.h5").string());
  ASSERT_EQ(own.code, 0) << own.out;
  const StudyFile want = read_study_file((dir / "own.h5").string());
  ASSERT_EQ(want.network.rows(), 12u);
  const StudyFile merged = read_study_file((dir / "keep/sweep.h5").string());
  EXPECT_TRUE(merged.complete);
  test::expect_same_study(want, merged);
  test::expect_same_study(want, read_study_file((dir / "keep/single.h5").string()));

  // Each array task computed the shard its SLURM_ARRAY_TASK_ID names, and the
  // shards' ranges tile the sweep.
  std::uint64_t next = 0;
  for (int i = 0; i < shards; ++i) {
    const StudyFile part = read_study_file((dir / ("keep/part-" + std::to_string(i) + ".h5")).string());
    EXPECT_EQ(part.shard.index, static_cast<std::uint64_t>(i));
    EXPECT_EQ(part.shard.count, static_cast<std::uint64_t>(shards));
    EXPECT_EQ(part.shard.begin, next) << "shard " << i;
    EXPECT_GT(part.shard.end, part.shard.begin) << "shard " << i << " is empty";
    next = part.shard.end;
  }
  EXPECT_EQ(next, 12u);
}

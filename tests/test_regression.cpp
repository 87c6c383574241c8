// Stored results, reproduced bit for bit: tests/regression/{run,study}.yaml
// run again by this build must give the files stored beside them (written by
// scripts/regen-regression.sh, on purpose only: when random streams or the
// model change). "Bit-identical" claims in commits rest on this test.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "io/hdf5_file.hpp"
#include "io/study_file.hpp"
#include "kernel_cases.hpp"
#include "table_test_util.hpp"

namespace fs = std::filesystem;
using namespace cimmc;
using cimmc::test::expect_same_table;

namespace {

const std::string kDir = std::string(CIMMC_SOURCE_DIR) + "/tests/regression/";

// The same command as scripts/regen-regression.sh, to a temporary file.
std::string rerun(const std::string& name) {
  const fs::path out = fs::temp_directory_path() / ("cimmc_regression_" + std::to_string(::getpid()) + "_" + name + ".h5");
  const std::string cmd = std::string(CIMMC_BINARY) + " run " + kDir + name + ".yaml -o " + out.string() +
                          " --backend cpu --threads 2 > /dev/null 2>&1";
  const int st = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << cmd;
  return out.string();
}

}  // namespace

TEST(Regression, RunFileReproducedBitForBit) {
  const std::string fresh = rerun("run");
  const RunFile want = read_run_file(kDir + "run.h5"), got = read_run_file(fresh);
  EXPECT_EQ(want.result.view.job_id, got.result.view.job_id);
  EXPECT_EQ(want.result.view.seed, got.result.view.seed);
  test::expect_same_bits(want.result, got.result, "run.h5");
  fs::remove(fresh);
}

TEST(Regression, StudyFileReproducedBitForBit) {
  const std::string fresh = rerun("study");
  const StudyFile want = read_study_file(kDir + "study.h5"), got = read_study_file(fresh);
  EXPECT_GT(want.layers.columns().size(), 0u);
  expect_same_table(want.layers, got.layers, "layers", false);
  expect_same_table(want.network, got.network, "network", false);
  expect_same_table(want.jobs, got.jobs, "jobs", false);
  fs::remove(fresh);
}

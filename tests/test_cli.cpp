// The cimmc binary end to end: exit codes, messages, output files.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "io/hdf5_file.hpp"
#include "launcher.hpp"
#include "shell_util.hpp"

namespace fs = std::filesystem;
using namespace cimmc;

namespace {

using Result = test::Ran;
Result run(const std::string& args) { return test::cimmc(args); }

class Cli : public ::testing::Test {
 protected:
  fs::path dir;
  void SetUp() override {
    dir = fs::temp_directory_path() / ("cimmc_cli_" + std::to_string(::getpid()) + "_" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir / name;
    std::ofstream(p) << text;
    return p.string();
  }
};

const char* kSmall = R"(name: cli
run: {samples: 300, seed: 5, inputs_per_instance: 16}
macro:
  rows: 32
  cols: 64
  bits_per_cell: 2
  weight_encoding: differential
  adc: {bits: 5, range: full}
workload:
  tile: {rows_used: 32, cols_used: 4}
  inputs: {bits: 4, signed: false, distribution: {kind: relu_normal, std: 1.0, zero_fraction: 0.5}}
  weights: {bits: 4, signed: true, distribution: {kind: normal, std: 0.5}}
)";

}  // namespace

TEST_F(Cli, VersionAndHelp) {
  const Result v = run("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("cimmc 0."), std::string::npos);
  const Result h = run("--help");
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("--backend"), std::string::npos);
}

TEST_F(Cli, RunPrintsSummaryAndWritesFile) {
  const std::string cfg = write("small.yaml", kSmall), out = (dir / "r.h5").string();
  const Result r = run("run " + cfg + " -o " + out + " --backend cpu");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("backend cpu"), std::string::npos);
  EXPECT_NE(r.out.find("adc"), std::string::npos);
  EXPECT_NE(r.out.find("TOPS/W"), std::string::npos);
  const RunFile f = read_run_file(out);
  EXPECT_EQ(f.result.samples(), 300u);
  EXPECT_EQ(f.prov.seed, 5u);
  EXPECT_EQ(f.config_text, kSmall);
}

TEST_F(Cli, SameSeedSameDatasetsAcrossThreadCounts) {
  const std::string cfg = write("small.yaml", kSmall);
  const std::string a = (dir / "a.h5").string(), b = (dir / "b.h5").string();
  ASSERT_EQ(run("run " + cfg + " -o " + a + " --threads 1 --seed 9").code, 0);
  ASSERT_EQ(run("run " + cfg + " -o " + b + " --threads 2 --seed 9").code, 0);
  const RunFile fa = read_run_file(a), fb = read_run_file(b);
  EXPECT_EQ(fa.result.hist, fb.result.hist);
  for (int g = 0; g < kBatchGroups; ++g) EXPECT_EQ(fa.result.groups[g].sum_err2, fb.result.groups[g].sum_err2);
  EXPECT_EQ(fa.prov.seed, 9u);
}

TEST_F(Cli, BadValueExitsTwoWithLineAndKeyAndNoOutput) {
  std::string text = kSmall;
  text.replace(text.find("bits: 5"), 7, "bits: 40");
  const std::string cfg = write("bad.yaml", text), out = (dir / "bad.h5").string();
  const Result r = run("run " + cfg + " -o " + out);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("bad.yaml:8: macro.adc.bits: value '40'"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Cli, UnknownKeyAndMissingFileExitTwo) {
  std::string text = kSmall;
  text.replace(text.find("rows: 32"), 8, "rowz: 32");
  const Result r = run("run " + write("typo.yaml", text));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("typo.yaml:4: macro.rowz"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unknown key"), std::string::npos);
  EXPECT_EQ(run("run " + (dir / "none.yaml").string()).code, 2);
}

TEST_F(Cli, BadCommandLineExitsTwo) {
  const std::string cfg = write("small.yaml", kSmall);
  EXPECT_EQ(run("run " + cfg + " --backend tpu").code, 2);
  EXPECT_EQ(run("run " + cfg + " --samples 0").code, 2);
  EXPECT_EQ(run("frobnicate " + cfg).code, 2);
}

TEST_F(Cli, EnergyOnlyRunsAndRefusesWhatItCannotPrice) {
  const std::string cfg = write("small.yaml", kSmall);
  const Result ok = run("run " + cfg + " --model statistical --energy-only");
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_EQ(run("run " + cfg + " --energy-only").code, 2);  // the sampled model
  const std::string priced =
      write("priced.yaml", std::string(kSmall) + "energy: {adc: {e2_pj: 0.001}}\n");
  const std::string out = (dir / "priced.h5").string();
  const Result r = run("run " + priced + " --model statistical --energy-only -o " + out);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("energy.adc.e2_pj"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Cli, CudaWithoutGpuIsAClearError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a GPU is present";
  const std::string cfg = write("small.yaml", kSmall), out = (dir / "c.h5").string();
  const Result r = run("run " + cfg + " --backend cuda -o " + out);
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.out.find("--backend cuda"), std::string::npos);
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Cli, BadSweepValueExitsTwoWithSweepLineAndNoOutput) {
  const std::string text = std::string(kSmall) + "sweep:\n  cartesian:\n    macro.adc.bits: [4, 40]\n";
  const std::string cfg = write("sweep.yaml", text), out = (dir / "s.h5").string();
  const Result r = run("run " + cfg + " -o " + out);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("sweep.yaml:15: sweep.cartesian.macro.adc.bits[1]: value '40'"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".partial"));
}

TEST_F(Cli, PlanAndInspectDescribeASweep) {
  const std::string text = std::string(kSmall) + "sweep:\n  cartesian:\n    macro.adc.bits: [4, 5, 6]\n";
  const std::string cfg = write("sweep.yaml", text), out = (dir / "s.h5").string();
  const Result p = run("plan " + cfg);
  ASSERT_EQ(p.code, 0) << p.out;
  EXPECT_NE(p.out.find("3 hardware point(s)"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("unique tile jobs:   3"), std::string::npos) << p.out;
  ASSERT_EQ(run("run " + cfg + " -o " + out).code, 0);
  const Result i = run("inspect " + out);
  EXPECT_EQ(i.code, 0);
  EXPECT_NE(i.out.find("points: 3 of 3"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("/network: 3 rows"), std::string::npos) << i.out;
  const Result j = run("inspect " + write("not.h5", "plain text"));
  EXPECT_EQ(j.code, 4);
}

// The cimmc binary end to end: exit codes, messages, output files.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "io/h5_util.hpp"
#include "io/hdf5_file.hpp"
#include "io/study_file.hpp"
#include "launcher.hpp"
#include "physical/area_clock.hpp"
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

const char* kSmall = test::kSmallTileYaml;

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
  // The area line prints the area model's figures for this config.
  const AreaClock ac = area_clock(macro_geometry(parse_config(kSmall, "small.yaml")));
  char want[96];
  std::snprintf(want, sizeof want, "  area %.4f mm^2 |", ac.area_mm2);
  EXPECT_NE(r.out.find(want), std::string::npos) << r.out;
  std::snprintf(want, sizeof want, "| clock %.3f ns per cycle (28 nm)", ac.clock_ns);
  EXPECT_NE(r.out.find(want), std::string::npos) << r.out;
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
  EXPECT_EQ(run("run " + cfg + " --model statistical --pareto").code, 2);  // hybrid only
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
  // An SRAM cell's bitline energy follows the column value (docs/config.md): refused before
  // any work, where the full statistical model prices it (was exit 1, an internal error).
  std::string sram = kSmall;
  sram.replace(sram.find("  bits_per_cell: 2\n  weight_encoding: differential"), 50,
               "  cell: sram\n  g_off_us: 0.0\n  bits_per_cell: 1\n  weight_encoding: twos_complement");
  const std::string sram_cfg = write("sram.yaml", sram);
  const Result s = run("run " + sram_cfg + " --model statistical --energy-only -o " + out);
  EXPECT_EQ(s.code, 2) << s.out;
  EXPECT_NE(s.out.find("macro.cell = sram"), std::string::npos) << s.out;
  EXPECT_FALSE(fs::exists(out));
  const Result full = run("run " + sram_cfg + " --model statistical");
  EXPECT_EQ(full.code, 0) << full.out;
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

// A sweep's summary rows show each point's provisioned macro area, TOPS/mm^2
// and clock: the clock is the area model's for that point's config (the ADC
// delay moves it with adc.bits), the area a whole number of those macros.
TEST_F(Cli, StudySummaryShowsAreaAndClockPerPoint) {
  const std::string text = std::string(kSmall) + "sweep:\n  cartesian:\n    macro.adc.bits: [4, 6]\n";
  const std::string cfg = write("sweep.yaml", text), out = (dir / "s.h5").string();
  const Result r = run("run " + cfg + " -o " + out + " --backend cpu");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("   area [mm2]   TOPS/mm2  clock [ns]"), std::string::npos) << r.out;
  const StudyFile f = read_study_file(out);
  const auto& cim = std::get<std::vector<double>>(f.network.find("cim_area_mm2")->data);
  const auto& tops = std::get<std::vector<double>>(f.network.find("tops")->data);
  ASSERT_EQ(cim.size(), 2u);
  const int bits[2] = {4, 6};
  for (int p = 0; p < 2; ++p) {
    std::string point = kSmall;
    point.replace(point.find("bits: 5"), 7, "bits: " + std::to_string(bits[p]));
    const AreaClock ac = area_clock(macro_geometry(parse_config(point, "point.yaml")));
    const double macros = cim[p] / ac.area_mm2;
    EXPECT_NEAR(macros, std::round(macros), 1e-9) << "point " << p;
    EXPECT_GE(std::round(macros), 1.0);
    char want[96];
    std::snprintf(want, sizeof want, "  %11.4f  %9.3f  %10.3f   %d\n", cim[p], tops[p] / cim[p], ac.clock_ns, bits[p]);
    EXPECT_NE(r.out.find(want), std::string::npos) << "point " << p << " wants '" << want << "' in\n" << r.out;
  }
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

// With all samples in one array instance there are no batch groups to form a
// CI from: the summary and the file say so instead of printing NaN (issue
// 10: the CI was silently NaN when samples <= inputs_per_instance).
TEST_F(Cli, MissingConfidenceIntervalIsExplained) {
  const std::string cfg = write("small.yaml", kSmall), out = (dir / "r.h5").string();
  const std::string note = "no CI: all 16 samples are in one array instance (run.inputs_per_instance = 16)";
  const Result one = run("run " + cfg + " -o " + out + " --samples 16 --backend cpu");
  ASSERT_EQ(one.code, 0) << one.out;
  EXPECT_NE(one.out.find(note), std::string::npos) << one.out;
  EXPECT_EQ(one.out.find("nan"), std::string::npos) << one.out;
  {
    const H5::H5File f(out, H5F_ACC_RDONLY);
    EXPECT_EQ(h5::read_attr_string(f.openGroup("energy/per_mvm"), "ci_note").rfind(note, 0), 0u);
    EXPECT_EQ(h5::read_attr_string(f.openGroup("summary"), "ci_note").rfind(note, 0), 0u);
    const std::vector<double> total = h5::read_dataset<double>(f.openGroup("energy/per_mvm"), "total", {4});
    EXPECT_TRUE(std::isfinite(total[0]));
    EXPECT_TRUE(std::isnan(total[1]));
  }
  // Two instances: a CI, and an empty note.
  const Result two = run("run " + cfg + " -o " + out + " --samples 32 --backend cpu");
  ASSERT_EQ(two.code, 0) << two.out;
  EXPECT_EQ(two.out.find("no CI"), std::string::npos) << two.out;
  {
    const H5::H5File f(out, H5F_ACC_RDONLY);
    EXPECT_EQ(h5::read_attr_string(f.openGroup("energy/per_mvm"), "ci_note"), "");
    const std::vector<double> total = h5::read_dataset<double>(f.openGroup("energy/per_mvm"), "total", {4});
    EXPECT_TRUE(std::isfinite(total[1]));
  }
  // A sweep (study file): the note is a root attribute and a printed line.
  const std::string sweep = write("sweep.yaml", std::string(kSmall) + "sweep:\n  cartesian:\n    macro.adc.bits: [4, 5]\n");
  const Result s = run("run " + sweep + " -o " + out + " --samples 16 --backend cpu");
  ASSERT_EQ(s.code, 0) << s.out;
  EXPECT_NE(s.out.find(note), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("(2 of 2 points)"), std::string::npos) << s.out;
  EXPECT_EQ(s.out.find("nan"), std::string::npos) << s.out;
  EXPECT_EQ(read_study_file(out).ci_note.rfind(note, 0), 0u);
}

// validate without standard errors (one array instance per job): a z-score
// needs one, so none is computed, nothing is flagged and the note says why.
// Before, a NaN standard error counted as "no spread": every energy that
// differed beyond rounding was flagged with z = inf.
TEST_F(Cli, ValidateWithoutStandardErrorsFlagsNothing) {
  const std::string cfg = write("small.yaml", kSmall), out = (dir / "v.h5").string();
  const Result r = run("validate " + cfg + " -o " + out + " --samples 16 --backend cpu");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("no CI: all 16 samples are in one array instance"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 0 of "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("inf"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("nan"), std::string::npos) << r.out;
  const H5::H5File f(out, H5F_ACC_RDONLY);
  EXPECT_EQ(h5::read_attr_string(f, "ci_note").rfind("no CI: all 16 samples", 0), 0u);
}

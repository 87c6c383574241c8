// The CPU model is compiled once per x86 level and picked at run time
// (kernels/cpu_launcher.cpp). Every level this machine runs must give the
// baseline's bits on every kernel path; and the baseline and AVX2 copies must
// run on processors without AVX / AVX-512, checked by running the cimmc
// binary under QEMU's user-mode emulation of such processors (Debian's
// qemu-user; skipped when it is missing).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>

#include "io/hdf5_file.hpp"
#include "io/study_file.hpp"
#include "io/table.hpp"
#include "kernel_cases.hpp"
#include "launcher.hpp"
#include "shell_util.hpp"

namespace fs = std::filesystem;
using namespace cimmc;
using namespace cimmc::test;

namespace {

JobResult run_isa(const Config& c, CpuIsa isa, int threads = 1) {
  EngineOptions o;
  o.backend = Backend::cpu;
  o.threads = threads;
  o.cpu_isa = isa;
  return run_job(c, o);
}

}  // namespace

TEST(CpuIsa, EveryLevelThisCpuRunsGivesTheBaselineBits) {
  const std::vector<CpuIsa> levels = supported_cpu_isas();
  ASSERT_FALSE(levels.empty());
  EXPECT_EQ(levels.front(), CpuIsa::base);
  for (const KernelCase& kc : kernel_cases()) {
    const JobResult base = run_isa(kc.cfg, CpuIsa::base);
    for (CpuIsa isa : levels) {
      if (isa == CpuIsa::base) continue;
      expect_same_bits(base, run_isa(kc.cfg, isa), kc.name + " on " + cpu_isa_name(isa));
    }
  }
}

TEST(CpuIsa, AutomaticIsTheWidestSupportedLevel) {
  EXPECT_EQ(best_cpu_isa(), supported_cpu_isas().back());
  for (CpuIsa isa : {CpuIsa::base, CpuIsa::avx2, CpuIsa::avx512})
    EXPECT_EQ(parse_cpu_isa(cpu_isa_name(isa)), isa);
  EXPECT_EQ(parse_cpu_isa("auto"), CpuIsa::automatic);
  EXPECT_THROW(parse_cpu_isa("avx3"), std::invalid_argument);
  // A level this CPU lacks is a device error, never a crash.
  for (CpuIsa isa : {CpuIsa::avx2, CpuIsa::avx512}) {
    if (cpu_supports(isa)) continue;
    EXPECT_THROW(run_isa(kernel_cases().front().cfg, isa), DeviceError);
  }
}

// ---- the binary on emulated processors

namespace {

using test::Ran;
using test::shell;

// Read noise, a calibrated ADC and programming variation: the normal-deviate
// table, the conductance path and the vectorized column loop all run.
const char* kNoisy = R"(name: isa
run: {samples: 256, seed: 11, inputs_per_instance: 16}
macro:
  rows: 64
  cols: 64
  bits_per_cell: 2
  weight_encoding: differential
  adc: {bits: 5, range: calibrated}
  noise: {read_sigma_us: 0.2, programming_sigma_rel: 0.03}
workload:
  tile: {rows_used: 64, cols_used: 8}
  inputs: {bits: 4, signed: false, distribution: {kind: relu_normal, std: 1.0, zero_fraction: 0.5}}
  weights: {bits: 4, signed: true, distribution: {kind: normal, std: 0.5}}
)";

// Noise-free, unsigned 6-bit weights on 2-bit cells, 7 columns: 21 cell
// columns, counted per level sum four at a time (popcount_x4.hpp: nibble
// tables in the avx2 copy) and one at a time for the last.
const char* kNoiseFree = R"(name: isa
run: {samples: 256, seed: 11, inputs_per_instance: 16}
macro:
  rows: 64
  cols: 64
  bits_per_cell: 2
  weight_encoding: unsigned
  adc: {bits: 5}
workload:
  tile: {rows_used: 64, cols_used: 7}
  inputs: {bits: 4, signed: false, distribution: {kind: relu_normal, std: 1.0, zero_fraction: 0.5}}
  weights: {bits: 6, signed: false, distribution: {kind: relu_normal, std: 0.5, zero_fraction: 0.2}}
)";

class EmulatedCpu : public ::testing::Test {
 protected:
  fs::path dir;
  std::string cfg;
  void SetUp() override {
#if defined(__SANITIZE_ADDRESS__)
    // `make sanitize`: an ASan binary maps terabytes of shadow memory, which
    // qemu-user's guest address space cannot hold (the run is killed).
    GTEST_SKIP() << "ASan binaries do not run under qemu-user";
#endif
    if (shell("command -v qemu-x86_64").code != 0) GTEST_SKIP() << "qemu-x86_64 not installed (qemu-user)";
    dir = fs::temp_directory_path() / ("cimmc_isa_" + std::to_string(::getpid()) + "_" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
    cfg = (dir / "isa.yaml").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  // Runs cimmc on QEMU's model of `cpu` and natively with `isa`, for each
  // config; the files must agree.
  void expect_same_as_native(const std::string& cpu, const std::string& isa) {
    const struct {
      const char *label, *yaml;
    } configs[] = {{"noisy", kNoisy}, {"noise-free", kNoiseFree}};
    for (const auto& c : configs) {
      SCOPED_TRACE(c.label);
      std::ofstream(cfg) << c.yaml;
      expect_same_as_native_once(cpu, isa);
    }
  }
  void expect_same_as_native_once(const std::string& cpu, const std::string& isa) {
    const std::string emu = (dir / "emu.h5").string(), nat = (dir / "native.h5").string();
    const Ran e = shell("qemu-x86_64 -cpu " + cpu + " " + CIMMC_BINARY + " run " + cfg + " -o " + emu + " --threads 2");
    ASSERT_EQ(e.code, 0) << e.out;
    EXPECT_NE(e.out.find(isa + " code"), std::string::npos) << "expected the " << isa << " path on " << cpu << ":\n"
                                                            << e.out;
    const Ran n = shell(std::string(CIMMC_BINARY) + " run " + cfg + " -o " + nat + " --cpu-isa " + isa);
    ASSERT_EQ(n.code, 0) << n.out;
    expect_same_bits(read_run_file(emu).result, read_run_file(nat).result, cpu + " vs native " + isa);
  }
};

}  // namespace

// Westmere has SSE4.2 but no AVX: a binary built for the build machine
// (-march=native on an AVX-512 host) dies there with SIGILL.
TEST_F(EmulatedCpu, BaselineRunsWithoutAvx) { expect_same_as_native("Westmere", "base"); }

// The statistical model's run-time copies (adc_transfer.cpp's convert for
// x86-64-v3 and baseline, column_distribution.cpp's convolution loops) give
// the same bits: Westmere runs the baseline ones.
// Column pairs with no analog deviation (SRAM cells, no off current): their
// moments from the pair law's spectrum (pair_spectrum.cpp: twiddles from libm,
// whose x86-64 copies differ with FMA, and row_power's vector copies).
const char* kPairs = R"(name: isa
run: {samples: 256, seed: 11, inputs_per_instance: 16}
macro:
  cell: sram
  rows: 64
  cols: 64
  bits_per_cell: 1
  weight_encoding: offset
  dac_bits: 2
  g_off_us: 0.0
  adc: {bits: 6}
workload:
  tile: {rows_used: 64, cols_used: 8}
  inputs: {bits: 4, signed: false, distribution: {kind: relu_normal, std: 1.0, zero_fraction: 0.5}}
  weights: {bits: 4, signed: true, distribution: {kind: normal, std: 0.5}}
)";

TEST_F(EmulatedCpu, StatisticalModelSameBitsWithoutAvx) {
  for (const char* yaml : {kNoisy, kPairs}) {
    SCOPED_TRACE(yaml);
    std::ofstream(cfg) << yaml;
    const std::string emu = (dir / "emu.h5").string(), nat = (dir / "native.h5").string();
    const std::string run = std::string(CIMMC_BINARY) + " run " + cfg + " --model statistical --threads 1 -o ";
    const Ran e = shell("qemu-x86_64 -cpu Westmere " + run + emu);
    ASSERT_EQ(e.code, 0) << e.out;
    const Ran n = shell(run + nat);
    ASSERT_EQ(n.code, 0) << n.out;
    const StudyFile a = read_study_file(emu), b = read_study_file(nat);
    for (const auto& [what, ta, tb] :
         {std::tuple{"layers", &a.layers, &b.layers}, {"network", &a.network, &b.network}}) {
      ASSERT_EQ(ta->columns().size(), tb->columns().size()) << what;
      for (const Column& c : ta->columns()) {
        const Column* d = tb->find(c.name);
        ASSERT_NE(d, nullptr) << what << "/" << c.name;
        if (const auto* x = std::get_if<std::vector<double>>(&c.data)) {  // bit patterns: NaN columns too
          const auto& y = std::get<std::vector<double>>(d->data);
          ASSERT_EQ(x->size(), y.size()) << what << "/" << c.name;
          EXPECT_EQ(std::memcmp(x->data(), y.data(), x->size() * sizeof(double)), 0) << what << "/" << c.name;
        } else {
          EXPECT_EQ(c.data, d->data) << what << "/" << c.name;
        }
      }
    }
  }
}

// Haswell has AVX2 and FMA but no AVX-512 (QEMU emulates no AVX-512 at all).
TEST_F(EmulatedCpu, Avx2RunsWithoutAvx512) {
  if (!cpu_supports(CpuIsa::avx2)) GTEST_SKIP() << "this CPU cannot run the avx2 path natively";
  expect_same_as_native("Haswell", "avx2");
}

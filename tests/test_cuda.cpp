// CUDA backend against the CPU backend. Compiled in every build; skipped when
// no GPU is visible (always on machines without one).
#include <gtest/gtest.h>

#include <cmath>

#include "launcher.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

JobResult run_on(const Config& c, Backend b) {
  EngineOptions o;
  o.backend = b;
  return run_job(c, o);
}

Config quickstart_like() {
  Config c = small_config();
  c.macro.rows = 128;
  c.macro.cols = 256;
  c.macro.bits_per_cell = 2;
  c.macro.weight_encoding = WeightEncoding::differential;
  c.macro.rows_active = 64;
  c.tile.weights = uniform_operand(8, true, -1.0, 1.0, 1.0);
  c.tile.inputs = uniform_operand(8, false, 0.0, 1.0, 1.0);
  c.macro.adc.bits = 6;
  c.run.samples = 3000;
  return c;
}

}  // namespace

TEST(Cuda, NoiseFreeHistogramsIdenticalToCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU visible";
  const Config c = quickstart_like();
  const JobResult cpu = run_on(c, Backend::cpu), gpu = run_on(c, Backend::cuda);
  EXPECT_EQ(cpu.hist, gpu.hist);
  for (int g = 0; g < kBatchGroups; ++g) {
    EXPECT_EQ(cpu.groups[g].clipped, gpu.groups[g].clipped);
    EXPECT_EQ(cpu.groups[g].max_abs_err, gpu.groups[g].max_abs_err);
    EXPECT_NEAR(cpu.groups[g].sum_err2, gpu.groups[g].sum_err2, 1e-9 * (1 + cpu.groups[g].sum_err2));
  }
}

TEST(Cuda, NoisyResultsStatisticallyEqualToCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU visible";
  Config c = quickstart_like();
  c.macro.noise.read_sigma_us = 0.3;
  c.macro.noise.prog_sigma_rel = 0.05;
  const JobResult cpu = run_on(c, Backend::cpu), gpu = run_on(c, Backend::cuda);
  double n = 0, a = 0, b = 0;
  for (int g = 0; g < kBatchGroups; ++g) {
    n += cpu.groups[g].outputs;
    a += cpu.groups[g].sum_err2;
    b += gpu.groups[g].sum_err2;
  }
  // Same draws, float rounding may differ: mean squared errors agree within 2%.
  EXPECT_NEAR(b / a, 1.0, 0.02);
  EXPECT_EQ(cpu.total(Hist::dac), gpu.total(Hist::dac));  // input draws are noise-free
}

TEST(Cuda, AutoBackendFallsBackToCpuWithoutGpu) {
  std::string device;
  const std::string b = resolve_backend(Backend::automatic, &device);
  EXPECT_EQ(b, cuda_device_count() > 0 ? "cuda" : "cpu");
  if (cuda_device_count() == 0) {
    EXPECT_THROW(resolve_backend(Backend::cuda, nullptr), DeviceError);
  }
}

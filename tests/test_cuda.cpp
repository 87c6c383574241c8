// CUDA backend against the CPU backend, on every kernel path (kernel_cases.hpp).
// Compiled in every build; skipped when no GPU is visible (always on machines
// without one). nvcc contracts multiply-adds into FMAs and the CPU build does
// not, so float moments agree to rounding, not bit for bit; integer counts of
// noise-free jobs agree exactly. The block path itself is checked bit for bit
// on the CPU by tests/test_lanes.cpp.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/job_builder.hpp"
#include "kernel_cases.hpp"
#include "launcher.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

JobResult run_on(const Config& c, Backend b) {
  EngineOptions o;
  o.backend = b;
  return run_job(c, o);
}

bool noise_free(const Config& c) {
  const NoiseSpec& n = c.macro.noise;
  return n.prog_sigma_us == 0 && n.prog_sigma_rel == 0 && n.read_sigma_us == 0 && n.read_sigma_rel == 0 &&
         c.macro.adc.noise_lsb == 0;
}

void expect_close(double a, double b, double rel, const std::string& what) {
  EXPECT_LE(std::fabs(a - b), rel * (std::fabs(a) + std::fabs(b)) + 1e-9) << what << ": " << a << " vs " << b;
}

}  // namespace

TEST(Cuda, EveryKernelPathAgreesWithCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU visible";
  for (const KernelCase& kc : kernel_cases()) {
    const JobResult cpu = run_on(kc.cfg, Backend::cpu), gpu = run_on(kc.cfg, Backend::cuda);
    EXPECT_EQ(cpu.total(Hist::dac), gpu.total(Hist::dac)) << kc.name;  // input draws are integers
    EXPECT_EQ(cpu.total(Hist::cell), gpu.total(Hist::cell)) << kc.name;
    double a = 0, b = 0;
    for (int g = 0; g < kBatchGroups; ++g) {
      a += cpu.groups[g].sum_err2;
      b += gpu.groups[g].sum_err2;
    }
    if (noise_free(kc.cfg)) {
      EXPECT_EQ(cpu.hist, gpu.hist) << kc.name;
      for (int g = 0; g < kBatchGroups; ++g) {
        EXPECT_EQ(cpu.groups[g].clipped, gpu.groups[g].clipped) << kc.name;
        expect_close(cpu.groups[g].sum_err2, gpu.groups[g].sum_err2, 1e-12, kc.name);
        expect_close(cpu.groups[g].max_abs_err, gpu.groups[g].max_abs_err, 1e-12, kc.name);
      }
    } else {
      // Same draws; a contracted rounding may move a value across an ADC
      // threshold now and then: the error power agrees within 2%.
      expect_close(a, b, 0.01, kc.name);
    }
  }
}

TEST(Cuda, AutoBackendFallsBackToCpuWithoutGpu) {
  std::string device;
  const std::string b = resolve_backend(Backend::automatic, &device);
  EXPECT_EQ(b, cuda_device_count() > 0 ? "cuda" : "cpu");
  if (cuda_device_count() == 0) {
    EXPECT_THROW(resolve_backend(Backend::cuda, nullptr), DeviceError);
  }
}

// The launcher's own error path, reachable here: without a GPU its first CUDA
// call fails, and that must surface as a DeviceError (exit 3) carrying CUDA's
// message, not as an internal error.
TEST(Cuda, CudaFailureIsADeviceErrorWithCudasMessage) {
#if defined(CIMMC_HAVE_CUDA)
  if (cuda_device_count() > 0) GTEST_SKIP() << "a GPU is visible: the failure cannot be provoked this way";
  BuiltJob job;
  build_job(kernel_cases().front().cfg, philox::JobId{}, job);
  std::vector<std::uint64_t> hist(static_cast<std::size_t>(kBatchGroups) * job.view.hist_size);
  std::vector<InstanceMoments> mom(job.view.instances);
  const JobOutput out{hist.data(), mom.data()};
  try {
    launch_cuda(&job.view, &out, 1, nullptr);
    FAIL() << "launch_cuda ran without a GPU";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("CUDA"), std::string::npos) << e.what();
  }
#else
  GTEST_SKIP() << "built without the CUDA backend";
#endif
}

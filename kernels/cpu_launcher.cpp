// The CPU backend's entry point: picks the copy of the model compiled for the
// widest x86 level this processor runs (cpu_kernel_*.cpp), or the one asked
// for. All copies give the same bits: model code is compiled without
// floating-point contraction, and the explicit fmaf of the normal deviates is
// one rounding on every level (tests/test_cpu_isa.cpp runs them side by side).
#include <stdexcept>

#include "launcher.hpp"

namespace cimmc {

#define CIMMC_DECLARE_ISA(ns)                                                                      \
  namespace ns {                                                                                   \
  void launch_cpu_isa(const JobView* jobs, const JobOutput* outs, int njobs, int threads,         \
                      const ProgressFn& progress);                                                 \
  }
CIMMC_DECLARE_ISA(isa_base)
#if defined(__x86_64__)
CIMMC_DECLARE_ISA(isa_avx2)
CIMMC_DECLARE_ISA(isa_avx512)
#endif
#undef CIMMC_DECLARE_ISA

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::automatic: return "auto";
    case CpuIsa::base: return "base";
    case CpuIsa::avx2: return "avx2";
    case CpuIsa::avx512: return "avx512";
  }
  return "?";
}

CpuIsa parse_cpu_isa(const std::string& name) {
  for (CpuIsa i : {CpuIsa::automatic, CpuIsa::base, CpuIsa::avx2, CpuIsa::avx512})
    if (name == cpu_isa_name(i)) return i;
  throw std::invalid_argument("value '" + name + "': must be one of: auto, base, avx2, avx512");
}

bool cpu_supports(CpuIsa isa) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  switch (isa) {
    case CpuIsa::base: return true;
    case CpuIsa::avx2: return __builtin_cpu_supports("x86-64-v3");
    case CpuIsa::avx512: return __builtin_cpu_supports("x86-64-v4") && __builtin_cpu_supports("avx512vpopcntdq");
    default: return false;
  }
#else
  return isa == CpuIsa::base;
#endif
}

CpuIsa best_cpu_isa() {
  for (CpuIsa i : {CpuIsa::avx512, CpuIsa::avx2})
    if (cpu_supports(i)) return i;
  return CpuIsa::base;
}

std::vector<CpuIsa> supported_cpu_isas() {
  std::vector<CpuIsa> out;
  for (CpuIsa i : {CpuIsa::base, CpuIsa::avx2, CpuIsa::avx512})
    if (cpu_supports(i)) out.push_back(i);
  return out;
}

void launch_cpu(const JobView* jobs, const JobOutput* outs, int njobs, int threads, const ProgressFn& progress,
                CpuIsa isa) {
  if (isa == CpuIsa::automatic) isa = best_cpu_isa();
  if (!cpu_supports(isa))
    throw DeviceError(std::string("--cpu-isa ") + cpu_isa_name(isa) + ": this CPU cannot run it (best here: " +
                      cpu_isa_name(best_cpu_isa()) + ")");
#if defined(__x86_64__)
  if (isa == CpuIsa::avx512) return isa_avx512::launch_cpu_isa(jobs, outs, njobs, threads, progress);
  if (isa == CpuIsa::avx2) return isa_avx2::launch_cpu_isa(jobs, outs, njobs, threads, progress);
#endif
  isa_base::launch_cpu_isa(jobs, outs, njobs, threads, progress);
}

}  // namespace cimmc

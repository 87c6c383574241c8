// Host entry points of the two backends. Both run the same model
// (macro_model.hpp) over many jobs; outputs are integer histograms per batch
// group and raw moments per array instance.
#pragma once
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "job_view.hpp"

namespace cimmc {

// A backend cannot run (no GPU, a CUDA error, too little device memory, an
// instruction set this CPU lacks): exit 3.
struct DeviceError : std::runtime_error { using std::runtime_error::runtime_error; };

struct JobOutput {
  std::uint64_t* hist = nullptr;        // kBatchGroups * hist_size counters, zeroed by the caller
  InstanceMoments* moments = nullptr;   // one per instance
};

// Called with the fraction of instances done; may be called from any thread.
using ProgressFn = std::function<void(double)>;

// The x86 instruction-set levels the CPU model is compiled for (one binary
// holds them all and picks at run time); every level gives the same bits.
//   base   - x86-64 (SSE2): runs anywhere
//   avx2   - x86-64-v3: AVX2, FMA, BMI1/2, LZCNT, MOVBE
//   avx512 - x86-64-v4 (AVX-512 F/BW/CD/DQ/VL) and AVX512-VPOPCNTDQ
enum class CpuIsa { automatic, base, avx2, avx512 };
const char* cpu_isa_name(CpuIsa isa);
CpuIsa parse_cpu_isa(const std::string& name);  // auto|base|avx2|avx512; throws std::invalid_argument
bool cpu_supports(CpuIsa isa);                  // compiled into this binary and runnable on this CPU
CpuIsa best_cpu_isa();
std::vector<CpuIsa> supported_cpu_isas();       // base first

// isa = automatic takes best_cpu_isa(); one this CPU cannot run throws DeviceError.
void launch_cpu(const JobView* jobs, const JobOutput* outs, int njobs, int threads,
                const ProgressFn& progress, CpuIsa isa = CpuIsa::automatic);

// The CUDA launcher's block path (block_runner.hpp) on the CPU: each array
// instance on `lanes` lanes stepped in turn between barriers, in lane order or
// reversed. For tests: single-threaded and slow; same bits as launch_cpu.
void launch_cpu_lanes(const JobView* jobs, const JobOutput* outs, int njobs, int lanes, bool reverse);

// Number of CUDA devices usable by this binary (0 without the CUDA backend).
int cuda_device_count();
// Makes GPU `ordinal` (0 .. cuda_device_count()-1) the one this process's
// launches and cuda_device_name use: an MPI rank takes the GPU of its local
// rank. Without the CUDA backend it does nothing.
void cuda_use_device(int ordinal);
std::string cuda_device_name();  // the GPU in use
// Where a CUDA launch spends its wall time, summed over launches: allocating
// and uploading the jobs' tables, the kernels, copying results back.
struct LaunchTimes {
  double setup = 0, kernel = 0, copy_back = 0;
};
void launch_cuda(const JobView* jobs, const JobOutput* outs, int njobs,
                 const ProgressFn& progress, LaunchTimes* times = nullptr);

}  // namespace cimmc

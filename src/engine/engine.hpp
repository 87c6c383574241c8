// Runs one tile job through a backend: optional calibration pilot, the main
// sampling run, and the fixed-order reduction of instance moments into groups.
#pragma once
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/result.hpp"
#include "launcher.hpp"
#include "spec/spec.hpp"

namespace cimmc {

enum class Backend { automatic, cpu, cuda };

// Where run_jobs spends its wall time, summed over calls: building jobs
// (operand tables, alias tables), calibration pilots (sampling), computing
// calibrated ranges from the pilots' values, sampling, assembling results.
struct EngineTimes {
  double build = 0, pilots = 0, calibration = 0, sampling = 0, assembly = 0;
  LaunchTimes gpu;  // the CUDA launches inside pilots and sampling
  double total() const { return build + pilots + calibration + sampling + assembly; }
};

struct EngineOptions {
  Backend backend = Backend::automatic;
  int threads = 0;              // CPU threads, 0 = OpenMP default
  CpuIsa cpu_isa = CpuIsa::automatic;  // which copy of the CPU model (launcher.hpp); same results
  ProgressFn progress;          // fraction of the main run done
  EngineTimes* times = nullptr;  // when set, run_jobs adds its phase times here
};

// "cpu" or "cuda" for the requested backend; throws DeviceError when cuda is
// asked for and no GPU is usable, or cpu_isa names a level this CPU lacks.
// `device` gets a human-readable name (with the CPU model's level).
std::string resolve_backend(Backend requested, std::string* device, CpuIsa cpu_isa = CpuIsa::automatic);

// One tile job (single-tile configs), job id 0.
JobResult run_job(const Config& cfg, const EngineOptions& opt);

// Memory one tile job takes in run_jobs, from its view alone (nothing is
// sampled): `sampling` while the batch runs (its histograms, its calibration
// pilot's, its instance moments), `result` for the JobResult it returns. The
// histograms dominate: kBatchGroups x (ADC codes + column-value bins + ...) x
// 8 bytes, 16 MiB per job for a 16-bit ADC. Studies budget their chunks by it.
struct JobBytes {
  std::size_t sampling = 0, result = 0;
};
JobBytes job_bytes(const Config& cfg);

// Many tile jobs in one launch (after one launch for their calibration
// pilots). Job ids key the random streams: the same (seed, id, config) gives
// the same results in any batch. wall_seconds is the whole batch's time.
std::vector<JobResult> run_jobs(const std::vector<const Config*>& cfgs, const std::vector<philox::JobId>& job_ids,
                                const EngineOptions& opt);

// The same, with `complete(i, view)` called on each job's view once it is
// built, before calibration and sampling: inference (src/infer/) sets the
// given weights and inputs and the output buffer there. The calibration pilot
// never writes y_out. Jobs are built on several threads: the hook may run
// concurrently for different i and must touch job i's data alone.
using ViewHook = std::function<void(std::size_t, JobView&)>;
std::vector<JobResult> run_jobs(const std::vector<const Config*>& cfgs, const std::vector<philox::JobId>& job_ids,
                                const EngineOptions& opt, const ViewHook& complete);

}  // namespace cimmc

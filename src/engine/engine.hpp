// Runs one tile job through a backend: optional calibration pilot, the main
// sampling run, and the fixed-order reduction of instance moments into groups.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/result.hpp"
#include "launcher.hpp"
#include "spec/spec.hpp"

namespace cimmc {

struct DeviceError : std::runtime_error { using std::runtime_error::runtime_error; };

enum class Backend { automatic, cpu, cuda };

struct EngineOptions {
  Backend backend = Backend::automatic;
  int threads = 0;              // CPU threads, 0 = OpenMP default
  ProgressFn progress;          // fraction of the main run done
};

// "cpu" or "cuda" for the requested backend; throws DeviceError when cuda is
// asked for and no GPU is usable. `device` gets a human-readable name.
std::string resolve_backend(Backend requested, std::string* device);

// One tile job (single-tile configs), job id 0.
JobResult run_job(const Config& cfg, const EngineOptions& opt);

// Many tile jobs in one launch (after one launch for their calibration
// pilots). Job ids key the random streams: the same (seed, id, config) gives
// the same results in any batch. wall_seconds is the whole batch's time.
std::vector<JobResult> run_jobs(const std::vector<const Config*>& cfgs, const std::vector<philox::JobId>& job_ids,
                                const EngineOptions& opt);

}  // namespace cimmc

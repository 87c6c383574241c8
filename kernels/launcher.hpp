// Host entry points of the two backends. Both run the same model
// (macro_model.hpp) over many jobs; outputs are integer histograms per batch
// group and raw moments per array instance.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "job_view.hpp"

namespace cimmc {

struct JobOutput {
  std::uint64_t* hist = nullptr;        // kBatchGroups * hist_size counters, zeroed by the caller
  InstanceMoments* moments = nullptr;   // one per instance
};

// Called with the fraction of instances done; may be called from any thread.
using ProgressFn = std::function<void(double)>;

void launch_cpu(const JobView* jobs, const JobOutput* outs, int njobs, int threads,
                const ProgressFn& progress);

// Number of CUDA devices usable by this binary (0 without the CUDA backend).
int cuda_device_count();
std::string cuda_device_name();
void launch_cuda(const JobView* jobs, const JobOutput* outs, int njobs,
                 const ProgressFn& progress);

}  // namespace cimmc

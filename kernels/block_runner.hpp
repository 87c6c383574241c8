// What one thread block of the GPU backend does with one work item (a job's
// array instance), written once: cuda_launcher.cu runs it in its kernel and
// cpu_lanes.cpp runs it on the CPU with the same lane counts, so everything
// but the launch glue is tested without a GPU.
#pragma once
#include <cstdint>

#include "hd.hpp"
#include "job_view.hpp"
#include "macro_model.hpp"
#include "workspace.hpp"

namespace cimmc {

// A job as a launch sees it: its view and where its counts go.
struct DeviceJob {
  JobView view;                  // table pointers refer to memory the lanes can read
  std::uint64_t* hist;           // kBatchGroups * hist_size
  InstanceMoments* moments;      // instances
  std::uint64_t first_item;      // prefix sum of instances over the jobs before it
};

inline namespace CIMMC_ISA_NS {  // hd.hpp

// The job holding work item `item`: the last one whose first item is <= item
// (binary search; a launch may hold tens of thousands of jobs).
CIMMC_HD int job_of_item(const DeviceJob* jobs, int njobs, std::uint64_t item) {
  int lo = 0, hi = njobs - 1;
  while (lo < hi) {
    const int mid = lo + (hi - lo + 1) / 2;
    if (jobs[mid].first_item <= item) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// One array instance on one block: `scratch` is the block's workspace memory.
template <class Exec>
CIMMC_HD void run_item(const DeviceJob* jobs, int njobs, std::uint64_t item, char* scratch, const Exec& ex) {
  const DeviceJob& dj = jobs[job_of_item(jobs, njobs, item)];
  const auto inst = static_cast<std::uint32_t>(item - dj.first_item);
  Workspace ws{};
  bind_workspace(dj.view, scratch, &ws);
  const LaneStats st =
      run_instance(dj.view, ws, inst, dj.hist + static_cast<std::size_t>(inst % kBatchGroups) * dj.view.hist_size, ex);
  if (ex.lane() == 0)
    dj.moments[inst] = InstanceMoments{st.n, st.sum_err, st.sum_err2, st.max_abs_err,
                                       st.sum_ref, st.sum_ref2, st.clipped, st.conversions};
  ex.sync();
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc

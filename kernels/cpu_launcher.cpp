// CPU backend: OpenMP threads take whole array instances; each thread keeps its
// own integer histograms (merged exactly afterwards) and writes moments per
// instance, so results are bit-identical for any thread count.
#include <omp.h>

#include <atomic>
#include <vector>

#include "launcher.hpp"
#include "macro_model.hpp"

namespace cimmc {
namespace {

struct CpuExec {
  int lane() const { return 0; }
  int nlanes() const { return 1; }
  void sync() const {}
  void add(std::uint64_t* p, std::uint64_t n) const { *p += n; }
  LaneStats reduce(const LaneStats& s) const { return s; }
};

}  // namespace

void launch_cpu(const JobView* jobs, const JobOutput* outs, int njobs, int threads,
                const ProgressFn& progress) {
  if (threads <= 0) threads = omp_get_max_threads();
  std::uint64_t total = 0;
  for (int i = 0; i < njobs; ++i) total += jobs[i].instances;
  std::atomic<std::uint64_t> done{0};
  for (int ji = 0; ji < njobs; ++ji) {
    const JobView& v = jobs[ji];
    const std::size_t ws_bytes = bind_workspace(v, nullptr, nullptr);
    const std::size_t hsize = static_cast<std::size_t>(kBatchGroups) * v.hist_size;
#pragma omp parallel num_threads(threads)
    {
      std::vector<char> scratch(ws_bytes + 64);
      char* base = reinterpret_cast<char*>((reinterpret_cast<std::uintptr_t>(scratch.data()) + 63) &
                                           ~std::uintptr_t(63));
      Workspace ws{};
      bind_workspace(v, base, &ws);
      std::vector<std::uint64_t> hist(hsize, 0);
      const CpuExec ex;
#pragma omp for schedule(dynamic, 1)
      for (std::int64_t inst = 0; inst < static_cast<std::int64_t>(v.instances); ++inst) {
        const auto i = static_cast<std::uint32_t>(inst);
        const LaneStats st = run_instance(v, ws, i, hist.data() + (i % kBatchGroups) * v.hist_size, ex);
        outs[ji].moments[i] = InstanceMoments{st.n, st.sum_err, st.sum_err2, st.max_abs_err,
                                              st.sum_ref, st.sum_ref2, st.clipped, st.conversions};
        const std::uint64_t d = done.fetch_add(1) + 1;
        if (progress && omp_get_thread_num() == 0) progress(static_cast<double>(d) / total);
      }
#pragma omp critical(cimmc_hist_merge)
      for (std::size_t k = 0; k < hsize; ++k) outs[ji].hist[k] += hist[k];
    }
  }
  if (progress) progress(1.0);
}

}  // namespace cimmc

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

namespace {

// Scratch for one instance in flight, cache-line aligned.
struct Scratch {
  std::vector<char> bytes;
  Workspace ws{};
  void bind(const JobView& v) {
    const std::size_t need = bind_workspace(v, nullptr, nullptr) + 64;
    if (bytes.size() < need) bytes.resize(need);
    char* base = reinterpret_cast<char*>((reinterpret_cast<std::uintptr_t>(bytes.data()) + 63) & ~std::uintptr_t(63));
    bind_workspace(v, base, &ws);
  }
};

void run_one(const JobView& v, const Workspace& ws, std::uint32_t i, std::uint64_t* hist, InstanceMoments* moments) {
  const LaneStats st = run_instance(v, ws, i, hist + (i % kBatchGroups) * v.hist_size, CpuExec{});
  moments[i] = InstanceMoments{st.n, st.sum_err, st.sum_err2, st.max_abs_err, st.sum_ref, st.sum_ref2, st.clipped,
                               st.conversions};
}

}  // namespace

void launch_cpu(const JobView* jobs, const JobOutput* outs, int njobs, int threads,
                const ProgressFn& progress) {
  if (threads <= 0) threads = omp_get_max_threads();
  std::uint64_t total = 0;
  for (int i = 0; i < njobs; ++i) total += jobs[i].instances;
  std::atomic<std::uint64_t> done{0};
  auto report = [&](std::uint64_t n) {
    const std::uint64_t d = done.fetch_add(n) + n;
    if (progress && omp_get_thread_num() == 0) progress(static_cast<double>(d) / total);
  };
  if (njobs >= 2 * threads) {
    // Many jobs (studies): a thread takes whole jobs, so it writes the job's
    // own histograms directly and no thread waits at a per-job barrier.
#pragma omp parallel num_threads(threads)
    {
      Scratch sc;
#pragma omp for schedule(dynamic, 1)
      for (int ji = 0; ji < njobs; ++ji) {
        sc.bind(jobs[ji]);
        for (std::uint32_t i = 0; i < jobs[ji].instances; ++i) run_one(jobs[ji], sc.ws, i, outs[ji].hist, outs[ji].moments);
        report(jobs[ji].instances);
      }
    }
  } else {
    // Few jobs: threads share each job's instances; integer histograms are
    // merged afterwards (exact in any order).
    for (int ji = 0; ji < njobs; ++ji) {
      const JobView& v = jobs[ji];
      const std::size_t hsize = static_cast<std::size_t>(kBatchGroups) * v.hist_size;
#pragma omp parallel num_threads(threads)
      {
        Scratch sc;
        sc.bind(v);
        std::vector<std::uint64_t> hist(hsize, 0);
#pragma omp for schedule(dynamic, 1)
        for (std::int64_t inst = 0; inst < static_cast<std::int64_t>(v.instances); ++inst) {
          run_one(v, sc.ws, static_cast<std::uint32_t>(inst), hist.data(), outs[ji].moments);
          report(1);
        }
#pragma omp critical(cimmc_hist_merge)
        for (std::size_t k = 0; k < hsize; ++k) outs[ji].hist[k] += hist[k];
      }
    }
  }
  if (progress) progress(1.0);
}

}  // namespace cimmc

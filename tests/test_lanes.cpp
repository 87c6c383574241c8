// The GPU backend's block path (kernels/block_runner.hpp) run on the CPU with
// 1, 32 and 128 lanes per block, lanes stepped in lane order and reversed:
// its histograms and per-instance moments must be the plain CPU path's, bit
// for bit, on every kernel path (kernel_cases.hpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/job_builder.hpp"
#include "kernel_cases.hpp"
#include "launcher.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

struct Counts {
  std::vector<std::uint64_t> hist;
  std::vector<InstanceMoments> moments;
};

template <class Launch>
Counts launch(const JobView& v, const Launch& go) {
  Counts c;
  c.hist.assign(static_cast<std::size_t>(kBatchGroups) * v.hist_size, 0);
  c.moments.assign(v.instances, InstanceMoments{});
  const JobOutput out{c.hist.data(), c.moments.data()};
  go(&v, &out);
  return c;
}

void expect_same(const Counts& a, const Counts& b, const std::string& what) {
  EXPECT_EQ(a.hist, b.hist) << what;
  ASSERT_EQ(a.moments.size(), b.moments.size()) << what;
  for (std::size_t i = 0; i < a.moments.size(); ++i) {
    const InstanceMoments &x = a.moments[i], &y = b.moments[i];
    const bool same = x.n == y.n && x.sum_err == y.sum_err && x.sum_err2 == y.sum_err2 &&
                      x.max_abs_err == y.max_abs_err && x.sum_ref == y.sum_ref && x.sum_ref2 == y.sum_ref2 &&
                      x.clipped == y.clipped && x.conversions == y.conversions;
    EXPECT_TRUE(same) << what << ": instance " << i << " sum_err2 " << x.sum_err2 << " vs " << y.sum_err2;
    if (!same) return;
  }
}

}  // namespace

TEST(Lanes, BlockPathGivesThePlainCpuBitsForAnyLaneCountAndOrder) {
  for (const KernelCase& kc : kernel_cases()) {
    BuiltJob job;
    build_job(kc.cfg, philox::JobId{7, 9}, job);
    const Counts plain = launch(job.view, [](const JobView* v, const JobOutput* o) { launch_cpu(v, o, 1, 1, nullptr); });
    std::uint64_t total = 0;
    for (std::uint64_t h : plain.hist) total += h;
    ASSERT_GT(total, 0u) << kc.name;
    if (kc.name.find("clipping") != std::string::npos) {  // the clip counts are compared, not all zero
      std::uint64_t clipped = 0;
      for (const InstanceMoments& m : plain.moments) clipped += m.clipped;
      EXPECT_GT(clipped, 0u) << kc.name;
    }
    for (int lanes : {1, 32, 128})
      for (bool reverse : {false, true}) {
        if (lanes == 1 && reverse) continue;
        const Counts block = launch(job.view, [&](const JobView* v, const JobOutput* o) {
          launch_cpu_lanes(v, o, 1, lanes, reverse);
        });
        expect_same(plain, block, kc.name + ", " + std::to_string(lanes) + " lanes" + (reverse ? ", reversed" : ""));
      }
  }
}

// Several jobs in one launch: work items map to their jobs by binary search.
TEST(Lanes, ManyJobsInOneLaunchFindTheirItems) {
  std::vector<std::unique_ptr<BuiltJob>> jobs;
  std::vector<JobView> views;
  const std::vector<KernelCase> cases = kernel_cases();
  for (std::size_t i = 0; i < 5; ++i) {
    Config c = cases[i % 2].cfg;
    c.run.samples = 8 * (i + 1);  // 1, 2, ... instances of 8 samples
    jobs.push_back(std::make_unique<BuiltJob>());
    build_job(c, philox::JobId{i, 0}, *jobs.back());
    views.push_back(jobs.back()->view);
  }
  std::vector<Counts> plain(views.size()), block(views.size());
  std::vector<JobOutput> po, bo;
  for (std::size_t i = 0; i < views.size(); ++i) {
    for (Counts* c : {&plain[i], &block[i]}) {
      c->hist.assign(static_cast<std::size_t>(kBatchGroups) * views[i].hist_size, 0);
      c->moments.assign(views[i].instances, InstanceMoments{});
    }
    po.push_back({plain[i].hist.data(), plain[i].moments.data()});
    bo.push_back({block[i].hist.data(), block[i].moments.data()});
  }
  const int n = static_cast<int>(views.size());
  launch_cpu(views.data(), po.data(), n, 1, nullptr);
  launch_cpu_lanes(views.data(), bo.data(), n, 32, true);
  for (std::size_t i = 0; i < views.size(); ++i) expect_same(plain[i], block[i], "job " + std::to_string(i));
}

// Layers mapped by the MIP mapper in parallel (study/plan_hier.hpp
// plan_hier_layers): each solve runs in a child process of its own
// (mipmap/solver_cbc.cpp), so make_plan maps a network's layers on several
// threads with no lock. Checked on three layers small enough that each MIP
// ends in a proof without a time limit (so nothing depends on the machine):
// the plan on 2 threads equals the plan on 1 thread (the serial loop, as
// before) in every layer's status, gap, bound and kept nests, and every layer
// is proven optimal (a parallel solve that lost or mixed its child's answer
// would end in status error or a different nest).
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "mipmap/milp.hpp"
#include "study/plan.hpp"

using namespace cimmc;

namespace {

// ResNet-18's conv1 on the ZigZag-like AIMC system, cut to three 1x1 convs
// (C -> M channels on P x Q outputs); a 50-draw search cannot enumerate them,
// so the MIP maps each.
Config three_small_layers() {
  Config c = load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/arch-zigzag-aimc.yaml");
  const LayerSpec first = c.network.layers.at(0);
  c.network.layers.clear();
  int i = 0;
  for (auto [C, M, P, Q] : {std::array<int, 4>{4, 4, 2, 1}, {2, 4, 2, 2}, {4, 2, 4, 1}}) {
    LayerSpec l = first;
    l.name = "small" + std::to_string(i++);
    l.C = C;
    l.M = M;
    l.P = P;
    l.Q = Q;
    l.R = l.S = 1;
    l.stride_h = l.stride_w = 1;
    c.network.layers.push_back(l);
  }
  c.mapping.mapper = MappingOptions::Mapper::mip;
  c.mapping.search_budget = 50;
  c.mapping.mip_seconds = 0;  // no time limit: the outcome may not depend on the machine
  return c;
}

}  // namespace

TEST(MipParallel, LayersOnTwoThreadsEqualOneThread) {
  if (!mipmap::solver_available()) GTEST_SKIP() << "built without CBC";
  const Config c = three_small_layers();
  const std::vector<const Config*> points{&c};
  const StudyPlan one = make_plan(points, 0, 1, 1);
  const StudyPlan two = make_plan(points, 0, 1, 2);
  ASSERT_EQ(one.points.size(), 1u);
  ASSERT_EQ(two.points.size(), 1u);
  const std::vector<LayerPlan>& a = one.points[0].layers;
  const std::vector<LayerPlan>& b = two.points[0].layers;
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  for (std::size_t l = 0; l < a.size(); ++l) {
    SCOPED_TRACE("layer " + a[l].name);
    ASSERT_TRUE(a[l].hier && b[l].hier);
    const HierLayerPlan& x = *a[l].hier;
    const HierLayerPlan& y = *b[l].hier;
    EXPECT_FALSE(x.exhaustive);
    EXPECT_EQ(x.status, "optimal");
    EXPECT_EQ(x.gap, 0.0);
    EXPECT_EQ(y.status, x.status);
    EXPECT_EQ(y.gap, x.gap);
    EXPECT_EQ(y.bound, x.bound);
    ASSERT_FALSE(x.nests.empty());
    ASSERT_EQ(y.nests.size(), x.nests.size());
    for (std::size_t i = 0; i < x.nests.size(); ++i) {
      EXPECT_EQ(y.nests[i].text, x.nests[i].text);
      EXPECT_EQ(y.nests[i].cost.total_pj, x.nests[i].cost.total_pj);
      EXPECT_EQ(y.nests[i].cost.ns, x.nests[i].cost.ns);
    }
    EXPECT_EQ(b[l].jobs, a[l].jobs);
  }
  EXPECT_EQ(two.job_keys, one.job_keys);
}

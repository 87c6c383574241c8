// mapping.mapper / --mapper (issue 16 item 2): the layers of a hierarchy are
// mapped by enumeration, random sampling or the MIP mapper (seeded with the
// sampled search's best as its incumbent), and the plan
// records how (status) and how far from a proof (gap). Checked on a layer
// small enough to enumerate: the MIP's proven optimum costs what the
// enumeration's best costs (two methods), the random search never beats it,
// and the CLI flag and the config key reach the rows of a file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <unistd.h>

#include "config/config.hpp"
#include "mipmap/milp.hpp"
#include "shell_util.hpp"
#include "study/plan_hier.hpp"
#include "workload/gemm.hpp"

using namespace cimmc;
using M = MappingOptions::Mapper;

namespace {

const std::string kZigzag = std::string(CIMMC_SOURCE_DIR) + "/configs/arch-zigzag-aimc.yaml";

// ResNet-18's conv1 on the ZigZag-like AIMC system, cut down to a 1x1 conv of
// 4 -> 4 channels on 2 x 1 outputs: every legal mapping can be enumerated.
Config tiny(M mapper, int budget = 1'000'000) {
  Config c = load_config(kZigzag);
  LayerSpec l = c.network.layers.at(0);
  l.C = 4;
  l.M = 4;
  l.P = 2;
  l.Q = 1;
  l.R = l.S = 1;
  l.stride_h = l.stride_w = 1;
  c.network.layers = {l};
  c.mapping.mapper = mapper;
  c.mapping.search_budget = budget;
  c.mapping.mip_seconds = 0;  // no time limit: the outcome may not depend on the machine
  return c;
}

// The tensor-core SM (a pe_array level priced per MAC) with BERT's QKV GEMM
// cut down to 8 tokens x 16 in x 16 out.
Config tiny_gpu(M mapper, int budget = 1'000'000) {
  Config c = load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/gpu-tensor-core.yaml");
  LayerSpec l = c.network.layers.at(0);
  l.tokens = 8;
  l.C = 16;
  l.M = 16;
  c.network.layers = {l};
  c.mapping.mapper = mapper;
  c.mapping.search_budget = budget;
  c.mapping.mip_seconds = 0;
  return c;
}

std::shared_ptr<const HierLayerPlan> plan(const Config& c) {
  MappingSpace space;
  const LayerSpec& l = c.network.layers.front();
  return plan_hier_layer(c, l, lower(l), space);
}

}  // namespace

TEST(MapperChoice, MipProvesWhatEnumerationFinds) {
  if (!mipmap::solver_available()) GTEST_SKIP() << "built without CBC";
  const auto ex = plan(tiny(M::exhaustive));
  ASSERT_TRUE(ex->exhaustive);
  EXPECT_EQ(ex->status, "enumerated");
  EXPECT_EQ(ex->gap, 0.0);
  ASSERT_FALSE(ex->nests.empty());
  // A budget of 50 cannot enumerate: the search's best is the MIP's
  // incumbent, and the MIP must prove (or improve on) it.
  const auto mip = plan(tiny(M::mip, 50));
  EXPECT_FALSE(mip->exhaustive);
  EXPECT_EQ(mip->status, "optimal");
  EXPECT_LE(mip->gap, 1e-9);
  ASSERT_FALSE(mip->nests.empty());
  const double e = ex->nests.front().cost.total_pj, m = mip->nests.front().cost.total_pj;
  EXPECT_NEAR(m, e, 1e-9 * e) << "enumerated " << ex->nests.front().text << "\nmip " << mip->nests.front().text;
  // The bound the MIP proved is below every mapping, the best included.
  EXPECT_LE(mip->bound, e * (1 + 1e-9));
  // With a budget that enumerates, the enumeration is the proof.
  EXPECT_EQ(plan(tiny(M::mip))->status, "enumerated");
  // The same on a GPU SM whose innermost level is a PE array.
  const auto gex = plan(tiny_gpu(M::exhaustive));
  ASSERT_EQ(gex->status, "enumerated");
  const auto gmip = plan(tiny_gpu(M::mip, 50));
  EXPECT_EQ(gmip->status, "optimal");
  const double ge = gex->nests.front().cost.total_pj;
  EXPECT_NEAR(gmip->nests.front().cost.total_pj, ge, 1e-9 * ge)
      << "enumerated " << gex->nests.front().text << "\nmip " << gmip->nests.front().text;
}

TEST(MapperChoice, RandomIsSampledAndNeverBeatsTheEnumeration) {
  const auto ex = plan(tiny(M::exhaustive));
  const auto rnd = plan(tiny(M::random, 50));
  EXPECT_FALSE(rnd->exhaustive);
  EXPECT_EQ(rnd->status, "sampled");
  EXPECT_TRUE(std::isnan(rnd->gap));
  ASSERT_FALSE(rnd->nests.empty());
  EXPECT_GE(rnd->nests.front().cost.total_pj, ex->nests.front().cost.total_pj * (1 - 1e-12));
  // auto enumerates when the space fits the budget, as exhaustive does.
  const auto au = plan(tiny(M::automatic));
  EXPECT_EQ(au->status, "enumerated");
  EXPECT_EQ(au->nests.front().text, ex->nests.front().text);
}

TEST(MapperChoice, ExhaustiveBeyondTheBudgetIsAConfigError) {
  try {
    plan(tiny(M::exhaustive, 10));
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("mapping.mapper: value 'exhaustive'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("mapping.search_budget (10)"), std::string::npos) << e.what();
  }
}

// A flat config (no hierarchy) with a mapper other than auto: an error at the
// key's line, from the file and from the flag.
TEST(MapperChoice, FlatConfigRefusesAMapper) {
  const std::string path = ::testing::TempDir() + "mapper_flat_" + std::to_string(getpid()) + ".yaml";
  {
    std::ofstream f(path);
    f << test::kSmallTileYaml << "mapping:\n  mapper: random\n";
  }
  try {
    load_config(path);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find(":14: mapping.mapper: value 'random': applies to networks on an architecture.hierarchy"),
              std::string::npos)
        << w;
  }
  std::filesystem::remove(path);
  const test::Ran r = test::cimmc("plan " + std::string(CIMMC_SOURCE_DIR) + "/configs/quickstart.yaml --mapper mip");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("mapping.mapper: value 'mip'"), std::string::npos) << r.out;
  const test::Ran bad = test::cimmc("plan " + kZigzag + " --mapper greedy");
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("--mapper: value 'greedy': must be one of: auto, exhaustive, random, mip"), std::string::npos)
      << bad.out;
  const test::Ran rnd = test::cimmc("plan " + kZigzag + " --mapper random");
  EXPECT_EQ(rnd.code, 0) << rnd.out;
  EXPECT_NE(rnd.out.find("mapper random"), std::string::npos) << rnd.out;
  EXPECT_NE(rnd.out.find("kept 1 (sampled)"), std::string::npos) << rnd.out;
}

// mapper: mip with objective: edp was refused while the program's EDP bound
// was not valid (ResNet-18 conv2_2 on arch-miredo-dcim: bound 4.52e14 where a
// random search found 2.17e14). With CBC's own driver its proofs equal
// enumeration (MipEdp.EqualsExhaustiveOnSmallLayers), so the config is taken.
TEST(MapperChoice, MipTakesEdp) {
  const std::string path = std::string(CIMMC_SOURCE_DIR) + "/configs/arch-miredo-dcim.yaml";
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t at = text.find("  objective: edp\n");
  ASSERT_NE(at, std::string::npos);
  text.insert(at, "  mapper: mip\n");
  const Config c = parse_config(text, path);
  EXPECT_EQ(c.mapping.mapper, MappingOptions::Mapper::mip);
  EXPECT_EQ(c.mapping.objective, Objective::edp);
}

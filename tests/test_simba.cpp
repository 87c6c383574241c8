// configs/simba-resnet50.yaml (issue 15 part 1, the SIMBA comparison): the
// SIMBA-like hierarchy against SIMBA's published structure and figures
// (../shared/REFERENCES.md "Systems"), and its ResNet-50 compute priced at
// exactly MACs x pJ/MAC through the mapping search.
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "gpucim/pe_array.hpp"
#include "hiermap/hiermap.hpp"
#include "shell_util.hpp"

using namespace cimmc;

namespace {

const std::string kConfig = std::string(CIMMC_SOURCE_DIR) + "/configs/simba-resnet50.yaml";

// SIMBA's published figures (REFERENCES.md; the VLSI 2019 / MICRO 2019 abstracts).
constexpr double kPublishedPackageTops = 127.8;  // 36-chip system, peak
constexpr double kPublishedChipletTops = 4.01;   // 1-chip system, peak
constexpr double kPublishedPjPerOp = 0.11;
constexpr int kChiplets = 36, kPesPerChiplet = 16, kVectorMacs = 8, kLanes = 8;  // the published structure

double layer_macs(const LayerSpec& l) {
  if (l.kind == LayerKind::linear) return double(l.batch) * l.tokens * l.C * l.M;
  return double(l.batch) * l.P * l.Q * (double(l.C) / l.groups) * l.R * l.S * l.M;
}

}  // namespace

TEST(Simba, ConfigLoadsAndValidates) {
  const Config c = load_config(kConfig);
  ASSERT_EQ(c.arch.hierarchy.levels.size(), 4u);
  EXPECT_EQ(c.network.layers.size(), 54u);  // ResNet-50: 49 convs + 4 downsamples + fc
  // The shapes against torchvision's ResNet-50 (ResNet50_Weights, pytorch.org):
  // num_params 25,557,032 = conv and fc weights + fc bias + 2 per BatchNorm
  // channel (one BatchNorm after every conv).
  double params = 0;
  for (const LayerSpec& l : c.network.layers)
    params += l.kind == LayerKind::linear ? double(l.C) * l.M + l.M : double(l.C) / l.groups * l.R * l.S * l.M + 2.0 * l.M;
  EXPECT_EQ(params, 25557032.0);
  const test::Ran valid = test::cimmc("validate " + kConfig);
  EXPECT_EQ(valid.code, 0) << valid.out;
}

// Peak = MAC units x 2 ops x clock, the MAC units counted from the hierarchy's
// fan-outs; against the closed form of the published structure and figures.
TEST(Simba, PeakThroughputFromTheHierarchyIsThePublished128Tops) {
  const Config c = load_config(kConfig);
  const auto& lv = c.arch.hierarchy.levels;
  EXPECT_EQ(lv[0].fanout_instances(), kChiplets);
  EXPECT_EQ(lv[1].fanout_instances(), kPesPerChiplet);
  EXPECT_EQ(lv[2].fanout_instances(), kVectorMacs * kLanes);
  const hier::LevelSpec* pe = gpucim::pe_array_level(c);
  ASSERT_NE(pe, nullptr);
  double units = 1;
  for (const hier::LevelSpec& l : lv) units *= double(l.fanout_instances());
  const double tops = units * 2.0 * c.arch.clock_ghz / pe->cycles_per_op / 1000.0;
  EXPECT_NEAR(tops, kPublishedPackageTops, 0.05);  // the published figure's rounding
  // One chiplet of the package at the package's clock stays under the published
  // 1-chip peak (which runs at 4.01 / 2.048 = 1.958 GHz): 127.8 / 36 = 3.55 TOPS.
  const double chiplet_tops = tops / kChiplets;
  EXPECT_LT(chiplet_tops, kPublishedChipletTops);
  EXPECT_NEAR(chiplet_tops / kPublishedChipletTops, kPublishedPackageTops / (kChiplets * kPublishedChipletTops), 1e-3);
}

// Every layer's best nest spends MACs x pJ/MAC in the MAC level, the MACs
// counted from the layer's shape, at 2 x the published 0.11 pJ/op.
TEST(Simba, ResNet50ComputeEnergyIsMacsTimesPjPerMac) {
  const Config c = load_config(kConfig);
  const hier::LevelSpec* pe = gpucim::pe_array_level(c);
  ASSERT_NE(pe, nullptr);
  EXPECT_DOUBLE_EQ(pe->pj_per_mac, 2 * kPublishedPjPerOp);
  double macs = 0, compute_pj = 0;
  for (const LayerSpec& l : c.network.layers) {
    const hiermap::LayerSearch s = hiermap::search_layer(c, l, gpucim::op_figures_fn(c), 1, 500);
    ASSERT_FALSE(s.report.best.empty()) << l.name;
    const double m = layer_macs(l);
    EXPECT_NEAR(s.report.best.front().cost.macro_pj, m * pe->pj_per_mac, 1e-9 * m) << l.name;
    macs += m;
    compute_pj += s.report.best.front().cost.macro_pj;
  }
  // ResNet-50 at 224 x 224: mmengine's model analysis of torchvision's
  // resnet50 counts 4.145 G, MACs plus BatchNorm, pooling and additions, so the
  // convs and fc alone are a little less.
  EXPECT_LT(macs, 4.145e9);
  EXPECT_GT(macs, 0.98 * 4.145e9);
  EXPECT_NEAR(compute_pj, macs * 0.22, 1e-9 * macs);
}

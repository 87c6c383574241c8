// Workload module: lowering layers to GEMMs, whole networks in the config
// (explicit layers, CiMLoop import, Distiller scale), the shipped configs.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "config/config.hpp"
#include "workload/gemm.hpp"
#include "workload_test_util.hpp"

namespace cimmc {
namespace {

using wltest::kFile;
using wltest::kNetHead;
using wltest::kSource;

LayerSpec conv(int C, int M, int P, int Q, int R, int S, int groups = 1, int batch = 1) {
  LayerSpec l;
  l.name = "conv";
  l.kind = LayerKind::conv2d;
  l.C = C, l.M = M, l.P = P, l.Q = Q, l.R = R, l.S = S, l.groups = groups, l.batch = batch;
  return l;
}

// ---- lowering, against hand computation

TEST(Workload, Resnet18Conv1LowersByIm2col) {
  LayerSpec l = conv(3, 64, 112, 112, 7, 7);
  l.stride_h = l.stride_w = 2;  // strides shape P, Q; they do not enter the GEMM
  const Gemm g = lower(l);
  EXPECT_EQ(g.M, 112 * 112);
  EXPECT_EQ(g.K, 3 * 7 * 7);
  EXPECT_EQ(g.K, 147);
  EXPECT_EQ(g.N, 64);
  EXPECT_EQ(g.groups, 1);
  EXPECT_EQ(g.macs(), 12544LL * 147 * 64);  // 118,013,952: torchvision's 118 M MACs for conv1
  EXPECT_EQ(g.macs(), 118013952);
}

TEST(Workload, BatchMultipliesTheInputVectors) {
  const Gemm g = lower(conv(64, 128, 28, 28, 3, 3, 1, 4));
  EXPECT_EQ(g.M, 4 * 28 * 28);
  EXPECT_EQ(g.K, 64 * 9);
  EXPECT_EQ(g.N, 128);
}

TEST(Workload, GroupedAndDepthwiseConv) {
  const Gemm grouped = lower(conv(64, 128, 14, 14, 3, 3, 4));
  EXPECT_EQ(grouped.M, 196);
  EXPECT_EQ(grouped.K, 16 * 9);  // C / groups input channels per group
  EXPECT_EQ(grouped.N, 32);      // M / groups output channels per group
  EXPECT_EQ(grouped.groups, 4);
  EXPECT_EQ(grouped.macs(), 196LL * 64 * 128 * 9 / 4);
  // Depthwise 3x3 on 72 channels: one 9-long dot product per channel and pixel.
  const Gemm dw = lower(conv(72, 72, 56, 56, 3, 3, 72));
  EXPECT_EQ(dw.M, 56 * 56);
  EXPECT_EQ(dw.K, 9);
  EXPECT_EQ(dw.N, 1);
  EXPECT_EQ(dw.groups, 72);
  EXPECT_EQ(dw.macs(), 56LL * 56 * 72 * 9);
}

TEST(Workload, LinearAndMatmul) {
  LayerSpec fc;
  fc.kind = LayerKind::linear;
  fc.C = 768, fc.M = 3072, fc.tokens = 197, fc.batch = 2;
  const Gemm g = lower(fc);
  EXPECT_EQ(g.M, 2 * 197);
  EXPECT_EQ(g.K, 768);
  EXPECT_EQ(g.N, 3072);
  EXPECT_EQ(g.groups, 1);

  LayerSpec mm;
  mm.kind = LayerKind::matmul;
  mm.gemm_m = 197, mm.gemm_k = 64, mm.gemm_n = 197, mm.batch = 3, mm.repeat = 12;
  const Gemm a = lower(mm);
  EXPECT_EQ(a.M, 197);
  EXPECT_EQ(a.K, 64);
  EXPECT_EQ(a.N, 197);
  EXPECT_EQ(a.groups, 3);  // each batch item has its own stored operand
  EXPECT_EQ(layer_macs(mm), 197LL * 64 * 197 * 3 * 12);
}

TEST(Workload, LowerRejectsInvalidLayers) {
  EXPECT_THROW(lower(conv(64, 128, 14, 14, 3, 3, 3)), std::invalid_argument);  // 3 does not divide 64
  EXPECT_THROW(lower(conv(0, 128, 14, 14, 3, 3)), std::invalid_argument);
  LayerSpec huge = conv(1 << 24, 1 << 24, 1 << 24, 1 << 24, 1, 1);
  EXPECT_THROW(lower(huge), std::invalid_argument);  // would overflow int64
}

// ---- explicit layers

TEST(Workload, ExplicitLayersTakeDefaultsAndOverrides) {
  const std::string yaml = kNetHead + R"(    - {name: conv1, type: conv2d, C: 3, M: 64, P: 112, Q: 112, R: 7, S: 7, stride: 2}
    - name: dw
      type: conv2d
      C: 32
      M: 32
      P: 56
      Q: 56
      R: 3
      S: 3
      stride_h: 1
      stride_w: 2
      groups: 32
      repeat: 3
      inputs: {bits: 4}
    - name: fc
      type: linear
      in_features: 512
      out_features: 1000
      tokens: 7
      batch: 2
      weights:
        bits: 6
        signed: true
        distribution: {kind: laplace, b: 0.1}
    - {name: qk, type: matmul, m: 197, k: 64, n: 197}
  network: tiny
)";
  const Config c = parse_config(yaml, kFile);
  ASSERT_EQ(c.network.layers.size(), 4u);
  EXPECT_EQ(c.network.name, "tiny");
  const LayerSpec& c1 = c.network.layers[0];
  EXPECT_EQ(c1.kind, LayerKind::conv2d);
  EXPECT_EQ(c1.stride_h, 2);
  EXPECT_EQ(c1.stride_w, 2);
  EXPECT_EQ(c1.inputs.bits, 8);
  EXPECT_EQ(c1.inputs.dist.kind, DistKind::relu_normal);
  EXPECT_TRUE(c1.weights.is_signed);
  EXPECT_TRUE(c1.source.empty());
  const LayerSpec& dw = c.network.layers[1];
  EXPECT_EQ(dw.stride_h, 1);
  EXPECT_EQ(dw.stride_w, 2);
  EXPECT_EQ(dw.groups, 32);
  EXPECT_EQ(dw.repeat, 3);
  EXPECT_EQ(dw.inputs.bits, 4);                            // overridden
  EXPECT_EQ(dw.inputs.dist.kind, DistKind::relu_normal);   // inherited
  const LayerSpec& fc = c.network.layers[2];
  EXPECT_EQ(fc.kind, LayerKind::linear);
  EXPECT_EQ(fc.C, 512);
  EXPECT_EQ(fc.M, 1000);
  EXPECT_EQ(fc.tokens, 7);
  EXPECT_EQ(fc.batch, 2);
  EXPECT_EQ(fc.weights.bits, 6);
  EXPECT_EQ(fc.weights.dist.kind, DistKind::laplace);
  EXPECT_DOUBLE_EQ(fc.weights.dist.b, 0.1);
  const LayerSpec& qk = c.network.layers[3];
  EXPECT_EQ(qk.kind, LayerKind::matmul);
  EXPECT_EQ(qk.gemm_m, 197);
  EXPECT_EQ(qk.gemm_k, 64);
  EXPECT_EQ(qk.gemm_n, 197);
  EXPECT_EQ(lower(fc).M, 14);
  EXPECT_EQ(lower(dw).K, 9);
}

TEST(Workload, TileModeLeavesTheNetworkEmpty) {
  const Config c = load_config(kSource + "/configs/quickstart.yaml");
  EXPECT_TRUE(c.network.layers.empty());
  EXPECT_EQ(c.tile.rows_used, 128);
  EXPECT_EQ(c.tile.inputs.dist.bins.size(), 31u);
  EXPECT_EQ(c.arch.macros, ArchSpec{}.macros);  // defaults when the section is absent
  EXPECT_EQ(c.mapping.objective, Objective::energy);
}

// ---- CiMLoop import

std::string cimloop_yaml(const std::string& dir, const std::string& extra = "") {
  return "workload:\n  cimloop:\n    dir: " + dir + "\n" + extra +
         "  defaults:\n    inputs: {bits: 8}\n    weights: {bits: 8, signed: true}\n";
}

TEST(Workload, CimloopResnet18Import) {
  const Config c = parse_config(cimloop_yaml(kSource + "/data/cimloop_workloads/resnet18/"), kFile);
  ASSERT_EQ(c.network.layers.size(), 21u);
  EXPECT_EQ(c.network.name, "resnet18");  // from the directory, trailing slash or not
  const LayerSpec& c1 = c.network.layers[0];
  EXPECT_EQ(c1.C, 3);
  EXPECT_EQ(c1.R, 7);
  EXPECT_EQ(c1.stride_h, 2);
  const Gemm g1 = lower(c1);
  EXPECT_EQ(g1.M, 12544);
  EXPECT_EQ(g1.K, 147);
  EXPECT_EQ(g1.N, 64);

  const LayerSpec& l5 = c.network.layers[5];  // layer2.0.conv1
  EXPECT_EQ(l5.name, "05");
  EXPECT_NE(l5.source.find("resnet18/05.yaml"), std::string::npos);
  EXPECT_EQ(l5.kind, LayerKind::conv2d);
  EXPECT_EQ(l5.C, 64);
  EXPECT_EQ(l5.M, 128);
  EXPECT_EQ(l5.P, 28);
  EXPECT_EQ(l5.Q, 28);
  EXPECT_EQ(l5.R, 3);
  EXPECT_EQ(l5.S, 3);
  EXPECT_EQ(l5.stride_h, 2);
  EXPECT_EQ(l5.stride_w, 2);
  EXPECT_EQ(l5.groups, 1);
  // Operands: bits and signedness from the defaults, histograms from the file.
  EXPECT_EQ(l5.inputs.bits, 8);
  EXPECT_FALSE(l5.inputs.is_signed);
  EXPECT_TRUE(l5.weights.is_signed);
  ASSERT_EQ(l5.weights.dist.kind, DistKind::histogram);
  ASSERT_EQ(l5.weights.dist.bins.size(), 31u);
  EXPECT_DOUBLE_EQ(l5.weights.dist.bins[15], 0.105);  // P(w = 0)
  const auto& x = l5.inputs.dist.bins;
  ASSERT_EQ(x.size(), 31u);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(x[i], 0.0) << i;  // post-ReLU: empty negative half
  EXPECT_DOUBLE_EQ(x[15], 0.304);                          // P(x = 0)
  EXPECT_DOUBLE_EQ(x[30], 0.00426);
  EXPECT_FALSE(l5.inputs.dist.clip.has_value());           // shape only without Distiller

  const LayerSpec& ds = c.network.layers[7];  // 1x1 stride-2 downsample: no R, S in the file
  EXPECT_EQ(ds.R, 1);
  EXPECT_EQ(ds.S, 1);
  EXPECT_EQ(ds.stride_h, 2);
  const LayerSpec& fc = c.network.layers[20];
  EXPECT_EQ(fc.C, 512);
  EXPECT_EQ(fc.M, 1000);
  EXPECT_EQ(lower(fc).M, 1);

  const Config b4 = parse_config(cimloop_yaml(kSource + "/data/cimloop_workloads/resnet18", "    batch: 4\n"), kFile);
  EXPECT_EQ(lower(b4.network.layers[5]).M, 4 * 28 * 28);
}

TEST(Workload, CimloopDepthwiseAndTransformerLayers) {
  const Config mb = parse_config(cimloop_yaml(kSource + "/data/cimloop_workloads/mobilenet_v3"), kFile);
  ASSERT_EQ(mb.network.layers.size(), 64u);
  const LayerSpec& dw = mb.network.layers[1];  // {G: 16, P: 112, Q: 112, R: 3, S: 3}
  EXPECT_EQ(dw.C, 16);
  EXPECT_EQ(dw.M, 16);
  EXPECT_EQ(dw.groups, 16);
  const Gemm g = lower(dw);
  EXPECT_EQ(g.K, 9);
  EXPECT_EQ(g.N, 1);
  EXPECT_EQ(g.groups, 16);
  EXPECT_EQ(mb.network.layers[4].stride_h, 2);  // strided depthwise

  const Config vit = parse_config(cimloop_yaml(kSource + "/data/cimloop_workloads/vision_transformer"), kFile);
  ASSERT_EQ(vit.network.layers.size(), 98u);
  const Gemm patch = lower(vit.network.layers[0]);  // 16x16 stride-16 patch embedding
  EXPECT_EQ(patch.M, 14 * 14);
  EXPECT_EQ(patch.K, 3 * 16 * 16);
  EXPECT_EQ(patch.N, 768);
  const LayerSpec& qkv = vit.network.layers[1];  // {C: 768, M: 768, P: 197}
  EXPECT_EQ(qkv.kind, LayerKind::conv2d);
  EXPECT_EQ(lower(qkv).M, 197);
  EXPECT_EQ(lower(qkv).K, 768);
  const LayerSpec& att = vit.network.layers[4];  // "From einsum" {M: 64, C: 197, P: 12}
  EXPECT_EQ(att.kind, LayerKind::matmul);
  EXPECT_EQ(att.gemm_m, 12);
  EXPECT_EQ(att.gemm_k, 197);
  EXPECT_EQ(att.gemm_n, 64);
  EXPECT_EQ(att.weights.dist.kind, DistKind::histogram);
}

TEST(Workload, DistillerGivesResnet18InputClips) {
  const std::string yaml = cimloop_yaml(
      kSource + "/data/cimloop_workloads/resnet18",
      "  distiller: {file: " + kSource + "/data/distiller_stats/distiller_resnet18_quant_stats.yaml}\n");
  const Config c = parse_config(yaml, kFile);
  const auto& L = c.network.layers;
  ASSERT_EQ(L.size(), 21u);
  for (const LayerSpec& l : L) EXPECT_TRUE(l.inputs.dist.clip.has_value()) << l.name;
  // conv1 (3 input channels): the normalized image, avg_min -2.018, avg_max 2.485.
  EXPECT_EQ(L[0].C, 3);
  EXPECT_DOUBLE_EQ(*L[0].inputs.dist.clip, 2.4849105119705195);
  EXPECT_DOUBLE_EQ(*L[5].inputs.dist.clip, 5.063360500335693);   // layer2.0.conv1
  EXPECT_DOUBLE_EQ(*L[7].inputs.dist.clip, 5.063360500335693);   // layer2.0.downsample.0 (same input)
  EXPECT_DOUBLE_EQ(*L[20].inputs.dist.clip, 6.189624261856079);  // fc
  EXPECT_EQ(c.network.distiller_file, kSource + "/data/distiller_stats/distiller_resnet18_quant_stats.yaml");
  EXPECT_FALSE(L[0].weights.dist.clip.has_value());  // activations only
}

// ---- the shipped configs

TEST(Workload, ShippedConfigsParse) {
  const std::pair<const char*, std::size_t> expected[] = {
      {"resnet18", 21}, {"vgg16", 16}, {"mobilenetv3", 64}, {"vit", 98}, {"gpt2-medium", 145}};
  for (const auto& [name, layers] : expected) {
    const Config c = load_config(kSource + "/configs/" + name + ".yaml");
    EXPECT_EQ(c.name, name);
    EXPECT_EQ(c.network.layers.size(), layers) << name;
    EXPECT_LE(c.run.samples, 10000u) << name;
    EXPECT_GE(c.arch.macros, 1) << name;
    for (const LayerSpec& l : c.network.layers) {
      EXPECT_EQ(l.inputs.bits, 8) << name << " " << l.name;
      EXPECT_EQ(l.weights.bits, 8) << name << " " << l.name;
      EXPECT_GT(lower(l).macs(), 0) << name << " " << l.name;
    }
  }
  const Config r = load_config(kSource + "/configs/resnet18.yaml");
  EXPECT_TRUE(r.network.layers[0].inputs.dist.clip.has_value());  // Distiller scale
  EXPECT_EQ(load_config(kSource + "/configs/gpt2-medium.yaml").macro.input_encoding, InputEncoding::twos_complement);
}

}  // namespace
}  // namespace cimmc

// Studies on a chiplet system (issue 15): rows price macros + tile buffers +
// NoC + NoP + global buffer + DRAM; the network row sums its layers and takes
// the pipeline's slowest stage; config errors name file, line and key.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "chiplet/system.hpp"
#include "config/config.hpp"
#include "config/sweep.hpp"
#include "config_test_util.hpp"
#include "study/plan.hpp"
#include "workload/gemm.hpp"
#include "study/runner.hpp"
#include "study_test_util.hpp"

using namespace cimmc;

namespace {

// test::tiny_network (conv 8->12 on 4x4 outputs, fc 100->10, 64x64 macros) on 2-tile chiplets of 1 macro.
std::string tiny_chiplets(const std::string& chiplets = "auto", const std::string& extra = "") {
  std::string y = test::tiny_network("run: {samples: 256, seed: 3, inputs_per_instance: 16}");
  const std::string flat = "architecture: {macros: 8}\n";
  y.replace(y.find(flat), flat.size(), "architecture:\n  chiplets:\n    chiplets: " + chiplets + R"(
    tiles_per_chiplet: 2
    macros_per_tile: 1
    noc: {flit_bits: 32, hop_pj_per_flit: 3.0}
    nop: {pj_per_bit: 0.5, bandwidth_gbps: 100}
    area: {macro_mm2: 0.1, router_mm2: 0.01, nop_mm2: 0.2, global_buffer_mm2: 1.0}
)" + extra);
  return y;
}

const std::vector<double>& col(const Table& t, const std::string& n) {
  const Column* c = t.find(n);
  EXPECT_NE(c, nullptr) << n;
  static const std::vector<double> none;
  return c ? std::get<std::vector<double>>(c->data) : none;
}
std::int64_t icol(const Table& t, const std::string& n, std::size_t r) {
  return std::get<std::vector<std::int64_t>>(t.find(n)->data).at(r);
}

StudyFile run_mem(const Sweep& s, Model model, int threads = 0) {
  StudyOptions o;
  o.engine.backend = Backend::cpu;
  o.engine.threads = threads;
  o.model = model;
  o.energy_only = model == Model::statistical;
  StudyStats st;
  return run_study(s, o, st);
}

const char* kParts[] = {"input_buffer_pj", "output_buffer_pj", "noc_pj", "nop_pj", "chiplet_global_buffer_pj",
                        "chiplet_dram_pj"};

}  // namespace

TEST(ChipletRun, TotalsAreMacrosPlusSystemAndNetworkSumsLayers) {
  for (Model m : {Model::statistical, Model::sampled}) {
    const StudyFile f = run_mem(parse_sweep(tiny_chiplets(), "tinyc.yaml"), m);
    ASSERT_EQ(f.layers.rows(), 2u);
    ASSERT_EQ(f.network.rows(), 1u);
    for (const Table* t : {&f.layers, &f.network})
      for (std::size_t r = 0; r < t->rows(); ++r) {
        double want = 0;
        for (const char* c : kComponentNames) want += col(*t, std::string(c) + "_pj")[r];
        for (const char* p : kParts) want += col(*t, p)[r];
        EXPECT_NEAR(col(*t, "total_pj")[r], want, 1e-9 * want) << r;
        EXPECT_EQ(col(*t, "global_buffer_pj")[r], 0.0);  // the flat memories are replaced
        EXPECT_EQ(col(*t, "dram_pj")[r], 0.0);
      }
    for (const char* n : {"total_pj", "noc_pj", "nop_pj", "noc_flit_hops", "nop_bit_hops", "activation_bits",
                          "psum_bits", "chiplet_dram_bits", "latency_ns", "macs"})
      EXPECT_NEAR(col(f.network, n)[0], col(f.layers, n)[0] + col(f.layers, n)[1], 1e-9 * col(f.network, n)[0]) << n;
    // Pipeline: the interval is the slowest layer's stage; latency is the sum of the stages.
    EXPECT_DOUBLE_EQ(col(f.network, "interval_ns")[0],
                     std::max(col(f.layers, "stage_ns_max")[0], col(f.layers, "stage_ns_max")[1]));
    for (std::size_t r = 0; r < 2; ++r)
      EXPECT_NEAR(col(f.layers, "latency_ns")[r],
                  col(f.layers, "stage_compute_ns")[r] + col(f.layers, "stage_noc_ns")[r] +
                      col(f.layers, "stage_nop_ns")[r] + col(f.layers, "stage_dram_ns")[r],
                  1e-9 * col(f.layers, "latency_ns")[r]);
    EXPECT_DOUBLE_EQ(col(f.network, "edp_pj_ns")[0], col(f.network, "total_pj")[0] * col(f.network, "latency_ns")[0]);
  }
}

// conv: K = 8 x 9 = 72 rows on 64-row macros -> 2 k tiles; a 4-bit differential weight at
// 2 bits/cell takes 2 x 2 columns, so 16 weights per macro and N 12 is one n tile: 2 macros =
// 2 tiles. fc: K 100 -> 2 k tiles, N 10 -> 1: 2 tiles. 4 tiles of 2 per chiplet: 2 chiplets,
// the conv on chiplet 0, the fc on chiplet 1.
TEST(ChipletRun, PlacementAndAreaOfTheTinyNetwork) {
  const StudyFile f = run_mem(parse_sweep(tiny_chiplets(), "tinyc.yaml"), Model::statistical);
  EXPECT_EQ(icol(f.network, "chiplets", 0), 2);
  EXPECT_EQ(icol(f.network, "tiles_used", 0), 4);
  EXPECT_EQ(icol(f.layers, "first_tile", 0), 0);
  EXPECT_EQ(icol(f.layers, "last_tile", 0), 1);
  EXPECT_EQ(icol(f.layers, "first_chiplet", 1), 1);
  EXPECT_EQ(icol(f.layers, "last_chiplet", 1), 1);
  // 2 chiplets x (2 tiles x (1 macro x 0.1 + router 0.01) + NoP 0.2) + global buffer 1.0.
  EXPECT_NEAR(col(f.network, "area_mm2")[0], 2 * (2 * 0.11 + 0.2) + 1.0, 1e-12);
  EXPECT_NEAR(col(f.network, "area_chiplet_mm2")[0], 2 * 0.11 + 0.2, 1e-12);
  // The conv's 2 k tiles sit on tiles 0 and 1: tile 1 sends 16 vectors x 12 columns of
  // 4 + 4 + ceil(log2 72) = 15-bit partial sums to tile 0.
  EXPECT_EQ(col(f.layers, "psum_bits")[0], 16.0 * 12 * 15);
  EXPECT_EQ(col(f.layers, "psum_bits")[1], 1.0 * 10 * 15);  // fc: 1 vector, 10 columns, 4 + 4 + 7 bits
  EXPECT_GT(col(f.layers, "nop_bit_hops")[0], 0);
}

TEST(ChipletRun, SameFileForAnyThreadCount) {
  const Sweep s = parse_sweep(tiny_chiplets(), "tinyc.yaml");
  const StudyFile a = run_mem(s, Model::sampled, 1), b = run_mem(s, Model::sampled, 2);
  for (const char* n : {"total_pj", "total_pj_se", "noc_pj", "latency_ns"})
    EXPECT_EQ(col(a.layers, n), col(b.layers, n)) << n;
}

TEST(ChipletConfig, BadInputNamesFileLineAndKey) {
  using test::is_config_error;
  using test::parse_error;
  EXPECT_TRUE(is_config_error(parse_error(tiny_chiplets("1"), "t.yaml"), "t.yaml", 13, "architecture.chiplets.chiplets",
                              "1", "the network needs 4 tiles of 1 macros, 2 chiplets of 2 tiles"));
  EXPECT_TRUE(is_config_error(parse_error(tiny_chiplets("0"), "t.yaml"), "t.yaml", 13, "architecture.chiplets.chiplets",
                              "0", "must be an integer in [1, 4096]"));
  EXPECT_TRUE(is_config_error(parse_error(tiny_chiplets("auto", "  macros: 8\n"), "t.yaml"), "t.yaml", 19,
                              "architecture.macros", "8", "leave it out with architecture.chiplets"));
  const std::string both = tiny_chiplets("auto", "  hierarchy:\n    dram: {}\n    macro: {kind: macro}\n");
  EXPECT_NE(parse_error(both, "t.yaml").find("cannot be used with architecture.hierarchy"), std::string::npos)
      << parse_error(both, "t.yaml");
  // A single tile has no network to place.
  const std::string tile = test::kValidWorkload + "architecture:\n  chiplets: {tiles_per_chiplet: 4}\n";
  EXPECT_TRUE(is_config_error(parse_error(tile, "t.yaml"), "t.yaml", 10, "architecture.chiplets", "chiplets",
                              "needs a network"));
  // Operand links name earlier layers; a repeated layer cannot add a skip tensor.
  std::string self = tiny_chiplets();
  self.replace(self.find("out_features: 10}"), 17, "out_features: 10, residual: fc}");
  EXPECT_TRUE(is_config_error(parse_error(self, "t.yaml"), "t.yaml", 10, "workload.layers[1].residual", "fc",
                              "must name an earlier layer of workload.layers"));
  std::string rep = tiny_chiplets();
  rep.replace(rep.find("out_features: 10}"), 17, "out_features: 10, residual: conv, repeat: 2}");
  EXPECT_TRUE(is_config_error(parse_error(rep, "t.yaml"), "t.yaml", 10, "workload.layers[1].residual", "conv",
                              "cannot be given on a layer with repeat 2"));
  EXPECT_TRUE(is_config_error(parse_error(tiny_chiplets("auto", "    cost: {bond_yield: 0}\n"), "t.yaml"), "t.yaml", 19,
                              "architecture.chiplets.cost.bond_yield", "0", "must be"));
  std::string bad_noc = tiny_chiplets();
  bad_noc.replace(bad_noc.find("flit_bits: 32"), 13, "flit_bits: 0");
  EXPECT_TRUE(is_config_error(parse_error(bad_noc, "t.yaml"), "t.yaml", 16, "architecture.chiplets.noc.flit_bits",
                              "0", "must be an integer in [1, 65536]"));
}

// The written-out workloads have the published sizes: ResNet-50 (torchvision) 25,557,032
// parameters, of which 53,120 are batch-norm and 1,000 fc bias, leaving 25,502,912 weights, and
// 4.09 G multiply-accumulates per 224x224 image; ResNet-110 1.7 M parameters and 253 M FLOPs
// (MACs) per 32x32 image (He et al., CVPR 2016, Sec. 4.2 and Table 6).
TEST(ChipletWorkloads, ResNetsHaveThePublishedSizes) {
  struct Want {
    const char* file;
    std::size_t layers;
    double weights, macs, weights_tol, macs_tol;
    int adds, rerouted;  // residual additions (one per block) and layers reading a non-adjacent input
  };
  for (const Want& w : {Want{"chiplet-resnet50.yaml", 54, 25502912, 4.09e9, 0, 0.005e9, 3 + 4 + 6 + 3, 4},
                        Want{"chiplet-resnet110.yaml", 110, 1.7e6, 253e6, 0.05e6, 0.5e6, 3 * 18, 0}}) {
    const Sweep s = load_sweep(std::string(CIMMC_SOURCE_DIR) + "/configs/" + w.file);
    const Config& c = s.points.at(0).config;
    ASSERT_EQ(c.network.layers.size(), w.layers) << w.file;
    double weights = 0, macs = 0;
    int adds = 0, rerouted = 0;
    for (const LayerSpec& l : c.network.layers) {
      adds += !l.residual_from.empty();
      rerouted += !l.input_from.empty();
      const Gemm g = lower(l);
      weights += double(g.K) * double(g.N) * g.groups;
      macs += double(layer_macs(l));
    }
    EXPECT_NEAR(weights, w.weights, w.weights_tol) << w.file;
    EXPECT_NEAR(macs, w.macs, w.macs_tol) << w.file;
    EXPECT_EQ(adds, w.adds) << w.file;
    EXPECT_EQ(rerouted, w.rerouted) << w.file;
    EXPECT_TRUE(c.arch.chiplets.enabled);
    EXPECT_GT(s.points.size(), 8u);  // a chiplet-size sweep
  }
}

// A study whose points are not all chiplet systems would have rows of different columns.
TEST(ChipletRun, MixedSystemKindsAreRefused) {
  const Config chip = parse_config(tiny_chiplets(), "c.yaml");
  const Config flat = parse_config(test::tiny_network("run: {samples: 256, seed: 3}"), "f.yaml");
  const std::vector<const Config*> pts{&chip, &flat};
  try {
    make_plan(pts, 0, 2);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("sweep point 1 has no architecture.chiplets"), std::string::npos) << e.what();
  }
}

// The shipped ResNets' skip tensors per inference, counted by hand (8-bit activations, one add per
// block, the block's output channels x its output size):
//   ResNet-50: 3 x 256 x 56^2 + 4 x 512 x 28^2 + 6 x 1024 x 14^2 + 3 x 2048 x 7^2 = 5,519,360 x 8 b;
//   ResNet-110 (option A): 18 x 16 x 32^2 + (16 + 17 x 32) x 16^2 + (32 + 17 x 64) x 8^2
//   = 509,952 x 8 b (the first block of a stage sends only its input's channels, subsampled).
TEST(ChipletWorkloads, SkipTensorsOfTheResNetsByHand) {
  for (const auto& [file, bits] : {std::pair<const char*, double>{"chiplet-resnet50.yaml", 5519360.0 * 8},
                                   {"chiplet-resnet110.yaml", 509952.0 * 8}}) {
    const Config c = load_sweep(std::string(CIMMC_SOURCE_DIR) + "/configs/" + file).points.at(0).config;
    const std::vector<chiplet::LayerShape> shapes = chiplet::network_shapes(c);
    const chiplet::SystemCosts s = chiplet::evaluate(shapes, std::vector<double>(shapes.size(), 0.0), c.arch.chiplets,
                                                     chiplet::off_chip(c.arch));
    double skip = 0;
    for (const chiplet::LayerCosts& l : s.layers) skip += l.skip_bits;
    EXPECT_DOUBLE_EQ(skip, bits) << file;
  }
}

// Studies on a chiplet system (issue 15): rows price macros + tile buffers +
// NoC + NoP + global buffer + DRAM; the network row sums its layers and takes
// the pipeline's slowest stage; config errors name file, line and key.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "chiplet/area.hpp"
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
  o.energy_only = model != Model::sampled;
  o.refine = 1;  // hybrid: the best point per objective
  StudyStats st;
  return run_study(s, o, st);
}

const char* kParts[] = {"input_buffer_pj",          "output_buffer_pj", "noc_pj",        "nop_pj",
                        "chiplet_global_buffer_pj", "chiplet_dram_pj",  "residual_add_pj", "skip_buffer_pj"};

// Every row's total_pj is its macro components plus kParts; the flat global buffer and DRAM are 0.
void expect_totals_are_parts(const StudyFile& f) {
  for (const Table* t : {&f.layers, &f.network})
    for (std::size_t r = 0; r < t->rows(); ++r) {
      double want = 0;
      for (const char* c : kComponentNames) want += col(*t, std::string(c) + "_pj")[r];
      for (const char* p : kParts) want += col(*t, p)[r];
      EXPECT_NEAR(col(*t, "total_pj")[r], want, 1e-9 * want) << r;
      EXPECT_EQ(col(*t, "global_buffer_pj")[r], 0.0);  // the flat memories are replaced
      EXPECT_EQ(col(*t, "dram_pj")[r], 0.0);
    }
}

}  // namespace

TEST(ChipletRun, TotalsAreMacrosPlusSystemAndNetworkSumsLayers) {
  for (Model m : {Model::statistical, Model::sampled}) {
    const StudyFile f = run_mem(parse_sweep(tiny_chiplets(), "tinyc.yaml"), m);
    ASSERT_EQ(f.layers.rows(), 2u);
    ASSERT_EQ(f.network.rows(), 1u);
    expect_totals_are_parts(f);
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
  // A sourced cell array replaces the area model's cells: with a written macro area there are none.
  std::string cells = tiny_chiplets();
  cells.replace(cells.find("macro_mm2: 0.1"), 14, "macro_mm2: 0.1, cell_array_mm2: 0.02");
  EXPECT_TRUE(is_config_error(parse_error(cells, "t.yaml"), "t.yaml", 18, "architecture.chiplets.area.cell_array_mm2",
                              "0.02", "with area.macro_mm2 written as a number"));
  std::string word = tiny_chiplets();
  word.replace(word.find("router_mm2: 0.01"), 16, "router_mm2: modle");
  EXPECT_NE(parse_error(word, "t.yaml").find("architecture.chiplets.area.router_mm2"), std::string::npos)
      << parse_error(word, "t.yaml");
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
                                                     chiplet::off_chip(c));
    double skip = 0;
    for (const chiplet::LayerCosts& l : s.layers) skip += l.skip_bits;
    EXPECT_DOUBLE_EQ(skip, bits) << file;
  }
}

// A 2-layer residual network through a whole study, by hand: a (conv 8 -> 12, 1x1, 4x4 outputs) and
// b (conv 12 -> 12, 1x1, 4x4 outputs) adding a's output, 4-bit activations, at 22 nm and 0.8 V with
// a 0.07 pJ/bit output buffer. b adds 12 channels x 16 outputs = 192 elements of 4 bits: 768 full
// adders of 3.40 fJ x 22/28 x (0.8/0.9)^2 (ZigZag-IMC's, scaled as switched capacitance);
// the 192 x 4 = 768-bit skip tensor is written and read in b's output buffer: 1536 bits.
TEST(ChipletRun, ResidualAddAndSkipBufferOfATwoLayerToyByHand) {
  const std::string y = R"(name: res
run: {samples: 256, seed: 3, inputs_per_instance: 16}
macro: {rows: 64, cols: 64, bits_per_cell: 2, weight_encoding: differential, adc: {bits: 6, range: full}}
energy: {node_nm: 22, vdd_v: 0.8}
workload:
  defaults:
    inputs: {bits: 4, distribution: {kind: relu_normal, std: 1.0, zero_fraction: 0.5}}
    weights: {bits: 4, signed: true, distribution: {kind: normal, std: 0.5}}
  layers:
    - {name: a, type: conv2d, C: 8, M: 12, P: 4, Q: 4, R: 1, S: 1}
    - {name: b, type: conv2d, C: 12, M: 12, P: 4, Q: 4, R: 1, S: 1, residual: a}
architecture:
  output_buffer: {energy_pj_per_bit: 0.07}
  chiplets: {chiplets: auto, tiles_per_chiplet: 2, macros_per_tile: 1}
)";
  const StudyFile f = run_mem(parse_sweep(y, "res.yaml"), Model::statistical);
  ASSERT_EQ(f.layers.rows(), 2u);
  const double fa_pj = 3.40e-15 * 22.0 / 28.0 * (0.8 / 0.9) * (0.8 / 0.9) * 1e12;
  EXPECT_EQ(col(f.layers, "residual_adds")[0], 0.0);
  EXPECT_EQ(col(f.layers, "residual_adds")[1], 192.0);
  EXPECT_NEAR(col(f.layers, "residual_add_pj")[1], 768 * fa_pj, 1e-12);
  EXPECT_EQ(col(f.layers, "skip_buffer_bits")[1], 1536.0);
  EXPECT_NEAR(col(f.layers, "skip_buffer_pj")[1], 1536 * 0.07, 1e-9);
  EXPECT_EQ(col(f.layers, "skip_bits")[0], 768.0);
  EXPECT_NEAR(col(f.network, "residual_add_pj")[0], 768 * fa_pj, 1e-12);
  expect_totals_are_parts(f);
}

// Chiplet area from the models (no macro_mm2 or router_mm2 given), by hand. The tiny network's
// macro (64 x 64 ReRAM cells, 6-bit ADC per column, 4-bit inputs bit-serial, 4-bit differential
// weights at 2 bits per cell: 4 columns per weight, 16 weights) at 28 nm from ZigZag-IMC's gate
// areas (NAND2 0.614 um^2, DFF 6 NAND2, full adder 3 NAND2 + 2 XOR2 of 2.4 NAND2):
//   cells        4096 x 12 F^2 (F = 28 nm)                       =    38.535 um^2
//   input regs   64 rows x 1 bit x DFF                            =   235.776
//   ADCs         64 x 10^(-0.0369 x 6 + 1.206) x 2^6              = 39,520
//   accumulators 64 cols x (4 + 6 + 0 + 1) bits x (FA + DFF)      =  5,965.1
//   output regs  16 weights x (11 + 4 + 1) bits x (3 FA + DFF)    =  4,621.2
// Router: 0.34 mm^2 x (5 x 32) / (5 x 39) x (28 / 65)^2. A chiplet: 2 tiles x (1 macro + router)
// + NoP 0.2. With area.cell_array_mm2 the cells are replaced and the periphery kept.
TEST(ChipletRun, ChipletAreaIsTheHandSumOfItsComponents) {
  const double nand = 0.614, dff = 6 * nand, fa = 3 * nand + 2 * 2.4 * nand;
  const double cells = 4096 * 12 * 0.028 * 0.028;
  const double periphery = 64 * 1 * dff + 64 * std::pow(10.0, -0.0369 * 6 + 1.206) * 64 + 64 * 11 * (fa + dff) +
                           16 * 16 * (3 * fa + dff);
  const double macro = (cells + periphery) * 1e-6;
  const double router = 0.34 * 160.0 / 195.0 * (28.0 / 65.0) * (28.0 / 65.0);
  const std::string given = "area: {macro_mm2: 0.1, router_mm2: 0.01, ";
  std::string y = tiny_chiplets();
  y.replace(y.find(given), given.size(), "area: {");
  const StudyFile f = run_mem(parse_sweep(y, "tinyc.yaml"), Model::statistical);
  EXPECT_EQ(icol(f.network, "chiplets", 0), 2);
  EXPECT_NEAR(col(f.network, "area_chiplet_mm2")[0], 2 * (macro + router) + 0.2, 1e-12);
  EXPECT_NEAR(col(f.network, "area_mm2")[0], 2 * (2 * (macro + router) + 0.2) + 1.0, 1e-12);
  EXPECT_NEAR(col(f.network, "area_macro_periphery_mm2")[0], 4 * periphery * 1e-6, 1e-12);
  EXPECT_NEAR(col(f.network, "area_routers_mm2")[0], 4 * router, 1e-12);
  // The same macro as the flat model's area column (cim_area_mm2: every provisioned macro).
  EXPECT_NEAR(col(f.network, "area_macros_mm2")[0], col(f.network, "cim_area_mm2")[0], 1e-12);
  // A sourced cell array replaces the model's cells; "model" written out is the default.
  std::string c = tiny_chiplets();
  c.replace(c.find(given), given.size(), "area: {macro_mm2: model, cell_array_mm2: 0.01, ");
  const StudyFile g = run_mem(parse_sweep(c, "tinyc.yaml"), Model::statistical);
  EXPECT_NEAR(col(g.network, "area_chiplet_mm2")[0], 2 * (0.01 + periphery * 1e-6 + router) + 0.2, 1e-12);
  // Written as numbers, the areas are as written (the tiny test above): no periphery column.
  const StudyFile h = run_mem(parse_sweep(tiny_chiplets(), "tinyc.yaml"), Model::statistical);
  EXPECT_EQ(col(h.network, "area_macro_periphery_mm2")[0], 0.0);
}

// Buffer capacities give the tile and global buffer areas from their SRAM cells (energy.node_nm
// 28, the default: 160 F^2 = 0.12544 um^2 per bit). By hand: a tile's 64 KiB = 524,288 bits =
// 0.0657667 mm^2, the global buffer's 1024 KiB = 8,388,608 bits = 1.0522670 mm^2; the system
// 2 chiplets x (2 tiles x (macro 0.1 + router 0.01 + 0.0657667) + NoP 0.2) + 1.0522670.
TEST(ChipletRun, BufferCapacitiesGiveTheirSramArea) {
  std::string y = tiny_chiplets();
  const std::string glb = "global_buffer_mm2: 1.0}";
  y.replace(y.find(glb), glb.size(), "tile_buffer_kib: 64, global_buffer_kib: 1024}");
  const StudyFile f = run_mem(parse_sweep(y, "tinyc.yaml"), Model::statistical);
  const double tile = 524288 * 0.12544e-6, gb = 8388608 * 0.12544e-6;
  EXPECT_NEAR(tile, 0.0657667, 1e-7);
  EXPECT_NEAR(gb, 1.0522670, 1e-7);
  EXPECT_NEAR(col(f.network, "area_mm2")[0], 2 * (2 * (0.1 + 0.01 + tile) + 0.2) + gb, 1e-12);
  // Written with its area too: an error at the capacity's key.
  std::string both = tiny_chiplets();
  both.replace(both.find(glb), glb.size(), "global_buffer_mm2: 1.0, global_buffer_kib: 1024}");
  EXPECT_NE(test::parse_error(both, "t.yaml").find("architecture.chiplets.area.global_buffer_kib"), std::string::npos)
      << test::parse_error(both, "t.yaml");
}

// A given SRAM cell array holds the 1-bit products (src/chiplet/area.hpp): the model's one
// NAND2 per cell leaves the periphery with the cells, for an analog SRAM macro only. The 64 x 64
// SRAM macro at 28 nm (this config's node): 4096 NAND2 of ZigZag-IMC's 0.614 um^2 per macro,
// 4 macros (2 chiplets x 2 tiles). Written as a ReRAM macro, the periphery is the same with or
// without a cell array.
TEST(ChipletRun, SramCellArrayHoldsItsProducts) {
  const std::string given = "area: {macro_mm2: 0.1, router_mm2: 0.01, ";
  const std::string reram = "macro: {rows: 64, cols: 64, bits_per_cell: 2, weight_encoding: differential, ";
  auto periphery = [&](bool sram, bool array) {
    std::string y = tiny_chiplets();
    if (sram)
      y.replace(y.find(reram), reram.size(),
                "macro: {cell: sram, rows: 64, cols: 64, bits_per_cell: 1, weight_encoding: twos_complement, "
                "g_off_us: 0.0, ");
    y.replace(y.find(given), given.size(), array ? "area: {cell_array_mm2: 0.01, " : "area: {");
    // Sampled: the energy-only model refuses SRAM cells (their column energy follows the value).
    const StudyFile f = run_mem(parse_sweep(y, "tinyc.yaml"), Model::sampled);
    EXPECT_EQ(icol(f.network, "chiplets", 0), 2);
    return col(f.network, "area_macro_periphery_mm2")[0];
  };
  EXPECT_NEAR(periphery(true, false) - periphery(true, true), 4 * 4096 * 0.614e-6, 1e-12);
  EXPECT_NEAR(periphery(false, false), periphery(false, true), 1e-15);
  EXPECT_GT(periphery(true, true), 0.0);
}

// --model hybrid ranks a chiplet system's area efficiency on the whole system's area.
// Two points differ only in the NoP interface's area (5 against 0.2 mm^2 per chiplet):
// energy, latency and the macros' area are equal, so only the system's TOPS/mm^2 tells
// them apart, and it favours point 1. Its area by hand: 2 chiplets x (2 tiles x (macro
// 0.1 + router 0.01) + NoP) + global buffer 1.0.
TEST(ChipletRun, HybridRanksAreaEfficiencyOnTheSystemArea) {
  const Sweep s = parse_sweep(tiny_chiplets() + "sweep:\n  cartesian:\n    architecture.chiplets.area.nop_mm2: [5.0, 0.2]\n",
                              "tinyc.yaml");
  const StudyFile screen = run_mem(s, Model::statistical);
  const double area[2] = {2 * (2 * 0.11 + 5.0) + 1.0, 2 * (2 * 0.11 + 0.2) + 1.0};
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_NEAR(col(screen.network, "area_mm2")[i], area[i], 1e-12) << i;
    EXPECT_NEAR(col(screen.network, "system_tops_per_mm2")[i], col(screen.network, "tops")[i] / area[i], 1e-15) << i;
  }
  ASSERT_EQ(col(screen.network, "total_pj")[0], col(screen.network, "total_pj")[1]);
  ASSERT_EQ(col(screen.network, "latency_ns")[0], col(screen.network, "latency_ns")[1]);
  ASSERT_EQ(col(screen.network, "tops_per_mm2")[0], col(screen.network, "tops_per_mm2")[1]);
  const StudyFile hyb = run_mem(s, Model::hybrid);
  const auto& model = std::get<std::vector<std::string>>(hyb.network.find("model")->data);
  ASSERT_EQ(model.size(), 2u);
  EXPECT_EQ(model[1], "sampled");  // best TOPS per mm^2 of system
}

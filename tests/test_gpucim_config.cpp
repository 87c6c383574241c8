// `kind: pe_array` in YAML (issue 15 part 2): its keys and their errors, the
// shipped configs/gpu-*.yaml, and their fixed per-MAC pricing through the
// mapping search (compute energy = MACs x pJ/MAC, compute time = operations x
// the primitive's latency).
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "config/config.hpp"
#include "config_test_util.hpp"
#include "gpucim/pe_array.hpp"
#include "hiermap/hiermap.hpp"
#include "loopnest/analysis.hpp"
#include "shell_util.hpp"
#include "test_util.hpp"

using namespace cimmc;

namespace {

const std::string kFile = "g.yaml";

const std::string kBase = R"(name: g
workload:
  defaults:
    inputs: {bits: 8, signed: false, distribution: {kind: normal, std: 1}}
    weights: {bits: 8, signed: true, distribution: {kind: normal, std: 0.5}}
  layers:
    - {name: fc, type: linear, tokens: 4, in_features: 64, out_features: 8}
architecture:
  hierarchy:
    dram: {read_pj_per_bit: 8, write_pj_per_bit: 8}
    smem:
      holds: [inputs, outputs]
      fanout: 4
    cim:
      kind: pe_array
      holds: [weights]
      capacity_bits: 32768
      fanout: {x: 16, y: 4, x_admits: [reduction], y_admits: [output_channels]}
      pj_per_mac: 0.15
      cycles_per_op: 9
)";

std::string with(const std::string& from, const std::string& to, std::string s = kBase) {
  return test::replaced(std::move(s), from, to);
}

std::string error_of(const std::string& yaml) { return test::parse_error(yaml, kFile); }

Config shipped(const std::string& name) { return load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/" + name); }

}  // namespace

TEST(GpuCimConfig, ReadsAPeArrayLevel) {
  const Config c = parse_config(kBase, kFile);
  const hier::LevelSpec* pe = gpucim::pe_array_level(c);
  ASSERT_NE(pe, nullptr);
  EXPECT_EQ(pe->name, "cim");
  EXPECT_EQ(pe->pj_per_mac, 0.15);
  EXPECT_EQ(pe->cycles_per_op, 9.0);
  EXPECT_EQ(pe->fanout_instances(), 64);
  EXPECT_EQ(c.arch.macros, 4);  // the buffers' fan-outs: the pe_array's MAC units are its own
  EXPECT_EQ(gpucim::pe_array_level(shipped("arch-zigzag-aimc.yaml")), nullptr);
}

TEST(GpuCimConfig, BadPeArrayInputIsRejectedAtItsKey) {
  EXPECT_TRUE(test::is_config_error(error_of(with("pj_per_mac: 0.15", "pj_per_mac: -1")), kFile, 19,
                                    "architecture.hierarchy.cim.pj_per_mac", "-1", "must be a number in [0, 1e+06]"));
  EXPECT_TRUE(test::is_config_error(error_of(with("cycles_per_op: 9", "cycles_per_op: 0")), kFile, 20,
                                    "architecture.hierarchy.cim.cycles_per_op", "0", "must be a number in [0.001, 1e+09]"));
  EXPECT_TRUE(test::is_config_error(
      error_of(with("      cycles_per_op: 9", "      cycles_per_op: 9\n      interconnect: {topology: bus}")), kFile, 21,
      "architecture.hierarchy.cim.interconnect", "<mapping>", "unknown key"));
  EXPECT_TRUE(test::is_config_error(error_of(with("      fanout: 4", "      fanout: 4\n      pj_per_mac: 1")), kFile,
                                    14, "architecture.hierarchy.smem.pj_per_mac", "1", "unknown key"));
  // Not the innermost level; and a hierarchy that ends in a buffer.
  EXPECT_TRUE(test::is_config_error(
      error_of(with("    dram: {read_pj_per_bit: 8, write_pj_per_bit: 8}",
                    "    dram: {read_pj_per_bit: 8, write_pj_per_bit: 8}\n    pe: {kind: pe_array, holds: [inputs]}")),
      kFile, 11, "architecture.hierarchy.pe.kind", "pe_array", "only the innermost (last) level can be kind macro or pe_array"));
  EXPECT_TRUE(test::is_config_error(error_of(with("kind: pe_array", "kind: buffer",
                                                 with("      pj_per_mac: 0.15\n      cycles_per_op: 9\n", ""))),
                                    kFile, 15,
                                    "architecture.hierarchy.cim.kind", "buffer",
                                    "must be kind macro (the macros' cells) or pe_array (MAC units)"));
  // Its capacity must hold one word of what it keeps, as a buffer's.
  EXPECT_TRUE(test::is_config_error(error_of(with("capacity_bits: 32768", "capacity_bits: 7")), kFile, 17,
                                    "architecture.hierarchy.cim.capacity_bits", "7", "holds no tile"));
  // `cimmc run` samples macros: a pe_array point is refused there, at its kind.
  const Config c = parse_config(kBase, kFile);
  EXPECT_TRUE(test::is_config_error(test::config_error([&] { gpucim::require_macro_level(c); }), kFile, 15,
                                    "architecture.hierarchy.cim.kind", "pe_array", "cimmc plan"));
}

// Every shipped GPU config parses, and through the mapping search each GEMM's
// best nest spends exactly MACs x pJ/MAC in its compute level and operations
// x cycles per op (one operation per tile-job run) in compute.
TEST(GpuCimConfig, ShippedConfigsPriceComputeAtTheirFixedEnergyPerMac) {
  const char* names[] = {"gpu-tensor-core.yaml",      "gpu-cim-rf-analog6t.yaml",   "gpu-cim-rf-analog8t.yaml",
                         "gpu-cim-rf-digital6t.yaml", "gpu-cim-rf-digital8t.yaml",  "gpu-cim-smem-analog6t.yaml",
                         "gpu-cim-smem-analog8t.yaml", "gpu-cim-smem-digital6t.yaml", "gpu-cim-smem-digital8t.yaml"};
  const double pj[] = {0.2625, 0.15, 0.09, 0.34, 0.84, 0.15, 0.09, 0.34, 0.84};     // REFERENCES.md, [www-ert]
  const double cycles[] = {1, 9, 144, 18, 233, 9, 144, 18, 233};                    // [www-prim]
  for (int i = 0; i < 9; ++i) {
    SCOPED_TRACE(names[i]);
    Config c = shipped(names[i]);
    const hier::LevelSpec* pe = gpucim::pe_array_level(c);
    ASSERT_NE(pe, nullptr);
    EXPECT_EQ(pe->pj_per_mac, pj[i]);
    EXPECT_EQ(pe->cycles_per_op, cycles[i]);
    // Two GEMMs of opposite shapes: GPT-J decode (M = 1) and a ResNet-50 3x3.
    for (const char* layer : {"gptj_dec_qkv", "rn50_s2_3x3"}) {
      const LayerSpec* l = nullptr;
      for (const LayerSpec& x : c.network.layers)
        if (x.name == layer) l = &x;
      ASSERT_NE(l, nullptr);
      const hiermap::LayerSearch s = hiermap::search_layer(c, *l, gpucim::op_figures_fn(c), 1, 2000);
      ASSERT_FALSE(s.report.best.empty());
      const loopnest::RankedMapping& best = s.report.best.front();
      const loopnest::NestCounts n = loopnest::analyze(s.hierarchy, s.shape, best.nest);
      const double macs = double(l->tokens) * double(l->C) * double(l->M);
      EXPECT_NEAR(best.cost.macro_pj, macs * pj[i], 1e-9 * macs * pj[i]) << layer;
      EXPECT_DOUBLE_EQ(best.cost.compute_cycles, double(n.time_steps) * cycles[i]) << layer;
      EXPECT_GE(best.cost.cycles, best.cost.compute_cycles) << layer;
    }
  }
}

TEST(GpuCimConfig, RunRefusesAPeArrayConfigValidateAndPlanTakeIt) {
  const std::string cfg = std::string(CIMMC_SOURCE_DIR) + "/configs/gpu-cim-rf-analog6t.yaml";
  const test::Ran run = test::cimmc("run " + cfg + " --model statistical --energy-only");
  EXPECT_EQ(run.code, 2) << run.out;
  EXPECT_NE(run.out.find("architecture.hierarchy.cim.kind: value 'pe_array'"), std::string::npos) << run.out;
  const test::Ran sampled = test::cimmc("run " + cfg + " -o /dev/null");
  EXPECT_EQ(sampled.code, 2) << sampled.out;
  EXPECT_NE(sampled.out.find("architecture.hierarchy.cim.kind: value 'pe_array'"), std::string::npos) << sampled.out;
  const test::Ran valid = test::cimmc("validate " + cfg);
  EXPECT_EQ(valid.code, 0) << valid.out;
  const test::Ran plan = test::cimmc("plan " + cfg);
  EXPECT_EQ(plan.code, 0) << plan.out;
  EXPECT_NE(plan.out.find("network:"), std::string::npos) << plan.out;
}

// Weight duplication and interleaving are the spatial factors on the fan-out
// above the primitives (docs/config.md). Four primitives of 64 x 4 MACs, 256
// weights each, 9 cycles per operation, unlimited bandwidth; the fastest nest:
//   8 vectors x K 64 x N 4 (256 weights, one primitive's worth): duplicating
//     the weights on all four (vectors 4 above them) takes 8 / 4 = 2
//     operations, 18 cycles (one primitive alone: 8 operations, 72);
//   1 vector x K 256 x N 4 (1024 weights): they fit only interleaved over the
//     four (reduction 4 above them), each doing its 64 x 4 in 1 operation, 9.
TEST(GpuCimConfig, DuplicationAndInterleavingAreSpatialFactorsAboveThePrimitives) {
  const std::string yaml = with("architecture:", "mapping: {objective: latency}\narchitecture:",
                                with("capacity_bits: 32768", "capacity_bits: 2048",
                                     with("x: 16, y: 4", "x: 64, y: 4")));
  const Config c = parse_config(yaml, kFile);
  const auto fastest = [&](int tokens, int k) {
    LayerSpec l = c.network.layers.front();
    l.tokens = tokens;
    l.C = k;
    l.M = 4;
    const hiermap::LayerSearch s = hiermap::search_layer(c, l, gpucim::op_figures_fn(c), 1, 100000);
    EXPECT_TRUE(s.report.exhaustive);
    return s.report.best.front();
  };
  using loopnest::Dim;
  const loopnest::RankedMapping dup = fastest(8, 64);
  EXPECT_EQ(dup.cost.cycles, 18.0);
  EXPECT_EQ(dup.nest.levels[1].spatial[std::size_t(Dim::N)], 4);  // vectors over the primitives
  const loopnest::RankedMapping inter = fastest(1, 256);
  EXPECT_EQ(inter.cost.cycles, 9.0);
  EXPECT_EQ(inter.nest.levels[1].spatial[std::size_t(Dim::C)], 4);  // the reduction over the primitives
}

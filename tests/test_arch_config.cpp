// `architecture.hierarchy` in YAML: reading, the rejection of every bad
// hierarchy with its file:line:key message, sweeps over level keys, and the
// shipped configs/arch-*.yaml.
#include <gtest/gtest.h>

#include <string>

#include "arch/hierarchy.hpp"
#include "config/config.hpp"
#include "config/sweep.hpp"
#include "config_test_util.hpp"
#include "shell_util.hpp"
#include "workload/gemm.hpp"

using namespace cimmc;

namespace {

const std::string kFile = "t.yaml";

// Words here: inputs 4 bits, weights 4, outputs 4 + 4 + log2(32) = 13.
const std::string kBase = R"(name: t
macro: {rows: 32, cols: 64, bits_per_cell: 2, weight_encoding: differential}
workload:
  tile: {rows_used: 32, cols_used: 4}
  inputs: {bits: 4, signed: false, distribution: {kind: normal, std: 1}}
  weights: {bits: 4, signed: true, distribution: {kind: normal, std: 0.5}}
architecture:
  macros: 8
  hierarchy:
    dram: {read_pj_per_bit: 3.7, write_pj_per_bit: 3.7}
    glb:
      holds: [inputs, outputs]
      capacity_bits: 4096
      fanout: 8
    cells: {kind: macro}
)";

// kBase with the first occurrence of `from` replaced by `to`.
std::string with(const std::string& from, const std::string& to, std::string s = kBase) {
  return test::replaced(std::move(s), from, to);
}

std::string error_of(const std::string& yaml) {
  return test::config_error([&] { parse_config(yaml, kFile); });
}

}  // namespace

TEST(ArchConfig, ReadsLevelsInOrderWithTheirValues) {
  const Config cfg = parse_config(with("    dram: {read_pj_per_bit: 3.7, write_pj_per_bit: 3.7}",
                                       "    dram: {read_pj_per_bit: 3.7, write_pj_per_bit: {inputs: 1, outputs: 2}}"),
                                  kFile);
  const hier::HierarchySpec& h = cfg.arch.hierarchy;
  ASSERT_EQ(h.levels.size(), 3u);
  EXPECT_EQ(h.levels[0].name, "dram");
  EXPECT_EQ(h.levels[0].read_pj_per_bit, (std::array<double, 3>{3.7, 3.7, 3.7}));
  EXPECT_EQ(h.levels[0].write_pj_per_bit, (std::array<double, 3>{1, 0, 2}));  // unlisted: 0
  EXPECT_EQ(h.levels[0].capacity.kind, hier::CapacityKind::unbounded);
  EXPECT_EQ(h.levels[1].name, "glb");
  EXPECT_EQ(h.levels[1].holds, (std::array<bool, 3>{true, false, true}));
  EXPECT_EQ(h.levels[1].capacity.kind, hier::CapacityKind::shared);
  EXPECT_EQ(h.levels[1].capacity.shared_bits, 4096u);
  EXPECT_EQ(h.levels[1].fanout_instances(), 8);
  EXPECT_EQ(h.levels[1].fanout[0].admits, hier::kAllRoles);
  EXPECT_EQ(h.levels[2].kind, hier::LevelKind::macro);
  EXPECT_EQ(h.levels[2].holds, (std::array<bool, 3>{false, true, false}));
  EXPECT_TRUE(parse_config(kBase.substr(0, kBase.find("  hierarchy:")), kFile).arch.hierarchy.empty());
}

TEST(ArchConfig, MacrosDefaultToTheProductOfTheFanouts) {
  const Config cfg = parse_config(with("  macros: 8\n", "", with("      fanout: 8", "      fanout: {x: 3, y: 5, x_admits: [vectors], y_admits: [reduction, output_channels]}")), kFile);
  EXPECT_EQ(cfg.arch.macros, 15);
  EXPECT_EQ(cfg.arch.hierarchy.levels[1].fanout[1].admits, 0b110);
}

TEST(ArchConfig, ALevelTooSmallForOneWordOfEachOperandIsRejected) {
  EXPECT_TRUE(test::is_config_error(error_of(with("capacity_bits: 4096", "capacity_bits: 25")), kFile, 13,
                                    "architecture.hierarchy.glb.capacity_bits", "25",
                                    "holds no tile: a shared pool needs one word of each operand it keeps at the "
                                    "widest word (inputs 4 + outputs 13 bits: 2 x 13 = 26 bits)"));
  EXPECT_EQ(error_of(with("capacity_bits: 4096", "capacity_bits: 26")), "");
  EXPECT_TRUE(test::is_config_error(error_of(with("capacity_bits: 4096", "capacity_bits: {inputs: 3, outputs: 64}")),
                                    kFile, 13, "architecture.hierarchy.glb.capacity_bits.inputs", "3",
                                    "holds no tile: smaller than one word of inputs (4 bits)"));
  EXPECT_TRUE(test::is_config_error(error_of(with("capacity_bits: 4096", "capacity_bits: {inputs: 64}")), kFile, 13,
                                    "architecture.hierarchy.glb.capacity_bits.outputs", "<missing>",
                                    "is required: the level holds outputs"));
  EXPECT_TRUE(test::is_config_error(error_of(with("capacity_bits: 4096", "capacity_bits: 0")), kFile, 13,
                                    "architecture.hierarchy.glb.capacity_bits", "0", "must be an integer in [1, "));
}

TEST(ArchConfig, NegativeBandwidthIsRejectedAndZeroIsUnlimited) {
  EXPECT_TRUE(test::is_config_error(
      error_of(with("dram: {read_pj_per_bit: 3.7,", "dram: {bandwidth_bits_per_cycle: -1, read_pj_per_bit: 3.7,")),
      kFile, 10, "architecture.hierarchy.dram.bandwidth_bits_per_cycle", "-1", "must be 0 or a number in [0.001, 1e+12]"));
  EXPECT_TRUE(test::is_config_error(
      error_of(with("      fanout: 8", "      fanout: 8\n      interconnect: {bandwidth_bits_per_cycle: -64}")), kFile, 15,
      "architecture.hierarchy.glb.interconnect.bandwidth_bits_per_cycle", "-64", "must be 0 or a number"));
  const Config cfg = parse_config(with("dram: {read_pj_per_bit: 3.7,", "dram: {bandwidth_bits_per_cycle: 0, read_pj_per_bit: 3.7,"), kFile);
  EXPECT_EQ(cfg.arch.hierarchy.levels[0].bandwidth_bits_per_cycle, 0.0);
}

TEST(ArchConfig, FanoutsMustMultiplyToTheMacros) {
  EXPECT_TRUE(test::is_config_error(error_of(with("      fanout: 8", "      fanout: 16")), kFile, 8, "architecture.macros",
                                    "8", "must equal the product of the hierarchy's fan-outs, 16 (glb 16)"));
  EXPECT_TRUE(test::is_config_error(
      error_of(with("  macros: 8\n", "", with("      fanout: 8", "      fanout: {x: 65536, y: 65536, y_admits: [reduction], x_admits: [vectors]}"))),
      kFile, 8, "architecture.hierarchy", "<mapping>", "the fan-outs multiply to 4294967296 macros (glb 4294967296)"));
  EXPECT_TRUE(test::is_config_error(error_of(with("      fanout: 8", "      fanout: {x: 2, y: 4}")), kFile, 14,
                                    "architecture.hierarchy.glb.fanout", "<mapping>",
                                    "x and y both admit vectors, reduction, output_channels"));
  EXPECT_TRUE(test::is_config_error(error_of(with("      fanout: 8", "      fanout: 0")), kFile, 14,
                                    "architecture.hierarchy.glb.fanout", "0", "must be an integer in [1, 16777216]"));
}

TEST(ArchConfig, AMeshMustTileItsFanout) {
  const std::string mesh = "      fanout: 8\n      interconnect: {topology: mesh, mesh_x: 3, mesh_y: 2}";
  EXPECT_TRUE(test::is_config_error(error_of(with("      fanout: 8", mesh)), kFile, 15,
                                    "architecture.hierarchy.glb.interconnect", "3 x 2",
                                    "a mesh of 3 x 2 does not tile the level's fan-out of 8 x 1 instances"));
  const Config ok = parse_config(with("      fanout: 8", "      fanout: 8\n      interconnect: {topology: mesh, mesh_x: 4, mesh_y: 2}"), kFile);
  EXPECT_EQ(ok.arch.hierarchy.levels[1].link.mesh_x, 4);
  EXPECT_TRUE(test::is_config_error(error_of(with("      fanout: 8", "      fanout: 8\n      interconnect: {mesh_x: 8}")),
                                    kFile, 15, "architecture.hierarchy.glb.interconnect.mesh_x", "8",
                                    "mesh sizes need topology: mesh"));
}

TEST(ArchConfig, LevelNamesAreUniqueIdentifiersAndEveryLevelHoldsSomething) {
  EXPECT_TRUE(test::is_config_error(error_of(with("    cells: {kind: macro}", "    glb: {holds: [inputs]}\n    cells: {kind: macro}")),
                                    kFile, 15, "architecture.hierarchy.glb", "<mapping>", "duplicate level name"));
  EXPECT_TRUE(test::is_config_error(error_of(with("    glb:", "    g.b:")), kFile, 11, "architecture.hierarchy.g.b",
                                    "<mapping>", "level names are letters, digits, '_' and '-'"));
  EXPECT_TRUE(test::is_config_error(error_of(with("holds: [inputs, outputs]", "holds: []")), kFile, 12,
                                    "architecture.hierarchy.glb.holds", "[]", "must be a non-empty list of operands"));
  EXPECT_TRUE(test::is_config_error(error_of(with("holds: [inputs, outputs]", "holds: [inputs, inputs]")), kFile, 12,
                                    "architecture.hierarchy.glb.holds[1]", "inputs", "operand listed twice"));
  EXPECT_TRUE(test::is_config_error(
      error_of(with("capacity_bits: 4096", "capacity_bits: {inputs: 64, weights: 64, outputs: 64}")), kFile, 13,
      "architecture.hierarchy.glb.capacity_bits.weights", "64", "the level does not hold weights (see holds)"));
  EXPECT_TRUE(test::is_config_error(error_of(with("  hierarchy:\n", "  hierarchy: {}\n", kBase.substr(0, kBase.find("    dram:")))),
                                    kFile, 9, "architecture.hierarchy", "<mapping>", "must list the levels"));
}

TEST(ArchConfig, TheOutermostLevelHoldsEverythingAndTheMacroLevelIsLast) {
  EXPECT_TRUE(test::is_config_error(error_of(with("    cells: {kind: macro}\n", "")), kFile, 11,
                                    "architecture.hierarchy.glb.kind", "buffer", "the innermost (last) level must be kind macro"));
  EXPECT_TRUE(test::is_config_error(error_of(with("    glb:\n", "    cells2: {kind: macro}\n    glb:\n")), kFile, 11,
                                    "architecture.hierarchy.cells2.kind", "macro", "only the innermost (last) level"));
  EXPECT_TRUE(test::is_config_error(error_of(with("dram: {read_pj_per_bit: 3.7,", "dram: {holds: [inputs, weights], read_pj_per_bit: 3.7,")),
                                    kFile, 10, "architecture.hierarchy.dram.holds", "[inputs, weights]",
                                    "the outermost level must be a buffer holding inputs, weights and outputs"));
  EXPECT_TRUE(test::is_config_error(error_of(with("    cells: {kind: macro}", "    cells: {kind: macro, fanout: 4}")), kFile, 15,
                                    "architecture.hierarchy.cells.fanout", "4", "unknown key"));
}

// Sweeps address a level's keys by its name.
TEST(ArchConfig, SweepsVaryLevelKeysByName) {
  const std::string base = with("  macros: 8\n", "");
  const Sweep sw = parse_sweep(base + R"(sweep:
  cartesian:
    architecture.hierarchy.glb.capacity_bits: [4096, 8192]
    architecture.hierarchy.glb.fanout: [8, 4]
    architecture.hierarchy.dram.bandwidth_bits_per_cycle: [64]
)", kFile);
  ASSERT_EQ(sw.points.size(), 4u);
  const Config& p1 = sw.points[1].config;  // capacity 4096, fan-out 4 (the last axis varies fastest)
  ASSERT_EQ(p1.arch.hierarchy.levels.size(), 3u);
  EXPECT_EQ(p1.arch.hierarchy.levels[1].name, "glb");  // order kept
  EXPECT_EQ(p1.arch.hierarchy.levels[1].capacity.shared_bits, 4096u);
  EXPECT_EQ(p1.arch.hierarchy.levels[1].fanout_instances(), 4);
  EXPECT_EQ(p1.arch.macros, 4);
  EXPECT_EQ(p1.arch.hierarchy.levels[0].bandwidth_bits_per_cycle, 64.0);
  EXPECT_EQ(sw.points[2].config.arch.hierarchy.levels[1].capacity.shared_bits, 8192u);
  EXPECT_EQ(sw.keys[0], "architecture.hierarchy.glb.capacity_bits");

  const std::string bad = base + "sweep:\n  cartesian:\n    architecture.hierarchy.glb.capacity_bits: [4096, 20]\n";
  EXPECT_TRUE(test::is_config_error(test::config_error([&] { parse_sweep(bad, kFile); }), kFile, 17,
                                    "sweep.cartesian.architecture.hierarchy.glb.capacity_bits[1]", "20",
                                    "holds no tile"));
}

namespace {
Config shipped(const std::string& name) { return load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/" + name); }

// Each layer's model hierarchy is valid for the loop-nest model.
void expect_every_layer_converts(const Config& cfg) {
  for (const LayerSpec& l : cfg.network.layers) {
    const auto bits = hier::layer_operand_bits(l.inputs, l.weights, gemm_dims<std::int64_t>(l).K);
    const loopnest::Hierarchy h = hier::to_hierarchy(cfg.arch.hierarchy, cfg.macro, l.weights, bits, cfg.arch.clock_ghz);
    EXPECT_EQ(loopnest::hierarchy_error(h), "") << l.name;
  }
}
}  // namespace

// The hand-written hierarchy of arch-flat.yaml is the one flat_hierarchy
// builds from the same file's flat keys.
TEST(ArchConfig, ShippedFlatConfigStatesTheFlatSystem) {
  const Config cfg = shipped("arch-flat.yaml");
  const hier::HierarchySpec built = hier::flat_hierarchy(cfg.arch);
  const hier::HierarchySpec& file = cfg.arch.hierarchy;
  ASSERT_EQ(file.levels.size(), built.levels.size());
  for (std::size_t i = 0; i < file.levels.size(); ++i) {
    const hier::LevelSpec &a = file.levels[i], &b = built.levels[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.kind, b.kind) << a.name;
    EXPECT_EQ(a.holds, b.holds) << a.name;
    EXPECT_EQ(a.capacity.kind, b.capacity.kind) << a.name;
    EXPECT_EQ(a.read_pj_per_bit, b.read_pj_per_bit) << a.name;
    EXPECT_EQ(a.write_pj_per_bit, b.write_pj_per_bit) << a.name;
    EXPECT_DOUBLE_EQ(a.bandwidth_bits_per_cycle, b.bandwidth_bits_per_cycle) << a.name;
    EXPECT_EQ(a.fanout_instances(), b.fanout_instances()) << a.name;
  }
  EXPECT_EQ(cfg.arch.macros, 256);
  expect_every_layer_converts(cfg);
}

TEST(ArchConfig, ShippedZigzagAimcConfig) {
  const Config cfg = shipped("arch-zigzag-aimc.yaml");
  EXPECT_EQ(cfg.macro.rows, 128);
  EXPECT_EQ(cfg.macro.cols, 1024);
  EXPECT_EQ(cfg.macro.dac_bits, 2);
  EXPECT_EQ(cfg.macro.adc.bits, 8);
  EXPECT_EQ(cfg.arch.macros, 1);
  const auto& L = cfg.arch.hierarchy.levels;
  ASSERT_EQ(L.size(), 4u);
  EXPECT_EQ(L[0].read_pj_per_bit[1], 700.0 / 64);   // ZigZag dram r_cost per 64-bit access
  EXPECT_EQ(L[0].write_pj_per_bit[1], 750.0 / 64);
  EXPECT_EQ(L[1].capacity.shared_bits, 256u * 1024 * 8);
  EXPECT_EQ(L[1].read_pj_per_bit[0], 416.16 / 512);
  EXPECT_EQ(L[2].capacity.operand_bits, (std::array<std::uint64_t, 3>{128 * 8, 0, 128 * 16}));
  EXPECT_EQ(L[3].write_pj_per_bit[1], 0.095 / 8);
  // 1024 one-bit cells per row, 8 per weight: 128 x 128 weights on one macro.
  const OperandSpec& w = cfg.network.layers.at(0).weights;
  EXPECT_EQ(hier::macro_weight_columns(cfg.macro, w), 128);
  expect_every_layer_converts(cfg);
}

TEST(ArchConfig, ShippedMeshConfig) {
  const Config cfg = shipped("arch-mesh4x4.yaml");
  EXPECT_EQ(cfg.arch.macros, 256);  // 16 tiles x 16 macros, not written in the file
  const auto& L = cfg.arch.hierarchy.levels;
  ASSERT_EQ(L.size(), 4u);
  EXPECT_EQ(L[1].link.topology, hier::TopologyKind::mesh);
  EXPECT_EQ(L[1].link.mesh_x * L[1].link.mesh_y, L[1].fanout_instances());
  EXPECT_EQ(L[1].capacity.shared_bits, 256u * 1024 * 8);
  EXPECT_EQ(L[2].capacity.operand_bits[0], 8u * 1024 * 8);
  EXPECT_EQ(L[2].capacity.operand_bits[2], 16u * 1024 * 8);
  EXPECT_EQ(L[2].fanout_instances(), 16);
  expect_every_layer_converts(cfg);
}

TEST(ArchConfig, ShippedConfigsPlan) {
  for (const char* name : {"arch-flat.yaml", "arch-zigzag-aimc.yaml", "arch-mesh4x4.yaml"}) {
    const test::Ran r = test::cimmc(std::string("plan ") + CIMMC_SOURCE_DIR + "/configs/" + name);
    EXPECT_EQ(r.code, 0) << name << ": " << r.out;
  }
}

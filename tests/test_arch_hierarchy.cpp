// arch/: the configured hierarchy turned into the loop-nest model's, and
// today's flat system as a hierarchy. Expected values are hand computations
// from the definitions in arch/hierarchy.hpp.
#include <gtest/gtest.h>

#include <tuple>

#include "arch/hierarchy.hpp"
#include "loopnest/hierarchy.hpp"

using namespace cimmc;
namespace ln = cimmc::loopnest;

namespace {

hier::LevelSpec buffer(const std::string& name, std::array<bool, 3> holds) {
  hier::LevelSpec l;
  l.name = name;
  l.holds = holds;
  return l;
}

hier::LevelSpec macro_level() {
  hier::LevelSpec l = buffer("cells", {false, true, false});
  l.kind = hier::LevelKind::macro;
  l.write_pj_per_bit = {0, 0.0119, 0};
  return l;
}

// 128 x 1024 cells, 8-bit signed weights, differential at 2 bits per cell:
// 4 slices x 2 = 8 physical columns per weight, 1024 / 8 = 128 weights per row.
MacroSpec wide_macro() {
  MacroSpec m;
  m.rows = 128;
  m.cols = 1024;
  m.bits_per_cell = 2;
  m.weight_encoding = WeightEncoding::differential;
  return m;
}

OperandSpec signed_weights(int bits) {
  OperandSpec w;
  w.bits = bits;
  w.is_signed = true;
  return w;
}

}  // namespace

TEST(ArchHierarchy, OperandBitsAreTheLayerPrecisionsAndTheAccumulatorWidth) {
  OperandSpec x;
  x.bits = 6;
  // outputs: 6 + 8 + ceil(log2 576) = 6 + 8 + 10
  const hier::OperandBits b = hier::layer_operand_bits(x, signed_weights(8), 576);
  EXPECT_EQ(b[0], 6);
  EXPECT_EQ(b[1], 8);
  EXPECT_EQ(b[2], 24);
  EXPECT_EQ(hier::layer_operand_bits(x, signed_weights(8), 512)[2], 23);  // exact power of two: log2 512 = 9
  EXPECT_EQ(hier::layer_operand_bits(x, signed_weights(8), 1)[2], 14);
}

static ln::DimMask bits_of(std::initializer_list<ln::Dim> dims) {
  ln::DimMask m = 0;
  for (ln::Dim d : dims) m |= ln::DimMask{1} << int(d);
  return m;
}

// Input vectors are batch x output pixels, the reduction input channels x
// kernel, output channels the weight columns (im2col's M, K, N).
TEST(ArchHierarchy, RolesNameTheConvDimensions) {
  EXPECT_EQ(hier::role_dims(hier::DimRole::reduction), bits_of({ln::Dim::C, ln::Dim::R, ln::Dim::S}));
  EXPECT_EQ(hier::role_dims(hier::DimRole::output_channels), bits_of({ln::Dim::M}));
  EXPECT_EQ(hier::role_dims(hier::DimRole::vectors), bits_of({ln::Dim::N, ln::Dim::P, ln::Dim::Q}));
  EXPECT_EQ(hier::dims_of(hier::kAllRoles), ln::kAnyDim);
  EXPECT_EQ(hier::dims_of(0b101), bits_of({ln::Dim::N, ln::Dim::P, ln::Dim::Q, ln::Dim::M}));
}

TEST(ArchHierarchy, CapacityBitsBecomeWordsAtEachOperandsPrecision) {
  const hier::OperandBits bits{{8, 8, 24}};
  hier::LevelSpec regs = buffer("regs", {true, false, true});
  regs.capacity.kind = hier::CapacityKind::per_operand;
  regs.capacity.operand_bits = {1024, 0, 16384};
  const ln::Capacity c = hier::capacity_words(regs, bits);
  EXPECT_EQ(c.kind, ln::CapacityKind::per_operand);
  EXPECT_EQ(c.operand_words[0], 128);          // 1024 / 8
  EXPECT_EQ(c.operand_words[2], 682);          // floor(16384 / 24)
  hier::LevelSpec glb = buffer("glb", {true, false, true});
  glb.capacity.kind = hier::CapacityKind::shared;
  glb.capacity.shared_bits = 2097152;          // 256 KiB
  EXPECT_EQ(hier::capacity_words(glb, bits).shared_words, 87381);  // floor(2097152 / 24): the widest word
  glb.holds = {true, false, false};
  EXPECT_EQ(hier::capacity_words(glb, bits).shared_words, 262144);  // inputs only: 2097152 / 8
  EXPECT_EQ(hier::capacity_words(buffer("dram", {true, true, true}), bits).kind, ln::CapacityKind::unbounded);
}

TEST(ArchHierarchy, ALevelBelowOneWordHoldsNoTile) {
  const hier::OperandBits bits{{8, 8, 24}};
  hier::LevelSpec l = buffer("glb", {true, false, true});
  l.capacity.kind = hier::CapacityKind::shared;
  l.capacity.shared_bits = 47;  // needs 2 x 24
  EXPECT_TRUE(hier::capacity_problem(l, bits));
  l.capacity.shared_bits = 48;
  EXPECT_FALSE(hier::capacity_problem(l, bits));
  l.capacity.kind = hier::CapacityKind::per_operand;
  l.capacity.operand_bits = {8, 0, 23};
  const hier::CapacityProblem p = hier::capacity_problem(l, bits);
  EXPECT_EQ(p.operand, 2);
  EXPECT_NE(p.rule.find("one word of outputs (24 bits)"), std::string::npos) << p.rule;

  hier::HierarchySpec h;
  h.levels = {buffer("dram", {true, true, true}), l, macro_level()};
  EXPECT_THROW(hier::to_hierarchy(h, wide_macro(), signed_weights(8), bits, 1.0), hier::HierarchyError);
}

TEST(ArchHierarchy, TheMacroLevelTakesRowsAndWeightColumnsFromTheMacro) {
  hier::LevelSpec dram = buffer("dram", {true, true, true});
  dram.read_pj_per_bit = {10.9, 10.9, 10.9};
  dram.write_pj_per_bit = {11.7, 11.7, 11.7};
  dram.bandwidth_bits_per_cycle = 64;
  hier::LevelSpec glb = buffer("glb", {true, false, true});
  glb.capacity.kind = hier::CapacityKind::shared;
  glb.capacity.shared_bits = 2097152;
  glb.fanout[0].size = 4;
  glb.fanout[1].size = 2;
  glb.fanout[0].admits = 1u << int(hier::DimRole::vectors);
  glb.fanout[1].admits = 1u << int(hier::DimRole::output_channels);
  glb.link.topology = hier::TopologyKind::mesh;  // mesh sizes default to the fan-out axes
  glb.link.hop_pj_per_bit = 0.5;
  glb.double_buffered = true;
  hier::HierarchySpec h;
  h.levels = {dram, glb, macro_level()};

  const ln::Hierarchy m = hier::to_hierarchy(h, wide_macro(), signed_weights(8), hier::OperandBits{{8, 8, 24}}, 0.5);
  ASSERT_EQ(loopnest::hierarchy_error(m), "");
  ASSERT_EQ(m.size(), 3);
  EXPECT_EQ(m.clock_ghz, 0.5);
  EXPECT_EQ(m.levels[0].energy[1].read_pj_per_bit, 10.9);
  EXPECT_EQ(m.levels[0].energy[2].write_pj_per_bit, 11.7);
  EXPECT_EQ(m.levels[0].bandwidth_bits_per_cycle, 64);
  EXPECT_EQ(m.levels[1].fanout_instances(), 8);
  EXPECT_EQ(m.levels[1].fanout[0].dims, hier::role_dims(hier::DimRole::vectors));
  EXPECT_EQ(m.levels[1].link.topology, ln::Topology::mesh);
  EXPECT_EQ(m.levels[1].link.mesh_x, 4);
  EXPECT_EQ(m.levels[1].link.mesh_y, 2);
  EXPECT_TRUE(m.levels[1].double_buffered);
  EXPECT_FALSE(m.levels[1].keeps(ln::Operand::weights));
  const ln::StorageLevel& cells = m.levels[2];
  EXPECT_EQ(cells.name, "cells");
  EXPECT_TRUE(cells.keeps(ln::Operand::weights));
  EXPECT_FALSE(cells.keeps(ln::Operand::inputs));
  EXPECT_FALSE(cells.keeps(ln::Operand::outputs));
  EXPECT_EQ(cells.fanout[0].size, 128);  // rows admit the reduction
  EXPECT_EQ(cells.fanout[0].dims, bits_of({ln::Dim::C, ln::Dim::R, ln::Dim::S}));
  EXPECT_EQ(cells.fanout[1].size, 128);  // 1024 columns / 8 per weight admit output channels
  EXPECT_EQ(cells.fanout[1].dims, bits_of({ln::Dim::M}));
  EXPECT_EQ(cells.capacity.kind, ln::CapacityKind::per_operand);
  EXPECT_EQ(cells.capacity.operand_words[1], 128 * 128);
  EXPECT_EQ(cells.energy[1].write_pj_per_bit, 0.0119);
  EXPECT_EQ(hier::macro_cell_bits(wide_macro()), 128u * 1024u * 2u);
  EXPECT_EQ(hier::macro_instances(h), 8.0);

  // 4-bit unsigned weights, offset encoding: 2 slices, 2 columns per weight.
  MacroSpec narrow = wide_macro();
  narrow.weight_encoding = WeightEncoding::offset;
  EXPECT_EQ(hier::macro_weight_columns(narrow, signed_weights(4)), 512);
  narrow.cols = 1;  // one weight needs 2 columns
  EXPECT_THROW(hier::to_hierarchy(h, narrow, signed_weights(4), hier::OperandBits{}, 1.0), hier::HierarchyError);
}

// Today's flat system (mapping.hpp): DRAM, global buffer over `macros`,
// per-macro input and output buffers, the macros; capacities unbounded.
TEST(ArchHierarchy, TheFlatSystemAsAHierarchyCarriesTheArchSpecValues) {
  ArchSpec a;
  a.macros = 12;
  a.clock_ghz = 0.8;
  a.input_buffer = {0.07, 64};
  a.output_buffer = {0.09, 0};
  a.global_buffer = {0.198, 512};
  a.dram_pj_per_bit = 3.7;
  a.dram_bandwidth_gbps = 204.8;
  const hier::HierarchySpec h = hier::flat_hierarchy(a);
  ASSERT_EQ(h.levels.size(), 5u);
  const auto& [dram, glb, ibuf, obuf, cells] =
      std::tie(h.levels[0], h.levels[1], h.levels[2], h.levels[3], h.levels[4]);
  EXPECT_EQ(dram.holds, (std::array<bool, 3>{true, true, true}));
  EXPECT_EQ(dram.read_pj_per_bit[1], 3.7);
  EXPECT_EQ(dram.write_pj_per_bit[2], 3.7);
  EXPECT_DOUBLE_EQ(dram.bandwidth_bits_per_cycle, 256.0);  // 204.8 bit/ns at 0.8 GHz
  EXPECT_EQ(glb.holds, (std::array<bool, 3>{true, false, true}));  // weights go DRAM -> macros
  EXPECT_EQ(glb.read_pj_per_bit[0], 0.198);
  EXPECT_EQ(glb.bandwidth_bits_per_cycle, 512);
  EXPECT_EQ(glb.fanout_instances(), 12);
  EXPECT_EQ(ibuf.holds, (std::array<bool, 3>{true, false, false}));
  EXPECT_EQ(ibuf.write_pj_per_bit[0], 0.07);
  EXPECT_EQ(ibuf.bandwidth_bits_per_cycle, 64);
  EXPECT_EQ(obuf.holds, (std::array<bool, 3>{false, false, true}));
  EXPECT_EQ(obuf.read_pj_per_bit[2], 0.09);
  EXPECT_EQ(obuf.bandwidth_bits_per_cycle, 0);  // unlimited, as configured
  EXPECT_EQ(cells.kind, hier::LevelKind::macro);
  for (const hier::LevelSpec& l : h.levels) {
    EXPECT_EQ(l.capacity.kind, hier::CapacityKind::unbounded) << l.name;
    EXPECT_EQ(l.link.hop_pj_per_bit, 0) << l.name;
  }
  EXPECT_EQ(hier::macro_instances(h), 12.0);

  MacroSpec m;  // 128 x 128, 2 bits per cell, differential; 8-bit weights: 8 columns each
  const ln::Hierarchy model = hier::to_hierarchy(h, m, signed_weights(8), hier::OperandBits{{8, 8, 23}}, a.clock_ghz);
  ASSERT_EQ(loopnest::hierarchy_error(model), "");
  EXPECT_EQ(model.levels[1].fanout_instances(), 12);
  EXPECT_EQ(model.levels[4].fanout[1].size, 16);
  EXPECT_EQ(model.clock_ghz, 0.8);
}

#include "arch/hierarchy.hpp"

#include <algorithm>

namespace cimmc::hier {

namespace {

namespace ln = loopnest;

int ceil_log2(std::int64_t k) {
  int b = 0;
  while ((std::int64_t{1} << b) < k) ++b;
  return b;
}

std::string word_list(const LevelSpec& l, const OperandBits& bits) {
  std::string s;
  for (int op = 0; op < kOperandCount; ++op)
    if (l.holds[std::size_t(op)])
      s += (s.empty() ? "" : " + ") + std::string(kOperandNames[std::size_t(op)]) + " " + std::to_string(bits[op]);
  return s;
}

int widest_word(const LevelSpec& l, const OperandBits& bits) {
  int w = 0;
  for (int op = 0; op < kOperandCount; ++op)
    if (l.holds[std::size_t(op)]) w = std::max(w, bits[op]);
  return w;
}

ln::Topology topology(TopologyKind k) {
  switch (k) {
    case TopologyKind::mesh: return ln::Topology::mesh;
    case TopologyKind::tree: return ln::Topology::tree;
    case TopologyKind::bus: break;
  }
  return ln::Topology::bus;
}

ln::StorageLevel buffer_level(const LevelSpec& s, const OperandBits& bits) {
  ln::StorageLevel l;
  l.name = s.name;
  l.holds = s.holds;
  l.capacity = capacity_words(s, bits);
  for (int a = 0; a < 2; ++a)
    l.fanout[std::size_t(a)] = ln::FanoutAxis{s.fanout[std::size_t(a)].size, dims_of(s.fanout[std::size_t(a)].admits)};
  for (int op = 0; op < kOperandCount; ++op)
    l.energy[std::size_t(op)] = {s.read_pj_per_bit[std::size_t(op)], s.write_pj_per_bit[std::size_t(op)]};
  l.bandwidth_bits_per_cycle = s.bandwidth_bits_per_cycle;
  l.double_buffered = s.double_buffered;
  l.link.topology = topology(s.link.topology);
  if (s.link.topology == TopologyKind::mesh) {
    l.link.mesh_x = s.link.mesh_x > 0 ? s.link.mesh_x : s.fanout[0].size;
    l.link.mesh_y = s.link.mesh_y > 0 ? s.link.mesh_y : s.fanout[1].size;
  }
  l.link.hop_pj_per_bit = s.link.hop_pj_per_bit;
  l.link.bandwidth_bits_per_cycle = s.link.bandwidth_bits_per_cycle;
  return l;
}

}  // namespace

OperandBits layer_operand_bits(const OperandSpec& inputs, const OperandSpec& weights, std::int64_t K) {
  return OperandBits{{inputs.bits, weights.bits, inputs.bits + weights.bits + ceil_log2(K)}};
}

namespace {
ln::DimMask bit(ln::Dim d) { return ln::DimMask{1} << int(d); }
}  // namespace

// The conv dimensions (loopnest/problem.hpp) of each role: input vectors are
// batch x output pixels (the GEMM's M), the reduction is input channels x
// kernel (K), output channels are the weight columns (N). Groups belong to no
// role: only a fan-out that admits every role spreads them.
ln::DimMask role_dims(DimRole role) {
  switch (role) {
    case DimRole::vectors: return bit(ln::Dim::N) | bit(ln::Dim::P) | bit(ln::Dim::Q);
    case DimRole::reduction: return bit(ln::Dim::C) | bit(ln::Dim::R) | bit(ln::Dim::S);
    case DimRole::output_channels: return bit(ln::Dim::M);
  }
  return 0;
}

ln::DimMask dims_of(RoleMask roles) {
  if (roles == kAllRoles) return ln::kAnyDim;
  ln::DimMask m = 0;
  for (int r = 0; r < kRoleCount; ++r)
    if (roles & (1u << r)) m |= role_dims(DimRole(r));
  return m;
}

std::int64_t macro_weight_columns(const MacroSpec& m, const OperandSpec& weights) {
  return m.cols / phys_cols_per_weight(m, weights);
}

std::uint64_t macro_cell_bits(const MacroSpec& m) {
  return std::uint64_t(m.rows) * std::uint64_t(m.cols) * std::uint64_t(m.bits_per_cell);
}

ln::Capacity capacity_words(const LevelSpec& l, const OperandBits& bits) {
  const CapacitySpec& c = l.capacity;
  switch (c.kind) {
    case CapacityKind::unbounded: break;
    case CapacityKind::shared: return ln::Capacity::shared(std::int64_t(c.shared_bits / std::uint64_t(widest_word(l, bits))));
    case CapacityKind::per_operand: {
      std::array<std::int64_t, kOperandCount> w{};
      for (int op = 0; op < kOperandCount; ++op)
        if (l.holds[std::size_t(op)]) w[std::size_t(op)] = std::int64_t(c.operand_bits[std::size_t(op)] / std::uint64_t(bits[op]));
      return ln::Capacity::per_operand(w[0], w[1], w[2]);
    }
  }
  return ln::Capacity::unbounded();
}

CapacityProblem capacity_problem(const LevelSpec& l, const OperandBits& bits) {
  const CapacitySpec& c = l.capacity;
  if (c.kind == CapacityKind::shared) {
    int held = 0;
    for (bool h : l.holds) held += h;
    const std::uint64_t need = std::uint64_t(held) * std::uint64_t(widest_word(l, bits));
    if (c.shared_bits < need)
      return {"holds no tile: a shared pool needs one word of each operand it keeps at the widest word (" +
                  word_list(l, bits) + " bits: " + std::to_string(held) + " x " +
                  std::to_string(widest_word(l, bits)) + " = " + std::to_string(need) + " bits)"};
  }
  if (c.kind == CapacityKind::per_operand)
    for (int op = 0; op < kOperandCount; ++op)
      if (l.holds[std::size_t(op)] && c.operand_bits[std::size_t(op)] < std::uint64_t(bits[op]))
        return {std::string("holds no tile: smaller than one word of ") + kOperandNames[std::size_t(op)] + " (" +
                    std::to_string(bits[op]) + " bits)",
                op};
  return {};
}

double macro_instances(const HierarchySpec& h) {
  double n = 1;
  for (const LevelSpec& l : h.levels)
    if (l.kind == LevelKind::buffer) n *= double(l.fanout[0].size) * double(l.fanout[1].size);
  return n;
}

ln::Hierarchy to_hierarchy(const HierarchySpec& h, const MacroSpec& macro, const OperandSpec& weights,
                           const OperandBits& bits, double clock_ghz) {
  ln::Hierarchy out;
  out.clock_ghz = clock_ghz;
  for (const LevelSpec& s : h.levels) {
    // A pe_array level is storage written out like a buffer's; its fan-out is
    // its MAC units (the model's compute units), priced by gpucim/.
    if (s.kind == LevelKind::buffer || s.kind == LevelKind::pe_array) {
      if (const CapacityProblem p = capacity_problem(s, bits))
        throw HierarchyError("level '" + s.name + "' " + p.rule);
      out.levels.push_back(buffer_level(s, bits));
      continue;
    }
    const std::int64_t wcols = macro_weight_columns(macro, weights);
    if (wcols < 1)
      throw HierarchyError("level '" + s.name + "': one weight needs " +
                           std::to_string(phys_cols_per_weight(macro, weights)) + " columns, the macro has " +
                           std::to_string(macro.cols));
    LevelSpec cells = s;  // energies, bandwidth, double buffering as configured
    cells.holds = {false, true, false};
    cells.capacity = {};
    cells.fanout = {AxisSpec{macro.rows, RoleMask(1u << int(DimRole::reduction))},
                    AxisSpec{wcols, RoleMask(1u << int(DimRole::output_channels))}};
    cells.link = {};
    ln::StorageLevel l = buffer_level(cells, bits);
    l.capacity = ln::Capacity::per_operand(0, std::int64_t(macro.rows) * wcols, 0);
    out.levels.push_back(l);
  }
  return out;
}

HierarchySpec flat_hierarchy(const ArchSpec& a) {
  const auto level = [](std::string name, std::array<bool, kOperandCount> holds, double pj, double bw) {
    LevelSpec l;
    l.name = std::move(name);
    l.holds = holds;
    for (int op = 0; op < kOperandCount; ++op)
      if (holds[std::size_t(op)]) l.read_pj_per_bit[std::size_t(op)] = l.write_pj_per_bit[std::size_t(op)] = pj;
    l.bandwidth_bits_per_cycle = bw;
    return l;
  };
  HierarchySpec h;
  h.levels.push_back(level("dram", {true, true, true}, a.dram_pj_per_bit, a.dram_bandwidth_gbps / a.clock_ghz));
  h.levels.push_back(level("global_buffer", {true, false, true}, a.global_buffer.energy_pj_per_bit,
                           a.global_buffer.bandwidth_bits_per_cycle));
  h.levels.back().fanout[0].size = a.macros;
  h.levels.push_back(level("input_buffer", {true, false, false}, a.input_buffer.energy_pj_per_bit,
                           a.input_buffer.bandwidth_bits_per_cycle));
  h.levels.push_back(level("output_buffer", {false, false, true}, a.output_buffer.energy_pj_per_bit,
                           a.output_buffer.bandwidth_bits_per_cycle));
  LevelSpec macro;
  macro.name = "macro";
  macro.kind = LevelKind::macro;
  macro.holds = {false, true, false};
  h.levels.push_back(macro);
  return h;
}

}  // namespace cimmc::hier

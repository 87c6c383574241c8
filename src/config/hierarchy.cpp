// `architecture.hierarchy:` (arch/level_spec.hpp): a mapping from level name to
// level, outermost first, in the order written. Levels are keyed by name so a
// sweep addresses them by dotted key path (architecture.hierarchy.glb.capacity_bits);
// YAML mappings keep their order in yaml-cpp, and sweeps rewrite values in place.
#include <algorithm>
#include <cctype>

#include "arch/hierarchy.hpp"
#include "config/internal.hpp"

namespace cimmc::config_detail {

namespace {

using hier::kOperandCount;
using hier::kOperandNames;
using hier::LevelKind;
using hier::LevelSpec;

int operand_index(const std::string& name) {
  for (int op = 0; op < kOperandCount; ++op)
    if (name == kOperandNames[std::size_t(op)]) return op;
  return -1;
}

const std::string kOperandList = "inputs, weights, outputs";

// Fan-out and mesh sizes: int64 in the spec (products of them are), int-sized by the rule.
void read_count(const MapReader& r, std::string_view key, std::int64_t& out) {
  int v = int(out);
  r.read(key, v, rule::kFanout);
  out = v;
}

// `holds: [inputs, outputs]`: a non-empty list of distinct operand names.
void read_holds(const MapReader& r, LevelSpec& l) {
  if (!r.has("holds")) return;
  const YAML::Node n = r.get("holds");
  if (!n.IsSequence() || n.size() == 0)
    r.fail("holds", node_text(n), "must be a non-empty list of operands (" + kOperandList + ")");
  l.holds = {false, false, false};
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string path = r.key_path("holds") + "[" + std::to_string(i) + "]";
    const int line = n[i].Mark().line >= 0 ? n[i].Mark().line + 1 : r.key_line("holds");
    const int op = n[i].IsScalar() ? operand_index(n[i].Scalar()) : -1;
    if (op < 0) fail(r.context().file, line, path, node_text(n[i]), "must be one of: " + kOperandList);
    if (l.holds[std::size_t(op)]) fail(r.context().file, line, path, node_text(n[i]), "operand listed twice");
    l.holds[std::size_t(op)] = true;
  }
}

// A key that is one value for every operand the level holds, or a mapping
// operand -> value (only operands the level holds; every one of them when
// all_required). `each(reader, key, operand)` reads one value.
template <class Each>
void read_per_operand(const MapReader& r, std::string_view key, const LevelSpec& l, bool all_required, Each each) {
  if (!r.has(key)) return;
  if (!r.get(key).IsMap()) {
    for (int op = 0; op < kOperandCount; ++op)
      if (l.holds[std::size_t(op)]) each(r, key, op);
    return;
  }
  const MapReader m = r.section(key);
  m.allow_only({"inputs", "weights", "outputs"});
  for (int op = 0; op < kOperandCount; ++op) {
    const char* name = kOperandNames[std::size_t(op)];
    if (m.has(name) && !l.holds[std::size_t(op)])
      m.fail(name, node_text(m.get(name)), std::string("the level does not hold ") + name + " (see holds)");
    if (!m.has(name) && l.holds[std::size_t(op)] && all_required)
      m.require(name, std::string("is required: the level holds ") + name);
    if (m.has(name)) each(m, name, op);
  }
}

void read_capacity(const MapReader& r, LevelSpec& l) {
  if (!r.has("capacity_bits")) return;
  auto& c = l.capacity;
  if (r.get("capacity_bits").IsMap()) {
    c.kind = hier::CapacityKind::per_operand;
    read_per_operand(r, "capacity_bits", l, true,
                     [&](const MapReader& m, std::string_view k, int op) { m.read(k, c.operand_bits[std::size_t(op)], rule::kCapacityBits); });
  } else {
    c.kind = hier::CapacityKind::shared;
    r.read("capacity_bits", c.shared_bits, rule::kCapacityBits);
  }
}

void read_energies(const MapReader& r, LevelSpec& l) {
  for (auto [key, out] : {std::pair{"read_pj_per_bit", &l.read_pj_per_bit}, std::pair{"write_pj_per_bit", &l.write_pj_per_bit}})
    read_per_operand(r, key, l, false,
                     [out = out](const MapReader& m, std::string_view k, int op) { m.read(k, (*out)[std::size_t(op)], rule::kEnergyPj); });
}

// `x_admits: [reduction, output_channels]`: the roles an axis may split.
hier::RoleMask read_roles(const MapReader& r, std::string_view key) {
  if (!r.has(key)) return hier::kAllRoles;
  const YAML::Node n = r.get(key);
  std::string names;
  for (const char* s : hier::kRoleNames) names += (names.empty() ? "" : ", ") + std::string(s);
  if (!n.IsSequence() || n.size() == 0) r.fail(key, node_text(n), "must be a non-empty list of: " + names);
  hier::RoleMask m = 0;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const auto it = std::find(hier::kRoleNames.begin(), hier::kRoleNames.end(), n[i].IsScalar() ? n[i].Scalar() : "");
    if (it == hier::kRoleNames.end())
      fail(r.context().file, n[i].Mark().line + 1, r.key_path(key) + "[" + std::to_string(i) + "]", node_text(n[i]),
           "must be one of: " + names);
    m |= hier::RoleMask(1u << (it - hier::kRoleNames.begin()));
  }
  return m;
}

// `fanout: 16` (one axis that splits any loop) or `fanout: {x, y, x_admits, y_admits}`.
void read_fanout(const MapReader& r, LevelSpec& l) {
  if (!r.has("fanout")) return;
  if (!r.get("fanout").IsMap()) {
    read_count(r, "fanout", l.fanout[0].size);
    return;
  }
  const MapReader f = r.section("fanout");
  f.allow_only({"x", "y", "x_admits", "y_admits"});
  read_count(f, "x", l.fanout[0].size);
  read_count(f, "y", l.fanout[1].size);
  l.fanout[0].admits = read_roles(f, "x_admits");
  l.fanout[1].admits = read_roles(f, "y_admits");
}

void read_interconnect(const MapReader& r, hier::InterconnectSpec& k) {
  r.allow_only({"topology", "mesh_x", "mesh_y", "hop_pj_per_bit", "bandwidth_bits_per_cycle"});
  r.read_enum<hier::TopologyKind>("topology", k.topology,
                                  {{"bus", hier::TopologyKind::bus}, {"mesh", hier::TopologyKind::mesh}, {"tree", hier::TopologyKind::tree}});
  read_count(r, "mesh_x", k.mesh_x);
  read_count(r, "mesh_y", k.mesh_y);
  r.read("hop_pj_per_bit", k.hop_pj_per_bit, rule::kEnergyPj);
  r.read("bandwidth_bits_per_cycle", k.bandwidth_bits_per_cycle, rule::kBitsPerCycle);
}

LevelSpec read_level(const MapReader& r, const std::string& name) {
  LevelSpec l;
  l.name = name;
  r.read_enum<LevelKind>("kind", l.kind,
                         {{"buffer", LevelKind::buffer}, {"macro", LevelKind::macro}, {"pe_array", LevelKind::pe_array}});
  if (l.kind == LevelKind::macro) {
    // Fan-out, capacity and contents come from `macro:` (arch/hierarchy.hpp).
    r.allow_only({"kind", "read_pj_per_bit", "write_pj_per_bit", "bandwidth_bits_per_cycle", "double_buffered"});
    l.holds = {false, true, false};
  } else {
    if (l.kind == LevelKind::pe_array) {
      // Storage written out like a buffer's, plus its MAC units (gpucim/).
      r.allow_only({"kind", "holds", "capacity_bits", "read_pj_per_bit", "write_pj_per_bit", "bandwidth_bits_per_cycle",
                    "double_buffered", "fanout", "pj_per_mac", "cycles_per_op"});
      r.read("pj_per_mac", l.pj_per_mac, rule::kEnergyPj);
      r.read("cycles_per_op", l.cycles_per_op, rule::kCyclesPerOp);
    } else {
      r.allow_only({"kind", "holds", "capacity_bits", "read_pj_per_bit", "write_pj_per_bit", "bandwidth_bits_per_cycle",
                    "double_buffered", "fanout", "interconnect"});
    }
    read_holds(r, l);
    read_capacity(r, l);
    read_fanout(r, l);
    read_interconnect(r.section("interconnect"), l.link);
  }
  read_energies(r, l);
  r.read("bandwidth_bits_per_cycle", l.bandwidth_bits_per_cycle, rule::kBitsPerCycle);
  r.read("double_buffered", l.double_buffered);
  return l;
}

bool is_level_name(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

}  // namespace

void read_hierarchy(const MapReader& arch_reader, hier::HierarchySpec& h) {
  if (!arch_reader.has("hierarchy") || arch_reader.get("hierarchy").IsNull()) return;
  const MapReader r = arch_reader.section("hierarchy");
  const YAML::Node n = arch_reader.get("hierarchy");
  if (n.size() == 0)
    arch_reader.fail("hierarchy", node_text(n), "must list the levels, outermost (DRAM) first and the macro level last");
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string name = it->first.IsScalar() ? it->first.Scalar() : node_text(it->first);
    if (!is_level_name(name))
      fail(r.context().file, it->first.Mark().line + 1, r.key_path(name), node_text(it->second),
           "level names are letters, digits, '_' and '-' (a sweep addresses the level by name)");
    for (const LevelSpec& seen : h.levels)
      if (seen.name == name)
        fail(r.context().file, it->first.Mark().line + 1, r.key_path(name), node_text(it->second), "duplicate level name");
    h.levels.push_back(read_level(r.section(name), name));
  }
}

}  // namespace cimmc::config_detail

// Cross-field rules of `architecture.hierarchy` (the reader has checked each
// value's type and range). Key paths name levels: architecture.hierarchy.<name>.
#include <string>
#include <utility>
#include <vector>

#include "arch/hierarchy.hpp"
#include "config/internal.hpp"
#include "loopnest/hierarchy.hpp"
#include "mipmap/milp.hpp"
#include "workload/gemm.hpp"

namespace cimmc::config_detail {

namespace {

using hier::LevelKind;
using hier::LevelSpec;

const std::string kRoot = "architecture.hierarchy";

std::string level_path(const LevelSpec& l, const std::string& key = "") {
  return key.empty() ? kRoot + "." + l.name : kRoot + "." + l.name + "." + key;
}

std::string roles_text(hier::RoleMask m) {
  std::string s;
  for (int r = 0; r < hier::kRoleCount; ++r)
    if (m & (1u << r)) s += (s.empty() ? "" : ", ") + std::string(hier::kRoleNames[std::size_t(r)]);
  return s;
}

std::string holds_text(const LevelSpec& l) {
  std::string s;
  for (int op = 0; op < hier::kOperandCount; ++op)
    if (l.holds[std::size_t(op)]) s += (s.empty() ? "" : ", ") + std::string(hier::kOperandNames[std::size_t(op)]);
  return "[" + s + "]";
}

const char* kind_text(LevelKind k) {
  return k == LevelKind::macro ? "macro" : k == LevelKind::pe_array ? "pe_array" : "buffer";
}

// Which levels may be where: a buffer holding every operand first (the
// tensors live there), exactly one macro level, last.
void check_order(const Checker& c, const hier::HierarchySpec& h) {
  if (h.levels.size() > std::size_t(loopnest::kMaxLevels))
    c.fail(kRoot, std::to_string(h.levels.size()) + " levels",
           "at most " + std::to_string(loopnest::kMaxLevels) + " levels, the macro level included");
  const LevelSpec& first = h.levels.front();
  const bool compute_first = first.kind != LevelKind::buffer;
  if (compute_first || !(first.holds[0] && first.holds[1] && first.holds[2]))
    c.fail(level_path(first, compute_first ? "kind" : "holds"), compute_first ? kind_text(first.kind) : holds_text(first),
           "the outermost level must be a buffer holding inputs, weights and outputs (the tensors live there)");
  for (std::size_t i = 0; i + 1 < h.levels.size(); ++i)
    if (h.levels[i].kind != LevelKind::buffer)
      c.fail(level_path(h.levels[i], "kind"), kind_text(h.levels[i].kind),
             "only the innermost (last) level can be kind macro or pe_array");
  const LevelSpec& last = h.levels.back();
  if (last.kind == LevelKind::buffer)
    c.fail(level_path(last, "kind"), "buffer",
           "the innermost (last) level must be kind macro (the macros' cells) or pe_array (MAC units)");
}

void check_fanout(const Checker& c, const LevelSpec& l) {
  const hier::AxisSpec &x = l.fanout[0], &y = l.fanout[1];
  if (x.size > 1 && y.size > 1 && (x.admits & y.admits) != 0)
    c.fail(level_path(l, "fanout"), "<mapping>",
           "x and y both admit " + roles_text(x.admits & y.admits) +
               ": the two axes must split different loops (set x_admits and y_admits)");
  const hier::InterconnectSpec& k = l.link;
  if (k.topology != hier::TopologyKind::mesh && (k.mesh_x > 0 || k.mesh_y > 0))
    c.fail(level_path(l, k.mesh_x > 0 ? "interconnect.mesh_x" : "interconnect.mesh_y"),
           std::to_string(k.mesh_x > 0 ? k.mesh_x : k.mesh_y), "mesh sizes need topology: mesh");
  if (k.topology == hier::TopologyKind::mesh) {
    const std::int64_t mx = k.mesh_x > 0 ? k.mesh_x : x.size, my = k.mesh_y > 0 ? k.mesh_y : y.size;
    if (double(mx) * double(my) != double(x.size) * double(y.size))
      c.fail(level_path(l, "interconnect"), std::to_string(mx) + " x " + std::to_string(my),
             "a mesh of " + std::to_string(mx) + " x " + std::to_string(my) + " does not tile the level's fan-out of " +
                 std::to_string(x.size) + " x " + std::to_string(y.size) + " instances");
  }
}

// Every buffer level's fan-out multiplies to the macros of the system.
void check_macro_count(const Checker& c, const ArchSpec& a) {
  const double n = hier::macro_instances(a.hierarchy);
  std::string product;
  for (const LevelSpec& l : a.hierarchy.levels)
    if (l.kind == LevelKind::buffer && l.fanout_instances() > 1)
      product += (product.empty() ? "" : " x ") + l.name + " " + std::to_string(l.fanout_instances());
  if (n > double(rule::kMacros.hi))
    c.fail(kRoot, "<mapping>",
           "the fan-outs multiply to " + number_text(n) + " macros (" + product + "); at most " +
               std::to_string(rule::kMacros.hi));
  if (double(a.macros) != n)
    c.fail("architecture.macros", std::to_string(a.macros),
           "must equal the product of the hierarchy's fan-outs, " + number_text(n) +
               (product.empty() ? std::string(" (no level fans out)") : " (" + product + ")") +
               "; leave macros out to take it from the hierarchy");
}

// The operand words of every layer (or of the single tile), named for messages.
std::vector<std::pair<std::string, hier::OperandBits>> layer_words(const Config& cfg) {
  std::vector<std::pair<std::string, hier::OperandBits>> out;
  if (cfg.network.layers.empty()) {
    const int K = cfg.tile.rows_used > 0 ? cfg.tile.rows_used : cfg.macro.rows;
    out.emplace_back("", hier::layer_operand_bits(cfg.tile.inputs, cfg.tile.weights, K));
  }
  for (const LayerSpec& l : cfg.network.layers)
    out.emplace_back(l.name, hier::layer_operand_bits(l.inputs, l.weights, gemm_dims<std::int64_t>(l).K));
  return out;
}

void check_capacity(const Checker& c, const LevelSpec& l, const std::vector<std::pair<std::string, hier::OperandBits>>& words) {
  for (const auto& [layer, bits] : words) {
    const hier::CapacityProblem p = hier::capacity_problem(l, bits);
    if (!p) continue;
    const std::string where = layer.empty() ? "" : " for layer " + layer;
    if (p.operand < 0) c.fail(level_path(l, "capacity_bits"), std::to_string(l.capacity.shared_bits), p.rule + where);
    const char* op = hier::kOperandNames[std::size_t(p.operand)];
    c.fail(level_path(l, std::string("capacity_bits.") + op),
           std::to_string(l.capacity.operand_bits[std::size_t(p.operand)]), p.rule + where);
  }
}

}  // namespace

void check_hierarchy(const Checker& c, const Config& cfg) {
  const hier::HierarchySpec& h = cfg.arch.hierarchy;
  if (h.empty()) return;
  check_order(c, h);
  const auto words = layer_words(cfg);
  for (const LevelSpec& l : h.levels) {
    if (l.kind == LevelKind::macro) continue;
    check_fanout(c, l);
    check_capacity(c, l, words);
  }
  check_macro_count(c, cfg.arch);
}

void check_mapper(const Checker& c, const Config& cfg) {
  using M = MappingOptions::Mapper;
  const M m = cfg.mapping.mapper;
  if (m == M::automatic) return;
  const std::string v = to_string(m);
  if (cfg.arch.hierarchy.empty() || cfg.network.layers.empty())
    c.fail("mapping.mapper", v,
           "applies to networks on an architecture.hierarchy (the flat model enumerates its few mappings); "
           "leave it out or use auto");
  if (m == M::mip && !mipmap::solver_available())
    c.fail("mapping.mapper", v,
           "this cimmc was built without COIN-OR CBC (Debian package coinor-libcbc-dev; scripts/setup-debian.sh "
           "installs it, then rebuild)");
}

}  // namespace cimmc::config_detail

#include "loopnest/hierarchy.hpp"

#include <cmath>

#include "loopnest/text.hpp"

namespace cimmc::loopnest {

using text::cat;
using text::level_label;

std::string hierarchy_error(const Hierarchy& h) {
  if (h.levels.empty()) return "hierarchy: needs at least one storage level";
  if (h.size() > kMaxLevels)
    return cat("hierarchy: ", h.size(), " levels, at most ", kMaxLevels, " are supported");
  for (Operand op : kAllOperands)
    if (!h.levels[0].keeps(op))
      return cat(level_label(h, 0), ": the outermost level must keep ", operand_name(op),
                 " (it is where the tensors live)");
  if (!(h.clock_ghz > 0) || !std::isfinite(h.clock_ghz)) return "hierarchy: clock must be a positive number of GHz";
  auto bad = [](double v) { return !(v >= 0) || !std::isfinite(v); };
  for (int i = 0; i < h.size(); ++i) {
    const StorageLevel& l = h.levels[std::size_t(i)];
    const FanoutAxis &a = l.fanout[0], &b = l.fanout[1];
    if (a.size < 1 || b.size < 1) return cat(level_label(h, i), ": fan-out must be at least 1 along each axis");
    if (a.size > 1 && b.size > 1 && (a.dims & b.dims) != 0)
      return cat(level_label(h, i), ": the two fan-out axes must admit different dimensions");
    if (double(a.size) * double(b.size) > 4611686018427387904.0)
      return cat(level_label(h, i), ": fan-out of more than 2^62 instances");
    for (Operand op : kAllOperands)
      if (bad(l.energy[int(op)].read_pj_per_bit) || bad(l.energy[int(op)].write_pj_per_bit))
        return cat(level_label(h, i), ": ", operand_name(op), " energies must be finite and >= 0");
    if (bad(l.bandwidth_bits_per_cycle)) return cat(level_label(h, i), ": bandwidth must be finite and >= 0");
    const Interconnect& k = l.link;
    if (bad(k.hop_pj_per_bit) || bad(k.bandwidth_bits_per_cycle))
      return cat(level_label(h, i), ": interconnect energy and bandwidth must be finite and >= 0");
    if (k.topology == Topology::mesh && (k.mesh_x < 1 || k.mesh_y < 1 || k.mesh_x * k.mesh_y != l.fanout_instances()))
      return cat(level_label(h, i), ": a mesh of ", k.mesh_x, " x ", k.mesh_y, " does not tile a fan-out of ",
                 l.fanout_instances(), " instances");
    const Capacity& c = l.capacity;
    if (c.kind == CapacityKind::shared && c.shared_words < 1)
      return cat(level_label(h, i), ": shared capacity must be at least 1 word");
    if (c.kind == CapacityKind::per_operand)
      for (Operand op : kAllOperands)
        if (l.keeps(op) && c.operand_words[int(op)] < 1)
          return cat(level_label(h, i), ": ", operand_name(op), " capacity must be at least 1 word");
  }
  return {};
}

}  // namespace cimmc::loopnest

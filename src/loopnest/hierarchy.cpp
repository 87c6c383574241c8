#include "loopnest/hierarchy.hpp"

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
  for (int i = 0; i < h.size(); ++i) {
    const StorageLevel& l = h.levels[std::size_t(i)];
    if (l.fanout < 1) return cat(level_label(h, i), ": fan-out must be at least 1");
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

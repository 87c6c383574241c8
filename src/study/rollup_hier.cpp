#include "study/rollup_hier.hpp"

#include <stdexcept>

namespace cimmc {

namespace ln = loopnest;

double HierCosts::storage_pj() const {
  double s = 0;
  for (double v : level_pj) s += v;
  for (double v : link_pj) s += v;
  return s;
}

HierCosts nest_costs(const HierLayerPlan& plan, std::size_t mapping, double repeat) {
  const HierNest& n = plan.nests.at(mapping);
  const int L = plan.hierarchy.size();
  HierCosts h;
  for (int i = 0; i < L; ++i) {
    const std::size_t li = std::size_t(i);
    double lv = 0, lk = 0, rd = 0, wr = 0;
    for (int op = 0; op < ln::kOperands; ++op) {
      lv += n.cost.level_pj[li][std::size_t(op)];
      lk += n.cost.link_pj[li][std::size_t(op)];
      const ln::AccessCounts& a = n.counts.level[li].op[std::size_t(op)];
      rd += double(a.reads + a.drains);
      wr += double(a.fills + a.updates);
    }
    h.levels.push_back(plan.hierarchy.levels[li].name);
    h.level_pj.push_back(lv * repeat);
    h.link_pj.push_back(lk * repeat);
    h.reads.push_back(rd * repeat);
    h.writes.push_back(wr * repeat);
  }
  return h;
}

void add_hier_costs(HierCosts& a, const HierCosts& b) {
  if (a.levels.empty()) {
    a = b;
    return;
  }
  if (a.levels != b.levels) throw std::logic_error("add_hier_costs: hierarchies with different levels");
  for (std::size_t i = 0; i < a.levels.size(); ++i) {
    a.level_pj[i] += b.level_pj[i];
    a.link_pj[i] += b.link_pj[i];
    a.reads[i] += b.reads[i];
    a.writes[i] += b.writes[i];
  }
}

}  // namespace cimmc

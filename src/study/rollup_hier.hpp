// Roll-up of a layer mapped on a hierarchy (study/plan_hier.hpp): the nest's
// storage and interconnect energies and access counts, by level, per
// inference. They come from loopnest::cost of the nest and do not depend on
// the macro's energy, so the search's figures are exact here; the macro part
// of the total is priced from the tile job like every flat mapping's.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "study/plan_hier.hpp"

namespace cimmc {

// Per inference (all repeats), by hierarchy level (outermost first). Empty for
// a flat mapping. Link i is the fan-out below level i.
struct HierCosts {
  std::vector<std::string> levels;   // level names
  std::vector<double> level_pj;      // reads, fills, updates, drains at the level (every operand)
  std::vector<double> link_pj;       // interconnect below the level
  std::vector<double> reads;         // words read out of the level (reads + drains, every operand)
  std::vector<double> writes;        // words written into it (fills + updates, every operand)
  double storage_pj() const;         // sum of level_pj and link_pj
};

// Nest `mapping` of `plan` times `repeat`.
HierCosts nest_costs(const HierLayerPlan& plan, std::size_t mapping, double repeat);

// Adds `b` to `a` level by level (`a` empty: becomes `b`). The levels must match
// (make_plan checks that every point has the same names).
void add_hier_costs(HierCosts& a, const HierCosts& b);

}  // namespace cimmc

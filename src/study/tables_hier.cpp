#include "study/tables_hier.hpp"

#include <cstdint>

#include "loopnest/problem.hpp"
#include "study/tables.hpp"

namespace cimmc {

namespace ln = loopnest;
using I = std::int64_t;

void put_nest_columns(Table& t, const HierLayerPlan& plan, std::size_t mapping, const Mapping& m) {
  const HierNest& n = plan.nests.at(mapping);
  const TileUse& job = m.tiles.at(0);
  t.put("nest", n.text, "1",
        "the loop nest, outermost level first: Level[temporal factors > 1 in loop order] {spatial factors > 1 "
        "across its fan-out}");
  t.put("mapping_status", plan.status, "1",
        "how the layer's nests were found: enumerated (every legal mapping costed), sampled (random draws and "
        "refinement), or the MIP mapper's optimal, time_limit or solve_limit");
  t.put("mapping_gap", plan.gap, "1",
        "(best - lower bound) / best of the mapping objective: 0 when proven optimal, NaN when sampled");
  t.put("rows_used", static_cast<I>(job.rows_used), "1", "macro rows of the tile job (the reduction on the rows)");
  t.put("cols_used", static_cast<I>(job.cols_used), "1", "logical weight columns of the tile job");
  put_conversions(t, m);
  t.put("compute_ns", m.compute_ns, "ns", "time steps x MVM time per inference (one repeat)");
  t.put("memory_ns", m.memory_ns, "ns", "latency beyond compute: port, link and swap stalls (one repeat)");
  for (int i = 0; i < plan.hierarchy.size(); ++i) {
    const std::string lv = "level." + plan.hierarchy.levels[std::size_t(i)].name;
    const ln::LevelLoops& loops = n.nest.levels[std::size_t(i)];
    std::string order;
    for (ln::Dim d : loops.order) order += ln::dim_name(int(d));
    t.put(lv + "_order", order, "1", "temporal loop order at the level, outermost first (G N M C P Q R S)");
    for (int d = 0; d < ln::kDims; ++d)
      t.put(lv + "_t_" + ln::dim_name(d), static_cast<I>(loops.temporal[std::size_t(d)]), "1",
            std::string("temporal factor of loop ") + ln::dim_name(d) + " at the level");
    for (int d = 0; d < ln::kDims; ++d)
      t.put(lv + "_s_" + ln::dim_name(d), static_cast<I>(loops.spatial[std::size_t(d)]), "1",
            std::string("spatial factor of loop ") + ln::dim_name(d) + " across the level's fan-out");
  }
}

void put_hier_costs(Table& t, const HierCosts& h, const std::string& per) {
  for (std::size_t i = 0; i < h.levels.size(); ++i) {
    const std::string& n = h.levels[i];
    t.put("level." + n + "_pj", h.level_pj[i], "pJ", "storage level " + n + " access energy" + per);
    t.put("link." + n + "_pj", h.link_pj[i], "pJ", "interconnect energy below level " + n + per);
    t.put("level." + n + "_reads", h.reads[i], "word",
          "words read out of level " + n + " (reads and drains, every operand)" + per);
    t.put("level." + n + "_writes", h.writes[i], "word",
          "words written into level " + n + " (fills and partial-sum updates, every operand)" + per);
  }
}

}  // namespace cimmc

// `cimmc plan` on a config with architecture.hierarchy: every layer of point 0
// as the plan searched it over its loop-nest mapspace (study/plan_hier.hpp), with the
// mapspace sizes, what the search evaluated and kept, the best mapping, and
// its energy by level, link and macro next to each other (macro energy from
// the statistical model: `cimmc run` samples the chosen nests' tile jobs).
#include <cstdio>
#include <string>

#include "cli/commands.hpp"
#include "gpucim/pe_array.hpp"
#include "loopnest/nest.hpp"
#include "study/plan.hpp"

namespace cimmc {

namespace {

namespace ln = loopnest;

// "DRAM 1.2e+05 (inputs 3e+04 weights 9e+04)": a level's or link's energy and
// its operands', skipping zeros.
std::string breakdown(const std::string& name, const std::array<double, ln::kOperands>& pj) {
  double total = 0;
  for (double v : pj) total += v;
  if (total == 0) return "";
  char buf[160];
  std::string s = name;
  std::snprintf(buf, sizeof buf, " %.3g (", total);
  s += buf;
  bool first = true;
  for (ln::Operand op : ln::kAllOperands)
    if (pj[std::size_t(op)] != 0) {
      std::snprintf(buf, sizeof buf, "%s%s %.3g", first ? "" : " ", ln::operand_name(op), pj[std::size_t(op)]);
      s += buf;
      first = false;
    }
  return s + ")";
}

}  // namespace

void print_hierarchy_plan(const PointPlan& plan, const Config& point) {
  // A pe_array level (gpucim/) is priced at its fixed energy per MAC, a macro statistically.
  const hier::LevelSpec* pe = gpucim::pe_array_level(point);
  std::printf("  hierarchy (point 0; best mapping per layer by %s, mapper %s, search budget %d; %s energy %s):\n",
              to_string(point.mapping.objective), to_string(point.mapping.mapper), point.mapping.search_budget,
              pe ? pe->name.c_str() : "macro", pe ? "fixed per MAC" : "statistical");
  double net_pj = 0, net_macro = 0, net_ns = 0;
  for (const LayerPlan& lp : plan.layers) {
    if (!lp.hier) continue;
    const HierLayerPlan& hl = *lp.hier;
    const LayerSpec& layer = point.network.layers[lp.layer];
    // "tried": draws plus refinement moves (loopnest/search.hpp): the whole budget when sampled.
    std::string how = hl.status;  // "enumerated", "sampled" or the MIP's status with its gap
    if (how != "enumerated" && how != "sampled") {
      char buf[96];
      std::snprintf(buf, sizeof buf, "mip %s, gap %.3g", hl.status.c_str(), hl.gap);
      how = buf;
    }
    std::printf("    %s: mapspace %.3g (%.3g factor splits), %s %lld, legal %lld, kept %zu (%s); %zu tile shape(s) priced\n",
                layer.name.c_str(), double(hl.size), double(hl.factorizations),
                hl.exhaustive ? "enumerated" : hl.status == "sampled" ? "tried" : "costed",
                static_cast<long long>(hl.candidates), static_cast<long long>(hl.legal), hl.nests.size(), how.c_str(),
                hl.shapes_priced);
    if (hl.nests.empty()) continue;
    const HierNest& b = hl.nests.front();
    const ln::Hierarchy& h = hl.hierarchy;
    std::printf("      %s\n", b.text.c_str());
    std::string parts;
    for (int i = 0; i < h.size(); ++i) {
      const std::string lv = breakdown(h.levels[std::size_t(i)].name, b.cost.level_pj[std::size_t(i)]);
      const std::string lk = breakdown(h.levels[std::size_t(i)].name + "->", b.cost.link_pj[std::size_t(i)]);
      for (const std::string& p : {lv, lk})
        if (!p.empty()) parts += ", " + p;
    }
    const double rep = layer.repeat;
    std::printf("      %.4g pJ per inference: macro %.3g%s; %.4g ns\n", b.cost.total_pj * rep, b.cost.macro_pj * rep,
                parts.c_str(), b.cost.ns * rep);
    net_pj += b.cost.total_pj * rep;
    net_macro += b.cost.macro_pj * rep;
    net_ns += b.cost.ns * rep;
  }
  std::printf("    network: %.4g pJ per inference (macro %.1f%%), %.4g ns with layers one after another\n", net_pj,
              net_pj > 0 ? 100.0 * net_macro / net_pj : 0.0, net_ns);
}

}  // namespace cimmc

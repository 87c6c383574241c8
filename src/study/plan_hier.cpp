#include "study/plan_hier.hpp"

#include <algorithm>

#include "arch/timing.hpp"
#include "config/config.hpp"
#include "loopnest/analysis.hpp"
#include "loopnest/nest.hpp"
#include "study/hier_layers.hpp"
#include "study/tile_jobs.hpp"

namespace cimmc {

namespace ln = loopnest;

bool uses_hierarchy(const Config& point) {
  return !point.network.layers.empty() && !point.arch.hierarchy.empty();
}

std::shared_ptr<const HierLayerPlan> plan_hier_layer(const Config& point, const LayerSpec& layer, const Gemm& gemm,
                                                     MappingSpace& space) {
  const int keep = point.mapping.keep_all ? kHierKeepAll : 1;
  MvmFiguresCache figures(point, layer);
  const hiermap::LayerSearch s = hiermap::search_layer(
      point, layer, [&](const hiermap::TileShape& t) { return figures(t); }, keep, point.mapping.search_budget);
  auto out = std::make_shared<HierLayerPlan>();
  out->hierarchy = s.hierarchy;
  out->shape = s.shape;
  out->legal = s.report.legal;
  out->candidates = s.report.candidates;
  out->size = s.report.size;
  out->factorizations = s.report.factorizations;
  out->exhaustive = s.report.exhaustive;
  out->shapes_priced = figures.shapes_evaluated();
  const MacroSpec& macro = point.macro;
  const int ppw = phys_cols_per_weight(macro, layer.weights);
  const int cycles = input_cycles(macro, layer.inputs);
  space = MappingSpace{};
  for (std::size_t i = 0; i < s.report.best.size(); ++i) {
    const ln::RankedMapping& r = s.report.best[i];
    HierNest n;
    n.nest = r.nest;
    n.counts = ln::analyze(s.hierarchy, s.shape, r.nest);
    n.cost = r.cost;
    n.tile = hiermap::tile_shape(s.hierarchy, n.counts.job);
    n.text = ln::describe(s.hierarchy, r.nest);

    // The nest as the flat model's Mapping, so the roll-up prices its tile
    // job and accuracy the same way. Factors divide the layer exactly
    // (loopnest.hpp), so both tile counts are integers.
    const hiermap::TileShape& t = n.tile;
    Mapping m;
    m.index = int(i);
    m.phys_cols_per_weight = ppw;
    m.weights_per_macro = macro.cols / ppw;
    m.cycles = cycles;
    m.k_tiles = gemm.K / t.rows_used;
    m.n_tiles = gemm.N * gemm.groups / t.cols_used;
    m.total_tiles = m.k_tiles * m.n_tiles;
    const std::int64_t runs = n.counts.job.runs;
    m.tiles = {TileUse{t.rows_used, t.cols_used, m.total_tiles, runs}};
    m.macro_activations = double(runs);
    m.dac_conversions = double(runs) * t.rows_used * cycles;
    m.adc_conversions = double(runs) * cycles * row_groups(macro, t.rows_used) * t.cols_used *
                        adc_cols_per_weight(macro, layer.weights);
    m.compute_ns = r.cost.compute_cycles / s.hierarchy.clock_ghz;
    m.latency_ns = r.cost.ns;
    m.memory_ns = std::max(0.0, m.latency_ns - m.compute_ns);
    m.macs = double(gemm.macs());
    m.tops = m.latency_ns > 0 ? 2.0 * m.macs / m.latency_ns / 1e3 : 0.0;
    space.feasible.push_back(std::move(m));
    out->nests.push_back(std::move(n));
  }
  return out;
}

namespace {

std::string level_names(const Config& c) {
  if (!uses_hierarchy(c)) return "no hierarchy";
  std::string s;
  for (const hier::LevelSpec& l : c.arch.hierarchy.levels) s += (s.empty() ? "" : ", ") + l.name;
  return "levels " + s;
}

}  // namespace

void check_hierarchy_names(const std::vector<const Config*>& points) {
  if (points.empty()) return;
  const auto names = [](const Config& c) {
    std::vector<std::string> v;
    if (uses_hierarchy(c))
      for (const hier::LevelSpec& l : c.arch.hierarchy.levels) v.push_back(l.name);
    return v;
  };
  const std::vector<std::string> first = names(*points.front());
  for (std::size_t p = 1; p < points.size(); ++p)
    if (names(*points[p]) != first)
      throw ConfigError("sweep point " + std::to_string(p) + ": architecture.hierarchy has " + level_names(*points[p]) +
                        " but point 0 has " + level_names(*points.front()) +
                        ": every point of a study needs the same hierarchy levels (their energies are columns)");
}

}  // namespace cimmc

#include "study/plan_hier.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include <omp.h>

#include "arch/timing.hpp"
#include "config/config.hpp"
#include "gpucim/pe_array.hpp"
#include "loopnest/analysis.hpp"
#include "loopnest/nest.hpp"
#include "study/hier_layers.hpp"
#include "study/tile_jobs.hpp"

namespace cimmc {

namespace ln = loopnest;

namespace {

// The layer mapped by the point's mapping.mapper.
hiermap::LayerSearch search(const Config& point, const LayerSpec& layer, const hiermap::MvmFiguresFn& figures) {
  using M = MappingOptions::Mapper;
  const MappingOptions& m = point.mapping;
  const int keep = m.keep_all ? kHierKeepAll : 1;
  if (m.mapper == M::mip) {
    // The search first: an enumeration is already a proof, and a sampled
    // search's best is the incumbent the program must beat (its cutoff).
    hiermap::LayerSearch first = hiermap::search_layer(point, layer, figures, keep, m.search_budget);
    if (first.report.exhaustive) return first;
    mipmap::MipOptions opt;
    opt.keep = keep;
    opt.max_seconds = m.mip_seconds;
    opt.incumbents = first.report.best;
    hiermap::LayerSearch mip = hiermap::map_layer_mip(point, layer, figures, opt);
    mip.report.candidates += first.report.candidates;
    mip.report.legal += first.report.legal;
    return mip;
  }
  const ln::SearchMode mode = m.mapper == M::exhaustive ? ln::SearchMode::exhaustive
                              : m.mapper == M::random   ? ln::SearchMode::sampled
                                                        : ln::SearchMode::automatic;
  try {
    return hiermap::search_layer(point, layer, figures, keep, m.search_budget, mode);
  } catch (const ln::BudgetExceeded&) {
    throw ConfigError("mapping.mapper: value 'exhaustive': layer " + layer.name + " has more legal mappings than " +
                      "mapping.search_budget (" + std::to_string(m.search_budget) +
                      ") allows enumerating; raise the budget or use auto, random or mip");
  }
}

}  // namespace

bool uses_hierarchy(const Config& point) {
  return !point.network.layers.empty() && !point.arch.hierarchy.empty();
}

std::shared_ptr<const HierLayerPlan> plan_hier_layer(const Config& point, const LayerSpec& layer, const Gemm& gemm,
                                                     MappingSpace& space) {
  MvmFiguresCache figures(point, layer);
  // A pe_array level is priced at its fixed energy per MAC (gpucim/), a macro
  // by the statistical model.
  hiermap::MvmFiguresFn mvm = gpucim::op_figures_fn(point);
  if (!mvm) mvm = [&](const hiermap::TileShape& t) { return figures(t); };
  const hiermap::LayerSearch s = search(point, layer, mvm);
  auto out = std::make_shared<HierLayerPlan>();
  out->hierarchy = s.hierarchy;
  out->shape = s.shape;
  out->legal = s.report.legal;
  out->candidates = s.report.candidates;
  out->size = s.report.size;
  out->factorizations = s.report.factorizations;
  out->exhaustive = s.report.exhaustive;
  if (s.mip) {
    out->status = s.mip_report.status;
    out->gap = s.mip_report.gap;
    out->bound = s.mip_report.bound;
  } else if (s.report.exhaustive) {
    out->status = "enumerated";
    out->bound = s.report.best.front().score;
  } else {
    out->status = "sampled";
    out->gap = out->bound = std::numeric_limits<double>::quiet_NaN();
  }
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

std::vector<std::vector<HierLayerSlot>> plan_hier_layers(const std::vector<const Config*>& points, std::size_t first,
                                                         std::size_t last, int threads) {
  last = std::min(last, points.size());
  std::vector<std::vector<HierLayerSlot>> slots(last > first ? last - first : 0);
  std::vector<std::pair<std::size_t, std::size_t>> work;  // (point - first, layer)
  for (std::size_t p = first; p < last; ++p)
    if (uses_hierarchy(*points[p])) {
      slots[p - first].resize(points[p]->network.layers.size());
      for (std::size_t l = 0; l < slots[p - first].size(); ++l) work.emplace_back(p - first, l);
    }
  const long n = long(work.size());
  const int nt = threads > 0 ? threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic) num_threads(nt) if (n > 1 && nt > 1)
  for (long i = 0; i < n; ++i) {
    const auto [k, l] = work[std::size_t(i)];
    const Config& c = *points[first + k];
    HierLayerSlot& s = slots[k][l];
    try {
      const LayerSpec& layer = c.network.layers[l];
      s.hier = plan_hier_layer(c, layer, lower(layer), s.space);
    } catch (...) {
      s.error = std::current_exception();
    }
  }
  return slots;
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

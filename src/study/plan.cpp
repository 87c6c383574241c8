#include "study/plan.hpp"

#include <algorithm>
#include <exception>
#include <cmath>
#include <map>
#include <unordered_map>
#include <utility>

#include "arch/timing.hpp"
#include "study/tile_jobs.hpp"

namespace cimmc {

bool is_single_tile(const Config& c) { return c.network.layers.empty(); }

namespace {

// The tile of a single-tile config as a mapping with one MVM per "inference".
MappingSpace tile_mapping(const Config& c) {
  const MacroSpec& m = c.macro;
  const int ppw = phys_cols_per_weight(m, c.tile.weights);
  const int K = c.tile.rows_used > 0 ? c.tile.rows_used : m.rows;
  const int N = c.tile.cols_used > 0 ? c.tile.cols_used : m.cols / ppw;
  const int R = rows_summed(m, K), G = row_groups(m, K), cycles = input_cycles(m, c.tile.inputs);
  Mapping t;
  t.phys_cols_per_weight = ppw;
  t.weights_per_macro = m.cols / ppw;
  t.cycles = cycles;
  t.k_tiles = t.n_tiles = t.total_tiles = t.macros_per_copy = t.macros_in_use = 1;
  t.tiles = {TileUse{K, N, 1, 1}};
  t.macro_activations = 1;
  t.dac_conversions = static_cast<double>(K) * cycles;
  const int adc_ppw = adc_cols_per_weight(m, c.tile.weights);  // a differential_analog pair converts once
  t.adc_conversions = m.kind == MacroKind::analog ? static_cast<double>(cycles) * G * N * adc_ppw : 0.0;
  t.mvm_ns = t.compute_ns = t.latency_ns = mvm_latency_ns(m, R, G, cycles, N * adc_ppw, c.arch.row_settle_ns);
  t.macs = static_cast<double>(K) * N;
  t.tops = 2.0 * t.macs / t.latency_ns / 1e3;
  MappingSpace s;
  s.feasible.push_back(t);
  return s;
}

}  // namespace

StudyPlan make_plan(const std::vector<const Config*>& points, std::size_t first, std::size_t last, int threads) {
  check_hierarchy_names(points);
  check_chiplet_points(points);
  // The hierarchy layers' searches (the MIP mapper's up to mapping.mip_seconds
  // each) first, on every thread; the rest of the plan is cheap and serial.
  std::vector<std::vector<HierLayerSlot>> hier = plan_hier_layers(points, first, last, threads);
  StudyPlan plan;
  std::unordered_map<std::string, std::size_t> index;
  auto job_for = [&](const Config& point, const LayerSpec* layer, int rows, int cols) {
    ++plan.job_refs;
    Config tc = tile_config(point, layer, rows, cols);
    std::string key = job_key(tc);
    auto [it, fresh] = index.emplace(key, plan.jobs.size());
    if (fresh) {
      plan.cell_reads += job_cell_reads(tc, tc.run.samples, false);
      plan.jobs.push_back(std::move(tc));
      plan.job_ids.push_back(job_id_of(key));
      plan.job_keys.push_back(std::move(key));
    }
    return it->second;
  };
  for (std::size_t p = first; p < last && p < points.size(); ++p) {
    const Config& c = *points[p];
    // Tile configs are copies of the point without its network (the layer's
    // operands are copied in), so they are made from one such copy.
    Config base = c;
    base.network = NetworkSpec{};
    base.source_text.clear();  // provenance lives with the study, not each job
    PointPlan pp;
    pp.point = p;
    const std::size_t nlayers = is_single_tile(c) ? 1 : c.network.layers.size();
    for (std::size_t l = 0; l < nlayers; ++l) {
      LayerPlan lp;
      lp.layer = l;
      const LayerSpec* layer = is_single_tile(c) ? nullptr : &c.network.layers[l];
      if (layer) {
        lp.name = layer->name;
        lp.gemm = lower(*layer);
        lp.repeat = layer->repeat;
        if (uses_hierarchy(c)) {
          HierLayerSlot& h = hier[p - first][l];
          if (h.error) std::rethrow_exception(h.error);
          lp.hier = std::move(h.hier);
          lp.space = std::move(h.space);
        }
        else if (uses_chiplets(c))
          lp.space.feasible = {chiplet::layer_mapping(*layer, c)};
        else
          lp.space = enumerate_mappings(*layer, lp.gemm, c.macro, c.arch, c.mapping);
      } else {
        lp.name = c.name;
        lp.space = tile_mapping(c);
        const TileUse& t = lp.space.feasible[0].tiles[0];
        lp.gemm = Gemm{1, t.rows_used, t.cols_used, 1};
      }
      if (lp.hier) {  // the search's legal nests, and its illegal draws as pruned
        plan.mappings += std::size_t(lp.hier->legal);
        plan.pruned += std::size_t(lp.hier->candidates - lp.hier->legal);
      } else {
        plan.mappings += lp.space.feasible.size();
        plan.pruned += lp.space.pruned.size();
      }
      // Every mapping of a layer tiles it alike: its tile shapes are looked up once.
      std::map<std::pair<int, int>, std::size_t> shapes;
      for (const Mapping& m : lp.space.feasible) {
        std::vector<std::size_t> ids;
        for (const TileUse& t : m.tiles) {
          const std::pair shape{t.rows_used, t.cols_used};
          auto it = shapes.find(shape);
          if (it == shapes.end()) it = shapes.emplace(shape, job_for(base, layer, t.rows_used, t.cols_used)).first;
          else ++plan.job_refs;
          ids.push_back(it->second);
        }
        lp.jobs.push_back(std::move(ids));
      }
      pp.layers.push_back(std::move(lp));
    }
    if (uses_chiplets(c)) plan_chiplets(c, pp);
    plan.points.push_back(std::move(pp));
  }
  std::vector<std::uint64_t> seeds;
  seeds.reserve(plan.jobs.size());
  for (const Config& j : plan.jobs) seeds.push_back(j.run.seed);
  check_unique_ids(plan.job_keys, plan.job_ids, seeds);
  return plan;
}

}  // namespace cimmc

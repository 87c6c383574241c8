// The hierarchy path of make_plan (issue 12 item 5): a layer of a point whose
// architecture has a `hierarchy` is mapped by the loop-nest search
// (study/hier_layers.hpp) instead of enumerate_mappings. The best K nests
// become the layer's mappings; each runs one tile job (rows_used, cols_used
// from hiermap::tile_shape), deduplicated and sampled like every other job.
//
// The search ranks nests with the statistical model's energy per MVM of each
// tile shape; the roll-up then replaces that macro energy with the job's
// sampled (or, under --model statistical, statistical) energy and adds the
// nest's storage and interconnect energies, which depend on the nest alone.
#pragma once
#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "hiermap/hiermap.hpp"
#include "loopnest/counts.hpp"
#include "mapping/mapping.hpp"
#include "spec/spec.hpp"
#include "workload/gemm.hpp"

namespace cimmc {

// Nests kept per layer with `mapping.keep: all`: the search keeps a bounded
// number (the mapspace has up to ~10^7 legal nests); `keep: best` keeps one.
inline constexpr int kHierKeepAll = 8;

struct HierNest {
  loopnest::LoopNest nest;
  loopnest::NestCounts counts;  // analyze() of the nest
  loopnest::NestCost cost;      // the search's: macro_pj from statistical figures (ranking only)
  hiermap::TileShape tile;
  std::string text;             // loopnest::describe
};

struct HierLayerPlan {
  loopnest::Hierarchy hierarchy;
  loopnest::ConvShape shape;
  std::int64_t legal = 0, candidates = 0;  // what the search evaluated (SearchReport)
  std::uint64_t size = 0, factorizations = 0;  // the mapspace (SearchReport)
  bool exhaustive = false;
  // How the nests were found (mapping.mapper): "enumerated" (every legal
  // mapping costed: optimal), "sampled" (draws and refinement: no bound), or
  // the MIP mapper's status (mipmap/mapper.hpp: optimal, time_limit,
  // solve_limit). gap = (best - bound) / best: 0 when proven optimal, NaN when
  // nothing bounds it (sampled).
  std::string status;
  double gap = 0, bound = 0;
  std::size_t shapes_priced = 0;           // tile shapes the search priced statistically
  std::vector<HierNest> nests;             // best first; [i] is mapping i of the layer
};

// True when the point maps its layers on a hierarchy (network mode only).
bool uses_hierarchy(const Config& point);

// Searches `layer` at `point` and returns the kept nests, with `space` set to
// one flat Mapping per nest: a single TileUse {rows_used, cols_used,
// tiles = (K / rows_used) x (N groups / cols_used), mvms = the nest's runs},
// so each output sums K / rows_used partial tiles as in the flat model;
// latency_ns = the nest's ns; memory bits 0 (the nest's levels price them).
std::shared_ptr<const HierLayerPlan> plan_hier_layer(const Config& point, const LayerSpec& layer, const Gemm& gemm,
                                                     MappingSpace& space);

// plan_hier_layer of every hierarchy layer of points [first, last), on
// `threads` threads (<= 0: OpenMP's maximum), layers dealt dynamically. Each
// layer's search depends on its own point and layer alone (the MIP's solves
// run in child processes: mipmap/solver_cbc.cpp), so the result is the same
// for any thread count, up to what a CPU-time limit (mapping.mip_seconds)
// makes machine-dependent anyway. An exception is kept in its slot, for the
// caller to rethrow where the serial loop would have met it.
struct HierLayerSlot {
  std::shared_ptr<const HierLayerPlan> hier;  // null: the layer has no hierarchy
  MappingSpace space;
  std::exception_ptr error;
};
std::vector<std::vector<HierLayerSlot>> plan_hier_layers(const std::vector<const Config*>& points, std::size_t first,
                                                         std::size_t last, int threads);

// Every point of a study must agree on whether it has a hierarchy and on its
// level names, so the level and link columns line up. Throws
// std::invalid_argument naming the first point that differs from point 0.
void check_hierarchy_names(const std::vector<const Config*>& points);

}  // namespace cimmc

// A study's plan: for each hardware point, each layer's mappings and the tile
// jobs they run, with identical tile jobs merged so each is sampled once.
// Built on the host without sampling; `cimmc plan` prints it, `run` executes it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mapping/mapping.hpp"
#include "spec/spec.hpp"
#include "study/plan_chiplet.hpp"
#include "study/plan_hier.hpp"
#include "study/tile_jobs.hpp"
#include "workload/gemm.hpp"

namespace cimmc {

struct LayerPlan {
  std::size_t layer = 0;                       // index in the network (0 in single-tile mode)
  std::string name;
  Gemm gemm;
  int repeat = 1;
  MappingSpace space;
  std::vector<std::vector<std::size_t>> jobs;  // [mapping][tile use] -> StudyPlan::jobs index
  // Set when the point has architecture.hierarchy: the kept loop nests,
  // nests[i] behind space.feasible[i] (study/plan_hier.hpp).
  std::shared_ptr<const HierLayerPlan> hier;
  // Set when the point has architecture.chiplets: the point's whole placed
  // system; this layer's costs are chiplet->layers[layer] (study/plan_chiplet.hpp).
  std::shared_ptr<const chiplet::SystemCosts> chiplet;
};

struct PointPlan {
  std::size_t point = 0;                       // index in the sweep
  std::vector<LayerPlan> layers;
};

struct StudyPlan {
  std::vector<PointPlan> points;
  std::vector<Config> jobs;                    // unique tile jobs as single-tile configs
  std::vector<std::string> job_keys;
  std::vector<JobId> job_ids;                  // job_id_of(job_keys[j]), checked unique
  std::size_t job_refs = 0;                    // tile-job uses before merging
  std::size_t mappings = 0, pruned = 0;
  double cell_reads = 0;                       // sampling work of the unique jobs
};

// Plans points [first, last) of `points` (configs of a sweep, in order), the
// hierarchy layers' mapping searches on `threads` threads (<= 0: OpenMP's
// maximum; the plan is the same for any count: plan_hier_layers).
// Throws ConfigError when the points disagree on their hierarchy levels.
StudyPlan make_plan(const std::vector<const Config*>& points, std::size_t first, std::size_t last, int threads = 1);

// Single-tile configs run as a one-layer study with one mapping: the tile itself.
bool is_single_tile(const Config& c);

}  // namespace cimmc

// Roll-up: tile-job energies and errors -> one row per (point, layer, mapping)
// and one per (point, network) over the selected mappings.
//
// Energy: each macro component is sum over tile uses of MVMs x the job's energy
// per MVM (priced with the point's own energy parameters). The jobs are
// sampled independently, so their variances add; a job used several times (by
// several tile uses or layers) counts once, with all its MVMs:
// se = sqrt(sum_jobs (MVMs_j se_j)^2). Buffers and DRAM are bits x pJ/bit.
// Everything is per inference and multiplied by the layer's repeat.
// A layer mapped on a hierarchy (plan_hier.hpp) prices its macro the same way
// (runs x the job's energy per MVM) and adds the nest's level and link
// energies (rollup_hier.hpp) instead of the flat buffers; latency is the
// nest's. With keep: all its kept nests are re-ranked by these totals.
// Area: the point's macro (physical/area_clock.hpp, sized for its widest
// layer) times the macros it provisions (architecture.macros, or every macro
// of a chiplet system's tiles); TOPS/mm^2 is a row's TOPS over that area.
// Accuracy: a layer output sums one partial result per K tile; tile errors are
// taken as independent, so per-output mean squared error and signal power add
// over the k tiles: mse = sum_t tiles_t cols_t mse_t / (N groups), likewise the
// exact outputs' power. SQNR = 10 log10(signal power / mse). The network pools
// every output of every layer (M N groups outputs per repeat): its mse, power
// and mean error are the layers' weighted by their outputs per inference.
#pragma once
#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "engine/result.hpp"
#include "physical/area_clock.hpp"
#include "pricing/pricing.hpp"
#include "study/plan.hpp"
#include "study/rollup_chiplet.hpp"
#include "study/rollup_hier.hpp"

namespace cimmc {

enum class Memory : int { input_buffer, output_buffer, global_buffer, dram, count };
inline constexpr int kMemories = static_cast<int>(Memory::count);
inline constexpr std::array<const char*, kMemories> kMemoryNames = {"input_buffer", "output_buffer",
                                                                    "global_buffer", "dram"};

struct Costs {
  std::array<Estimate, kComponents> macro_pj{};  // per inference
  std::array<double, kMemories> memory_pj{};  // flat mappings (0 for a hierarchy's)
  HierCosts hier;                             // a hierarchy's levels and links (empty when flat)
  ChipletRollup chip;                         // a chiplet system's NoC, NoP, buffer, DRAM (absent otherwise)
  Estimate total_pj;
  double macs = 0, latency_ns = 0, tops = 0, tops_per_w = 0, pj_per_mac = 0;
  double mse = 0, signal = 0, err_mean = 0, conversions = 0, clipped = 0;  // accuracy sums
  double area_mm2 = 0;  // every provisioned macro (physical/area_clock.hpp); tops over it is TOPS/mm^2
  double tops_per_mm2() const;
  double err_rms() const;
  double sqnr_db() const;
  double clip_rate() const;
};

struct LayerRow {
  std::size_t point = 0, layer = 0;
  std::string layer_name;
  int mapping = 0;
  bool selected = false;
  const Mapping* m = nullptr;  // into the plan
  const HierLayerPlan* hier = nullptr;  // into the plan when mapped on a hierarchy: nest `mapping`
  Costs cost;
};

struct NetworkRow {
  std::size_t point = 0;
  int layers = 0;
  Costs cost;
  AreaClock macro;             // one macro's area and clock period
  double macros = 0;           // macros provisioned (cost.area_mm2 = macros x macro.area_mm2)
  double sqnr_db_min = 0;      // worst layer
};

struct RollUp {
  std::vector<LayerRow> layers;    // every kept mapping (all, or the best per layer)
  std::vector<NetworkRow> network; // one per point
};

// One tile job's numbers at one point: energy per MVM (priced with the
// point's energy parameters) and error sums per output, from either model.
struct JobCost {
  Report rep;
  double mse = 0, power = 0, err_mean = 0, clip_rate = 0;
};
// price_job(job index in plan.jobs, point config, layer or null) -> its cost.
using JobPricer = std::function<JobCost(std::size_t job, const Config& point, const LayerSpec* layer)>;

// The sampled model's pricer for one result.
JobCost sampled_job_cost(const Config& point, const LayerSpec* layer, const JobResult& r);

// points are the sweep's configs by index.
RollUp roll_up(const StudyPlan& plan, const std::vector<const Config*>& points, const JobPricer& price_job);

}  // namespace cimmc

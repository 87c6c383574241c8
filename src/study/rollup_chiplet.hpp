// Roll-up of a layer on a chiplet system (study/plan_chiplet.hpp): its NoC,
// NoP, global-buffer and DRAM energies, traffic and stage times per inference
// (all repeats), and the system's figures (chiplets, area, pipeline interval),
// which every layer of a point shares. The network row sums the layers' and
// keeps the system's. Empty (present false) for other systems.
#pragma once
#include <cstddef>
#include <cstdint>

#include "chiplet/system.hpp"

namespace cimmc {

struct ChipletRollup {
  bool present = false;
  chiplet::LayerCosts cost;   // a layer's; the network: sums (tile and chiplet range: the whole network)
  int chiplets = 0;
  std::int64_t tiles_used = 0, tiles = 0;  // used by the network / provisioned (chiplets x tiles per chiplet)
  double interval_ns = 0;     // the pipeline's slowest stage
  chiplet::Area area;
  chiplet::SystemCost usd;   // the system's manufacturing cost
};

// Layer `layer` of the placed system.
ChipletRollup chiplet_layer_rollup(const chiplet::SystemCosts& sys, std::size_t layer);

// Adds layer `b` into the network total `a` (a empty: becomes b).
void add_chiplet_rollup(ChipletRollup& a, const ChipletRollup& b);

}  // namespace cimmc

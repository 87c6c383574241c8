// The chiplet path of make_plan (issue 15): a point with architecture.chiplets
// maps each layer with one flat mapping (chiplet::layer_mapping: one copy of
// the weights, no duplication), places the whole network on the chiplets and
// prices its NoC, NoP, global-buffer and DRAM traffic (chiplet/system.hpp).
// The layer's tile jobs are sampled (or predicted) like every flat mapping's;
// its tile buffers stay the flat input/output buffer energies, while the
// flat global-buffer and DRAM bits are replaced by the system's, and its
// latency by its pipeline stages' (compute + NoC + NoP + DRAM, all copies).
// Areas left to the models (chiplet/area.hpp) are computed for the point.
#pragma once
#include <memory>
#include <vector>

#include "chiplet/system.hpp"
#include "spec/spec.hpp"

namespace cimmc {

struct PointPlan;

// True when the point is a network on a chiplet system.
bool uses_chiplets(const Config& point);

// Layer mappings (one each) already in pp; places them and adjusts them as
// above. Returns the system every layer plan of pp then points to.
std::shared_ptr<const chiplet::SystemCosts> plan_chiplets(const Config& point, PointPlan& pp);

// Every point of a study must agree on whether it is a chiplet system (the
// columns line up). Throws ConfigError naming the first point that differs.
void check_chiplet_points(const std::vector<const Config*>& points);

}  // namespace cimmc

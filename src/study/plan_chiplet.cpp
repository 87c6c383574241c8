#include "study/plan_chiplet.hpp"

#include <string>

#include "chiplet/area.hpp"
#include "config/config.hpp"
#include "study/plan.hpp"

namespace cimmc {

bool uses_chiplets(const Config& point) { return point.arch.chiplets.enabled && !point.network.layers.empty(); }

std::shared_ptr<const chiplet::SystemCosts> plan_chiplets(const Config& point, PointPlan& pp) {
  std::vector<chiplet::LayerShape> shapes;
  std::vector<double> compute_ns;
  for (const LayerPlan& lp : pp.layers) {
    const Mapping& m = lp.space.feasible.at(0);
    shapes.push_back(chiplet::layer_shape(point.network.layers[lp.layer], m, point.macro));
    compute_ns.push_back(m.compute_ns);
  }
  chiplet::ChipletSpec spec = point.arch.chiplets;
  const chiplet::ResolvedArea area = chiplet::resolve_area(point);
  spec.area = area.area;
  auto sys = std::make_shared<chiplet::SystemCosts>(chiplet::evaluate(shapes, compute_ns, spec, chiplet::off_chip(point)));
  sys->area.macro_periphery = static_cast<double>(sys->placement.chiplets) * spec.tiles_per_chiplet *
                              spec.macros_per_tile * area.macro_periphery_mm2;
  for (LayerPlan& lp : pp.layers) {
    Mapping& m = lp.space.feasible[0];
    const chiplet::LayerCosts& c = sys->layers[lp.layer];
    // The system moves the activations; the tile buffers (input/output) stay.
    m.global_buffer_bits = m.dram_bits = 0;
    m.global_buffer_ns = m.dram_ns = 0;
    // Per repeat, as every Mapping figure: the roll-up multiplies by repeat.
    m.memory_ns = (c.noc_ns + c.nop_ns + c.dram_ns) / lp.repeat;
    m.latency_ns = c.stage_ns() / lp.repeat;
    m.tops = m.latency_ns > 0 ? 2.0 * m.macs / m.latency_ns / 1e3 : 0.0;
    lp.chiplet = sys;
  }
  return sys;
}

void check_chiplet_points(const std::vector<const Config*>& points) {
  for (std::size_t p = 1; p < points.size(); ++p)
    if (uses_chiplets(*points[p]) != uses_chiplets(*points.front()))
      throw ConfigError("sweep point " + std::to_string(p) + (uses_chiplets(*points[p]) ? " has" : " has no") +
                        " architecture.chiplets but point 0 " + (uses_chiplets(*points.front()) ? "has" : "has none") +
                        ": every point of a study needs the same system kind (their columns differ)");
}

}  // namespace cimmc

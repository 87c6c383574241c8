// `cimmc plan` on a config with architecture.chiplets: point 0's placement
// (study/plan_chiplet.hpp), layer by layer, and the system's traffic totals.
#include <cstdio>

#include "cli/commands.hpp"
#include "study/plan.hpp"

namespace cimmc {

void print_chiplet_plan(const PointPlan& plan) {
  if (plan.layers.empty() || !plan.layers.front().chiplet) return;
  const chiplet::SystemCosts& s = *plan.layers.front().chiplet;
  const chiplet::Placement& p = s.placement;
  std::printf("  chiplets (point 0): %d chiplet(s) of %d tiles (%d x %d mesh; package %d x %d) of %d macros; %lld "
              "tiles hold weights\n",
              p.chiplets, p.tiles_per_chiplet, p.tile_grid.width, p.tile_grid.height, p.chip_grid.width,
              p.chip_grid.height, p.macros_per_tile, static_cast<long long>(p.tiles_used));
  std::printf("    %-24s %11s %9s %12s %12s %12s %12s %12s %11s\n", "layer", "tiles", "chiplets", "act [bit]",
              "psum [bit]", "skip [bit]", "flit-hops", "NoP bit-hops", "stage [ns]");
  chiplet::LayerCosts sum;
  for (const LayerPlan& lp : plan.layers) {
    const chiplet::LayerCosts& c = s.layers[lp.layer];
    char tiles[32], chips[32];
    std::snprintf(tiles, sizeof tiles, "%lld-%lld", static_cast<long long>(c.first_tile), static_cast<long long>(c.last_tile));
    std::snprintf(chips, sizeof chips, "%d-%d", c.first_chiplet, c.last_chiplet);
    std::printf("    %-24s %11s %9s %12.4g %12.4g %12.4g %12.4g %12.4g %11.4g\n", lp.name.c_str(), tiles, chips,
                c.activation_bits, c.psum_bits, c.skip_bits, c.noc_flit_hops, c.nop_bit_hops, c.stage_ns());
    sum.noc_pj += c.noc_pj;
    sum.nop_pj += c.nop_pj;
    sum.dram_pj += c.dram_pj;
    sum.global_buffer_pj += c.global_buffer_pj;
    sum.skip_pj += c.skip_pj;
    sum.residual_add_pj += c.residual_add_pj;
    sum.skip_buffer_pj += c.skip_buffer_pj;
  }
  std::printf("    network: NoC %.4g pJ, NoP %.4g pJ (skip tensors %.4g pJ of them), residual adds %.4g pJ, skip buffering "
              "%.4g pJ, global buffer %.4g pJ, DRAM %.4g pJ per inference; pipeline interval %.4g ns\n",
              sum.noc_pj, sum.nop_pj, sum.skip_pj, sum.residual_add_pj, sum.skip_buffer_pj, sum.global_buffer_pj,
              sum.dram_pj, s.interval_ns);
  const chiplet::Area& a = s.area;
  std::printf("    area: %.4g mm^2 (%.4g per chiplet): macros %.4g (periphery %.4g of them), tiles %.4g, routers %.4g, NoP "
              "%.4g, global buffer %.4g\n",
              a.total, a.per_chiplet, a.macros, a.macro_periphery, a.tiles, a.routers, a.nop, a.global_buffer);
  std::printf("    cost: chiplet yield %.4f, %.0f dies per wafer, $%.4g per good die; system $%.4g, one die of the same "
              "area $%.4g\n",
              s.cost.yield, s.cost.dies_per_wafer, s.cost.good_die_usd, s.cost.system_usd, s.cost.monolithic_usd);
}

}  // namespace cimmc

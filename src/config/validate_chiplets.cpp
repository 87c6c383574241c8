// Cross-field rules of `architecture.chiplets` (the reader checked each value's
// range): it describes a whole network's system, so it needs layers, excludes
// the memory hierarchy and the flat macro count, and the network must fit.
#include <string>

#include "chiplet/placement.hpp"
#include "chiplet/system.hpp"
#include "config/internal.hpp"

namespace cimmc::config_detail {

void check_chiplets(const Checker& c, const Config& cfg) {
  const chiplet::ChipletSpec& s = cfg.arch.chiplets;
  if (!s.enabled) return;
  const std::string root = "architecture.chiplets";
  if (!cfg.arch.hierarchy.empty())
    c.fail(root, "chiplets", "cannot be used with architecture.hierarchy (one system description per config)");
  if (cfg.network.layers.empty())
    c.fail(root, "chiplets", "needs a network (workload.layers or workload.cimloop): layers are placed on the tiles");
  if (c.written("architecture.macros"))
    c.fail("architecture.macros", std::to_string(cfg.arch.macros),
           "leave it out with architecture.chiplets: the chiplets, tiles and macros per tile set the count");
  for (std::size_t i = 0; i < cfg.network.layers.size(); ++i)
    if (cfg.network.layers[i].kind == LayerKind::matmul)
      c.fail(root, "chiplets", "layer " + cfg.network.layers[i].name +
                                   " is a matmul: its stored operand is an activation, not stationary weights");
  if (s.area.cell_array_mm2 > 0 && s.area.macro_mm2 != chiplet::kFromModel)
    c.fail(root + ".area.cell_array_mm2", number_text(s.area.cell_array_mm2),
           "replaces the area model's cells; with area.macro_mm2 written as a number there is no model to replace them in");
  // A capacity stands for the area it gives (chiplet/area.hpp): both written would leave one unused.
  if (s.area.tile_buffer_kib > 0 && s.area.tile_mm2 > 0)
    c.fail(root + ".area.tile_buffer_kib", number_text(s.area.tile_buffer_kib),
           "gives the tile's area from its SRAM; with area.tile_mm2 written too, write one of them");
  if (s.area.global_buffer_kib > 0 && s.area.global_buffer_mm2 > 0)
    c.fail(root + ".area.global_buffer_kib", number_text(s.area.global_buffer_kib),
           "gives the global buffer's area from its SRAM; with area.global_buffer_mm2 written too, write one of them");
  if (s.chiplets == 0) return;
  const std::int64_t tiles = chiplet::tiles_needed(chiplet::network_shapes(cfg), s.macros_per_tile);
  const std::int64_t need = (tiles + s.tiles_per_chiplet - 1) / s.tiles_per_chiplet;
  if (need > s.chiplets)
    c.fail(root + ".chiplets", std::to_string(s.chiplets),
           "the network needs " + std::to_string(tiles) + " tiles of " + std::to_string(s.macros_per_tile) +
               " macros, " + std::to_string(need) + " chiplets of " + std::to_string(s.tiles_per_chiplet) +
               " tiles (or write auto)");
}

}  // namespace cimmc::config_detail

#include "chiplet/placement.hpp"

namespace cimmc::chiplet {

std::int64_t tiles_needed(const std::vector<LayerShape>& layers, int macros_per_tile) {
  std::int64_t n = 0;
  for (const LayerShape& l : layers) n += l.tiles(macros_per_tile) * l.repeat;
  return n;
}

Placement place(const std::vector<LayerShape>& layers, const ChipletSpec& spec) {
  Placement p;
  p.tiles_per_chiplet = spec.tiles_per_chiplet;
  p.macros_per_tile = spec.macros_per_tile;
  p.tiles_used = tiles_needed(layers, spec.macros_per_tile);
  const std::int64_t T = spec.tiles_per_chiplet;
  const std::int64_t need = (p.tiles_used + T - 1) / T;
  if (spec.chiplets > 0 && need > spec.chiplets)
    throw PlacementError("the network needs " + std::to_string(p.tiles_used) + " tiles of " +
                         std::to_string(spec.macros_per_tile) + " macros: " + std::to_string(need) +
                         " chiplets of " + std::to_string(T) + " tiles, more than the " +
                         std::to_string(spec.chiplets) + " configured (use auto)");
  p.chiplets = spec.chiplets > 0 ? spec.chiplets : static_cast<int>(need < 1 ? 1 : need);
  p.tile_grid = Grid(spec.tiles_per_chiplet);
  p.chip_grid = Grid(p.chiplets);
  std::int64_t next = 0;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    p.first_stage.push_back(p.stages.size());
    const std::int64_t tiles = layers[l].tiles(spec.macros_per_tile);
    for (int c = 0; c < layers[l].repeat; ++c) {
      p.stages.push_back(Stage{l, c, next, tiles});
      next += tiles;
    }
  }
  return p;
}

}  // namespace cimmc::chiplet

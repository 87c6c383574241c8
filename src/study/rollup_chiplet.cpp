#include "study/rollup_chiplet.hpp"

#include <algorithm>

namespace cimmc {

ChipletRollup chiplet_layer_rollup(const chiplet::SystemCosts& sys, std::size_t layer) {
  ChipletRollup r;
  r.present = true;
  r.cost = sys.layers.at(layer);
  r.chiplets = sys.placement.chiplets;
  r.tiles_used = sys.placement.tiles_used;
  r.tiles = std::int64_t{sys.placement.chiplets} * sys.placement.tiles_per_chiplet;
  r.interval_ns = sys.interval_ns;
  r.area = sys.area;
  r.usd = sys.cost;
  return r;
}

void add_chiplet_rollup(ChipletRollup& a, const ChipletRollup& b) {
  if (!a.present) {
    a = b;
    return;
  }
  chiplet::LayerCosts& x = a.cost;
  const chiplet::LayerCosts& y = b.cost;
  x.noc_pj += y.noc_pj;
  x.nop_pj += y.nop_pj;
  x.global_buffer_pj += y.global_buffer_pj;
  x.dram_pj += y.dram_pj;
  x.noc_flit_hops += y.noc_flit_hops;
  x.nop_bit_hops += y.nop_bit_hops;
  x.activation_bits += y.activation_bits;
  x.psum_bits += y.psum_bits;
  x.skip_bits += y.skip_bits;
  x.skip_noc_flit_hops += y.skip_noc_flit_hops;
  x.skip_nop_bit_hops += y.skip_nop_bit_hops;
  x.skip_pj += y.skip_pj;
  x.residual_adds += y.residual_adds;
  x.residual_add_pj += y.residual_add_pj;
  x.skip_buffer_bits += y.skip_buffer_bits;
  x.skip_buffer_pj += y.skip_buffer_pj;
  x.global_buffer_bits += y.global_buffer_bits;
  x.dram_bits += y.dram_bits;
  x.weight_bits += y.weight_bits;
  x.weight_load_pj += y.weight_load_pj;
  x.compute_ns += y.compute_ns;
  x.noc_ns += y.noc_ns;
  x.nop_ns += y.nop_ns;
  x.dram_ns += y.dram_ns;
  x.stage_ns_max = std::max(x.stage_ns_max, y.stage_ns_max);
  x.first_tile = std::min(x.first_tile, y.first_tile);
  x.last_tile = std::max(x.last_tile, y.last_tile);
  x.first_chiplet = std::min(x.first_chiplet, y.first_chiplet);
  x.last_chiplet = std::max(x.last_chiplet, y.last_chiplet);
}

}  // namespace cimmc

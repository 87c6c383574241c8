#include "study/tables_chiplet.hpp"

#include <cstdint>

namespace cimmc {

void put_chiplet_costs(Table& t, const ChipletRollup& c, const std::string& per) {
  using I = std::int64_t;
  const chiplet::LayerCosts& k = c.cost;
  t.put("noc_pj", k.noc_pj, "pJ", "network-on-chip energy (flit-hops x noc.hop_pj_per_flit)" + per);
  t.put("nop_pj", k.nop_pj, "pJ", "network-on-package energy (bit-hops x nop.pj_per_bit)" + per);
  t.put("chiplet_global_buffer_pj", k.global_buffer_pj, "pJ", "global buffer energy (network input and output)" + per);
  t.put("chiplet_dram_pj", k.dram_pj, "pJ", "DRAM energy (network input read, output written)" + per);
  t.put("noc_flit_hops", k.noc_flit_hops, "flit", "flits x NoC links crossed" + per);
  t.put("nop_bit_hops", k.nop_bit_hops, "bit", "bits x NoP (package) links crossed" + per);
  t.put("activation_bits", k.activation_bits, "bit", "activations sent to the next stage (or the global buffer)" + per);
  t.put("psum_bits", k.psum_bits, "bit", "partial sums sent between tiles for reduction" + per);
  t.put("skip_bits", k.skip_bits, "bit", "skip (residual) tensors this layer's output sends to the layers adding it" + per);
  t.put("skip_noc_flit_hops", k.skip_noc_flit_hops, "flit", "NoC flit-hops of the skip tensors (in noc_flit_hops)" + per);
  t.put("skip_nop_bit_hops", k.skip_nop_bit_hops, "bit", "NoP bit-hops of the skip tensors (in nop_bit_hops)" + per);
  t.put("skip_pj", k.skip_pj, "pJ", "NoC + NoP energy of the skip tensors (in noc_pj and nop_pj, not added again)" + per);
  t.put("residual_adds", k.residual_adds, "1",
        "element-wise additions of the skip tensors this layer adds to its outputs" + per);
  t.put("residual_add_pj", k.residual_add_pj, "pJ",
        "their adders: adds x max(operand bits) full adders x one full adder at energy.node_nm, vdd_v" + per);
  t.put("skip_buffer_bits", k.skip_buffer_bits, "bit",
        "skip-tensor bits written into this layer's output buffer and read back by the adder" + per);
  t.put("skip_buffer_pj", k.skip_buffer_pj, "pJ", "skip_buffer_bits x architecture.output_buffer.energy_pj_per_bit" + per);
  t.put("chiplet_global_buffer_bits", k.global_buffer_bits, "bit", "global buffer bits written and read" + per);
  t.put("chiplet_dram_bits", k.dram_bits, "bit", "DRAM bits read and written" + per);
  t.put("weight_bits", k.weight_bits, "bit", "weights loaded once before inference (all repeats); not per inference");
  t.put("weight_load_pj", k.weight_load_pj, "pJ",
        "loading the weights once: DRAM read, global buffer written and read, NoP and NoC; not in total_pj");
  t.put("stage_compute_ns", k.compute_ns, "ns", "macro compute time of the pipeline stages (all repeats)");
  t.put("stage_noc_ns", k.noc_ns, "ns", "NoC transfer time of the stages: busiest link + longest route");
  t.put("stage_nop_ns", k.nop_ns, "ns", "NoP transfer time of the stages: busiest package link");
  t.put("stage_dram_ns", k.dram_ns, "ns", "DRAM and global buffer transfer time of the stages");
  t.put("stage_ns_max", k.stage_ns_max, "ns", "slowest pipeline stage (one copy of a layer)");
  t.put("first_tile", static_cast<I>(k.first_tile), "1", "first global tile id (chiplet x tiles_per_chiplet + tile)");
  t.put("last_tile", static_cast<I>(k.last_tile), "1", "last global tile id");
  t.put("first_chiplet", static_cast<I>(k.first_chiplet), "1", "first chiplet holding the weights");
  t.put("last_chiplet", static_cast<I>(k.last_chiplet), "1", "last chiplet holding the weights");
}

void put_chiplet_system(Table& t, const Costs& c) {
  using I = std::int64_t;
  const ChipletRollup& s = c.chip;
  t.put("chiplets", static_cast<I>(s.chiplets), "1", "chiplets on the package (auto: as many as the network needs)");
  t.put("tiles_used", static_cast<I>(s.tiles_used), "1", "tiles holding weights");
  t.put("tiles", static_cast<I>(s.tiles), "1", "tiles provisioned (chiplets x tiles_per_chiplet)");
  t.put("area_mm2", s.area.total, "mm^2", "total area: macros, tiles, routers, NoP, global buffer (0 where not given)");
  t.put("system_tops_per_mm2", s.area.total > 0 ? c.tops / s.area.total : 0.0, "TOPS/mm^2",
        "tops over area_mm2, the whole system's area (tops_per_mm2 counts the macros only); "
        "--model hybrid ranks area efficiency on it; 0 when no area is given");
  t.put("area_macros_mm2", s.area.macros, "mm^2", "area of every provisioned macro (cells and periphery)");
  t.put("area_macro_periphery_mm2", s.area.macro_periphery, "mm^2",
        "of area_macros_mm2: every macro's periphery from the area model (0 when area.macro_mm2 is written)");
  t.put("area_tiles_mm2", s.area.tiles, "mm^2", "area of the tiles' own logic (buffers, accumulators)");
  t.put("area_routers_mm2", s.area.routers, "mm^2", "area of the NoC routers (one per tile; area.router_mm2 or the scaled published router)");
  t.put("area_nop_mm2", s.area.nop, "mm^2", "area of the NoP routers and drivers (one per chiplet)");
  t.put("area_chiplet_mm2", s.area.per_chiplet, "mm^2", "area of one chiplet");
  t.put("chiplet_dies_per_wafer", s.usd.dies_per_wafer, "1", "whole chiplets per wafer (cost.wafer_mm, edge_mm, scribe_mm)");
  t.put("chiplet_yield", s.usd.yield, "1", "negative-binomial die yield of one chiplet (defects_per_cm2, clustering)");
  t.put("chiplet_good_die_usd", s.usd.good_die_usd, "USD", "one good chiplet: wafer_usd / (dies per wafer x yield)");
  t.put("system_cost_usd", s.usd.system_usd, "USD",
        "every chiplet with its bonding, over the bonding yield of all of them (NaN: no area given)");
  t.put("monolithic_cost_usd", s.usd.monolithic_usd, "USD",
        "one die of the chiplets' total area, same model (NaN: over the 858 mm^2 reticle)");
  t.put("interval_ns", s.interval_ns, "ns", "pipeline interval: the slowest stage");
  t.put("inferences_per_s", s.interval_ns > 0 ? 1e9 / s.interval_ns : 0.0, "1/s",
        "pipelined throughput: one inference per interval");
  t.put("pipelined_tops", s.interval_ns > 0 ? 2.0 * c.macs / s.interval_ns / 1e3 : 0.0, "TOPS",
        "pipelined throughput in ops, 2 ops per MAC");
  t.put("edp_pj_ns", c.total_pj.mean * c.latency_ns, "pJ*ns", "energy-delay product: total_pj x latency_ns");
}

}  // namespace cimmc

#include "chiplet/system.hpp"

#include <algorithm>
#include <stdexcept>

#include "chiplet/links.hpp"
#include "chiplet/residual.hpp"
#include "pricing/technology.hpp"
#include "pricing/zigzag.hpp"
#include "workload/gemm.hpp"

namespace cimmc::chiplet {
namespace {

int ceil_log2(std::int64_t k) {
  int b = 0;
  while ((std::int64_t{1} << b) < k) ++b;
  return b;
}

double transfer_ns(double amount, double per_ns) { return per_ns > 0 ? amount / per_ns : 0.0; }

}  // namespace

Mapping layer_mapping(const LayerSpec& layer, const Config& cfg) {
  ArchSpec a = cfg.arch;
  a.macros = 16777216;  // every layer fits in one round: the placement checks the whole network
  MappingOptions o = cfg.mapping;
  o.allow_duplication = false;  // weight-stationary, one copy per layer (SIAM)
  MappingSpace s = enumerate_mappings(layer, lower(layer), cfg.macro, a, o);
  if (s.feasible.empty())
    throw std::invalid_argument("layer " + layer.name + " has no mapping: " + (s.pruned.empty() ? "" : s.pruned[0]));
  return s.feasible[0];  // duplication 1, input_reuse (partial sums reduced beside the macros)
}

LayerShape layer_shape(const LayerSpec& layer, const Mapping& m, const MacroSpec& macro) {
  const Gemm g = lower(layer);
  LayerShape s;
  s.name = layer.name;
  s.M = g.M;
  s.K = g.K;
  s.N = g.N;
  s.groups = g.groups;
  s.rows = macro.rows;
  s.wpm = m.weights_per_macro;
  s.k_tiles = m.k_tiles;
  s.n_tiles = m.n_tiles;
  s.placed_per_macro = m.placed_per_macro;
  s.macros = m.macros_per_copy;
  s.in_channels = layer.C;
  if (layer.kind == LayerKind::conv2d) {
    s.rows_per_channel = layer.R * layer.S;
    // The padded input as the flat model's DRAM tensor (mapping.hpp).
    const double h = static_cast<double>(layer.P - 1) * layer.stride_h + layer.R;
    const double w = static_cast<double>(layer.Q - 1) * layer.stride_w + layer.S;
    s.in_elems_per_channel = static_cast<double>(layer.batch) * h * w;
  } else {
    s.rows_per_channel = 1;
    s.in_elems_per_channel = static_cast<double>(g.M);
  }
  s.x_bits = layer.inputs.bits;
  s.psum_bits = layer.inputs.bits + layer.weights.bits + ceil_log2(g.K);
  s.w_bits = layer.weights.bits;
  s.repeat = layer.repeat;
  s.input_name = layer.input_from;
  s.residual_name = layer.residual_from;
  return s;
}

std::vector<LayerShape> network_shapes(const Config& cfg) {
  std::vector<LayerShape> out;
  for (const LayerSpec& l : cfg.network.layers) out.push_back(layer_shape(l, layer_mapping(l, cfg), cfg.macro));
  return out;
}

OffChip off_chip(const Config& cfg) {
  const ArchSpec& a = cfg.arch;
  const double fa_pj = tech::gate_energy(zigzag::kFullAdderJ, cfg.energy.node_nm, cfg.energy.vdd_v) * zigzag::kPjPerJ;
  return OffChip{a.clock_ghz,          a.global_buffer.energy_pj_per_bit, a.global_buffer.bandwidth_bits_per_cycle,
                 a.dram_pj_per_bit,    a.dram_bandwidth_gbps,             fa_pj,
                 a.output_buffer.energy_pj_per_bit};
}

SystemCosts evaluate(const std::vector<LayerShape>& layers, const std::vector<double>& compute_ns,
                     const ChipletSpec& spec, const OffChip& oc) {
  SystemCosts sc;
  sc.placement = place(layers, spec);
  const Placement& p = sc.placement;
  const StageLinks links = link_stages(layers, p);
  sc.layers.assign(layers.size(), LayerCosts{});
  for (std::size_t i = 0; i < p.stages.size(); ++i) {
    const Stage& st = p.stages[i];
    const LayerShape& l = layers[st.layer];
    LayerCosts& c = sc.layers[st.layer];
    std::vector<Flow> flows = psum_flows(p, l, st);
    for (const Flow& f : flows) c.psum_bits += f.bits;
    const bool last = i + 1 == p.stages.size();
    std::vector<Flow> out = last ? output_flows(p, l, st) : std::vector<Flow>{};
    for (std::size_t j : links.readers[i]) {
      const std::vector<Flow> a = activation_flows(p, l, st, layers[p.stages[j].layer], p.stages[j]);
      out.insert(out.end(), a.begin(), a.end());
    }
    for (const Flow& f : out) c.activation_bits += f.bits;
    flows.insert(flows.end(), out.begin(), out.end());
    std::vector<Flow> skip;
    for (std::size_t j : links.adders[i]) {
      const LayerShape& to = layers[p.stages[j].layer];
      const std::vector<Flow> a = skip_flows(p, l, st, to, p.stages[j]);
      skip.insert(skip.end(), a.begin(), a.end());
      // The add itself and the tensor's wait in a buffer belong to the layer that adds it.
      const ResidualAdd ra = residual_add(l, to, oc.full_adder_pj, oc.skip_buffer_pj_per_bit);
      LayerCosts& r = sc.layers[p.stages[j].layer];
      r.residual_adds += ra.adds;
      r.residual_add_pj += ra.adder_pj;
      r.skip_buffer_bits += ra.buffer_bits;
      r.skip_buffer_pj += ra.buffer_pj;
    }
    if (!skip.empty()) {  // counted apart, routed with the rest (they share the links)
      const Traffic ts = route(p, spec.noc.flit_bits, skip);
      c.skip_bits += ts.bits;
      c.skip_noc_flit_hops += ts.noc_flit_hops;
      c.skip_nop_bit_hops += ts.nop_bit_hops;
      c.skip_pj += ts.noc_flit_hops * spec.noc.hop_pj_per_flit + ts.nop_bit_hops * spec.nop.pj_per_bit;
      flows.insert(flows.end(), skip.begin(), skip.end());
    }
    double dram_bits = 0;
    if (i == 0) {
      const std::vector<Flow> in = input_flows(p, l, st);
      flows.insert(flows.end(), in.begin(), in.end());
      dram_bits += static_cast<double>(l.in_channels) * l.in_elems_per_channel * l.x_bits;
    }
    if (last) dram_bits += static_cast<double>(l.out_channels()) * l.M * l.x_bits;
    const double glb_bits = 2 * dram_bits;  // written on its way in (out), read on its way on
    const Traffic t = route(p, spec.noc.flit_bits, flows);

    const double noc_ns = t.flits > 0 ? (t.max_noc_link_flits / spec.noc.flits_per_cycle +
                                         t.max_noc_hops * spec.noc.hop_cycles) / oc.clock_ghz
                                      : 0.0;
    const double nop_ns = transfer_ns(t.max_nop_link_bits, spec.nop.bandwidth_gbps) + t.max_nop_hops * spec.nop.hop_ns;
    const double dram_ns = transfer_ns(dram_bits, oc.dram_gbps) + transfer_ns(glb_bits, oc.glb_bits_per_cycle * oc.clock_ghz);
    c.noc_flit_hops += t.noc_flit_hops;
    c.nop_bit_hops += t.nop_bit_hops;
    c.noc_pj += t.noc_flit_hops * spec.noc.hop_pj_per_flit;
    c.nop_pj += t.nop_bit_hops * spec.nop.pj_per_bit;
    c.dram_bits += dram_bits;
    c.dram_pj += dram_bits * oc.dram_pj_per_bit;
    c.global_buffer_bits += glb_bits;
    c.global_buffer_pj += glb_bits * oc.glb_pj_per_bit;
    c.compute_ns += compute_ns[st.layer];
    c.noc_ns += noc_ns;
    c.nop_ns += nop_ns;
    c.dram_ns += dram_ns;
    const double stage = compute_ns[st.layer] + noc_ns + nop_ns + dram_ns;
    c.stage_ns_max = std::max(c.stage_ns_max, stage);
    const std::vector<Flow> wf = weight_flows(p, l, st);
    const Traffic tw = route(p, spec.noc.flit_bits, wf);
    c.weight_bits += tw.bits;
    c.weight_load_pj += tw.bits * (oc.dram_pj_per_bit + 2 * oc.glb_pj_per_bit) +
                        tw.noc_flit_hops * spec.noc.hop_pj_per_flit + tw.nop_bit_hops * spec.nop.pj_per_bit;
    sc.interval_ns = std::max(sc.interval_ns, stage);
    if (st.copy == 0) {
      c.first_tile = st.first_tile;
      c.first_chiplet = p.chiplet_of(st.first_tile);
    }
    c.last_tile = st.first_tile + st.tiles - 1;
    c.last_chiplet = p.chiplet_of(c.last_tile);
  }
  const AreaSpec& a = spec.area;
  const double macro_mm2 = std::max(a.macro_mm2, 0.0), router_mm2 = std::max(a.router_mm2, 0.0);  // kFromModel: 0
  Area& ar = sc.area;
  const double T = spec.tiles_per_chiplet, C = p.chiplets;
  ar.macros = C * T * spec.macros_per_tile * macro_mm2;
  ar.tiles = C * T * a.tile_mm2;
  ar.routers = C * T * router_mm2;
  ar.nop = C * a.nop_mm2;
  ar.global_buffer = a.global_buffer_mm2;
  ar.per_chiplet = T * (spec.macros_per_tile * macro_mm2 + a.tile_mm2 + router_mm2) + a.nop_mm2;
  ar.total = ar.macros + ar.tiles + ar.routers + ar.nop + ar.global_buffer;
  sc.cost = system_cost(ar.per_chiplet, p.chiplets, spec.cost);
  return sc;
}

}  // namespace cimmc::chiplet

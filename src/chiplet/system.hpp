// A network on a chiplet system: each layer mapped flat (src/mapping, one
// copy of its weights, no duplication, input_reuse), placed (placement.hpp),
// its traffic routed (traffic.hpp) and priced.
//
// Flows follow the dataflow graph of chiplet/links.hpp (a chain unless layers
// name their `input` and `residual`).
// Energy per stage: NoC = flit-hops x noc.hop_pj_per_flit; NoP = bit-hops x
// nop.pj_per_bit; global buffer = bits written and read x its pJ/bit; DRAM =
// bits x its pJ/bit (the network input read once, the output written once).
// Weights are loaded once before inference: reported apart (weight_load_pj),
// not per inference.
// The macros and tile buffers are priced by the caller from the flat mapping.
//
// Latency (SIAM's layer-by-layer pipeline): a stage computes, then sends its
// outputs, partial sums and skip tensors on: stage time = compute + NoC +
// NoP + DRAM,
//   NoC  = (busiest link's flits / flits_per_cycle + longest route's hops x
//          hop_cycles) / clock_ghz,
//   NoP  = busiest package link's bits / nop.bandwidth_gbps + longest route's
//          package hops x nop.hop_ns (0 when no flow crosses the package),
//   DRAM = DRAM bits / dram bandwidth + global-buffer bits / its bandwidth.
// One inference takes the sum of the stages; a full pipeline finishes one
// inference per slowest stage (the interval).
#pragma once
#include <cstdint>
#include <vector>

#include "chiplet/cost.hpp"
#include "chiplet/placement.hpp"
#include "chiplet/traffic.hpp"
#include "mapping/mapping.hpp"
#include "spec/spec.hpp"

namespace cimmc::chiplet {

// The flat mapping a chiplet system runs a layer with: one copy, one round.
Mapping layer_mapping(const LayerSpec& layer, const Config& cfg);
// The layer as placement and traffic see it (m from layer_mapping).
LayerShape layer_shape(const LayerSpec& layer, const Mapping& m, const MacroSpec& macro);
// Every layer of the network, in order.
std::vector<LayerShape> network_shapes(const Config& cfg);

// A layer's stages (all its copies) summed, per inference.
struct LayerCosts {
  double noc_pj = 0, nop_pj = 0, global_buffer_pj = 0, dram_pj = 0;
  double noc_flit_hops = 0, nop_bit_hops = 0;
  double activation_bits = 0, psum_bits = 0, global_buffer_bits = 0, dram_bits = 0;
  // Skip tensors this layer's output sends to the layers that add it (traffic.hpp): bits, their
  // NoC flit-hops and NoP bit-hops, and their energy, which noc_pj and nop_pj already include.
  double skip_bits = 0, skip_noc_flit_hops = 0, skip_nop_bit_hops = 0, skip_pj = 0;
  // The skip tensors this layer adds to its outputs (chiplet/residual.hpp): element-wise adds and
  // their full adders, and the tensors' bits written and read in its output buffer while they wait.
  double residual_adds = 0, residual_add_pj = 0, skip_buffer_bits = 0, skip_buffer_pj = 0;
  double compute_ns = 0, noc_ns = 0, nop_ns = 0, dram_ns = 0;  // sums over the copies
  double stage_ns_max = 0;                                    // its slowest copy
  // Loading the weights once before inference (not per inference, not in pj()): DRAM read,
  // global buffer written and read, NoP and NoC as their flows route.
  double weight_bits = 0, weight_load_pj = 0;
  std::int64_t first_tile = 0, last_tile = 0;                 // global tile ids (all copies)
  int first_chiplet = 0, last_chiplet = 0;
  double pj() const { return noc_pj + nop_pj + global_buffer_pj + dram_pj + residual_add_pj + skip_buffer_pj; }
  double stage_ns() const { return compute_ns + noc_ns + nop_ns + dram_ns; }
};

struct Area {  // mm^2; every chiplet provisioned in full (all its tiles and macros)
  double macros = 0, tiles = 0, routers = 0, nop = 0, global_buffer = 0;
  double macro_periphery = 0;  // of macros: every macro's periphery (chiplet/area.hpp; 0 when macro_mm2 is written)
  double per_chiplet = 0, total = 0;
};

struct SystemCosts {
  Placement placement;
  std::vector<LayerCosts> layers;
  Area area;
  SystemCost cost;         // dies, yield and dollars of area.per_chiplet (chiplet/cost.hpp)
  double interval_ns = 0;  // slowest stage
};

// What the system costs besides the chiplet keys: the flat architecture's
// global buffer and DRAM, and the clock; the residual adders' full adder at
// energy.node_nm and vdd_v and the output buffer that holds skip tensors
// (chiplet/residual.hpp).
struct OffChip {
  double clock_ghz = 1, glb_pj_per_bit = 0, glb_bits_per_cycle = 0, dram_pj_per_bit = 0, dram_gbps = 1;
  double full_adder_pj = 0, skip_buffer_pj_per_bit = 0;
};
OffChip off_chip(const Config& cfg);

// compute_ns[l]: one copy of layer l's macro time; spec.area without kFromModel
// (chiplet/area.hpp resolves it; a kFromModel left there counts 0). Throws PlacementError.
SystemCosts evaluate(const std::vector<LayerShape>& layers, const std::vector<double>& compute_ns,
                     const ChipletSpec& spec, const OffChip& oc);

}  // namespace cimmc::chiplet

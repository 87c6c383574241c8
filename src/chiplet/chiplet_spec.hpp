// A SIAM-like chiplet system (`architecture.chiplets`, docs/config.md; issue
// 15): C chiplets on a package mesh joined by a network-on-package (NoP), T
// tiles per chiplet on a mesh network-on-chip (NoC), macros per tile. The
// global buffer and DRAM are the flat `architecture.global_buffer` / `dram`
// keys; the tile buffers are `input_buffer` / `output_buffer`. Plain data in
// the config's units, free of other cimmc types so spec.hpp can hold it.
#pragma once

namespace cimmc::chiplet {

struct NocSpec {
  int flit_bits = 64;               // bits per flit (a packet's payload is cut into flits)
  // Router + link energy of one flit crossing one hop. Park et al., DAC 2012
  // (45 nm 4x4 mesh, 1 GHz): 892 Gb/s delivered at 531.4 mW = 0.596 pJ/bit;
  // uniform traffic on a 4x4 mesh crosses 2.67 links + 1 ejection router
  // (3.67 router-and-link stages): 0.162 pJ/bit per hop, x 64 bits = 10.4 pJ.
  double hop_pj_per_flit = 10.4;
  double flits_per_cycle = 1.0;     // per link and direction, at architecture.clock_ghz
  double hop_cycles = 1.0;          // router + link latency per hop (Park et al.: 1 cycle)
};

struct NopSpec {
  // Ground-referenced signalling, the NoP driver SIAM models (its README's
  // reference R1: Turner et al., CICC 2018): 0.58 pJ/bit at 20 Gb/s per lane
  // across an organic package (Poulton et al., JSSC 2013: 0.54 pJ/bit, 28 nm).
  double pj_per_bit = 0.58;
  double bandwidth_gbps = 640.0;    // per link and direction: SIAM's 32 lanes per chiplet x 20 Gb/s
  // Latency per package hop beyond serialisation: SIAM's NoP as its code simulates it (repository
  // gkrish19/SIAM-Chiplet-based-Scalable-In-Memory-Acceleration-with-Mesh-for-Deep-Neural-Networks):
  // BookSim mesh, Interconnect/mesh_config_trace_based_nop: routing, VC allocation, switch
  // allocation and switch traversal 1 cycle each (4 router cycles), plus BookSim's mesh channel
  // latency, 2 cycles (booksim2 src/networks/kncube.cpp with its default use_noc_latency = 1);
  // Interconnect/run_booksim_mesh_chiplet_nop.py converts NoP cycles at 4 ns (x 4e-9 s).
  // 6 cycles x 4 ns = 24 ns (zero-load: no queueing).
  double hop_ns = 24.0;
};

// Areas per component (mm^2); 0 = not given, left out of the sums. kFromModel
// (the default of macro_mm2 and router_mm2) = computed by chiplet/area.hpp:
// the macro from issue 13's area model (physical/area_clock.hpp), the router
// from a published router scaled to the flit width and node.
inline constexpr double kFromModel = -1.0;
struct AreaSpec {
  double macro_mm2 = kFromModel;    // one macro (array and periphery)
  double cell_array_mm2 = 0.0;      // with macro_mm2 from the model: its cell array instead of the model's (0: the model's)
  double tile_mm2 = 0.0;            // a tile's own logic besides its macros (buffers, accumulators)
  double router_mm2 = kFromModel;   // one NoC router (one per tile)
  double nop_mm2 = 0.0;             // a chiplet's NoP router and GRS drivers (SIAM: 0.180 mm^2, see docs/config.md)
  double global_buffer_mm2 = 0.0;   // the package's global buffer (once)
  // Capacities (KiB); 0 = not given. With tile_mm2 / global_buffer_mm2 not given, their SRAM
  // cells' area (chiplet/area.hpp: sram_area_mm2) becomes that area.
  double tile_buffer_kib = 0.0;     // one tile's buffers (input + output)
  double global_buffer_kib = 0.0;   // the global buffer
};

// Manufacturing cost (chiplet/cost.hpp). Defaults: Chiplet Actuary (Feng and
// Ma, DAC 2022; its parameter.ini), 28 nm, the node nearest SIAM's 32 nm that
// it lists, and its silicon-interposer package (SIAM's chiplets sit on an
// interposer). US dollars.
struct CostSpec {
  double wafer_usd = 2891.0;        // a 28 nm 300 mm wafer: parameter.ini [28] wafer_cost
  double wafer_mm = 300.0;          // [Manufacture] wafer_diameter
  double edge_mm = 5.0;             // [Manufacture] edge_loss: unusable rim
  double scribe_mm = 0.2;           // [Manufacture] scribe_lane: saw street beside every die
  double defects_per_cm2 = 0.07;    // [28] defect_density (D0)
  double clustering = 10.0;         // [Manufacture] critical_level: the negative binomial's alpha
  double bond_usd_per_mm2 = 0.01;   // [SI] bump_cost_factor: micro-bumps, per mm^2 of die
  double bond_yield = 0.95;         // [SI] bonding_yield: one die bonded to the interposer
};

struct ChipletSpec {
  bool enabled = false;             // the config has architecture.chiplets
  int chiplets = 0;                 // 0 = auto: as many as the network needs
  int tiles_per_chiplet = 16;       // SIAM's default chiplet: 16 tiles
  int macros_per_tile = 16;
  NocSpec noc;
  NopSpec nop;
  AreaSpec area;
  CostSpec cost;
};

}  // namespace cimmc::chiplet

// Areas of a chiplet's parts from models, where architecture.chiplets.area
// leaves them at kFromModel (its default):
//   macro:  issue 13's area model of the config's macro (physical/area_clock.hpp:
//           ZigZag-IMC gate areas at energy.node_nm) = cells + periphery, the
//           periphery being every other part: per-cell or per-tree-input
//           multiply gates, adder trees, place-value adders, accumulators,
//           output and input registers, ADCs, DACs. area.cell_array_mm2, when
//           given, replaces the model's cells (its one-NAND2 cell is an
//           assumption) and keeps the model's periphery, except an analog
//           SRAM macro's per-cell multiply gates: a given SRAM array is
//           taken to be compute cells, whose read port forms the 1-bit
//           product (NeuroSim's synaptic SRAM cell, 10 F x 28 F = 280 F^2
//           against its 160 F^2 storage cell, is read in parallel through
//           its decoupled read port with the input on the read wordline), so
//           ZigZag-IMC's one NAND2 per cell beside a 6T cell would count the
//           product twice. A digital macro's multipliers (per tree input)
//           stay.
//   router: one 5-port mesh router (4 neighbours + the tile), area
//           proportional to ports x flit bits, scaled from a published router
//           (below) by (node / its node)^2, the rule the area model applies
//           to logic.
//   tile buffers, global buffer: from tile_buffer_kib / global_buffer_kib
//           when given and tile_mm2 / global_buffer_mm2 are not: their SRAM
//           cells at energy.node_nm (sram_area_mm2 below).
#pragma once

#include "chiplet/chiplet_spec.hpp"
#include "physical/area_clock.hpp"

namespace cimmc::chiplet {

// Intel's 80-tile TeraFLOPS NoC router (Vangal et al., "An 80-Tile Sub-100-W
// TeraFLOPS Processor in 65-nm CMOS", JSSC 43(1), 2008; Hoskote et al., IEEE
// Micro 27(5), 2007): 5 ports, 39-bit links, 2 lanes of 16-flit FIFOs per
// port, 65 nm, 0.34 mm^2 of the 3 mm^2 tile (AnandTech's report of Intel's
// ISSCC 2007 disclosure, anandtech.com/show/2170 p. 4: "five 39-bit ports
// ... only 0.34mm^2 is used for the router"; the JSSC paper's router section
// is not in the searchable record). Its area is mostly per-port buffers and
// port logic, so it is taken as linear in ports x flit bits; the crossbar's
// quadratic term is left out.
inline constexpr double kRefRouterMm2 = 0.34;
inline constexpr int kRefRouterPorts = 5, kRefRouterFlitBits = 39, kRefRouterNodeNm = 65;
inline constexpr int kMeshRouterPorts = 5;

double router_area_mm2(int ports, int flit_bits, int node_nm);

// SRAM buffer cell area per bit in F^2 (F = node): NeuroSim's Param.cpp (DNN+NeuroSim
// V1.4, "parameters for SRAM"): "suggested SRAM cell size above 22nm: 160F^2, at 14nm:
// 300F^2, at 10nm: 400F^2, at 7nm: 600F^2". Taken for the listed node nearest below or at
// node_nm (160 F^2 from 22 nm up; 600 F^2 below 10 nm): 0.1254 um^2 per bit at 28 nm.
// Cells only: no decoders, sense amplifiers or array efficiency, so a lower bound on a
// buffer's area.
double sram_cell_f2(int node_nm);
// bits x sram_cell_f2(node) x node^2, in mm^2.
double sram_area_mm2(double bits, int node_nm);

struct MacroArea {
  double cells_mm2 = 0, periphery_mm2 = 0;
  double total_mm2() const { return cells_mm2 + periphery_mm2; }
};
// The model's macro split into cells and periphery; cell_array_mm2 > 0 replaces the cells,
// and with products_in_cells (an analog SRAM macro) the per-cell multiply gates too.
MacroArea macro_area(const AreaClock& model, double cell_array_mm2, bool products_in_cells);

struct ResolvedArea {
  AreaSpec area;                   // kFromModel replaced
  double macro_periphery_mm2 = 0;  // one macro's periphery (0 when macro_mm2 is written)
};
// cfg.arch.chiplets.area with its kFromModel entries computed for cfg's macro,
// NoC flit width and energy.node_nm.
ResolvedArea resolve_area(const Config& cfg);

}  // namespace cimmc::chiplet

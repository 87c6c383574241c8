#include "chiplet/area.hpp"

namespace cimmc::chiplet {

double router_area_mm2(int ports, int flit_bits, int node_nm) {
  const double node = static_cast<double>(node_nm) / kRefRouterNodeNm;
  return kRefRouterMm2 * (static_cast<double>(ports) * flit_bits) / (kRefRouterPorts * kRefRouterFlitBits) * node * node;
}

double sram_cell_f2(int node_nm) {
  if (node_nm >= 22) return 160.0;
  if (node_nm >= 14) return 300.0;
  if (node_nm >= 10) return 400.0;
  return 600.0;
}

double sram_area_mm2(double bits, int node_nm) {
  const double f_um = node_nm * 1e-3;
  return bits * sram_cell_f2(node_nm) * f_um * f_um * 1e-6;
}

MacroArea macro_area(const AreaClock& model, double cell_array_mm2, bool products_in_cells) {
  MacroArea m;
  const double cells = model.area_um2[static_cast<int>(AreaPart::cells)] * 1e-6;
  m.cells_mm2 = cell_array_mm2 > 0 ? cell_array_mm2 : cells;
  m.periphery_mm2 = model.area_mm2 - cells;
  if (cell_array_mm2 > 0 && products_in_cells) m.periphery_mm2 -= model.area_um2[static_cast<int>(AreaPart::multipliers)] * 1e-6;
  return m;
}

ResolvedArea resolve_area(const Config& cfg) {
  const ChipletSpec& s = cfg.arch.chiplets;
  ResolvedArea r;
  r.area = s.area;
  if (s.area.macro_mm2 == kFromModel) {
    const MacroGeometry g = macro_geometry(cfg);
    const MacroArea m = macro_area(area_clock(g), s.area.cell_array_mm2, g.sram && !g.digital);
    r.area.macro_mm2 = m.total_mm2();
    r.macro_periphery_mm2 = m.periphery_mm2;
  }
  if (s.area.router_mm2 == kFromModel)
    r.area.router_mm2 = router_area_mm2(kMeshRouterPorts, s.noc.flit_bits, cfg.energy.node_nm);
  constexpr double kBitsPerKib = 8192.0;
  if (s.area.tile_mm2 == 0 && s.area.tile_buffer_kib > 0)
    r.area.tile_mm2 = sram_area_mm2(s.area.tile_buffer_kib * kBitsPerKib, cfg.energy.node_nm);
  if (s.area.global_buffer_mm2 == 0 && s.area.global_buffer_kib > 0)
    r.area.global_buffer_mm2 = sram_area_mm2(s.area.global_buffer_kib * kBitsPerKib, cfg.energy.node_nm);
  return r;
}

}  // namespace cimmc::chiplet

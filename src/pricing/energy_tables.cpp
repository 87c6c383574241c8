// Per-event energy tables with published defaults. Every default names its
// source; REFERENCES.md collects them.
#include <algorithm>
#include <bit>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>

#include "arch/timing.hpp"
#include "physical/area_clock.hpp"
#include "pricing/pricing.hpp"
#include "pricing/technology.hpp"
#include "pricing/zigzag.hpp"

namespace cimmc {
namespace {

using zigzag::kFullAdderJ, zigzag::kDffJ, zigzag::kPjPerJ;

// Cell columns a wordline crosses: a differential_analog pair has two per
// conversion; energy.lines physical charges the whole row of the macro.
int wordline_cells(const JobView& v, const Config& cfg) {
  if (cfg.energy.lines == LineSpan::physical) return cfg.macro.cols;
  return v.pair ? 2 * v.P : v.P;
}

// Cells on the bitline one conversion precharges: the R summed inputs with
// every cell of their groups (they share the line through the column mux),
// or the macro's whole column with energy.lines physical.
int bitline_cells(const JobView& v, const Config& cfg) {
  return cfg.energy.lines == LineSpan::physical ? cfg.macro.rows : v.R * cfg.macro.cell_group;
}

}  // namespace

double Poly::operator()(double v) const {
  const auto iv = static_cast<std::uint64_t>(std::max(0.0, std::round(v)));
  return e0 + e1 * v + e2 * v * v + epop * std::popcount(iv);
}

Poly resolve(const EventEnergy& e, Poly d) {
  if (e.e0_pj) d.e0 = *e.e0_pj;
  if (e.e1_pj) d.e1 = *e.e1_pj;
  if (e.e2_pj) d.e2 = *e.e2_pj;
  if (e.epop_pj) d.epop = *e.epop_pj;
  return d;
}

std::string value_dependent_conversion(const Config& cfg) {
  for (const auto& [name, e] : {std::pair{"column", &cfg.energy.column}, std::pair{"adc", &cfg.energy.adc}})
    for (const auto& [coef, x] : {std::pair{"e1_pj", e->e1_pj}, std::pair{"e2_pj", e->e2_pj}, std::pair{"epop_pj", e->epop_pj}})
      if (x && *x != 0) {
        std::ostringstream os;
        os << "energy." << name << "." << coef << " = " << *x;
        return os.str();
      }
  // The SRAM column default below: e1 = C_line V^2 / full scale.
  if (cfg.macro.kind == MacroKind::analog && cfg.macro.cell == CellKind::sram && !cfg.energy.column.e1_pj)
    return "macro.cell = sram";
  return "";
}

EnergyTables make_energy_tables(const Config& cfg, const JobResult& r) {
  const JobView& v = r.view;
  const EnergySpec& e = cfg.energy;
  const MacroSpec& m = cfg.macro;
  const double v2 = e.vdd_v * e.vdd_v;
  const int A = r.dac_levels;
  // Lines and logic scale with the node (spec/technology.hpp); ADC and DAC do not.
  const double wire_cap = tech::cell_wire_cap_f(e.node_nm);
  EnergyTables t;

  // DAC: ZigZag-IMC ~ 50 fF * bits * V^2 per conversion, none for 1-bit inputs.
  const Poly dac = resolve(e.dac, {v.dac_bits > 1 ? 50e-15 * v.dac_bits * v2 * kPjPerJ : 0.0});
  for (int a = 0; a < A; ++a) t.dac.push_back(dac(a));

  // Row driver: charge the wordline across the used physical columns, per active row.
  const Poly row = resolve(e.row_driver, {0.0, wire_cap * wordline_cells(v, cfg) * v2 * kPjPerJ});
  for (int n = 0; n < r.row_bins; ++n) t.row_driver.push_back(row(n));

  // Cell read: V(a)^2 * G(l) * t_read, V linear in the DAC level (SIAM/NeuroSim
  // ReRAM). An SRAM cell draws no read current of its own: what it costs is
  // the bitline charge it removes, priced by the column below.
  const double g_on = m.g_on_us * 1e-6, g_off = m.g_off_us * 1e-6;
  const bool sram = m.cell == CellKind::sram;
  for (int a = 0; a < A; ++a) {
    const double va = e.read_voltage_v * a / std::max(1, A - 1);
    for (int l = 0; l < v.L; ++l) {
      const double g = g_off + (g_on - g_off) * l / (v.L - 1);
      t.cell.push_back(sram ? 0.0 : va * va * g * e.read_pulse_ns * 1e-9 * kPjPerJ);
    }
  }

  // Column: precharge the bitline (ZigZag-IMC bitline cap per cell, bitline_cells);
  // a differential_analog conversion precharges both bitlines of its pair.
  // ReRAM: the full line every conversion. SRAM: each active cell discharges
  // its share of the line in proportion to its product, so the line swings
  // by V_dd x value / full-scale value and the precharge restores
  // C_line V_dd^2 x value / full scale (ZigZag-IMC's full-swing C V^2 when
  // every product is at its top).
  const double c_line = wire_cap * bitline_cells(v, cfg) * (v.pair ? 2 : 1);
  const double v_full = static_cast<double>(v.R) * ((1 << v.dac_bits) - 1) * (v.L - 1 + (v.pair ? 0.0 : v.r_off));
  const Poly col = resolve(e.column, sram ? Poly{0.0, c_line * v2 * kPjPerJ / std::max(1.0, v_full)}
                                          : Poly{c_line * v2 * kPjPerJ});
  for (int b = 0; b < v.col_nbins; ++b) t.column.push_back(col(std::fabs(v.col_lo + b * v.col_bw)));

  // ADC: ZigZag-IMC (100 fF * B + 0.001 fF * 4^B) * V^2 per conversion.
  const int bits = m.adc.bits;
  const Poly adc = resolve(e.adc, {(100e-15 * bits + 0.001e-15 * std::ldexp(1.0, 2 * bits)) * v2 * kPjPerJ});
  for (int c = 0; c < r.adc_codes; ++c) t.adc.push_back(adc(c));

  // Digital: an accumulator as wide as the exact output, one full adder per bit
  // per shift-add and one flip-flop per bit per accumulator write, C V^2 at
  // the node and supply.
  const int width = v.in_bits + v.w_bits + static_cast<int>(std::ceil(std::log2(std::max(2, v.K))));
  t.shift_add = resolve(e.shift_add, {width * tech::gate_energy(kFullAdderJ, e.node_nm, e.vdd_v) * kPjPerJ})(0);
  t.accumulator = resolve(e.accumulator, {width * tech::gate_energy(kDffJ, e.node_nm, e.vdd_v) * kPjPerJ})(0);

  if (v.digital) digital_energy_tables(cfg, r, t);
  // A config built in code (not read) has its digital step unresolved: the same widths, from the same macro.
  MacroSpec timed = m;
  if (v.digital && !timed.digital_timing) timed.digital_timing = digital_timing(macro_geometry(cfg));
  t.latency_ns = mvm_latency_ns(timed, v.R, v.G, v.cycles, conversion_columns(v));
  t.leakage_per_mvm = e.leakage_uw * 1e-6 * t.latency_ns * 1e-9 * kPjPerJ;
  return t;
}

}  // namespace cimmc

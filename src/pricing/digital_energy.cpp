// Per-toggle energies of a digital (DIMC) macro from ZigZag-IMC's 28 nm gate
// constants, scaled as switched capacitance is: by (vdd / 0.9 V)^2 and by the
// node (energy.node_nm, pricing/technology.hpp). Each
// counted toggle is one bit of one node changing between consecutive
// evaluations (kernels/digital_model.hpp), priced as the gate that drives it:
//   input line       the row's line across the used columns: P x 0.35 fF (wire per cell)
//   multiplier       one NOR output: half a NAND2, 0.28 fJ
//   cell group read  (cell_group > 1) the selected cell onto its group's local
//                    bitline: cell_group x 0.35 fF x vdd^2 per tree input per
//                    evaluation, or per sample with group_order cycles_inside
//   adder tree       one full adder's output bit: 3.40 fJ (ZigZag-IMC prices a
//                    full adder per operation; here only adders whose output
//                    bit changes switch)
//   accumulator and  a full adder plus its flip-flop: 3.40 + 1.70 fJ
//   output register
//   Booth encoder    (macro.cycle_bits booth) one per row per cycle, every
//                    cycle: one = XOR2(x[2j], x[2j-1]), two = NOR2(one,
//                    XNOR2(x[2j+1], x[2j])), neg = x[2j+1]: 2 XOR2 + 1 NOR2,
//                    priced as one full adder operation, 3.40 fJ (ZigZag-IMC's
//                    full adder, 2 XOR2 + 3 NAND2 at 6 NAND2 capacitances,
//                    holds the encoder's gates); its select lines' toggles are
//                    the input-line toggles, its selectors' the multiplier's
// The config's energy.<component>.e0_pj replaces a default (per toggle).
#include <algorithm>

#include "pricing/pricing.hpp"
#include "pricing/technology.hpp"
#include "pricing/zigzag.hpp"

namespace cimmc {

void digital_energy_tables(const Config& cfg, const JobResult& r, EnergyTables& t) {
  namespace z = zigzag;
  const JobView& v = r.view;
  const EnergySpec& e = cfg.energy;
  const double scale = tech::gate_energy(1.0, e.node_nm, e.vdd_v);
  // The analog events (DAC, bitline, ADC, per-conversion shift-add) do not exist.
  for (auto* table : {&t.dac, &t.row_driver, &t.cell, &t.column, &t.adc}) std::fill(table->begin(), table->end(), 0.0);
  t.shift_add = t.accumulator = 0;

  const double wire = tech::cell_wire_cap_f(e.node_nm);
  const int line_cells = e.lines == LineSpan::physical ? cfg.macro.cols : v.P;
  const double line = resolve(e.row_driver, {wire * line_cells * e.vdd_v * e.vdd_v * z::kPjPerJ})(0);
  // Cell groups: each evaluation reads, for every tree input of every column,
  // the selected cell onto the group's local bitline (cell_group cells of
  // ZigZag-IMC bitline capacitance, full swing). With one cell per group the
  // weight bit sits on the multiplier's input and nothing is read.
  // With macro.group_order cycles_inside a group's selected cell is read once
  // per sample and held for its input cycles (ZigZag-IMC's DIMC precharges the
  // local bitline once per weight read-out: DimcArrayUnit.get_precharge_energy).
  if (v.cell_group > 1) {
    t.cell_reads_per_mvm = static_cast<double>(v.cycles_inside ? 1 : v.cycles) * v.K * v.P;
    t.cell_per_mvm = t.cell_reads_per_mvm * v.cell_group * wire * e.vdd_v * e.vdd_v * z::kPjPerJ;
  }
  if (v.tree_booth) {
    t.booth_encodes_per_mvm = static_cast<double>(v.cycles) * v.K;
    t.booth_per_mvm = t.booth_encodes_per_mvm * z::kFullAdderJ * scale * z::kPjPerJ;
  }
  const double mult = resolve(e.multiplier, {z::kNorMultiplyJ * scale * z::kPjPerJ})(0);
  const double tree = resolve(e.adder_tree, {z::kFullAdderJ * scale * z::kPjPerJ})(0);
  const double reg = (z::kFullAdderJ + z::kDffJ) * scale * z::kPjPerJ;
  const double acc = resolve(e.accumulator, {reg})(0), out = resolve(e.shift_add, {reg})(0);

  t.toggle.assign(static_cast<std::size_t>(v.tog_len), tree);
  t.toggle_component.assign(static_cast<std::size_t>(v.tog_len), Component::column);
  t.toggle[kTogInput] = line, t.toggle_component[kTogInput] = Component::row_driver;
  t.toggle[kTogMult] = mult, t.toggle_component[kTogMult] = Component::cell;
  const int ia = kTogStage1 + v.tree_stages, io = ia + 1;
  t.toggle[ia] = acc, t.toggle_component[ia] = Component::accumulator;
  t.toggle[io] = out, t.toggle_component[io] = Component::shift_add;
}

}  // namespace cimmc

// Per-toggle energies of a digital (DIMC) macro from ZigZag-IMC's 28 nm gate
// constants, scaled by (vdd / 0.9 V)^2 as switched capacitance is. Each
// counted toggle is one bit of one node changing between consecutive
// evaluations (kernels/digital_model.hpp), priced as the gate that drives it:
//   input line       the row's line across the used columns: P x 0.35 fF (wire per cell)
//   multiplier       one NOR output: half a NAND2, 0.28 fJ
//   adder tree       one full adder's output bit: 3.40 fJ (ZigZag-IMC prices a
//                    full adder per operation; here only adders whose output
//                    bit changes switch)
//   accumulator and  a full adder plus its flip-flop: 3.40 + 1.70 fJ
//   output register
// The config's energy.<component>.e0_pj replaces a default (per toggle).
#include <algorithm>

#include "pricing/pricing.hpp"
#include "pricing/zigzag.hpp"

namespace cimmc {

void digital_energy_tables(const Config& cfg, const JobResult& r, EnergyTables& t) {
  namespace z = zigzag;
  const JobView& v = r.view;
  const EnergySpec& e = cfg.energy;
  const double scale = (e.vdd_v / z::kVoltsRef) * (e.vdd_v / z::kVoltsRef);
  // The analog events (DAC, bitline, ADC, per-conversion shift-add) do not exist.
  for (auto* table : {&t.dac, &t.row_driver, &t.cell, &t.column, &t.adc}) std::fill(table->begin(), table->end(), 0.0);
  t.shift_add = t.accumulator = 0;

  const double line = resolve(e.row_driver, {z::kCellWireCapF * v.P * e.vdd_v * e.vdd_v * z::kPjPerJ})(0);
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

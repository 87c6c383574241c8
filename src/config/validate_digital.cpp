// Rules of macro.kind digital. A digital SRAM macro has no conductances, no
// analog noise and no ADC: keys describing them are refused rather than
// silently ignored, so a config never claims a setting that has no effect.
#include <algorithm>
#include <string>

#include "config/internal.hpp"

namespace cimmc::config_detail {

namespace {

// `value`: the key's value as text; sections are shown as <mapping>.
void refuse_written(const Checker& c, const std::string& path, const std::string& why,
                    const std::string& value = "<mapping>") {
  const std::string key = c.written_under(path);
  if (!key.empty()) c.fail(key, key == path ? value : "<mapping>", why + " (remove it, or change macro.kind)");
}

// Value-dependent event energies (e1, e2, epop) mean nothing for a toggle,
// which has no value; only e0_pj (energy per toggle) is read.
void check_toggle_energy(const Checker& c, const std::string& p, const EventEnergy& e) {
  for (const auto& [key, val] : {std::pair<const char*, const std::optional<double>*>{"e1_pj", &e.e1_pj},
                                 {"e2_pj", &e.e2_pj},
                                 {"epop_pj", &e.epop_pj}})
    if (*val)
      c.fail(p + "." + key, number_text(**val),
             "a digital macro prices toggles, which carry no value: only e0_pj (energy per toggle) applies");
}

// macro.slice_combine charge (kernels/slice_combine.hpp) on an analog macro.
void check_slice_combine(const Checker& c, const MacroSpec& m) {
  if (m.slice_combine != SliceCombine::charge) return;
  if (m.adc.per_slice)
    c.fail("macro.adc.per_slice", "true",
           "cannot be used with macro.slice_combine charge: a weight's slices are combined before its one "
           "conversion, so there are no per-slice ranges to calibrate");
  // A negative place value (two's-complement MSB slice, differential's
  // negative columns) or signed columns make the combined value signed.
  const bool signed_value = m.weight_encoding != WeightEncoding::unsigned_plain && m.weight_encoding != WeightEncoding::offset;
  if (signed_value && m.adc.bits < 2)
    c.fail("macro.adc.bits", std::to_string(m.adc.bits),
           std::string("must be at least 2 with macro.slice_combine charge and weight_encoding ") +
               to_string(m.weight_encoding) + ": the combined value is signed and its ADC needs a sign bit");
}

}  // namespace

void check_macro_kind(const Checker& c, const Config& cfg) {
  const MacroSpec& m = cfg.macro;
  if (m.kind == MacroKind::analog) {
    for (const char* k : {"energy.multiplier", "energy.adder_tree"})
      refuse_written(c, k, "prices an event of digital macros only");
    refuse_written(c, "macro.adder_tree", "is a digital setting: an analog macro sums its columns on bitlines",
                   to_string(m.adder_tree));
    refuse_written(c, "macro.cycle_bits", "is a digital setting: an analog macro applies a cycle's bits as one DAC level",
                   to_string(m.cycle_bits));
    refuse_written(c, "macro.group_order",
                   "is a digital setting: it orders the adder-tree evaluations, which an analog macro does not have",
                   to_string(m.group_order));
    check_slice_combine(c, m);
    if (m.cell == CellKind::sram) {
      refuse_written(c, "energy.read_voltage_v", "prices a ReRAM cell read; an SRAM cell's read is its bitline charge",
                     number_text(cfg.energy.read_voltage_v));
      refuse_written(c, "energy.read_pulse_ns", "prices a ReRAM cell read; an SRAM cell's read is its bitline charge",
                     number_text(cfg.energy.read_pulse_ns));
    }
    return;
  }
  if (m.cell == CellKind::reram)
    refuse_written(c, "macro.cell", "must be sram when macro.kind is digital (a digital macro's cells are SRAM)",
                   "reram");
  refuse_written(c, "macro.adc", "is an analog setting: a digital macro adds exactly in an adder tree and has no ADC");
  refuse_written(c, "macro.slice_combine",
                 "is an analog setting: a digital macro has no ADC to share (its weight bits combine in the adder "
                 "tree with adder_tree: per_weight)",
                 to_string(m.slice_combine));
  refuse_written(c, "macro.noise", "is an analog setting: a digital SRAM macro reads its bits exactly");
  refuse_written(c, "macro.g_on_us", "is an analog setting: a digital macro has no cell conductances",
                 number_text(m.g_on_us));
  refuse_written(c, "macro.g_off_us", "is an analog setting: a digital macro has no cell conductances",
                 number_text(m.g_off_us));
  refuse_written(c, "macro.wire_ohm", "is an analog setting: a digital macro has no cell currents",
                 number_text(m.wire_ohm));
  for (const char* k : {"energy.dac", "energy.column", "energy.adc"})
    refuse_written(c, k, "prices an analog event a digital macro does not have");
  refuse_written(c, "energy.read_voltage_v", "prices an analog event a digital macro does not have",
                 number_text(cfg.energy.read_voltage_v));
  refuse_written(c, "energy.read_pulse_ns", "prices an analog event a digital macro does not have",
                 number_text(cfg.energy.read_pulse_ns));
  if (m.bits_per_cell != 1)
    c.fail("macro.bits_per_cell", std::to_string(m.bits_per_cell),
           "must be 1 when macro.kind is digital (an SRAM cell holds one bit)");
  if (m.weight_encoding == WeightEncoding::differential_analog)
    c.fail("macro.weight_encoding", "differential_analog",
           "cannot be used when macro.kind is digital: a digital macro has no column currents to subtract (use "
           "differential)");
  if (m.input_scaling != InputScaling::none)
    c.fail("macro.input_scaling", to_string(m.input_scaling),
           "must be none when macro.kind is digital: a digital macro adds exactly, so scaling inputs would only add "
           "rounding error");
  if (m.weight_encoding == WeightEncoding::sign_magnitude)
    c.fail("macro.weight_encoding", "sign_magnitude",
           "cannot be used when macro.kind is digital: the adder tree adds unsigned products (use twos_complement, "
           "offset or differential)");
  if (m.cycle_bits == CycleBits::leaves && m.adder_tree == AdderTree::per_weight)
    c.fail("macro.cycle_bits", "leaves",
           "cannot be used with adder_tree: per_weight (a multi-bit input times a multi-bit weight needs a multiplier "
           "with partial-product adders per row, which is not modelled)");
  if (m.cycle_bits == CycleBits::booth) {  // kernels/digital_booth.hpp
    if (m.adder_tree != AdderTree::per_weight)
      c.fail("macro.cycle_bits", "booth",
             "needs adder_tree: per_weight (a Booth digit times the weight is a multi-bit product; a per-column "
             "tree adds 1-bit products)");
    if (m.dac_bits != 2)
      c.fail("macro.cycle_bits", "booth",
             "needs dac_bits: 2 (radix-4 Booth recodes 2 input bits per cycle; dac_bits is " +
                 std::to_string(m.dac_bits) + ")");
    if (m.input_encoding != InputEncoding::unsigned_plain && m.input_encoding != InputEncoding::twos_complement)
      c.fail("macro.cycle_bits", "booth",
             std::string("needs input_encoding unsigned or twos_complement (it is ") + to_string(m.input_encoding) +
                 "): Booth digits recode an input's own bits");
  }
  if (m.adder_tree == AdderTree::per_weight) {
    // Product-tree sums are kept in 32-bit words (kernels/digital_weight_tree.hpp).
    const int inputs = m.rows_active > 0 ? m.rows_active : m.rows / m.cell_group;
    int stages = 0;
    while ((1 << stages) < inputs) ++stages;
    int wbits = cfg.tile.weights.bits;
    for (const LayerSpec& l : cfg.network.layers) wbits = std::max(wbits, l.weights.bits);
    // A Booth leaf is the weight times a digit in {-2..2}: 2 bits wider.
    const int leaf = wbits + (m.weight_encoding == WeightEncoding::differential ? 1 : 0) +
                     (m.cycle_bits == CycleBits::booth ? 2 : 0);
    if (leaf + stages > 31)
      c.fail("macro.adder_tree", "per_weight",
             "needs product bits (" + std::to_string(leaf) + ") + adder-tree stages (" + std::to_string(stages) +
                 ") <= 31");
  }
  if (!cfg.arch.hierarchy.levels.empty())
    c.fail("macro.kind", "digital", "cannot be used with architecture.hierarchy yet (single tiles and flat networks only)");
  check_toggle_energy(c, "energy.row_driver", cfg.energy.row_driver);
  check_toggle_energy(c, "energy.multiplier", cfg.energy.multiplier);
  check_toggle_energy(c, "energy.adder_tree", cfg.energy.adder_tree);
  check_toggle_energy(c, "energy.shift_add", cfg.energy.shift_add);
  check_toggle_energy(c, "energy.accumulator", cfg.energy.accumulator);
}

}  // namespace cimmc::config_detail

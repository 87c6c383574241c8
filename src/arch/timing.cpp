#include "arch/timing.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "pricing/zigzag.hpp"

namespace cimmc {

int rows_summed(const MacroSpec& m, int rows_used) {
  return m.rows_active > 0 ? std::min(m.rows_active, rows_used) : rows_used;
}

int row_groups(const MacroSpec& m, int rows_used) {
  const int r = rows_summed(m, rows_used);
  return (rows_used + r - 1) / r;
}

double adc_conversion_ns(const MacroSpec& m, int rows_summed) {
  return m.adc.conversion_ns ? *m.adc.conversion_ns : m.adc.bits * (zigzag::kAdcDelayK3Ns * rows_summed + zigzag::kAdcDelayK4Ns);
}

int tree_stages(int n) {
  int s = 0;
  while ((1 << s) < n) ++s;
  return s;
}

double tree_delay_ns28(int n, int bits) {
  const int s = tree_stages(n);
  if (s == 0) return 0.0;
  return (s - 1) * zigzag::kAdderInToSumNs + zigzag::kAdderInToCoutNs + (bits + s - 2) * zigzag::kAdderCinToCoutNs;
}

double accumulator_delay_ns28(int carry_bits) {
  return zigzag::kAdderInToCoutNs + carry_bits * zigzag::kAdderCinToCoutNs;
}

DigitalDelays digital_delays_ns28(const DigitalTiming& t, int tree_inputs) {
  DigitalDelays d;
  d.multiplier = t.booth ? zigzag::kBoothDelayNs : zigzag::kNand2DelayNs;
  d.tree = tree_delay_ns28(tree_inputs, t.leaf_bits);
  if (t.trees > 1) d.place_value = tree_delay_ns28(t.trees, tree_stages(tree_inputs) + t.leaf_bits);
  if (t.accumulate) d.accumulator = accumulator_delay_ns28(t.accumulator_carry);
  return d;
}

double digital_step_ns(const DigitalTiming& t, int rows_summed) {
  const DigitalDelays d = digital_delays_ns28(t, rows_summed);
  return (d.multiplier + d.tree + d.place_value + d.accumulator) * (t.node_nm / 28.0);
}

double mvm_latency_ns(const MacroSpec& m, int rows_summed, int row_groups, int cycles, int phys_cols,
                      double row_settle_ns) {
  const int nadc = m.adc.count > 0 ? std::min(m.adc.count, phys_cols) : phys_cols;
  if (m.clock_ns) {  // a clocked macro: every step is one period, however short its own path
    const double steps = m.kind == MacroKind::digital ? 1.0 : std::ceil(static_cast<double>(phys_cols) / nadc);
    return static_cast<double>(cycles) * row_groups * (row_settle_ns + steps * *m.clock_ns);
  }
  if (m.kind == MacroKind::digital) {  // every column has its own tree: columns evaluate in parallel
    if (!m.digital_timing)
      throw std::logic_error("mvm_latency_ns: the digital macro's timing is not resolved (config resolve_macro_clock)");
    return static_cast<double>(cycles) * row_groups * (row_settle_ns + digital_step_ns(*m.digital_timing, rows_summed));
  }
  const double steps = std::ceil(static_cast<double>(phys_cols) / nadc);
  return static_cast<double>(cycles) * row_groups * (row_settle_ns + steps * adc_conversion_ns(m, rows_summed));
}

}  // namespace cimmc

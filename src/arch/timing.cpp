#include "arch/timing.hpp"

#include <algorithm>
#include <cmath>

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

double digital_evaluation_ns(int rows_summed) {
  // ZigZag-IMC 28 nm: a full adder's sum path is two XOR2.
  constexpr double kFullAdderNs = zigzag::kAdderInToSumNs;
  int stages = 0;
  while ((1 << stages) < rows_summed) ++stages;
  return (2 * stages + 1) * kFullAdderNs;
}

double mvm_latency_ns(const MacroSpec& m, int rows_summed, int row_groups, int cycles, int phys_cols,
                      double row_settle_ns) {
  const int nadc = m.adc.count > 0 ? std::min(m.adc.count, phys_cols) : phys_cols;
  if (m.clock_ns) {  // a clocked macro: every step is one period, however short its own path
    const double steps = m.kind == MacroKind::digital ? 1.0 : std::ceil(static_cast<double>(phys_cols) / nadc);
    return static_cast<double>(cycles) * row_groups * (row_settle_ns + steps * *m.clock_ns);
  }
  if (m.kind == MacroKind::digital)  // every column has its own tree: columns evaluate in parallel
    return static_cast<double>(cycles) * row_groups * (row_settle_ns + digital_evaluation_ns(rows_summed));
  const double steps = std::ceil(static_cast<double>(phys_cols) / nadc);
  return static_cast<double>(cycles) * row_groups * (row_settle_ns + steps * adc_conversion_ns(m, rows_summed));
}

}  // namespace cimmc

// Time of one MVM on one macro; shared by pricing (leakage x time) and the
// mapping model (layer latency), so both use one timing model.
#pragma once
#include "spec/spec.hpp"

namespace cimmc {

// Rows summed per ADC conversion of a tile using `rows_used` rows (all of them
// unless rows_active limits a conversion), and the conversions per column per
// input cycle that takes: ceil(rows_used / rows summed).
int rows_summed(const MacroSpec& m, int rows_used);
int row_groups(const MacroSpec& m, int rows_used);

// ZigZag-IMC ADC delay ~ B * (0.00653 * rows_summed + 0.640) ns unless the
// config sets adc.conversion_ns.
double adc_conversion_ns(const MacroSpec& m, int rows_summed);

// One evaluation of a digital macro's adder tree over rows_summed rows and its
// accumulator: the carry ripples through the last stage (S + 1 bits) after one
// full adder per earlier stage, (2S + 1) full-adder delays (ZigZag-IMC gate
// delays). A first-order figure until digital timing is modelled.
double digital_evaluation_ns(int rows_summed);

// Per (input cycle, row group): settle the rows, then convert every used
// physical column (with macro.slice_combine charge: every weight, so pass the
// weights) on adc.count shared ADCs (0 = one per conversion column). Each
// conversion step (digital: each tree evaluation) takes its own delay, or
// one macro.clock_ns period when the macro is clocked (docs/config.md).
double mvm_latency_ns(const MacroSpec& m, int rows_summed, int row_groups, int cycles, int phys_cols,
                      double row_settle_ns = 0.0);

}  // namespace cimmc

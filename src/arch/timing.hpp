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

// Adder trees as the digital kernel builds them (kernels/digital_model.hpp):
// ceil(log2 n) stages over n inputs; a ripple-carry tree of `bits`-bit leaves
// takes in-to-sum through the first S - 1 stages, in-to-carry-out, then the
// carry through the output bits (ZigZag-IMC get_tclk, 28 nm gate delays).
int tree_stages(int n);
double tree_delay_ns28(int n, int bits);
// An accumulator's ripple carry past its input bits: in-to-carry-out, then
// `carry_bits` carries (28 nm).
double accumulator_delay_ns28(int carry_bits);

// One digital step at 28 nm over a tree of `tree_inputs` rows: multiplier,
// adder tree, place-value adder of the step's trees (their outputs S + leaf
// bits wide), accumulator; 0 for a stage the macro does not have.
struct DigitalDelays {
  double multiplier = 0, tree = 0, place_value = 0, accumulator = 0;
};
DigitalDelays digital_delays_ns28(const DigitalTiming& t, int tree_inputs);

// A self-timed digital step summing `rows_summed` rows: the delays above at
// the macro's node (logic delay x node / 28). Over the physical macro's rows
// it is the derived clock period (physical/area_clock.hpp).
double digital_step_ns(const DigitalTiming& t, int rows_summed);

// Per (input cycle, row group): settle the rows, then convert every used
// physical column (with macro.slice_combine charge: every weight, so pass the
// weights) on adc.count shared ADCs (0 = one per conversion column). Each
// conversion step (digital: each tree evaluation) takes its own delay, or
// one macro.clock_ns period when the macro is clocked (docs/config.md).
double mvm_latency_ns(const MacroSpec& m, int rows_summed, int row_groups, int cycles, int phys_cols,
                      double row_settle_ns = 0.0);

}  // namespace cimmc

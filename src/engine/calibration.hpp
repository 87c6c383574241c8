// The calibrated ADC range from a pilot's exact column values: the quantile
// rule, per weight slice if asked, rounded up to power-of-two on-cell units
// if asked. Pure host functions of the recorded values and the job view.
#pragma once
#include <array>
#include <vector>

#include "job_view.hpp"
#include "spec/spec.hpp"

namespace cimmc {

// The smallest m among [first, last) with at least `quantile` of them <= m
// (the rule column_quantile() applies to histogram bins); 0 for no values.
// Reorders the values.
double exact_quantile(double* first, double* last, double quantile);

// The weight slice a physical column position q (0 .. ppw-1) belongs to: a
// differential pair's negative column shares its positive twin's slice.
int adc_slice_of(const JobView& v, int q);

// One on-cell read at the top DAC level, in column units: CrossSim's unit of
// ADC range (its MAX range is rows x this).
double on_cell_unit(const JobView& v);

// The full scale a calibration takes from its quantile value f: one column
// bin where f is 0 (all-zero values), rounded up to a power of two of on-cell
// units with adc.round_pow2. The pilot's rules below and the statistical model's
// calibration (statistical.cpp) both end with it.
double calibrated_range(const JobView& v, double f, const AdcSpec& adc);

// Full scale per column position q from a pilot's column values (laid out as
// JobView::col_capture says; |value| for signed columns): one quantile over all
// columns, or one per weight slice; a zero quantile keeps one column bin.
// Overwrites the values (with |value|, reordered) to need no second copy.
std::array<double, kMaxPhysPerWeight> calibrated_full_scales(const JobView& v, double* values, const AdcSpec& adc);

// Sets the view's ADC steps from per-position full scales: AdcMode::per_slice
// when they differ by position, else the shared step of position 0.
void set_adc_full_scales(JobView& v, const std::array<double, kMaxPhysPerWeight>& fs, bool per_slice);

// adc.per_cycle: the full scale of every (input cycle c, column position q)
// at [c * ppw + q], each the quantile of its own group's pilot values (a group
// is one cycle, or one (cycle, weight slice) with per_slice); and setting
// them (AdcMode::per_cycle, adc_delta the largest).
std::vector<double> calibrated_cycle_scales(const JobView& v, const double* values, const AdcSpec& adc);
void set_adc_cycle_scales(JobView& v, const std::vector<double>& fs);

}  // namespace cimmc

// Config -> the plain JobView a kernel samples, with the tables it points to.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/operands.hpp"
#include "engine/patches.hpp"
#include "job_view.hpp"
#include "spec/spec.hpp"

namespace cimmc {

struct BuiltJob {
  JobView view;               // alias pointers refer to x_alias / w_alias below
  QuantizedPmf x_pmf, w_pmf;
  AliasTable x_alias, w_alias;
  std::vector<float> x_scores;  // copula thresholds (view.x_z); empty for independent inputs
  PatchInputs x_patches;        // images and pixel table of kind patches (view.x_pixels, x_lut)
  double v_full = 0;          // largest possible |column value| (cell-level x DAC-level units)
  BuiltJob() = default;
  BuiltJob(const BuiltJob&) = delete;  // view points into this object
  BuiltJob& operator=(const BuiltJob&) = delete;
};

// Fills everything; the ADC step is set from range full/max (calibrated starts
// at full and is finished by set_adc_full_scale after the pilot).
// sampling = false (the statistical model): no alias tables (a tenth of what a
// job costs the energy-only model); view.x_dist / w_dist stay empty.
void build_job(const Config& cfg, philox::JobId job_id, BuiltJob& out, bool sampling = true);
// Range of a charge-combined conversion (macro.slice_combine charge): the sum
// over a weight's columns of place value x column range, each column's range
// [0, v_full], or [-v_full, v_full] for signed columns (sign-magnitude, pairs).
struct CombinedRange {
  double lo = 0, hi = 0;
};
CombinedRange combined_range(const JobView& v, double v_full, bool signed_cols);
// Column value mapped to the top ADC code.
void set_adc_full_scale(JobView& v, double full_scale);
// Value below which `quantile` of the column values lie (|value| for signed columns).
double column_quantile(const JobView& v, const std::uint64_t* col_hist, double quantile);

}  // namespace cimmc

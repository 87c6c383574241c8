// The statistical model: the sampler's expected event histograms and error
// moments per MVM, computed from the operand distributions without sampling,
// under CiMLoop-style independence assumptions (operands i.i.d. across rows and
// columns, inputs independent of weights, one array instance per MVM). It is
// the analytical twin of kernels/macro_model.hpp and is checked against it in
// tests/test_statistical.cpp. Each approximation is stated where it is made
// (column_distribution.cpp, adc_transfer.cpp, statistical.cpp).
#pragma once
#include <memory>
#include <optional>
#include <vector>

#include "engine/job_builder.hpp"
#include "pricing/pricing.hpp"

namespace cimmc {

struct StatResult {
  // Expected events per MVM in the layout of ONE batch-group block of the
  // sampler's histograms (view.hist_size entries: off_dac, off_row, ...).
  std::vector<double> hist;
  // Output error y - x.w per logical output [output LSB = one unit of the
  // integer dot product]. mse = err_mean^2 + err_var, and err_var is split into
  // parts that add up to it exactly, each the increase when one more effect is
  // switched on, in this order:
  //   analog        g_off current, stuck cells, programming variation, seen
  //                 through an ideal ADC (exact: a sum over rows)
  //   quantization  + ADC rounding with an unbounded code range
  //   clipping      + the finite code range
  //   noise         + read noise and ADC input noise
  double err_mean = 0, err_var = 0, mse = 0;
  double err_var_quantization = 0, err_var_clipping = 0, err_var_noise = 0, err_var_analog = 0;
  double ref_mean = 0, ref_power = 0;  // E[ref] and E[ref^2] of the exact output x.w
  double clip_rate = 0;                // expected clipped conversions / conversions
  // false (statistical_energy): the column-value and ADC-code histograms and
  // every error field are NaN, not computed.
  bool distributions = true;
};

// The whole model for one job; the ADC step must already be set (full, max, or
// calibrated via statistical_quantile + set_adc_full_scale).
StatResult statistical_job(const BuiltJob& job);

// Energy only, CiMLoop's scope and cost: the DAC, row-driver and cell events
// of statistical_job (they follow from the operand marginals), one column
// value and one ADC code per conversion with their distributions left out
// (NaN), and no accuracy (NaN; ref_mean and ref_power are kept). What it
// skips is nearly all of statistical_job's time: the column-value convolution
// and the ADC integration. Its energy is statistical_job's wherever column and
// ADC energies do not depend on the value (the defaults); price_statistical
// refuses other tables. Needs no ADC step.
StatResult statistical_energy(const BuiltJob& job);

// Calibrated ADC without a pilot: the value below which `quantile` of the
// predicted column values lie, folded and binned exactly as column_quantile()
// treats the pilot's column-value histogram.
double statistical_quantile(const BuiltJob& job, double quantile);
// The full scale a calibrated ADC gets from it: the quantile at adc.quantile,
// finished as the sampled pilot's (calibrated_range: one column bin where it
// is 0, power-of-two rounding with adc.round_pow2); with ranges per slice or
// per cycle the largest, as the sampled job reports. Builds no ADC statistics.
double statistical_full_scale(const BuiltJob& job, const AdcSpec& adc);

// Jobs that differ only in their number of weight columns N, evaluated from
// one class table (N only multiplies counts; no class statistic depends on
// it), so the same as statistical_job on each. With adc.range calibrated (adc:
// the jobs' ADC), each job's ADC is calibrated first, from the same
// column-value atoms the ADC transfer then integrates, as
// statistical_full_scale does: one range, or one per weight slice
// (adc.per_slice), input cycle (adc.per_cycle) or both.
std::vector<StatResult> statistical_jobs(const std::vector<BuiltJob*>& jobs, const AdcSpec& adc);

// The same, for jobs met one at a time (a mapping search's tile shapes): the
// class table of `first` (its ADC calibrated as statistical_jobs does) kept
// to evaluate it and every later job that differs from it only in N.
class StatisticalGroup {
 public:
  StatisticalGroup(BuiltJob& first, const AdcSpec& adc);
  ~StatisticalGroup();
  StatisticalGroup(const StatisticalGroup&) = delete;
  StatisticalGroup& operator=(const StatisticalGroup&) = delete;
  // Sets a calibrated ADC's steps in job.view (the group's), then its result.
  StatResult evaluate(BuiltJob& job) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Prices the expected events with the sampler's formula (pricing.hpp
// component_energy). Standard errors are 0; max_abs_err is not predicted (NaN).
// Energy-only results need value-independent column and ADC energies
// (std::invalid_argument otherwise).
Report price_statistical(const BuiltJob& job, const StatResult& s, const EnergyTables& t);

}  // namespace cimmc

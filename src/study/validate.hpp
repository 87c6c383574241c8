// `cimmc validate`: the statistical model against sampling on the same tile
// jobs. For every unique job of a study and every metric (energy per MVM by
// component and in total, output mean squared error, ADC clip rate), the
// statistical value, the sampled value with its standard error, the relative
// error and a z-score; a metric is flagged when |z| > 4 (or, for metrics with
// no sampling spread, when the relative error exceeds 1e-9). A clip rate's
// standard error is never below the binomial one of the predicted rate.
// Calibrated ADCs: an informational row `adc_full_scale` (z NaN, never
// flagged) compares the model's predicted quantile with the sampler's pilot,
// and every other metric is computed by the model at the pilot's full scale.
// A sampled metric without a standard error (all samples of a job in one
// array instance) gets z NaN, is never flagged, and `ci_note` says why.
#pragma once
#include <string>
#include <vector>

#include "config/sweep.hpp"
#include "engine/engine.hpp"
#include "io/table.hpp"

namespace cimmc {

struct Comparison {
  std::size_t job = 0;          // index among the study's unique jobs
  std::string layer;            // first layer that uses the job ("" for a single tile)
  int rows_used = 0, cols_used = 0;
  std::string metric, units;
  double statistical = 0, sampled = 0, sampled_se = 0, rel_err = 0, z = 0;
  bool flagged = false;
};

struct Validation {
  std::vector<Comparison> rows;
  std::size_t jobs = 0, flagged = 0;
  double seconds_sampled = 0, seconds_statistical = 0;
  std::string ci_note;  // why some z are NaN (no standard error); empty when none is
};

Validation validate_study(const Sweep& sweep, const EngineOptions& opt);
Table validation_table(const Validation& v);

}  // namespace cimmc

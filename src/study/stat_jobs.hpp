// The statistical model as a source of tile-job costs for studies: each unique
// tile job is evaluated analytically (no sampling) and priced per point with
// the same energy tables and roll-up as sampled jobs.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/job_builder.hpp"
#include "statistical/statistical.hpp"
#include "study/rollup.hpp"
#include "study/tile_jobs.hpp"

namespace cimmc {

struct StatJob {
  std::unique_ptr<BuiltJob> job;
  StatResult stat;
};

// Builds and evaluates the jobs on `threads` threads, setting a calibrated ADC
// range from the predicted column-value quantile (where sampling would run a
// pilot). Jobs that differ only in their weight columns (a layer's ragged last
// column tile) share one class table: its statistics do not depend on the
// column count, so every result is the one the job gets alone, in any order.
// energy_only: statistical_energy instead (no distributions, no accuracy; a
// calibrated ADC is left uncalibrated, which energy does not depend on).
std::vector<StatJob> evaluate_statistical(const std::vector<const Config*>& tile_cfgs,
                                          const std::vector<JobId>& job_ids, int threads,
                                          bool energy_only = false);
// One job alone.
StatJob evaluate_statistical(const Config& tile_cfg, JobId job_id);

// Tile jobs met one at a time, e.g. a mapping search's tile shapes, each the
// same as evaluate_statistical gives it alone, but with one class table per
// group of jobs that differ only in their weight columns (StatisticalGroup):
// a search meets many column counts per row count, and the table is nearly
// all of the full model's time (measured: arch-zigzag-aimc, below).
class StatisticalJobCache {
 public:
  StatJob evaluate(const Config& tile_cfg, JobId job_id, bool energy_only);

 private:
  std::map<std::string, std::unique_ptr<StatisticalGroup>> groups_;  // by job_key at 0 columns
};
// The statistical model predicts analog events only: a ConfigError at the
// config's macro.kind line for a digital macro (callers check the sweep's
// points, which keep their text, before any work; evaluate_statistical checks
// its jobs again).
void refuse_digital(const Config& c);
// One job with the ADC steps of `adc` (a view's step, mode and steps per slice
// or per cycle), e.g. the ones a sampled run calibrated: the models then see
// the same ADC.
StatJob evaluate_statistical_at(const Config& tile_cfg, JobId job_id, const JobView& adc);

// Why the statistical model's accuracy (everything beyond --energy-only)
// cannot describe this macro, or "" where it can: it has no ideal ADC and one
// ADC range for all columns.
std::string statistical_refusal(const MacroSpec& m);

JobCost statistical_job_cost(const Config& point, const LayerSpec* layer, const StatJob& s);

}  // namespace cimmc

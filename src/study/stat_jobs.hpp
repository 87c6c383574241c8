// The statistical model as a source of tile-job costs for studies: each unique
// tile job is evaluated analytically (no sampling) and priced per point with
// the same energy tables and roll-up as sampled jobs.
#pragma once
#include <cstdint>
#include <memory>

#include "engine/job_builder.hpp"
#include "statistical/statistical.hpp"
#include "study/rollup.hpp"

namespace cimmc {

struct StatJob {
  std::unique_ptr<BuiltJob> job;
  StatResult stat;
};

// Builds the job, sets a calibrated ADC range from the predicted column-value
// quantile (where sampling would run a pilot), and evaluates it.
StatJob evaluate_statistical(const Config& tile_cfg, std::uint32_t job_id);

JobCost statistical_job_cost(const Config& point, const LayerSpec* layer, const StatJob& s);

}  // namespace cimmc

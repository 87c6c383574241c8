// A study's plan built and used chunk by chunk (issue 10: the whole sweep's
// LayerPlans, mapping spaces included, took 62 MB per 1,000 ResNet-18 points).
// The runner needs the whole sweep only for each job's last use, the shard
// cut and the rank partition, which read nothing but the job indices of each
// (point, layer, mapping); the mapping spaces are needed per chunk, for the
// roll-up, and are planned again there.
#pragma once
#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "study/plan.hpp"

namespace cimmc {

struct StreamPlan {
  // Every point, but each LayerPlan holds only `layer` and `jobs` (no name,
  // gemm or mapping space); jobs, job_keys, job_ids and the counts are as
  // make_plan gives them for the whole sweep.
  StudyPlan skeleton;
  std::unordered_map<std::string, std::size_t> index;  // job key -> skeleton.jobs index
};

// Plans `points` `step` at a time, keeping the skeleton of each; hierarchy
// layers are mapped on `threads` threads (make_plan).
StreamPlan plan_skeleton(const std::vector<const Config*>& points, std::size_t step = 256, int threads = 1);

// Points [first, last) planned in full (make_plan), their job indices those of
// `s.skeleton` (the chunk plan's own job list stays empty).
StudyPlan plan_points(const StreamPlan& s, const std::vector<const Config*>& points, std::size_t first,
                      std::size_t last, int threads = 1);

}  // namespace cimmc

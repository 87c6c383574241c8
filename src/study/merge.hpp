// `cimmc merge`: shard files of one sweep (`cimmc run --shard I/N`) joined
// into the study file a single run writes. Rows are concatenated in shard
// order, which is point order; /jobs keeps each tile job once, at its first
// use across the sweep. A job sampled by two shards must have given the same
// numbers in both (jobs are keyed by content): that is checked, not assumed.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "io/study_file.hpp"

namespace cimmc {

// The shards do not make one sweep (missing, duplicate, overlapping, of another
// config, seed, samples or shard count, or unfinished). The CLI exits 2.
struct MergeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ShardInput {
  std::string path;  // for messages
  StudyFile file;
};

// Shards in any order. The result has the shards' provenance except `created`,
// `command_line` (from `prov`) and, where shards differ, `backend` and
// `device` (their distinct values joined by ", " in shard order); shard = {}.
StudyFile merge_shards(std::vector<ShardInput> shards, const Provenance& prov);

}  // namespace cimmc

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
#include "io/study_stream.hpp"

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

// merge_shards in two steps, so that `cimmc merge` holds one shard's rows at a
// time: merge_head checks the set (each shard's head and /jobs suffice: its
// /layers and /network are not read), sorts `shards` by index and gives the
// merged file without /layers, /network and ci_note; the rows are then the
// shards' in that order, and merged_ci_note the note, from the shards' notes
// and the count of NaN total_pj_se among the merged network rows.
StudyFile merge_head(std::vector<ShardInput>& shards, const Provenance& prov);
std::string merged_ci_note(const std::vector<ShardInput>& shards, std::size_t missing, std::size_t rows);
// Network rows without a standard error (what merged_ci_note counts).
std::size_t missing_se(const Table& network);

// The rows of merge_head's sorted `shards` appended to `out`, shard by shard,
// a block of `block` rows at a time: memory holds one block, not a shard.
// MergeError when a shard's network rows are not its points' count.
struct MergedRows {
  std::size_t layer_rows = 0, network_rows = 0, missing_se = 0;
};
MergedRows append_shard_rows(const std::vector<ShardInput>& shards, StudyStream& out, std::size_t block = 65536);

}  // namespace cimmc

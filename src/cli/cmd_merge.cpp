// `cimmc merge SHARD.h5... -o OUT.h5`: the shard files of one sweep (cimmc run
// --shard I/N) joined into the file a single run writes. A set of shards that
// does not make one sweep is bad input (exit 2, nothing written); a file that
// cannot be read is a file error (exit 4).
#include <iostream>

#include "cimmc_version.hpp"
#include "cli/commands.hpp"
#include "io/child_read.hpp"
#include "io/study_file.hpp"
#include "io/study_stream.hpp"
#include "study/merge.hpp"

namespace cimmc {

namespace {
// Rows read and appended at a time: memory holds one block, not a shard.
constexpr std::size_t kMergeBlock = 65536;
}  // namespace

int cmd_merge(const CliArgs& a) {
  std::vector<std::string> paths{a.config};
  paths.insert(paths.end(), a.inputs.begin(), a.inputs.end());
  if (a.output.empty()) throw UsageError("merge: missing -o OUT.h5");
  std::vector<NamedInput> named;
  for (const std::string& p : paths) named.push_back({"shard file", p});
  OutputClaim claim(a.output, named);  // before reading: the output may not be a shard
  for (const std::string& f : claim.removed()) std::cerr << "cimmc: removed " << f << ", left by an interrupted run\n";
  // Each shard is read whole in a child process first: a corrupt one can
  // crash libhdf5 (io/child_read.hpp). Then the heads and /jobs of every
  // shard (the set is checked before any row is read), then each shard's
  // rows appended to the output in shard order, a block at a time
  // (io/study_stream.hpp).
  const auto read_all = [](const std::string& p) {
    read_study_file(p, false);
    for (const char* g : {"layers", "network"}) for_each_row_block(p, g, kMergeBlock, [](const Table&) {});
  };
  for (const std::string& p : paths) check_readable(p, [&] { read_all(p); });
  std::vector<ShardInput> shards;
  for (const std::string& p : paths) shards.push_back({p, read_study_file(p, false)});
  Provenance prov;
  prov.created = iso8601_utc_now();
  prov.command_line = a.command_line;
  StudyFile merged;
  try {
    merged = merge_head(shards, prov);
  } catch (const MergeError& e) {
    throw UsageError(std::string("merge: ") + e.what());
  }
  StudyStream out(a.output, claim.target());
  MergedRows m;
  try {
    m = append_shard_rows(shards, out, kMergeBlock);
  } catch (const MergeError& e) {
    throw UsageError(std::string("merge: ") + e.what());
  }
  out.append(Table{}, Table{}, merged.jobs);
  merged.ci_note = merged_ci_note(shards, m.missing_se, m.network_rows);
  out.finish(merged);
  std::cout << "merged " << paths.size() << " shard(s): " << merged.points_total << " points, " << m.layer_rows
            << " layer rows, " << merged.jobs.rows() << " tile jobs\n  wrote " << a.output << "\n";
  return 0;
}

}  // namespace cimmc

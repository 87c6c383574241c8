// `cimmc merge SHARD.h5... -o OUT.h5`: the shard files of one sweep (cimmc run
// --shard I/N) joined into the file a single run writes. A set of shards that
// does not make one sweep is bad input (exit 2, nothing written); a file that
// cannot be read is a file error (exit 4).
#include <iostream>

#include "cimmc_version.hpp"
#include "cli/commands.hpp"
#include "io/study_file.hpp"
#include "study/merge.hpp"

namespace cimmc {

int cmd_merge(const CliArgs& a) {
  std::vector<std::string> paths{a.config};
  paths.insert(paths.end(), a.inputs.begin(), a.inputs.end());
  if (a.output.empty()) throw UsageError("merge: missing -o OUT.h5");
  std::vector<NamedInput> named;
  for (const std::string& p : paths) named.push_back({"shard file", p});
  OutputClaim claim(a.output, named);  // before reading: the output may not be a shard
  for (const std::string& f : claim.removed()) std::cerr << "cimmc: removed " << f << ", left by an interrupted run\n";
  std::vector<ShardInput> shards;
  for (const std::string& p : paths) shards.push_back({p, read_study_file(p)});
  Provenance prov;
  prov.created = iso8601_utc_now();
  prov.command_line = a.command_line;
  StudyFile merged;
  try {
    merged = merge_shards(std::move(shards), prov);
  } catch (const MergeError& e) {
    throw UsageError(std::string("merge: ") + e.what());
  }
  write_study_file(claim.target(), merged);
  std::cout << "merged " << paths.size() << " shard(s): " << merged.points_total << " points, "
            << merged.layers.rows() << " layer rows, " << merged.jobs.rows() << " tile jobs\n  wrote " << a.output
            << "\n";
  return 0;
}

}  // namespace cimmc

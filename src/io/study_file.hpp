// Study files (`cimmc run` on a network or a sweep): column tables per
// (point, layer, mapping), per (point, network) and per sampled tile job, with
// the provenance of every cimmc file. A study still running keeps a
// checkpoint "<out>.partial" (same format, complete = 0) that `--resume` reads.
// Layout: docs/hdf5-format.md, "Study files".
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/hdf5_file.hpp"
#include "io/table.hpp"

namespace cimmc {

inline constexpr const char* kStudyFileType = "cimmc.study";

// A shard of a sweep (`cimmc run --shard I/N`): shard `index` of `count` holds
// the rows of points [begin, end) of the sweep. count = 0: not a shard.
struct ShardLayout {
  std::uint64_t index = 0, count = 0, begin = 0, end = 0;
  bool operator==(const ShardLayout&) const = default;
};

struct StudyFile {
  Provenance prov;
  std::string name, config_text, config_path;
  std::vector<std::string> sweep_keys;  // parameter columns, in order
  std::uint64_t points_total = 0, points_done = 0;
  std::uint64_t samples = 0;            // run.samples after CLI overrides (resume must match)
  bool complete = false;
  ShardLayout shard;                    // points_done counts this shard's points
  // Why standard errors / CIs in the tables are NaN ("" when none is): root attribute ci_note.
  std::string ci_note;
  Table layers, network, jobs;
  // MPI runs (`mpirun ... cimmc run`): one row per rank, where it ran, with
  // what, and its share of the tile jobs. Empty (no /ranks group) otherwise.
  // Provenance only: the other tables are the same bits for any rank count.
  Table ranks;
};

void write_study_file(const std::string& path, const StudyFile& s);  // atomic

// `cimmc validate -o`: provenance and one table, /validation.
inline constexpr const char* kValidationFileType = "cimmc.validation";
void write_validation_file(const std::string& path, const StudyFile& meta, const Table& validation);
// rows = false: all but /layers and /network, which stay empty (cimmc merge
// checks a set of shards on these before it reads their rows one at a time).
StudyFile read_study_file(const std::string& path, bool rows = true);
// The rows of a study file's /layers or /network (`group`), `block` at a
// time in order: `fn` gets each block (cimmc merge holds one block, not a
// shard's table). IoError as read_study_file.
void for_each_row_block(const std::string& path, const std::string& group, std::size_t block,
                        const std::function<void(const Table&)>& fn);

// `cimmc infer -o`: provenance, the swept key paths (root attribute
// sweep_keys) and one row per hardware point, /task.
inline constexpr const char* kTaskFileType = "cimmc.task";
void write_task_file(const std::string& path, const StudyFile& meta, const Table& task);

// What a task file holds (`cimmc inspect`): the provenance, the config text
// (its task: section names the model and the test set) and /task.
struct TaskFile {
  Provenance prov;
  std::string name, config_text, config_path;
  std::vector<std::string> sweep_keys;
  Table task;
};
// Refuses other filetypes and another format major; any minor reads.
TaskFile read_task_file(const std::string& path);

}  // namespace cimmc

// The checkpoint of a streamed sampled study ("<out>.partial"): an append-only
// log of the rows each finished chunk added, so a run of any length keeps one
// chunk in memory and writes each row once (issue 10: rewriting a whole-table
// checkpoint after every chunk grew quadratically with the sweep).
//
// Records: a head (what the study is: config text, seed, samples, points,
// shard) and then one record per chunk (points done after it, and its
// /layers, /network and /jobs rows). Each record is framed as
//   "CIMMCLOG" | u32 kind | u64 payload bytes | payload | u64 XXH3-64(payload)
// in little-endian order, appended with write() and fsync()ed before the
// chunk counts as done. A kill -9 can leave only a torn last record: reading
// stops at the first record that is short or whose checksum fails, and the
// next writer cuts the file there before appending.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "io/study_file.hpp"

namespace cimmc {

// The rows one chunk of points added, and how many points were done after it.
struct CheckpointChunk {
  std::uint64_t points_done = 0;
  Table layers, network, jobs;
};

// Whether `path` starts like a checkpoint log (not, e.g., an HDF5 file).
bool is_checkpoint_log(const std::string& path);

class CheckpointLog {
 public:
  // A new log at `path` holding only `head`'s identity (written to a temporary
  // and renamed over whatever was there). IoError (exit 4) on failure.
  static CheckpointLog create(const std::string& path, const StudyFile& head);
  // The log at `path`, read through: `head` is called first with its
  // identity (the fields create() stored; it throws to refuse the log), then
  // `chunk` for each intact chunk record in order. A torn or corrupt tail is
  // cut off; appends go after the last intact record.
  static CheckpointLog resume(const std::string& path, const std::function<void(const StudyFile&)>& head,
                              const std::function<void(CheckpointChunk&&)>& chunk);
  CheckpointLog(CheckpointLog&& o) noexcept;
  CheckpointLog& operator=(CheckpointLog&&) = delete;
  CheckpointLog(const CheckpointLog&) = delete;
  ~CheckpointLog();

  void append(const CheckpointChunk& c);  // durable when it returns

 private:
  CheckpointLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

}  // namespace cimmc

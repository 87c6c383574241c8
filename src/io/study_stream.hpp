// A study file written while the study runs (issue 10: the tables of a
// 10^6-point ResNet-18 sweep are gigabytes, more than a run may hold). Rows of
// /layers, /network and /jobs are appended chunk by chunk to extendible datasets of
// "<target>.tmp.<pid>" on disk; finish() adds the attributes and the small
// tables and renames the file over the target. Until then the target is
// untouched, and a failure or a destructor without finish() removes the
// temporary, so no reader ever sees a partial file. The file reads exactly as
// one written whole (write_study_file): same groups, columns and values; only
// the storage is chunked.
#pragma once
#include <memory>
#include <string>

#include "io/study_file.hpp"

namespace H5 {
class H5File;
}

namespace cimmc {

class StudyStream {
 public:
  // `target` as OutputClaim resolved and checked it; `shown` names it in errors.
  StudyStream(std::string shown, std::string target);
  ~StudyStream();
  StudyStream(const StudyStream&) = delete;
  StudyStream& operator=(const StudyStream&) = delete;

  // Rows after those already written; every call has the columns of the first.
  void append(const Table& layers, const Table& network, const Table& jobs = {});
  // head's attributes and /ranks (its /layers, /network and /jobs are ignored:
  // they are the rows appended); then the rename. IoError (exit 4) on failure.
  void finish(const StudyFile& head);
  std::size_t rows_written(int group) const;  // 0 layers, 1 network, 2 jobs

 private:
  struct Group;
  [[noreturn]] void fail(const std::string& what);
  void discard() noexcept;
  void release_descriptor() noexcept;
  std::string shown_, target_, tmp_;
  bool committed_ = false, write_failed_ = false;
  int fd_ = -1;  // the temporary's descriptor inside HDF5 (its POSIX driver)
  std::unique_ptr<H5::H5File> file_;
  std::unique_ptr<Group> groups_[3];
};

}  // namespace cimmc

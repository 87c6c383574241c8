// Where a result file really goes, and whether cimmc may put it there.
//
// A result replaces its file by renaming a temporary over it, which would
// replace whatever the name points at. So: a symbolic link is followed to the
// file it names (that file is replaced, the link stays); only a regular file
// or a new name is ever replaced (never a directory, FIFO, device or socket);
// an input (the config) is never replaced, however its name is spelled; and
// one run at a time writes an output, held by a lock file beside it.
// Failures are IoError (exit 4) that name the path and the rule.
#pragma once
#include <string>
#include <vector>

namespace cimmc {

// The file `path` names after following symbolic links (at most 40 hops; a
// relative link is read from the link's directory). It need not exist: a
// dangling link gives the file it would create.
std::string resolve_output(const std::string& path);

// Throws IoError unless a result may be written at `target` (already
// resolved): its directory exists, and `target` is missing or a regular file.
// `shown` is the name the user gave, for the message.
void check_replaceable(const std::string& shown, const std::string& target);

// Writes `bytes` to `target` (resolved and checked) so that no reader ever sees
// a partial file: into "<target>.tmp.<pid>" beside it, fsync, close, rename
// over `target`, fsync the directory. A replaced file's permission bits are
// kept. On any failure the temporary is removed, `target` is left as it was,
// and IoError names `shown` and the OS error.
void write_bytes_atomically(const std::string& shown, const std::string& target, const void* bytes,
                            std::size_t size);

// "<target>.tmp.<pid>": where an atomic write builds its file.
std::string temporary_of(const std::string& target);

// The last steps of an atomic write, for a temporary `tmp` written by other
// means (a study streamed to disk, io/study_stream.hpp): keep a replaced
// file's permission bits, fsync `tmp`, rename it over `target`, fsync the
// directory. On failure `tmp` is removed and IoError names `shown` and the OS error.
void commit_temporary(const std::string& shown, const std::string& tmp, const std::string& target);

// Removes the atomic writer's leftovers of killed runs beside `target`:
// "<name>.tmp.<pid>" and "<name>.partial.tmp.<pid>" (regular files) whose pid
// is not a running process. Files that are one of `keep` are never touched.
// Returns the removed paths.
std::vector<std::string> remove_stale_temporaries(const std::string& target,
                                                  const std::vector<std::string>& keep = {});

// An exclusive flock on "<target>.lock", held for the object's lifetime; the
// file is removed when released. The kernel drops the lock when a process
// dies, so a lock file left by a killed run does not block the next one.
class OutputLock {
 public:
  OutputLock() = default;
  // Throws IoError when another process holds the lock, or when the lock file
  // cannot be created (which is also how an unwritable directory shows).
  OutputLock(const std::string& shown, const std::string& target);
  ~OutputLock() { release(); }
  OutputLock(OutputLock&& o) noexcept;
  OutputLock& operator=(OutputLock&& o) noexcept;
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

 private:
  void release() noexcept;
  std::string path_;
  int fd_ = -1;
};

// A file the command reads, which no output may replace.
struct NamedInput {
  std::string what;  // e.g. "config"
  std::string path;
};

// What a command does with `-o PATH` before any work: resolves links, checks
// that the result and its checkpoint "<target>.partial" may be written (see
// check_replaceable) and that neither is one of `inputs` (same device and
// inode, so any spelling or link is caught), takes the lock, and removes
// stale temporaries. Keep it alive until the last file is written.
class OutputClaim {
 public:
  OutputClaim(const std::string& path, const std::vector<NamedInput>& inputs);
  const std::string& target() const { return target_; }               // write here
  const std::vector<std::string>& removed() const { return removed_; }  // stale temporaries

 private:
  std::string target_;
  OutputLock lock_;
  std::vector<std::string> removed_;
};

}  // namespace cimmc

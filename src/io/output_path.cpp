#include "io/output_path.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "io/hdf5_file.hpp"  // IoError

namespace cimmc {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxLinks = 40;  // Linux's own limit (MAXSYMLINKS)

std::string os_error(int err) { return std::strerror(err); }

// "out.h5", or "out.h5 (a link to /data/out.h5)" when they differ.
std::string where(const std::string& shown, const std::string& target) {
  return shown == target ? shown : shown + " (a link to " + target + ")";
}

fs::path directory_of(const std::string& target) {
  const fs::path t(target);
  return t.has_parent_path() ? t.parent_path() : fs::path(".");
}

const char* special_kind(mode_t m) {
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// A pid that no process has (kill answers ESRCH); EPERM means it runs under
// another user, which counts as running.
bool pid_is_dead(long pid) { return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

}  // namespace

std::string resolve_output(const std::string& path) {
  if (path.empty()) throw IoError("cannot write an empty path");
  fs::path p(path);
  for (int hops = 0;; ++hops) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p.string();
    if (hops == kMaxLinks)
      throw IoError("cannot write " + path + ": more than " + std::to_string(kMaxLinks) +
                    " symbolic links to follow (a loop?)");
    std::error_code ec;
    const fs::path link = fs::read_symlink(p, ec);
    if (ec) throw IoError("cannot write " + path + ": cannot read the link " + p.string() + ": " + ec.message());
    // Not normalized: "a/../b" must go through a's real parent, as the kernel does.
    p = link.is_absolute() ? link : p.parent_path() / link;
  }
}

void check_replaceable(const std::string& shown, const std::string& target) {
  const std::string w = where(shown, target);
  const fs::path dir = directory_of(target);
  struct stat ds {};
  if (::stat(dir.c_str(), &ds) != 0)
    throw IoError("cannot write " + w + ": directory " + dir.string() + ": " + os_error(errno));
  if (!S_ISDIR(ds.st_mode)) throw IoError("cannot write " + w + ": " + dir.string() + " is not a directory");
  struct stat st {};
  if (::lstat(target.c_str(), &st) != 0) {
    if (errno == ENOENT) return;  // a new file
    throw IoError("cannot write " + w + ": " + os_error(errno));
  }
  if (S_ISDIR(st.st_mode)) throw IoError("cannot write " + w + ": it is a directory; give a file name");
  if (!S_ISREG(st.st_mode))
    throw IoError("cannot write " + w + ": it is " + special_kind(st.st_mode) +
                  "; cimmc replaces only regular files, never a special file");
}

namespace {

// "cannot write OUT: STEP: OS ERROR" after removing the temporary `tmp`.
[[noreturn]] void fail_write(const std::string& shown, const std::string& target, const std::string& tmp,
                             const std::string& step, int err, bool created) {
  if (created) ::unlink(tmp.c_str());
  throw IoError("cannot write " + where(shown, target) + ": " + step + ": " + os_error(err) +
                (::access(target.c_str(), F_OK) == 0 ? " (the existing file was left as it was)" : ""));
}

}  // namespace

std::string temporary_of(const std::string& target) { return target + ".tmp." + std::to_string(::getpid()); }

void write_bytes_atomically(const std::string& shown, const std::string& target, const void* bytes,
                            std::size_t size) {
  const std::string tmp = temporary_of(target);
  // A leftover of an earlier process that had our pid; never followed.
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) fail_write(shown, target, tmp, "cannot create " + tmp, errno, false);
  const char* p = static_cast<const char*>(bytes);
  for (std::size_t left = size; left > 0;) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      fail_write(shown, target, tmp, "writing " + tmp, err, true);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  // close() is called once whatever it returns: after a failed close the
  // descriptor is gone, and closing it again could close someone else's.
  if (::close(fd) != 0) fail_write(shown, target, tmp, "closing " + tmp, errno, true);
  commit_temporary(shown, tmp, target);
}

void commit_temporary(const std::string& shown, const std::string& tmp, const std::string& target) {
  struct stat old {};
  if (::stat(target.c_str(), &old) == 0 && S_ISREG(old.st_mode)) ::chmod(tmp.c_str(), old.st_mode & 0777);
  // The data must be on disk before the name points at it, or a crash could
  // leave a complete-looking name over an empty file.
  const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) fail_write(shown, target, tmp, "opening " + tmp, errno, true);
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail_write(shown, target, tmp, "syncing " + tmp, err, true);
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), target.c_str()) != 0)
    fail_write(shown, target, tmp, "renaming " + tmp + " to " + target, errno, true);
  // Make the rename itself durable; a directory that cannot be synced is no error.
  const int dfd = ::open(directory_of(target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::vector<std::string> remove_stale_temporaries(const std::string& target, const std::vector<std::string>& keep) {
  const std::string name = fs::path(target).filename().string();
  const std::string prefixes[] = {name + ".tmp.", name + ".partial.tmp."};
  std::vector<std::string> removed;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(directory_of(target), ec)) {
    const std::string file = e.path().filename().string();
    for (const std::string& prefix : prefixes) {
      if (file.size() <= prefix.size() || file.compare(0, prefix.size(), prefix) != 0) continue;
      const std::string pid = file.substr(prefix.size());
      if (pid.size() > 9 || !std::all_of(pid.begin(), pid.end(), [](char c) { return c >= '0' && c <= '9'; }))
        continue;
      std::error_code sec;
      if (!e.is_regular_file(sec) || e.is_symlink(sec) || !pid_is_dead(std::stol(pid))) continue;
      if (std::any_of(keep.begin(), keep.end(), [&](const std::string& k) { return same_file(k, e.path()); }))
        continue;
      if (fs::remove(e.path(), sec)) removed.push_back(e.path().string());
    }
  }
  return removed;
}

OutputLock::OutputLock(const std::string& shown, const std::string& target) : path_(target + ".lock") {
  const std::string w = where(shown, target);
  // Retried when the file was removed or replaced between open and flock:
  // the lock must be on the file the name points at now.
  for (int attempt = 0; attempt < 16; ++attempt) {
    struct stat ls {};
    if (::lstat(path_.c_str(), &ls) == 0 && !S_ISREG(ls.st_mode))
      throw IoError("cannot write " + w + ": its lock file " + path_ + " is " +
                    (S_ISLNK(ls.st_mode) ? "a symbolic link" : special_kind(ls.st_mode)) + "; remove it");
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
    if (fd < 0) throw IoError("cannot write " + w + ": cannot create the lock file " + path_ + ": " + os_error(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      char buf[32] = {};
      const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
      std::string holder(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
      holder.erase(std::find(holder.begin(), holder.end(), '\n'), holder.end());
      ::close(fd);
      if (err == EWOULDBLOCK)
        throw IoError("cannot write " + w + ": another cimmc run" + (holder.empty() ? "" : " (pid " + holder + ")") +
                      " is writing it and holds " + path_ + "; wait for it to end or choose another -o");
      throw IoError("cannot write " + w + ": cannot lock " + path_ + ": " + os_error(err));
    }
    struct stat held {}, now {};
    if (::fstat(fd, &held) == 0 && ::lstat(path_.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
        held.st_ino == now.st_ino) {
      const std::string pid = std::to_string(::getpid()) + "\n";
      if (::ftruncate(fd, 0) == 0 && ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
        // The pid is only for the message of a second run; the lock holds without it.
      }
      fd_ = fd;
      return;
    }
    ::close(fd);
  }
  throw IoError("cannot write " + w + ": the lock file " + path_ + " keeps being replaced");
}

OutputLock::OutputLock(OutputLock&& o) noexcept : path_(std::move(o.path_)), fd_(std::exchange(o.fd_, -1)) {}

OutputLock& OutputLock::operator=(OutputLock&& o) noexcept {
  if (this != &o) {
    release();
    path_ = std::move(o.path_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

void OutputLock::release() noexcept {
  if (fd_ < 0) return;
  // Removed while still locked: a run that opened the old file before this
  // sees, once it gets the lock, that the name no longer points at it.
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

OutputClaim::OutputClaim(const std::string& path, const std::vector<NamedInput>& inputs)
    : target_(resolve_output(path)) {
  check_replaceable(path, target_);
  const std::string partial = target_ + ".partial", partial_target = resolve_output(partial);
  check_replaceable(partial, partial_target);
  for (const auto& [shown, file] : {std::pair{path, target_}, std::pair{partial, partial_target},
                                    std::pair{target_ + ".lock", target_ + ".lock"}})
    for (const NamedInput& in : inputs)
      if (same_file(file, in.path))
        throw IoError("cannot write " + where(shown, file) + ": it is the " + in.what + " " + in.path +
                      " (the same file), which the result would overwrite");
  lock_ = OutputLock(path, target_);
  std::vector<std::string> keep;
  for (const NamedInput& in : inputs) keep.push_back(in.path);
  removed_ = remove_stale_temporaries(target_, keep);
}

}  // namespace cimmc

// Reading files cimmc did not just write. libhdf5 itself crashes (segfaults,
// heap aborts) on some corrupt files, which no exception handler catches, and
// a corrupt size can ask for any allocation. So such a file is read first in a
// child process: a crash there becomes one IoError line (exit 4) here, and the
// parent reads the file only once a child has read it whole.
#pragma once
#include <functional>
#include <string>

namespace cimmc {

// What a child printed and how it ended.
struct ChildRun {
  int code = 0;          // exit status; 128 + signal when a signal ended it
  int signal = 0;        // the signal that ended it, 0 when it exited
  std::string out, err;  // its standard output and error
};

// Runs `body` in a forked child with its standard output and error captured.
// An IoError it throws is "cimmc: <what>" and exit 4; any other exception
// (bad_alloc from a corrupt size, and the like) is "cimmc: <path>: cannot be
// read (<what>): the file is corrupt" and exit 4. Without fork or pipes,
// `body` runs here and nothing is captured (ChildRun::code is its result).
ChildRun run_in_child(const std::string& path, const std::function<int()>& body);

// Runs `read` on `path` in a child first; IoError naming the file when the
// child crashed or failed (its message), nothing when it read it.
void check_readable(const std::string& path, const std::function<void()>& read);

}  // namespace cimmc

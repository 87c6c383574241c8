// Running a command (usually the cimmc binary) from a test: its exit code and
// what it printed (stdout and stderr together).
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace cimmc::test {

struct Ran {
  int code;         // exit status, -1 if killed by a signal
  std::string out;  // stdout and stderr together
};

// `cmd` as written: only what it sends to stdout is captured.
inline Ran shell_stdout(const std::string& cmd) {
  Ran r{-1, {}};
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
  const int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline Ran shell(const std::string& cmd) { return shell_stdout(cmd + " 2>&1"); }

// The cimmc binary under test with `args`.
inline Ran cimmc(const std::string& args) { return shell(std::string(CIMMC_BINARY) + " " + args); }

}  // namespace cimmc::test

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

// A small single-tile config (300 samples, a 32 x 64 macro) that runs in a
// fraction of a second: the CLI tests' standard input.
inline const char* kSmallTileYaml = R"(name: cli
run: {samples: 300, seed: 5, inputs_per_instance: 16}
macro:
  rows: 32
  cols: 64
  bits_per_cell: 2
  weight_encoding: differential
  adc: {bits: 5, range: full}
workload:
  tile: {rows_used: 32, cols_used: 4}
  inputs: {bits: 4, signed: false, distribution: {kind: relu_normal, std: 1.0, zero_fraction: 0.5}}
  weights: {bits: 4, signed: true, distribution: {kind: normal, std: 0.5}}
)";

// The cimmc binary under test with `args`.
inline Ran cimmc(const std::string& args) { return shell(std::string(CIMMC_BINARY) + " " + args); }

}  // namespace cimmc::test

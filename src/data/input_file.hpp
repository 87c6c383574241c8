// Input files a config names (the config itself, CiMLoop layer files,
// Distiller statistics, IDX images) are opened without blocking and accepted
// only when they are regular files: a FIFO would block the run forever and
// /dev/zero or /dev/urandom would never end. Text files are read up to a size
// limit. Callers turn InputFileError into their own error type.
#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace cimmc {

// what(): "cannot open PATH: REASON" (or "cannot read ..."); reason alone too.
struct InputFileError : std::runtime_error {
  InputFileError(const std::string& what, std::string why) : std::runtime_error(what), reason(std::move(why)) {}
  std::string reason;
};

// 64 MiB: the largest shipped text input (ResNet-50's Distiller statistics)
// is 0.2 MiB.
inline constexpr std::size_t kMaxInputText = std::size_t{64} << 20;

// A read-only descriptor of the regular file at `path` (the caller closes it);
// throws InputFileError "cannot open PATH: REASON" otherwise.
int open_regular_file(const std::string& path);

// The whole file, at most max_bytes.
std::string read_input_text(const std::string& path, std::size_t max_bytes = kMaxInputText);

}  // namespace cimmc

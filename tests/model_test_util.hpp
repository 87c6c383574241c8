// Running the per-instance model (kernels/macro_model.hpp) by hand in tests:
// one lane, as the CPU launcher runs an instance, and a bound workspace.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/job_builder.hpp"
#include "macro_model.hpp"

namespace cimmc::test {

struct OneLane {
  int lane() const { return 0; }
  int nlanes() const { return 1; }
  void sync() const {}
  void add(std::uint64_t* p, std::uint64_t n) const { *p += n; }
};

// A job's scratch memory, cache-line aligned, and its Workspace over it.
struct BoundWorkspace {
  std::vector<char> bytes;
  Workspace ws{};
  explicit BoundWorkspace(const JobView& v) : bytes(bind_workspace(v, nullptr, nullptr) + 64) {
    char* base = reinterpret_cast<char*>((reinterpret_cast<std::uintptr_t>(bytes.data()) + 63) & ~std::uintptr_t(63));
    bind_workspace(v, base, &ws);
  }
};

}  // namespace cimmc::test

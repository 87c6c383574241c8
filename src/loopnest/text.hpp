// Message building shared by the loopnest checks (internal to the module).
#pragma once
#include <concepts>
#include <string>
#include <string_view>

#include "loopnest/hierarchy.hpp"

namespace cimmc::loopnest::text {

// Appends piece by piece: chained std::string operator+ trips a false
// -Wrestrict in g++ 12 -O3 (as in config/rules.cpp).
inline void append(std::string& s, std::string_view v) { s += v; }
inline void append(std::string& s, char c) { s += c; }
template <std::integral T>
  requires(!std::same_as<T, char> && !std::same_as<T, bool>)
void append(std::string& s, T v) {
  s += std::to_string(v);
}

template <class... A>
std::string cat(const A&... a) {
  std::string s;
  (append(s, a), ...);
  return s;
}

// "level 2 'GLB'" (or "level 2" for an unnamed level): how every message names a level.
inline std::string level_label(const Hierarchy& h, int i) {
  const std::string& n = h.levels[std::size_t(i)].name;
  return n.empty() ? cat("level ", i) : cat("level ", i, " '", n, "'");
}

}  // namespace cimmc::loopnest::text

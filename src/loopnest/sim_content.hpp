// The simulator's explicit content model (internal to loopnest/): what one
// instance of a level holds. A tile is a half-open range per dimension; the
// element ids index the full tensors (in[m][k], w[k][n], out[m][n]) so the
// simulator can count distinct elements without knowing tiles are blocks.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "loopnest/problem.hpp"

namespace cimmc::loopnest::sim {

using Coord = std::array<std::int64_t, kDims>;

// What one instance of a level holds of one operand.
struct Held {
  bool valid = false;
  Coord lo{}, hi{};  // only the operand's dimensions matter
};

struct Instance {
  std::array<Held, kOperands> held;
  std::vector<char> written;               // outputs: element written since the tile arrived
  std::vector<std::int64_t> written_list;  // the same elements, in arrival order
};

inline std::int64_t element(const GemmShape& s, Operand op, const Coord& c) {
  switch (op) {
    case Operand::inputs: return c[0] * s.K + c[1];
    case Operand::weights: return c[1] * s.N + c[2];
    case Operand::outputs: return c[0] * s.N + c[2];
  }
  return 0;
}

inline bool inside(Operand op, const Held& held, const Coord& c) {
  for (std::size_t d = 0; d < kDims; ++d)
    if (relevant(op, int(d)) && (c[d] < held.lo[d] || c[d] >= held.hi[d])) return false;
  return held.valid;
}

inline bool same_tile(Operand op, const Held& a, const Held& b) {
  if (!a.valid || !b.valid) return false;
  for (std::size_t d = 0; d < kDims; ++d)
    if (relevant(op, int(d)) && (a.lo[d] != b.lo[d] || a.hi[d] != b.hi[d])) return false;
  return true;
}

inline std::int64_t words(Operand op, const Held& t) {
  std::int64_t w = 1;
  for (std::size_t d = 0; d < kDims; ++d)
    if (relevant(op, int(d))) w *= t.hi[d] - t.lo[d];
  return w;
}

// Calls f(coordinates) for every element of op's tile `t` (irrelevant dimension 0).
template <class F>
void for_each(Operand op, const Held& t, F f) {
  auto from = [&](int d) { return relevant(op, d) ? t.lo[std::size_t(d)] : 0; };
  auto to = [&](int d) { return relevant(op, d) ? t.hi[std::size_t(d)] : 1; };
  Coord c{};
  for (c[0] = from(0); c[0] < to(0); ++c[0])
    for (c[1] = from(1); c[1] < to(1); ++c[1])
      for (c[2] = from(2); c[2] < to(2); ++c[2]) f(c);
}

}  // namespace cimmc::loopnest::sim

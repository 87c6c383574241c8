// The simulator's explicit content model (internal to loopnest/): what one
// instance of a level holds. A tile is a box of loop indices (per dimension a
// half-open range); what it holds is that box's footprint in the operand's
// tensor, a window of tensor coordinates:
//   inputs [g][n][c][h][w]  h from p*stride_h + r*dilation_h (the hull: every
//                           row from the first to the last the box reads)
//   weights [g][m][c][r][s], outputs [g][n][m][p][q]
// Element ids index the full tensors, so the simulator counts distinct
// elements and finds reuse by content, without knowing how tiles move.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "loopnest/problem.hpp"

namespace cimmc::loopnest::sim {

using Coord = std::array<std::int64_t, kDims>;  // loop indices, by Dim
inline constexpr int kRank = 5;                 // every operand is a 5-D tensor
using Tensor = std::array<std::int64_t, kRank>;

// A window of one operand's tensor held by an instance.
struct Held {
  bool valid = false;
  Tensor lo{}, hi{};
  friend bool operator==(const Held&, const Held&) = default;
};

struct Instance {
  std::array<Held, kOperands> held;
  std::vector<char> written;               // outputs: element written since the tile arrived
  std::vector<std::int64_t> written_list;  // the same elements, in arrival order
};

// The operand's tensor sizes, in the order its window uses.
inline Tensor tensor_size(const ConvShape& s, Operand op) {
  switch (op) {
    case Operand::inputs: return {s.G, s.N, s.C, s.input_h(), s.input_w()};
    case Operand::weights: return {s.G, s.M, s.C, s.R, s.S};
    case Operand::outputs: return {s.G, s.N, s.M, s.P, s.Q};
  }
  return {};
}

// The window the loop-index box [lo, hi) touches in op's tensor.
inline Held footprint(const ConvShape& s, Operand op, const Coord& lo, const Coord& hi) {
  auto box = [&](Dim d) { return std::array<std::int64_t, 2>{lo[std::size_t(d)], hi[std::size_t(d)]}; };
  // Rows: from the first row (p_lo, r_lo) reads to the last (p_hi-1, r_hi-1) does.
  auto slide = [&](Dim p, Dim r, std::int64_t stride, std::int64_t dilation) {
    return std::array<std::int64_t, 2>{lo[std::size_t(p)] * stride + lo[std::size_t(r)] * dilation,
                                       (hi[std::size_t(p)] - 1) * stride + (hi[std::size_t(r)] - 1) * dilation + 1};
  };
  std::array<std::array<std::int64_t, 2>, kRank> r{};
  switch (op) {
    case Operand::inputs:
      r = {box(Dim::G), box(Dim::N), box(Dim::C), slide(Dim::P, Dim::R, s.stride_h, s.dilation_h),
           slide(Dim::Q, Dim::S, s.stride_w, s.dilation_w)};
      break;
    case Operand::weights: r = {box(Dim::G), box(Dim::M), box(Dim::C), box(Dim::R), box(Dim::S)}; break;
    case Operand::outputs: r = {box(Dim::G), box(Dim::N), box(Dim::M), box(Dim::P), box(Dim::Q)}; break;
  }
  Held t;
  t.valid = true;
  for (int k = 0; k < kRank; ++k) {
    t.lo[std::size_t(k)] = r[std::size_t(k)][0];
    t.hi[std::size_t(k)] = r[std::size_t(k)][1];
  }
  return t;
}

inline std::int64_t element(const Tensor& size, const Tensor& c) {
  std::int64_t e = 0;
  for (int k = 0; k < kRank; ++k) e = e * size[std::size_t(k)] + c[std::size_t(k)];
  return e;
}
inline Tensor coordinates(const Tensor& size, std::int64_t e) {
  Tensor c{};
  for (int k = kRank; k-- > 0;) {
    c[std::size_t(k)] = e % size[std::size_t(k)];
    e /= size[std::size_t(k)];
  }
  return c;
}

inline bool inside(const Held& held, const Tensor& c) {
  for (std::size_t k = 0; k < kRank; ++k)
    if (c[k] < held.lo[k] || c[k] >= held.hi[k]) return false;
  return held.valid;
}

inline std::int64_t words(const Held& t) {
  std::int64_t w = 1;
  for (std::size_t k = 0; k < kRank; ++k) w *= t.hi[k] - t.lo[k];
  return w;
}

// Calls f(coordinates) for every element of window `t`.
template <class F>
void for_each(const Held& t, F f) {
  Tensor c = t.lo;
  if (words(t) <= 0) return;
  for (;;) {
    f(c);
    int k = kRank - 1;
    while (k >= 0 && ++c[std::size_t(k)] == t.hi[std::size_t(k)]) {
      c[std::size_t(k)] = t.lo[std::size_t(k)];
      --k;
    }
    if (k < 0) return;
  }
}

}  // namespace cimmc::loopnest::sim

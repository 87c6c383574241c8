// Shared by the MIP mapper tests (test_mipmap.cpp, test_mip_edp.cpp): a
// macro-like hierarchy and shape-dependent macro figures.
#pragma once
#include <cmath>

#include "loopnest_search_util.hpp"

namespace mip_test {

using namespace loopnest_search_test;

// DRAM -> buffer (per-operand words, not double-buffered: swaps stall) -(2 x 4:
// reduction rows x output columns)-> macro (weights) -> compute; bus links.
inline Hierarchy macro_like() {
  Hierarchy h{{lvl("DRAM", 8, 8, 16, Capacity::unbounded(), {true, true, true}),
               lvl("Buf", 0.5, 0.6, 32, Capacity::per_operand(8, 0, 6), {true, false, true}),
               lvl("Macro", 0.1, 0.2, 0, Capacity::per_operand(0, 8, 0), {false, true, false})},
              1.0};
  h.levels[0].set_fanout(2);
  h.levels[0].link.hop_pj_per_bit = 0.4;
  h.levels[1].link.hop_pj_per_bit = 0.1;
  h.levels[1].link.bandwidth_bits_per_cycle = 64;
  h.levels[2].fanout = {FanoutAxis{2, 1u << int(Dim::C) | 1u << int(Dim::R)}, FanoutAxis{4, 1u << int(Dim::M)}};
  return h;
}

// Job figures that depend on the shape (as a macro's do), so the shape choice matters.
inline JobFigures figures(const TileJob& j) {
  double rows = 1, cols = 1;
  for (int d : {int(Dim::C), int(Dim::R), int(Dim::S)}) rows *= double(j.shape[std::size_t(d)]);
  cols = double(j.shape[std::size_t(Dim::M)]);
  return {3 + 0.5 * rows * cols + 0.25 * cols, 1 + std::ceil(std::log2(rows))};
}

// A 1x1 conv at stride 2 over a 4 x 2 output, 2 input channels: input
// windows of (p - 1) x 2 + 1 rows (columns) that skip every other one.
inline ConvShape strided_1x1(std::int64_t m) {
  ConvShape s;
  s.C = 2;
  s.M = m;
  s.P = 4;
  s.Q = 2;
  s.stride_h = s.stride_w = 2;
  return s;
}

}  // namespace mip_test

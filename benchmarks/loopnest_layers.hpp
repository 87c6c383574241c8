// ResNet-18 layers and the CiM hierarchy shared by the loop-nest benchmarks
// (bench_loopnest.cpp, bench_loopnest_search.cpp), so both measure the same
// workload on the same machine model.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "loopnest/loopnest.hpp"

namespace loopnest_bench {

using namespace cimmc::loopnest;

inline ConvShape conv(std::int64_t c, std::int64_t m, std::int64_t p, std::int64_t r, std::int64_t stride) {
  ConvShape s;
  s.C = c;
  s.M = m;
  s.P = s.Q = p;
  s.R = s.S = r;
  s.stride_h = s.stride_w = stride;
  return s;
}

// ResNet-18, batch 1: 0 conv1 7x7/2 3->64 at 112x112, 1 conv2_x 3x3 64->64
// at 56x56, 2 conv3_1 3x3/2 64->128 at 28x28, 3 conv4_x 3x3 256->256 at
// 14x14, 4 conv5_x 3x3 512->512 at 7x7, 5 downsample 1x1/2 128->256 at
// 14x14, 6 fc 512->1000; and the six GEMMs im2col lowers conv1, conv2_x ..
// conv5_x and fc to.
inline const ConvShape kLayers[] = {conv(3, 64, 112, 7, 2),   conv(64, 64, 56, 3, 1),  conv(64, 128, 28, 3, 2),
                                    conv(256, 256, 14, 3, 1), conv(512, 512, 7, 3, 1), conv(128, 256, 14, 1, 2),
                                    gemm(1, 512, 1000)};
inline const ConvShape kIm2col[] = {gemm(12544, 147, 64), gemm(3136, 576, 64), gemm(784, 1152, 128),
                                    gemm(196, 2304, 256), gemm(49, 4608, 512), gemm(1, 512, 1000)};

inline StorageLevel make_level(const char* name, std::int64_t fanout, std::array<bool, 3> holds, Capacity cap) {
  StorageLevel l;
  l.name = name;
  l.set_fanout(fanout);
  l.holds = holds;
  l.capacity = cap;
  return l;
}

// DRAM -> global buffer (64 Ki words, 4 tiles) -> tile buffer (8 Ki words,
// inputs and outputs only, 4 macros) -> macro (128-word input register,
// 128 x 32 weight cells, 32 accumulators; its array spreads the reduction
// C, R, S over 128 rows and output channels M over 32 columns: two fan-out
// axes).
inline Hierarchy cim_hierarchy() {
  Hierarchy h{{make_level("DRAM", 1, {true, true, true}, Capacity::unbounded()),
               make_level("GLB", 4, {true, true, true}, Capacity::shared(65536)),
               make_level("TileBuf", 4, {true, false, true}, Capacity::shared(8192)),
               make_level("Macro", 1, {true, true, true}, Capacity::per_operand(128, 4096, 32))}};
  const DimMask rows = 1u << int(Dim::C) | 1u << int(Dim::R) | 1u << int(Dim::S);
  h.levels[3].fanout = {FanoutAxis{128, rows}, FanoutAxis{32, 1u << int(Dim::M)}};
  return h;
}

// Built piece by piece: chained operator+ trips a false -Wrestrict in g++ 12.
inline std::string label(const ConvShape& g) {
  std::string s;
  for (int d = 0; d < kDims; ++d)
    if (g.size(d) != 1) {
      if (!s.empty()) s += ' ';
      s += dim_name(d);
      s += std::to_string(g.size(d));
    }
  if (g.stride_h != 1) {
    s += " /";
    s += std::to_string(g.stride_h);
  }
  return s;
}

}  // namespace loopnest_bench

// Shared by the mapspace and search tests (test_loopnest_mapspace.cpp,
// test_loopnest_search.cpp): a small priced hierarchy, a GEMM and a real conv
// small enough to brute-force, and the brute force itself.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "loopnest/cost.hpp"
#include "loopnest/loopnest.hpp"

namespace loopnest_search_test {

using namespace cimmc::loopnest;

inline StorageLevel lvl(const char* name, double rpj, double wpj, double bw, Capacity cap, std::array<bool, 3> holds) {
  StorageLevel l;
  l.name = name;
  for (PortEnergy& e : l.energy) e = {rpj, wpj};
  l.bandwidth_bits_per_cycle = bw;
  l.capacity = cap;
  l.holds = holds;
  return l;
}

// DRAM -(2 instances, bus)-> GLB (24 words, double-buffered, no weights)
// -(2x2 mesh: C x M)-> Reg (2 words per operand) -> compute.
inline Hierarchy small() {
  Hierarchy h{{lvl("DRAM", 10, 12, 64, Capacity::unbounded(), {true, true, true}),
               lvl("GLB", 1, 1.5, 16, Capacity::shared(24), {true, false, true}),
               lvl("Reg", 0.1, 0.2, 0, Capacity::per_operand(2, 2, 2), {true, true, true})},
              1.0};
  h.levels[0].set_fanout(2);
  h.levels[0].link.hop_pj_per_bit = 0.5;
  h.levels[1].fanout = {FanoutAxis{2, 1u << int(Dim::C)}, FanoutAxis{2, 1u << int(Dim::M)}};
  h.levels[1].link = {Topology::mesh, 2, 2, 0.3, 8};
  h.levels[1].double_buffered = true;
  return h;
}

inline CostParams prices() {
  CostParams p;
  p.bits = {8, 4, 16, 8};
  p.job_energy_pj = 2;
  return p;
}

// A GEMM (m 4, k 4, n 2: the conv N 4, C 4, M 2) and a real conv small
// enough for the brute force: 2 input channels, 3x3 filter at stride 2,
// 2x1 outputs (a 5x3 input window); its varying dims C, P, R, S exercise
// the sliding-window order classes (mapspace.hpp PRUNING).
inline const ConvShape kGemm = GemmShape{4, 4, 2};
inline ConvShape small_conv() {
  ConvShape s;
  s.C = 2;
  s.P = 2;
  s.R = s.S = 3;
  s.stride_h = s.stride_w = 2;
  return s;
}
inline const ConvShape kConv = small_conv();
inline const std::array<ConvShape, 2> kShapes{kGemm, kConv};

struct Outcome {
  double pj, ns;
  auto operator<=>(const Outcome&) const = default;
};
using Factors = std::vector<std::int64_t>;  // temporal then spatial factors, level by level

inline Factors factors(const LoopNest& n) {
  Factors f;
  for (const LevelLoops& l : n.levels) {
    f.insert(f.end(), l.temporal.begin(), l.temporal.end());
    f.insert(f.end(), l.spatial.begin(), l.spatial.end());
  }
  return f;
}

// Every split of every dimension into divisors at every (level, temporal or
// spatial) slot, every loop order at every level; mapping_error decides.
// Orders permute only the dims whose layer size is > 1: a loop of bound 1
// is a no-op by definition (loopnest.hpp: a time step is a combination of
// the loop indices, and a bound-1 loop has one index), so where it sits
// cannot change any count; the others stay in kDimOrder in front. A split is
// checked with the identity orders first (fan-outs and capacities do not
// depend on orders) so that only legal splits pay for the orders; with
// `all_orders` false, each legal split is visited once, in those orders.
inline void brute_force(const Hierarchy& h, const ConvShape& g, const std::function<void(const LoopNest&)>& legal,
                        bool all_orders = true) {
  const int L = h.size();
  LoopNest n;
  n.levels.resize(std::size_t(L));
  std::vector<Dim> varying, fixed;
  for (Dim d : kDimOrder) (g.size(int(d)) > 1 ? varying : fixed).push_back(d);
  std::vector<std::array<Dim, kDims>> perms;
  std::vector<Dim> p = varying;
  do {
    std::array<Dim, kDims> o{};
    std::size_t k = 0;
    for (Dim d : fixed) o[k++] = d;
    for (Dim d : p) o[k++] = d;
    perms.push_back(o);
  } while (std::next_permutation(p.begin(), p.end(), [](Dim a, Dim b) { return int(a) < int(b); }));
  std::function<void(int)> orders = [&](int i) {
    if (i == L) {
      if (mapping_error(h, g, n).empty()) legal(n);
      return;
    }
    for (const auto& o : perms) {
      n.levels[std::size_t(i)].order = o;
      orders(i + 1);
    }
  };
  std::function<void(std::size_t, int, std::int64_t)> split = [&](std::size_t v, int slot, std::int64_t rest) {
    if (v == varying.size()) {
      if (!mapping_error(h, g, n).empty()) return;
      if (!all_orders) return legal(n);
      orders(0);
      for (LevelLoops& l : n.levels) l.order = kDimOrder;
      return;
    }
    const int d = int(varying[v]);
    if (slot == 2 * L) {
      if (rest == 1) split(v + 1, 0, v + 1 < varying.size() ? g.size(int(varying[v + 1])) : 1);
      return;
    }
    LevelLoops& l = n.levels[std::size_t(slot / 2)];
    std::int64_t& f = (slot % 2 ? l.spatial : l.temporal)[std::size_t(d)];
    for (std::int64_t x = 1; x <= rest; ++x)
      if (rest % x == 0) {
        f = x;
        split(v, slot + 1, rest / x);
      }
    f = 1;
  };
  split(0, 0, varying.empty() ? 1 : g.size(int(varying[0])));
}

}  // namespace loopnest_search_test

// Helpers shared by the loop-nest tests (test_loopnest*.cpp): small
// hierarchies, loops written in GEMM terms, and the analytic-vs-simulator
// comparison with readable failures.
#pragma once
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>

#include "loopnest/loopnest.hpp"

namespace loopnest_test {

using namespace cimmc::loopnest;

inline constexpr Operand I = Operand::inputs, W = Operand::weights, O = Operand::outputs;
// A GEMM's dimensions as the conv's (problem.hpp): rows m are the batch N,
// the reduction k is C, columns n are the output channels M.
inline constexpr Dim gM = Dim::N, gK = Dim::C, gN = Dim::M;

inline StorageLevel level(const std::string& name, std::int64_t fanout = 1,
                          std::array<bool, 3> holds = {true, true, true}, Capacity cap = Capacity::unbounded()) {
  StorageLevel l;
  l.name = name;
  l.holds = holds;
  l.capacity = cap;
  l.set_fanout(fanout);
  return l;
}

// Factors by Dim from (dim, factor) pairs; every other dim 1.
inline std::array<std::int64_t, kDims> factors(std::initializer_list<std::pair<Dim, std::int64_t>> f) {
  std::array<std::int64_t, kDims> a = kUnitFactors;
  for (auto [d, v] : f) a[std::size_t(d)] = v;
  return a;
}
// GEMM factors {m, k, n} by Dim.
inline std::array<std::int64_t, kDims> gemm_factors(std::array<std::int64_t, 3> mkn) {
  return factors({{gM, mkn[0]}, {gK, mkn[1]}, {gN, mkn[2]}});
}

// A loop order that starts with `first` (distinct dims, outermost first); the
// other dims follow in kDimOrder.
template <std::size_t n>
std::array<Dim, kDims> order(std::array<Dim, n> first) {
  static_assert(n <= kDims);
  std::array<Dim, kDims> o{};
  std::size_t k = 0;
  for (Dim d : first) o[k++] = d;
  for (Dim d : kDimOrder) {
    bool named = false;
    for (Dim f : first) named = named || f == d;
    if (!named && k < kDims) o[k++] = d;
  }
  return o;
}

// One level's loops in GEMM terms: temporal {m, k, n}, the GEMM dims' order
// outermost first (gM, gK, gN), spatial {m, k, n}.
inline LevelLoops loops(std::array<std::int64_t, 3> t, std::array<Dim, 3> o,
                        std::array<std::int64_t, 3> s = {1, 1, 1}) {
  return {gemm_factors(t), order(o), gemm_factors(s)};
}

// Field-by-field comparison with readable failures (operator== says only "differ").
inline void expect_same(const NestCounts& a, const NestCounts& s, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_EQ(a.levels, s.levels);
  for (int i = 0; i < a.levels; ++i) {
    EXPECT_EQ(a.level[std::size_t(i)].instances, s.level[std::size_t(i)].instances) << "level " << i;
    for (Operand op : kAllOperands) {
      const AccessCounts &x = a.at(i, op), &y = s.at(i, op);
      const std::string where = "level " + std::to_string(i) + " " + operand_name(op);
      EXPECT_EQ(a.level[std::size_t(i)].tile_words[std::size_t(op)], s.level[std::size_t(i)].tile_words[std::size_t(op)])
          << where << " tile_words";
      EXPECT_EQ(x.fills, y.fills) << where << " fills";
      EXPECT_EQ(x.reads, y.reads) << where << " reads";
      EXPECT_EQ(x.updates, y.updates) << where << " updates";
      EXPECT_EQ(x.drains, y.drains) << where << " drains";
    }
  }
  EXPECT_EQ(a.macs, s.macs);
  EXPECT_EQ(a.time_steps, s.time_steps);
  EXPECT_EQ(a.job.shape, s.job.shape);
  EXPECT_EQ(a.job.runs, s.job.runs);
  EXPECT_TRUE(a == s);
}

// Analytic model, checked against the simulator, returned for hand checks.
inline NestCounts counts(const Hierarchy& h, const ConvShape& g, const LoopNest& n) {
  NestCounts a = analyze(h, g, n);
  expect_same(a, simulate(h, g, n), describe(h, n));
  return a;
}

inline void expect_access(const NestCounts& c, int lvl, Operand op, std::int64_t fills, std::int64_t reads,
                          std::int64_t updates, std::int64_t drains) {
  SCOPED_TRACE("level " + std::to_string(lvl) + " " + operand_name(op));
  EXPECT_EQ(c.at(lvl, op).fills, fills);
  EXPECT_EQ(c.at(lvl, op).reads, reads);
  EXPECT_EQ(c.at(lvl, op).updates, updates);
  EXPECT_EQ(c.at(lvl, op).drains, drains);
}

inline Hierarchy two_levels(std::int64_t dram_fanout = 1, std::array<bool, 3> buf_holds = {true, true, true}) {
  return {{level("DRAM", dram_fanout), level("Buf", 1, buf_holds)}};
}

}  // namespace loopnest_test

// Latency with bandwidth stalls (loopnest/cost.hpp LATENCY) against the
// brute-force simulator's lockstep timing (simulate.hpp simulate_cycles),
// which finds each step's traffic by walking it. cost.hpp averages traffic
// over instances and over the run; the walk takes the busiest instance of
// each step. So on random (layer, hierarchy, mapping) triples with random
// bandwidths and double buffering the analytic cycles are a lower bound of
// the walk's, and on single-step nests over balanced instances they are
// equal. A hand case pins the walk's own rule.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "loopnest/loopnest.hpp"
#include "loopnest_test_util.hpp"

using namespace loopnest_test;

namespace {

constexpr double kBits = 8, kCyclesPerRun = 3;

// Every word kBits wide, so the analytic model prices bits as the walk does.
double analytic_cycles(const Hierarchy& h, const ConvShape& s, const LoopNest& n, double cycles_per_run = kCyclesPerRun) {
  CostParams p;
  p.bits = {kBits, kBits, kBits, kBits};
  p.cycles_per_run = cycles_per_run;
  return cost(h, s, n, analyze(h, s, n), p).cycles;
}

// 1-4 levels, random bypass and fan-outs; each level a bandwidth of 0
// (unlimited) or 1-64 bits per cycle, double-buffered or not.
Hierarchy random_timed_hierarchy(std::mt19937_64& rng) {
  static const std::int64_t fanouts[] = {1, 1, 2, 3, 4, 6};
  static const double bandwidths[] = {0, 1, 4, 8, 24, 64};
  Hierarchy h;
  const int L = 1 + int(rng() % 4);
  for (int i = 0; i < L; ++i) {
    std::string name = "L";  // appended: g++ 12 warns falsely (-Wrestrict) on "L" + ...
    name += std::to_string(i);
    StorageLevel l = level(name, fanouts[rng() % 6]);
    if (i > 0)
      for (bool& k : l.holds) k = rng() % 10 < 7;
    l.bandwidth_bits_per_cycle = bandwidths[rng() % 6];
    l.double_buffered = rng() % 2 == 0;
    h.levels.push_back(l);
  }
  return h;
}

ConvShape random_small_conv(std::mt19937_64& rng) {
  static const std::int64_t small[] = {1, 2, 3, 4}, rows[] = {1, 2, 3, 4}, taps[] = {1, 2, 3};
  ConvShape s;
  do {
    s.N = 1 + std::int64_t(rng() % 2);
    s.M = small[rng() % 4];
    s.C = small[rng() % 4];
    s.P = rows[rng() % 4];
    s.Q = rows[rng() % 4];
    s.R = taps[rng() % 3];
    s.S = taps[rng() % 3];
    s.stride_h = 1 + std::int64_t(rng() % 2);
    s.dilation_w = 1 + std::int64_t(rng() % 2);
  } while (s.macs() > 600);
  return s;
}

}  // namespace

// A hand case: DRAM (8 bits/cycle: one 8-bit word per cycle) -> Buf
// (keeps inputs only) x2 compute units; GEMM m=2 k=2 n=1 with k spatial
// over the two units and m temporal in Buf, so Buf's tile is the whole input.
// Step 1: Buf fills 4 inputs (4 DRAM reads), the units read 2 inputs from
// Buf and 2 weights from DRAM (k differs: two destinations), and 1 output
// update reaches DRAM (reduced across k). Step 2: the same without the fill.
// DRAM words per step: 7, then 3.
TEST(LoopNestLatency, HandCaseLockstep) {
  Hierarchy h{{level("DRAM"), level("Buf", 2, {true, false, false})}, 1.0};
  h.levels[0].bandwidth_bits_per_cycle = 8;
  const ConvShape s = gemm(2, 2, 1);
  LoopNest n;
  n.levels.resize(2);
  n.levels[1].temporal[std::size_t(gM)] = 2;
  n.levels[1].spatial[std::size_t(gK)] = 2;
  ASSERT_EQ(mapping_error(h, s, n), "");
  // 3 cycles per run: DRAM bounds both steps, 7 + 3 = 10 = its 10 words.
  EXPECT_DOUBLE_EQ(simulate_cycles(h, s, n, kBits, 3), 10.0);
  EXPECT_DOUBLE_EQ(analytic_cycles(h, s, n, 3), 10.0);
  // 5 cycles per run: max(5, 7) + max(5, 3) = 12 walked; the analytic model
  // spreads DRAM's 10 words over the run: max(2 x 5, 10) = 10.
  EXPECT_DOUBLE_EQ(simulate_cycles(h, s, n, kBits, 5), 12.0);
  EXPECT_DOUBLE_EQ(analytic_cycles(h, s, n, 5), 10.0);
  // Buf at 2 bits/cycle (4 cycles a word), not double-buffered: step 1 moves
  // 4 fills + 2 reads through it (24 cycles) and stalls for its fills (16):
  // 40; step 2, 2 reads: 8. Walked 48; analytic max(6, 10, 32) + 16 = 48.
  h.levels[1].bandwidth_bits_per_cycle = 2;
  EXPECT_DOUBLE_EQ(simulate_cycles(h, s, n, kBits, 3), 48.0);
  EXPECT_DOUBLE_EQ(analytic_cycles(h, s, n, 3), 48.0);
  h.levels[1].double_buffered = true;  // the fills overlap: 24 + 8
  EXPECT_DOUBLE_EQ(simulate_cycles(h, s, n, kBits, 3), 32.0);
  EXPECT_DOUBLE_EQ(analytic_cycles(h, s, n, 3), 32.0);
}

// 1,000 random triples: analytic <= walked, both >= compute; how far apart
// they are is printed (the README quotes it).
TEST(LoopNestLatency, AnalyticIsALowerBoundOfTheWalk) {
  std::mt19937_64 rng(20261204);
  std::vector<double> ratio;
  int stalled = 0, serial = 0;
  for (int k = 0; k < 1000; ++k) {
    const ConvShape s = random_small_conv(rng);
    const Hierarchy h = random_timed_hierarchy(rng);
    const LoopNest n = random_nest(rng, h, s);
    ASSERT_EQ(mapping_error(h, s, n), "");
    const double a = analytic_cycles(h, s, n), w = simulate_cycles(h, s, n, kBits, kCyclesPerRun);
    const double compute = double(analyze(h, s, n).time_steps) * kCyclesPerRun;
    ASSERT_LE(a, w * (1 + 1e-12)) << k << ": " << describe(h, n);
    EXPECT_GE(a, compute * (1 - 1e-12));
    stalled += a > compute * (1 + 1e-9);
    for (const StorageLevel& l : h.levels) serial += !l.double_buffered && l.bandwidth_bits_per_cycle > 0;
    ratio.push_back(w / a);
  }
  EXPECT_GT(stalled, 300);  // bandwidth, not compute, sets most of them
  EXPECT_GT(serial, 300);
  std::sort(ratio.begin(), ratio.end());
  std::printf("walked / analytic cycles over 1000 triples: median %.4f, 90th percentile %.4f, max %.4f; %d "
              "bandwidth-bound\n",
              ratio[500], ratio[900], ratio.back(), stalled);
}

// One time step over balanced instances: nothing to average, so the two are
// equal. Each dimension goes whole to the spatial loops of a random level,
// whose fan-out is sized to hold them.
TEST(LoopNestLatency, SingleStepNestsAreExact) {
  std::mt19937_64 rng(7);
  int compared = 0, bound = 0;
  for (int k = 0; k < 300; ++k) {
    const ConvShape s = random_small_conv(rng);
    Hierarchy h = random_timed_hierarchy(rng);
    LoopNest n;
    n.levels.resize(std::size_t(h.size()));
    for (int d = 0; d < kDims; ++d) n.levels[rng() % std::size_t(h.size())].spatial[std::size_t(d)] = s.size(d);
    for (int i = 0; i < h.size(); ++i) {
      std::int64_t f = 1;
      for (std::int64_t x : n.levels[std::size_t(i)].spatial) f *= x;
      h.levels[std::size_t(i)].set_fanout(f);
    }
    ASSERT_EQ(mapping_error(h, s, n), "");
    const double a = analytic_cycles(h, s, n), w = simulate_cycles(h, s, n, kBits, kCyclesPerRun);
    EXPECT_NEAR(a, w, 1e-9 * w) << k << ": " << describe(h, n);
    bound += a > kCyclesPerRun * (1 + 1e-9);
    ++compared;
  }
  EXPECT_EQ(compared, 300);
  EXPECT_GT(bound, 100);
}

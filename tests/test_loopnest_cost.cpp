// Loop-nest cost model (src/loopnest/cost.hpp, routes.hpp): every energy and
// latency term against hand computation on small nests, and the route-tree
// link counts against an independent union of explicit links.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <utility>

#include "loopnest/cost.hpp"
#include "loopnest/loopnest.hpp"
#include "loopnest/routes.hpp"
#include "loopnest_test_util.hpp"

using namespace cimmc::loopnest;
using namespace loopnest_test;

namespace {

constexpr std::size_t iI = 0, iW = 1, iO = 2;

StorageLevel priced(const std::string& name, double read_pj, double write_pj) {
  StorageLevel l;
  l.name = name;
  for (PortEnergy& e : l.energy) e = {read_pj, write_pj};
  return l;
}

CostParams params() {
  CostParams p;
  p.bits = {8, 4, 20, 6};  // inputs, weights, psums, outputs
  p.job_energy_pj = 3.5;
  return p;
}

// Two levels of GEMM loops (loopnest_test_util.hpp: {m, k, n} factors, the
// GEMM's dims as the conv's N, C, M).
LoopNest nest2(std::array<std::int64_t, 3> t0, std::array<Dim, 3> o0, std::array<std::int64_t, 3> t1,
               std::array<std::int64_t, 3> s0 = {1, 1, 1}) {
  return {{loops(t0, o0, s0), loops(t1, {gM, gK, gN})}};
}

// DRAM (read 2, write 3 pJ/bit) -> Buf (read 0.5, write 0.25) -> compute, GEMM 2x3x4.
Hierarchy dram_buf() { return {{priced("DRAM", 2, 3), priced("Buf", 0.5, 0.25)}, 1.0}; }
const GemmShape kG{2, 3, 4};

}  // namespace

// Every loop at DRAM, N innermost: Buf holds one element of each operand.
// Counts (loopnest.hpp rules): inputs change with M,K: 6 fills; weights and
// outputs with every step: 24. All 24 output drains are partial sums.
TEST(LoopNestCost, StorageEnergyByHand) {
  const Hierarchy h = dram_buf();
  const LoopNest n = nest2({2, 3, 4}, {gM, gK, gN}, {1, 1, 1});
  const NestCounts c = analyze(h, kG, n);
  ASSERT_EQ(c.at(1, I).fills, 6);
  ASSERT_EQ(c.at(1, W).fills, 24);
  ASSERT_EQ(c.at(1, O).drains, 24);
  ASSERT_EQ(c.at(0, O).reads, 16);
  const NestCost e = cost(h, kG, n, c, params());
  EXPECT_DOUBLE_EQ(e.level_pj[0][iI], 6 * 8 * 2.0);
  EXPECT_DOUBLE_EQ(e.level_pj[0][iW], 24 * 4 * 2.0);
  EXPECT_DOUBLE_EQ(e.level_pj[0][iO], 16 * 20 * 2.0 + 24 * 20 * 3.0);  // RMW reads + updates, partial
  EXPECT_DOUBLE_EQ(e.level_pj[1][iI], 6 * 8 * 0.25 + 24 * 8 * 0.5);
  EXPECT_DOUBLE_EQ(e.level_pj[1][iW], 24 * 4 * 0.25 + 24 * 4 * 0.5);
  EXPECT_DOUBLE_EQ(e.level_pj[1][iO], 24 * 20 * 0.25 + 24 * 20 * 0.5);  // updates + drains, partial
  EXPECT_DOUBLE_EQ(e.macro_pj, 24 * 3.5);
  double links = 0, levels = 0;
  for (int i = 0; i < 2; ++i)
    for (std::size_t o = 0; o < 3; ++o) {
      levels += e.level_pj[std::size_t(i)][o];
      links += e.link_pj[std::size_t(i)][o];
    }
  EXPECT_EQ(links, 0.0);  // hop energy 0
  EXPECT_DOUBLE_EQ(e.total_pj, levels + 24 * 3.5);
}

// K inside Buf: each output element leaves Buf once with its complete sum,
// so drains and DRAM's updates are at the output precision, and DRAM does no
// read-modify-write; Buf's own updates and RMW reads are partial sums.
TEST(LoopNestCost, FinalOutputsAtOutputPrecision) {
  const Hierarchy h = dram_buf();
  const LoopNest n = nest2({2, 1, 4}, {gM, gK, gN}, {1, 3, 1});
  const NestCounts c = analyze(h, kG, n);
  ASSERT_EQ(c.at(1, O).drains, 8);
  ASSERT_EQ(c.at(1, O).updates, 24);
  ASSERT_EQ(c.at(1, O).reads, 16);
  ASSERT_EQ(c.at(0, O).updates, 8);
  ASSERT_EQ(c.at(0, O).reads, 0);
  const NestCost e = cost(h, kG, n, c, params());
  EXPECT_DOUBLE_EQ(e.level_pj[0][iO], 8 * 6 * 3.0);
  EXPECT_DOUBLE_EQ(e.level_pj[1][iO], 24 * 20 * 0.25 + 16 * 20 * 0.5 + 8 * 6 * 0.5);
}

// DRAM feeds 4 Buf instances, N unrolled across them (bus, 0.1 pJ/bit/hop).
// Inputs (N-irrelevant) are multicast: one bus crossing per DRAM read;
// weights and outputs are distinct per instance. Each Buf keeps its output
// element across K, so the 8 outputs cross once each: final, 6 bits.
TEST(LoopNestCost, BusInterconnectByHand) {
  Hierarchy h = dram_buf();
  h.levels[0].set_fanout(4);
  h.levels[0].link.hop_pj_per_bit = 0.1;
  const LoopNest n = nest2({2, 3, 1}, {gM, gK, gN}, {1, 1, 1}, {1, 1, 4});
  const NestCounts c = analyze(h, kG, n);
  const NestCost e = cost(h, kG, n, c, params());
  ASSERT_EQ(c.at(0, I).reads, 6);
  ASSERT_EQ(c.at(0, W).reads, 24);
  ASSERT_EQ(c.at(0, O).updates, 8);
  EXPECT_DOUBLE_EQ(e.link_pj[0][iI], 6 * 8 * 0.1);
  EXPECT_DOUBLE_EQ(e.link_pj[0][iW], 24 * 4 * 0.1);
  EXPECT_DOUBLE_EQ(e.link_pj[0][iO], 8 * 6 * 0.1);
}

// The same nest on a 2x2 mesh and a 4-leaf tree. Mesh: the input group is
// all four children: 1 injection + 1 up column 0 + 1 along each row = 4
// links; weights and outputs go to single children at (x,y) for 1 + x + y
// links: 1 + 2 + 2 + 3 = 8 over four groups. Tree of depth 2: the input
// group spans all 6 links, the singletons 2 each.
TEST(LoopNestCost, MeshAndTreeInterconnectByHand) {
  Hierarchy h = dram_buf();
  h.levels[0].set_fanout(4);
  h.levels[0].link = {Topology::mesh, 2, 2, 0.1, 0};
  const LoopNest n = nest2({2, 3, 1}, {gM, gK, gN}, {1, 1, 1}, {1, 1, 4});
  ASSERT_EQ(hierarchy_error(h), "");
  const NestCounts c = analyze(h, kG, n);
  NestCost e = cost(h, kG, n, c, params());
  EXPECT_DOUBLE_EQ(e.link_pj[0][iI], 6 * 4 * 8 * 0.1);
  EXPECT_DOUBLE_EQ(e.link_pj[0][iW], 24.0 / 4 * 8 * 4 * 0.1);
  EXPECT_DOUBLE_EQ(e.link_pj[0][iO], 8.0 / 4 * 8 * 6 * 0.1);
  h.levels[0].link = {Topology::tree, 0, 0, 0.1, 0};
  e = cost(h, kG, n, c, params());
  EXPECT_DOUBLE_EQ(e.link_pj[0][iI], 6 * 6 * 8 * 0.1);
  EXPECT_DOUBLE_EQ(e.link_pj[0][iW], 24.0 / 4 * 8 * 4 * 0.1);
}

// Latency: 24 steps x 2 cycles per run = 48 compute cycles. DRAM's port at
// 64 bits/cycle carries 6x8 + 24x4 + 16x20 + 24x20 = 944 bits: 14.75 cycles.
// Buf at 16 bits/cycle carries 48+192 + 96+96 + 480+480 = 1392 bits: 87 cycles,
// the bound; its swap (fills + drains: 48 + 96 + 480 = 624 bits) adds 39
// cycles unless double-buffered. Clock 2 GHz halves the ns.
TEST(LoopNestCost, LatencyByHand) {
  Hierarchy h = dram_buf();
  h.clock_ghz = 2;
  h.levels[0].bandwidth_bits_per_cycle = 64;
  h.levels[1].bandwidth_bits_per_cycle = 16;
  const LoopNest n = nest2({2, 3, 4}, {gM, gK, gN}, {1, 1, 1});
  const NestCounts c = analyze(h, kG, n);
  CostParams p = params();
  p.cycles_per_run = 2;
  NestCost e = cost(h, kG, n, c, p);
  EXPECT_DOUBLE_EQ(e.compute_cycles, 48);
  EXPECT_DOUBLE_EQ(e.port_cycles[0], 944.0 / 64);
  EXPECT_DOUBLE_EQ(e.port_cycles[1], 1392.0 / 16);
  EXPECT_DOUBLE_EQ(e.swap_cycles[0], 0);
  EXPECT_DOUBLE_EQ(e.swap_cycles[1], 624.0 / 16);
  EXPECT_DOUBLE_EQ(e.cycles, 87 + 39);
  EXPECT_DOUBLE_EQ(e.ns, (87 + 39) / 2.0);
  h.levels[1].double_buffered = true;
  e = cost(h, kG, n, c, p);
  EXPECT_DOUBLE_EQ(e.cycles, 87);
  h.levels[1].bandwidth_bits_per_cycle = 0;  // unlimited: compute-bound
  e = cost(h, kG, n, c, p);
  EXPECT_DOUBLE_EQ(e.cycles, 48);
  EXPECT_DOUBLE_EQ(e.edp(), e.total_pj * 24);
}

// Link bandwidth: inputs 6x8 + weights 24x4 + outputs 8x6 = 192 bits
// injected into DRAM's fan-out at 8 bits/cycle: 24 cycles, above compute (6).
TEST(LoopNestCost, LinkBandwidthByHand) {
  Hierarchy h = dram_buf();
  h.levels[0].set_fanout(4);
  h.levels[0].link.bandwidth_bits_per_cycle = 8;
  const LoopNest n = nest2({2, 3, 1}, {gM, gK, gN}, {1, 1, 1}, {1, 1, 4});
  const NestCost e = cost(h, kG, n, analyze(h, kG, n), params());
  EXPECT_DOUBLE_EQ(e.link_cycles[0], 192.0 / 8);
  EXPECT_DOUBLE_EQ(e.cycles, 24);
}

namespace {

// Independent link count: the explicit set of links in the union of each
// group's routes. Children are placed as cost.hpp states; the group of a
// child is its tuple of op-relevant spatial indices.
using Spatial = std::array<std::int64_t, kDims>;

std::int64_t links_by_set(const StorageLevel& lv, const Spatial& s, Operand op) {
  std::vector<std::pair<Spatial, std::int64_t>> children;  // (group, index)
  Spatial i{};  // odometer over every dim's spatial index, dim 0 fastest
  for (bool more = true; more;) {
    std::array<std::int64_t, 2> pos{0, 0}, w{1, 1};
    Spatial grp{};
    for (int d = 0; d < kDims; ++d) {
      const int a = spatial_axis(lv, d);
      if (a >= 0) {
        pos[std::size_t(a)] += i[std::size_t(d)] * w[std::size_t(a)];
        w[std::size_t(a)] *= s[std::size_t(d)];
      }
      grp[std::size_t(d)] = relevant(op, d) ? i[std::size_t(d)] : -1;
    }
    children.push_back({grp, pos[0] + lv.fanout[0].size * pos[1]});
    more = false;
    for (std::size_t d = 0; d < kDims && !more; ++d) {
      more = ++i[d] < s[d];
      if (!more) i[d] = 0;
    }
  }
  std::set<Spatial> groups;
  for (auto& c : children) groups.insert(c.first);
  if (lv.link.topology == Topology::bus) return std::int64_t(groups.size());
  std::int64_t total = 0;
  for (const auto& g : groups) {
    std::set<std::array<std::int64_t, 4>> links;  // (from x, from y, to x, to y) or tree (level, node)
    for (auto& c : children) {
      if (c.first != g) continue;
      if (lv.link.topology == Topology::mesh) {
        const std::int64_t x = c.second % lv.link.mesh_x, y = c.second / lv.link.mesh_x;
        links.insert({-1, -1, 0, 0});
        for (std::int64_t k = 0; k < y; ++k) links.insert({0, k, 0, k + 1});
        for (std::int64_t k = 0; k < x; ++k) links.insert({k, y, k + 1, y});
      } else {
        int depth = 0;
        while ((std::int64_t(1) << depth) < lv.fanout_instances()) ++depth;
        for (int k = 0; k < depth; ++k) links.insert({k, c.second >> k, 0, 0});
      }
    }
    total += std::int64_t(links.size());
  }
  return total;
}

}  // namespace

TEST(LoopNestCost, RouteLinksMatchExplicitUnion) {
  std::mt19937_64 rng(5);
  const std::array<std::int64_t, 4> sizes{2, 3, 4, 8};
  int checked = 0, spread = 0;
  for (int trial = 0; trial < 400; ++trial) {
    StorageLevel lv;
    const std::int64_t a0 = sizes[rng() % 4], a1 = sizes[rng() % 4];
    // The second axis admits a random non-empty proper subset of the dims.
    const DimMask second = DimMask(1 + rng() % ((1u << kDims) - 2));
    lv.fanout = {FanoutAxis{a0, ((1u << kDims) - 1) & ~second}, FanoutAxis{a1, second}};
    const bool mesh = rng() % 2;
    if (mesh) {
      const std::int64_t F = a0 * a1, mx = (F % 4 == 0 && rng() % 2) ? 4 : a0;
      lv.link = {Topology::mesh, mx, F / mx, 1, 0};
    } else {
      lv.link.topology = Topology::tree;
    }
    // Random spatial factors that fit: divisors of the axes, dealt to dims
    // in a random order (so any dim can get the big factor).
    Spatial s = kUnitFactors;
    std::array<int, kDims> dims{};
    for (int d = 0; d < kDims; ++d) dims[std::size_t(d)] = d;
    std::shuffle(dims.begin(), dims.end(), rng);
    for (int a = 0; a < 2; ++a) {
      std::int64_t room = a == 0 ? a0 : a1;
      for (int d : dims) {
        if (spatial_axis(lv, d) != a) continue;
        std::vector<std::int64_t> divs;
        for (std::int64_t f = 1; f <= room; ++f)
          if (room % f == 0) divs.push_back(f);
        s[std::size_t(d)] = divs[rng() % divs.size()];
        room /= s[std::size_t(d)];
      }
    }
    int used = 0;
    for (std::int64_t f : s) used += f > 1;
    spread += used >= 3;
    for (Operand op : kAllOperands) {
      SCOPED_TRACE(testing::Message() << "trial " << trial << " op " << operand_name(op));
      EXPECT_EQ(route_links(lv, s, op), links_by_set(lv, s, op));
      ++checked;
    }
  }
  EXPECT_EQ(checked, 1200);
  EXPECT_GT(spread, 40);  // many trials mix three or more dims on the fan-out
}

TEST(LoopNestCost, RejectsBadParameters) {
  const Hierarchy h = dram_buf();
  CostParams p = params();
  EXPECT_EQ(cost_params_error(h, p), "");
  p.bits.psums = 0;
  EXPECT_EQ(cost_params_error(h, p), "cost: word widths must be positive numbers of bits");
  p = params();
  p.cycles_per_run = 0;
  EXPECT_EQ(cost_params_error(h, p), "cost: cycles per tile-job run must be positive and finite");
  p = params();
  p.job_energy_pj = -1;
  EXPECT_EQ(cost_params_error(h, p), "cost: tile-job energy must be finite and >= 0");
  Hierarchy big = h;
  big.levels[0].set_fanout(8192);
  big.levels[0].link = {Topology::mesh, 64, 128, 0, 0};
  EXPECT_EQ(cost_params_error(big, params()),
            "level 0 'DRAM': a mesh or tree fan-out of more than 4096 instances is not supported");
}

// Placement and traffic of a chiplet system (src/chiplet/): a small case
// computed by hand, and random small networks against a brute-force model
// that fills tiles weight by weight with counters and walks every flit's XY
// route link by link.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "chiplet/area.hpp"
#include "chiplet/system.hpp"

using namespace cimmc;
using namespace cimmc::chiplet;

namespace {

LayerShape shape(std::int64_t M, std::int64_t K, std::int64_t N, int rows, int wpm, int groups = 1,
                 int rows_per_channel = 1, double in_elems = -1) {
  LayerShape s;
  s.M = M;
  s.K = K;
  s.N = N;
  s.groups = groups;
  s.rows = rows;
  s.wpm = wpm;
  s.k_tiles = (K + rows - 1) / rows;
  s.n_tiles = (N + wpm - 1) / wpm;
  s.placed_per_macro = 1;
  s.macros = s.k_tiles * s.n_tiles * groups;
  s.rows_per_channel = rows_per_channel;
  s.in_channels = K / rows_per_channel * groups;
  s.in_elems_per_channel = in_elems < 0 ? double(M) : in_elems;
  s.x_bits = 8;
  s.psum_bits = 16;
  return s;
}

// Unit figures: energies count flit-hops and bit-hops, times count the busiest link.
ChipletSpec unit_spec(int chiplets, int tiles, int macros_per_tile, int flit_bits) {
  ChipletSpec s;
  s.enabled = true;
  s.chiplets = chiplets;
  s.tiles_per_chiplet = tiles;
  s.macros_per_tile = macros_per_tile;
  s.noc = NocSpec{flit_bits, 1.0, 1.0, 0.0};
  s.nop = NopSpec{1.0, 1.0, 0.0};
  return s;
}

const OffChip kUnitOffChip{1.0, 1.0, 0.0, 1.0, 0.0};  // glb and dram 1 pJ/bit, unlimited bandwidth

}  // namespace

// Three layers on 2 chiplets of 2 x 2 tiles of 2 macros (32-bit flits):
//   a: K 12 x N 2 on 4-row macros -> 3 k tiles -> tiles 0, 1 (chiplet 0)
//   b: K 2 x N 8 -> 4 n tiles -> tiles 2, 3 (chiplet 0)
//   c: K 8 x N 2 -> 2 k tiles -> tile 4 (chiplet 1, tile 0)
// Tiles sit at (0,0) (1,0) (1,1) (0,1) (serpentine); chiplets at (0,0) (1,0); the global
// buffer at package (-1,0); NoP ports at tile (0,0).
TEST(ChipletPlacement, ThreeLayersOnTwoChipletsByHand) {
  const std::vector<LayerShape> L = {shape(3, 12, 2, 4, 2), shape(3, 2, 8, 4, 2), shape(3, 8, 2, 4, 2)};
  const ChipletSpec spec = unit_spec(2, 4, 2, 32);
  const SystemCosts s = evaluate(L, {10, 20, 30}, spec, kUnitOffChip);
  const Placement& p = s.placement;
  ASSERT_EQ(p.stages.size(), 3u);
  EXPECT_EQ(p.stages[0].first_tile, 0);
  EXPECT_EQ(p.stages[0].tiles, 2);
  EXPECT_EQ(p.stages[1].first_tile, 2);
  EXPECT_EQ(p.stages[2].first_tile, 4);
  EXPECT_EQ(p.tiles_used, 5);

  // a: partial sums of its one column group: tile 1 -> tile 0, 3 vectors x 2 cols x 16 b = 96 b = 3 flits x 1 hop.
  // Its outputs (2 channels x 3 elements x 8 b = 48 b) go from tile 0 to tiles 2 and 3 (b reads both
  // channels in every n tile): 2 flits x 2 hops + 2 flits x 1 hop. The network input from the global
  // buffer: channels 0-7 -> tile 0 (192 b, 6 flits, 0 NoC hops), 8-11 -> tile 1 (96 b, 3 flits, 1 hop),
  // each 1 NoP hop.
  const LayerCosts& a = s.layers[0];
  EXPECT_DOUBLE_EQ(a.psum_bits, 96);
  EXPECT_DOUBLE_EQ(a.activation_bits, 96);
  EXPECT_DOUBLE_EQ(a.noc_flit_hops, 3 + 4 + 2 + 0 + 3);
  EXPECT_DOUBLE_EQ(a.nop_bit_hops, 192 + 96);
  EXPECT_DOUBLE_EQ(a.dram_bits, 12 * 3 * 8);
  EXPECT_DOUBLE_EQ(a.global_buffer_bits, 2 * 12 * 3 * 8);
  // Busiest NoC link: chiplet 0's (0,0) east carries 0 -> 2 (2 flits) and the input to tile 1 (3 flits).
  EXPECT_DOUBLE_EQ(a.noc_ns, 5);
  EXPECT_DOUBLE_EQ(a.nop_ns, 288);  // the global buffer's link into chiplet 0 carries all of the input
  EXPECT_DOUBLE_EQ(a.compute_ns, 10);
  // Its weights, once: 12 x 2 x 8 b; tile 0 holds k tiles 0-1 (128 b: 4 flits, 0 NoC hops), tile 1
  // k tile 2 (64 b: 2 flits x 1 hop), both 1 NoP hop from the global buffer. Unit prices: DRAM
  // read + global buffer written and read = 3 pJ/bit, + 2 flit-hops + 192 NoP bit-hops.
  EXPECT_DOUBLE_EQ(a.weight_bits, 192);
  EXPECT_DOUBLE_EQ(a.weight_load_pj, 3 * 192 + 2 + 192);
  EXPECT_EQ(a.first_chiplet, 0);
  EXPECT_EQ(a.last_chiplet, 0);

  // b: channels 0-3 of its outputs sit on tile 2 (1,1), 4-7 on tile 3 (0,1); c reads all 8 on tile 4:
  // 96 b = 3 flits each; tile 2 -> port 2 hops, tile 3 -> port 1 hop; both cross 1 NoP hop.
  const LayerCosts& b = s.layers[1];
  EXPECT_DOUBLE_EQ(b.psum_bits, 0);
  EXPECT_DOUBLE_EQ(b.noc_flit_hops, 3 * 2 + 3 * 1);
  EXPECT_DOUBLE_EQ(b.nop_bit_hops, 96 + 96);
  EXPECT_DOUBLE_EQ(b.nop_ns, 192);
  // XY: tile 2's flits go west to (0,1) first, then south with tile 3's: (0,1) south carries 6.
  EXPECT_DOUBLE_EQ(b.noc_ns, 6);

  // c: both k tiles on one tile (no partial sums); its 48 output bits go to the global buffer, 2 NoP hops.
  const LayerCosts& c = s.layers[2];
  EXPECT_DOUBLE_EQ(c.psum_bits, 0);
  EXPECT_DOUBLE_EQ(c.noc_flit_hops, 0);
  EXPECT_DOUBLE_EQ(c.nop_bit_hops, 2 * 48);
  EXPECT_DOUBLE_EQ(c.dram_bits, 48);
  EXPECT_EQ(c.first_chiplet, 1);
  EXPECT_EQ(c.first_tile, 4);

  // Energies: unit prices, so pJ = hops; the interval is the slowest stage.
  EXPECT_DOUBLE_EQ(a.pj(), 12 + 288 + 2 * 288 + 288);
  EXPECT_DOUBLE_EQ(s.interval_ns, std::max({a.stage_ns(), b.stage_ns(), c.stage_ns()}));

  // Priced: 10.4 pJ per flit-hop, 0.58 pJ per NoP bit-hop, global buffer 0.198 and DRAM 7.91 pJ/bit
  // (at 64 bit/ns: 288 b = 4.5 ns; buffer at 128 bit/cycle, 1 GHz: 576 b = 4.5 ns); NoP at 640 bit/ns,
  // 2 cycles per hop at 2 GHz.
  ChipletSpec priced = spec;
  priced.noc = NocSpec{32, 10.4, 1.0, 2.0};
  priced.nop = NopSpec{0.58, 640.0, 0.0};
  const SystemCosts q = evaluate(L, {10, 20, 30}, priced, OffChip{2.0, 0.198, 128, 7.91, 64});
  const LayerCosts& qa = q.layers[0];
  EXPECT_DOUBLE_EQ(qa.noc_pj, 12 * 10.4);
  EXPECT_DOUBLE_EQ(qa.nop_pj, 288 * 0.58);
  EXPECT_DOUBLE_EQ(qa.global_buffer_pj, 576 * 0.198);
  EXPECT_DOUBLE_EQ(qa.dram_pj, 288 * 7.91);
  // NoC: busiest link 5 flits at 1 flit/cycle + longest route (0 -> 2: 2 hops; the input to tile 1:
  // 1) x 2 cycles, at 2 GHz; NoP: 288 b / 640 bit/ns; DRAM 288 / 64 + global buffer 576 / 256.
  EXPECT_DOUBLE_EQ(qa.noc_ns, (5 + 2 * 2) / 2.0);
  EXPECT_DOUBLE_EQ(qa.nop_ns, 288 / 640.0);
  EXPECT_DOUBLE_EQ(qa.dram_ns, 288 / 64.0 + 576 / 256.0);
  EXPECT_DOUBLE_EQ(qa.stage_ns(), 10 + qa.noc_ns + qa.nop_ns + qa.dram_ns);
}

// NoP hop latency on the same three layers, closed form. Stage time's NoP part is
// busiest package link's bits / bandwidth + longest route's package hops x hop_ns:
//   a: the input crosses 1 package hop (global buffer (-1,0) -> chiplet 0), 288 b on that link;
//   b: its outputs cross chiplet 0 -> 1, 1 hop, 192 b on that link;
//   c: its outputs go chiplet 1 (1,0) -> global buffer (-1,0), 2 hops, 48 b.
// On one chiplet of 8 tiles, b's outputs stay on chip: 0 hops add 0 ns whatever hop_ns is.
TEST(ChipletPlacement, NopHopLatencyByHand) {
  const std::vector<LayerShape> L = {shape(3, 12, 2, 4, 2), shape(3, 2, 8, 4, 2), shape(3, 8, 2, 4, 2)};
  ChipletSpec spec = unit_spec(2, 4, 2, 32);
  spec.nop = NopSpec{0.58, 640.0, 24.0};
  const SystemCosts s = evaluate(L, {10, 20, 30}, spec, kUnitOffChip);
  EXPECT_DOUBLE_EQ(s.layers[0].nop_ns, 288 / 640.0 + 1 * 24.0);
  EXPECT_DOUBLE_EQ(s.layers[1].nop_ns, 192 / 640.0 + 1 * 24.0);
  EXPECT_DOUBLE_EQ(s.layers[2].nop_ns, 48 / 640.0 + 2 * 24.0);
  // The hop latency is in the stage and the interval (c: 30 ns compute, its NoC 0, DRAM free).
  EXPECT_DOUBLE_EQ(s.layers[2].stage_ns(), 30 + 48 / 640.0 + 48.0);
  EXPECT_DOUBLE_EQ(s.interval_ns, std::max({s.layers[0].stage_ns(), s.layers[1].stage_ns(), s.layers[2].stage_ns()}));
  // Against hop_ns 0 each stage is slower by exactly its hops x 24 ns.
  ChipletSpec zero = spec;
  zero.nop.hop_ns = 0.0;
  const SystemCosts z = evaluate(L, {10, 20, 30}, zero, kUnitOffChip);
  const double hops[3] = {1, 1, 2};
  for (int l = 0; l < 3; ++l)
    EXPECT_DOUBLE_EQ(s.layers[l].stage_ns() - z.layers[l].stage_ns(), hops[l] * 24.0) << l;

  // One chiplet of 8 tiles (2 x 4 tiles; the network's 5 fit): b -> c never leaves chiplet 0.
  ChipletSpec one = spec;
  one.chiplets = 1;
  one.tiles_per_chiplet = 8;
  const SystemCosts o = evaluate(L, {10, 20, 30}, one, kUnitOffChip);
  ASSERT_EQ(o.placement.chiplets, 1);
  EXPECT_DOUBLE_EQ(o.layers[1].nop_bit_hops, 0);
  EXPECT_DOUBLE_EQ(o.layers[1].nop_ns, 0);
  // a and c still reach the global buffer across 1 package hop each.
  EXPECT_DOUBLE_EQ(o.layers[0].nop_ns, 288 / 640.0 + 24.0);
  EXPECT_DOUBLE_EQ(o.layers[2].nop_ns, 48 / 640.0 + 24.0);
}

namespace {

// ---- brute force: fill with counters, flows weight by weight, every flit walked.

struct Brute {
  std::vector<std::vector<std::int64_t>> mt_tile;  // [stage][(g * n_tiles + nt) * k_tiles + kt]
  std::vector<std::size_t> layer_of;
};

Brute brute_fill(const std::vector<LayerShape>& L, int macros_per_tile) {
  Brute b;
  std::int64_t next = 0;
  for (std::size_t l = 0; l < L.size(); ++l)
    for (int copy = 0; copy < L[l].repeat; ++copy) {
      const LayerShape& s = L[l];
      std::vector<std::int64_t> tiles;
      std::int64_t tile = next, placed = 0, macro_in_tile = 0;
      for (std::int64_t g = 0; g < s.groups; ++g)
        for (std::int64_t nt = 0; nt < s.n_tiles; ++nt)
          for (std::int64_t kt = 0; kt < s.k_tiles; ++kt) {
            tiles.push_back(tile);
            if (++placed == s.placed_per_macro) {
              placed = 0;
              if (++macro_in_tile == macros_per_tile) {
                macro_in_tile = 0;
                ++tile;
              }
            }
          }
      next = (placed == 0 && macro_in_tile == 0) ? tile : tile + 1;
      b.mt_tile.push_back(tiles);
      b.layer_of.push_back(l);
    }
  return b;
}

std::int64_t weight_tile(const Brute& b, std::size_t stage, const LayerShape& s, std::int64_t g, std::int64_t k,
                         std::int64_t n) {
  return b.mt_tile[stage][std::size_t((g * s.n_tiles + n / s.wpm) * s.k_tiles + k / s.rows)];
}

std::set<std::int64_t> readers(const Brute& b, std::size_t stage, const LayerShape& s, std::int64_t c) {
  const std::int64_t per_group = s.in_channels / s.groups, g = c / per_group, cl = c % per_group;
  std::set<std::int64_t> out;
  for (std::int64_t k = cl * s.rows_per_channel; k < (cl + 1) * s.rows_per_channel && k < s.K; ++k)
    for (std::int64_t n = 0; n < s.N; ++n) out.insert(weight_tile(b, stage, s, g, k, n));
  return out;
}

std::int64_t home(const Brute& b, std::size_t stage, const LayerShape& s, std::int64_t j) {
  return weight_tile(b, stage, s, j / s.N, 0, j % s.N);
}

struct BruteStage {
  double noc_flit_hops = 0, nop_bit_hops = 0, max_noc = 0, max_nop = 0, psum_bits = 0, act_bits = 0;
  double weight_bits = 0, weight_pj = 0;  // weight_pj at unit prices
};

// Node i of a grid of width w walked as a snake: along row 0, back along row 1, ...
std::pair<int, int> snake(int i, int w) {
  int x = 0, y = 0, step = 1;
  for (int k = 0; k < i; ++k) {
    if ((step > 0 && x == w - 1) || (step < 0 && x == 0)) {
      ++y;
      step = -step;
    } else {
      x += step;
    }
  }
  return {x, y};
}

// Walks each flit of each (src, dst) pair one link at a time.
BruteStage walk(const std::map<std::pair<std::int64_t, std::int64_t>, double>& pairs, int T, int flit_bits,
                int chiplets) {
  const int tw = int(std::ceil(std::sqrt(double(T)) - 1e-9)), cw = int(std::ceil(std::sqrt(double(chiplets)) - 1e-9));
  std::map<std::tuple<int, int, int, int, int>, double> noc;  // chiplet, x, y, dx, dy -> flits
  std::map<std::tuple<int, int, int, int>, double> nop;       // x, y, dx, dy -> bits
  BruteStage r;
  auto step_to = [](int& x, int& y, int tx, int ty, auto&& on_link) {
    while (x != tx || y != ty) {
      const int dx = x != tx ? (tx > x ? 1 : -1) : 0, dy = x != tx ? 0 : (ty > y ? 1 : -1);
      on_link(x, y, dx, dy);
      x += dx;
      y += dy;
    }
  };
  for (const auto& [sd, bits] : pairs) {
    const auto [src, dst] = sd;
    for (double left = bits; left > 0; left -= flit_bits) {
      const double payload = std::min<double>(left, flit_bits);
      auto chip_leg = [&](int chip, int x, int y, int tx, int ty) {
        step_to(x, y, tx, ty, [&](int a, int b2, int dx, int dy) {
          noc[{chip, a, b2, dx, dy}] += 1;
          r.noc_flit_hops += 1;
        });
      };
      auto pkg_leg = [&](int x, int y, int tx, int ty) {
        step_to(x, y, tx, ty, [&](int a, int b2, int dx, int dy) {
          nop[{a, b2, dx, dy}] += payload;
          r.nop_bit_hops += payload;
        });
      };
      const int cs = src < 0 ? -1 : int(src / T), cd = dst < 0 ? -1 : int(dst / T);
      auto [sx, sy] = snake(src < 0 ? 0 : int(src % T), tw);
      auto [dx, dy] = snake(dst < 0 ? 0 : int(dst % T), tw);
      if (cs >= 0 && cs == cd) {
        chip_leg(cs, sx, sy, dx, dy);
        continue;
      }
      if (cs >= 0) chip_leg(cs, sx, sy, 0, 0);
      const auto [csx, csy] = cs < 0 ? std::pair{-1, 0} : snake(cs, cw);
      const auto [cdx, cdy] = cd < 0 ? std::pair{-1, 0} : snake(cd, cw);
      pkg_leg(csx, csy, cdx, cdy);
      if (cd >= 0) chip_leg(cd, 0, 0, dx, dy);
    }
  }
  for (const auto& [k, v] : noc) r.max_noc = std::max(r.max_noc, v);
  for (const auto& [k, v] : nop) r.max_nop = std::max(r.max_nop, v);
  return r;
}

LayerShape random_shape(std::mt19937_64& rng) {
  auto u = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int groups = u(1, 2), rpc = u(1, 3), cpg = u(1, 4);
  LayerShape s = shape(u(1, 5), std::int64_t(cpg) * rpc, u(1, 6), u(2, 4), u(1, 3), groups, rpc, u(1, 4));
  s.x_bits = u(2, 8);
  s.psum_bits = u(5, 20);
  s.w_bits = u(1, 8);
  s.repeat = u(1, 4) == 1 ? 2 : 1;
  if (s.k_tiles == 1 && s.n_tiles == 1 && u(0, 1)) {  // packed small tiles (mapping.hpp)
    s.placed_per_macro = 2;
    s.macros = (s.groups + 1) / 2;
  }
  return s;
}

}  // namespace

TEST(ChipletPlacement, RandomNetworksMatchBruteForceWalker) {
  std::mt19937_64 rng(15);
  int checked = 0;
  for (int trial = 0; trial < 400; ++trial) {
    auto u = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    std::vector<LayerShape> L(std::size_t(u(1, 4)));
    for (LayerShape& s : L) s = random_shape(rng);
    const int T = u(1, 9), mpt = u(1, 4), flit = u(4, 40);
    const std::int64_t need = (tiles_needed(L, mpt) + T - 1) / T;
    ChipletSpec spec = unit_spec(u(0, 1) ? 0 : int(need) + u(0, 2), T, mpt, flit);
    const SystemCosts sc = evaluate(L, std::vector<double>(L.size(), 0.0), spec, kUnitOffChip);
    const Brute b = brute_fill(L, mpt);
    ASSERT_EQ(sc.placement.stages.size(), b.mt_tile.size());
    std::vector<BruteStage> per_layer(L.size());
    for (std::size_t st = 0; st < b.mt_tile.size(); ++st) {
      const LayerShape& s = L[b.layer_of[st]];
      std::map<std::pair<std::int64_t, std::int64_t>, double> pairs;
      double psum = 0, act = 0;
      for (std::int64_t j = 0; j < s.out_channels(); ++j) {  // partial sums, column by column
        std::set<std::int64_t> holders;
        for (std::int64_t k = 0; k < s.K; ++k) holders.insert(weight_tile(b, st, s, j / s.N, k, j % s.N));
        for (std::int64_t t : holders)
          if (t != home(b, st, s, j)) {
            pairs[{t, home(b, st, s, j)}] += double(s.M) * s.psum_bits;
            psum += double(s.M) * s.psum_bits;
          }
      }
      if (st + 1 < b.mt_tile.size()) {
        const LayerShape& n = L[b.layer_of[st + 1]];
        for (std::int64_t c = 0; c < n.in_channels; ++c) {
          const std::int64_t j = c * s.out_channels() / n.in_channels;
          for (std::int64_t d : readers(b, st + 1, n, c)) {
            pairs[{home(b, st, s, j), d}] += n.in_elems_per_channel * n.x_bits;
            act += n.in_elems_per_channel * n.x_bits;
          }
        }
      } else {
        for (std::int64_t j = 0; j < s.out_channels(); ++j) {
          pairs[{home(b, st, s, j), kGlobalBuffer}] += double(s.M) * s.x_bits;
          act += double(s.M) * s.x_bits;
        }
      }
      if (st == 0)
        for (std::int64_t c = 0; c < s.in_channels; ++c)
          for (std::int64_t d : readers(b, st, s, c)) pairs[{kGlobalBuffer, d}] += s.in_elems_per_channel * s.x_bits;
      BruteStage w = walk(pairs, T, flit, sc.placement.chiplets);
      // Weights, one by one, to the tile that holds them.
      std::map<std::pair<std::int64_t, std::int64_t>, double> wpairs;
      for (std::int64_t g = 0; g < s.groups; ++g)
        for (std::int64_t k = 0; k < s.K; ++k)
          for (std::int64_t n = 0; n < s.N; ++n) wpairs[{kGlobalBuffer, weight_tile(b, st, s, g, k, n)}] += s.w_bits;
      const BruteStage wl = walk(wpairs, T, flit, sc.placement.chiplets);
      double wbits = 0;
      for (const auto& [k, v] : wpairs) wbits += v;
      BruteStage& acc = per_layer[b.layer_of[st]];
      acc.noc_flit_hops += w.noc_flit_hops;
      acc.nop_bit_hops += w.nop_bit_hops;
      acc.max_noc += w.max_noc;  // LayerCosts sums each copy's busiest link
      acc.max_nop += w.max_nop;
      acc.psum_bits += psum;
      acc.act_bits += act;
      acc.weight_bits += wbits;
      acc.weight_pj += 3 * wbits + wl.noc_flit_hops + wl.nop_bit_hops;
    }
    for (std::size_t l = 0; l < L.size(); ++l) {
      const LayerCosts& c = sc.layers[l];
      const BruteStage& w = per_layer[l];
      EXPECT_DOUBLE_EQ(c.noc_flit_hops, w.noc_flit_hops) << trial << " layer " << l;
      EXPECT_NEAR(c.nop_bit_hops, w.nop_bit_hops, 1e-9 * w.nop_bit_hops) << trial << " layer " << l;
      EXPECT_DOUBLE_EQ(c.noc_ns, w.max_noc) << trial << " layer " << l;
      EXPECT_NEAR(c.nop_ns, w.max_nop, 1e-9 * w.max_nop) << trial << " layer " << l;
      EXPECT_NEAR(c.psum_bits, w.psum_bits, 1e-9 * w.psum_bits) << trial;
      EXPECT_NEAR(c.activation_bits, w.act_bits, 1e-9 * w.act_bits) << trial;
      EXPECT_DOUBLE_EQ(c.noc_pj, c.noc_flit_hops * spec.noc.hop_pj_per_flit);
      EXPECT_DOUBLE_EQ(c.weight_bits, w.weight_bits) << trial;
      EXPECT_NEAR(c.weight_load_pj, w.weight_pj, 1e-9 * w.weight_pj) << trial;
      ++checked;
    }
  }
  EXPECT_GT(checked, 800);
}

TEST(ChipletPlacement, TooFewChipletsIsAnError) {
  const std::vector<LayerShape> L = {shape(1, 16, 16, 4, 4)};  // 16 macros = 8 tiles of 2
  EXPECT_THROW(place(L, unit_spec(1, 4, 2, 32)), PlacementError);
  EXPECT_EQ(place(L, unit_spec(2, 4, 2, 32)).chiplets, 2);
  EXPECT_EQ(place(L, unit_spec(0, 3, 2, 32)).chiplets, 3);  // auto: ceil(8 / 3)
}

// A skip connection on 2 x 2 chiplets of 2 x 2 tiles of 1 macro (32-bit flits):
//   a: K 4 x N 4 on 4-row, 2-weight macros -> 2 n tiles -> tiles 0, 1 (chiplet 0)
//   b: K 4 x N 12 -> 6 n tiles -> tiles 2-7 (chiplets 0 and 1)
//   c: K 4 x N 4, residual a -> tiles 8, 9 (chiplet 2, package (1,1))
// a's channels 0-1 are complete on tile 0, 2-3 on tile 1; c's on tiles 8 (chiplet 2's port,
// (0,0)) and 9 ((1,0)). Each channel is c's M = 3 elements x 8 b = 24 b; two channels per
// flow = 48 b = 2 flits. tile 0 -> 8: 0 NoC hops, 2 NoP hops; tile 1 -> 9: 1 NoC hop to the
// port, 2 NoP hops, 1 NoC hop from chiplet 2's port.
TEST(ChipletSkip, ResidualOnTwoByTwoChipletsByHand) {
  std::vector<LayerShape> L = {shape(3, 4, 4, 4, 2), shape(3, 4, 12, 4, 2), shape(3, 4, 4, 4, 2)};
  L[0].name = "a", L[1].name = "b", L[2].name = "c";
  const std::vector<LayerShape> chain = L;
  L[2].residual_name = "a";
  const ChipletSpec spec = unit_spec(4, 4, 1, 32);
  const SystemCosts s = evaluate(L, {1, 1, 1}, spec, kUnitOffChip);
  ASSERT_EQ(s.placement.stages[2].first_tile, 8);
  ASSERT_EQ(s.placement.chip_grid.width, 2);
  const LayerCosts& a = s.layers[0];
  EXPECT_DOUBLE_EQ(a.skip_bits, 96);
  EXPECT_DOUBLE_EQ(a.skip_noc_flit_hops, 2 * 1 + 2 * 1);
  EXPECT_DOUBLE_EQ(a.skip_nop_bit_hops, 48 * 2 + 48 * 2);
  EXPECT_DOUBLE_EQ(a.skip_pj, 4 + 192);  // unit prices
  EXPECT_DOUBLE_EQ(s.layers[1].skip_bits, 0);
  EXPECT_DOUBLE_EQ(s.layers[2].skip_bits, 0);
  // Folded into the NoC and NoP counts: the same network without the skip differs by exactly it.
  const SystemCosts n = evaluate(chain, {1, 1, 1}, spec, kUnitOffChip);
  EXPECT_DOUBLE_EQ(a.noc_flit_hops - n.layers[0].noc_flit_hops, 4);
  EXPECT_DOUBLE_EQ(a.nop_bit_hops - n.layers[0].nop_bit_hops, 192);
  EXPECT_DOUBLE_EQ(a.activation_bits, n.layers[0].activation_bits);
  EXPECT_DOUBLE_EQ(n.layers[0].skip_bits, 0);
  // Priced: 10.4 pJ per flit-hop, 0.58 pJ per NoP bit-hop.
  ChipletSpec priced = spec;
  priced.noc.hop_pj_per_flit = 10.4;
  priced.nop.pj_per_bit = 0.58;
  EXPECT_DOUBLE_EQ(evaluate(L, {1, 1, 1}, priced, kUnitOffChip).layers[0].skip_pj, 4 * 10.4 + 192 * 0.58);

  // Fewer channels on the adding layer (c: N 2, one macro on tile 8): channels 0-1 only, 48 b from tile 0.
  std::vector<LayerShape> L2 = L;
  L2[2] = shape(3, 4, 2, 4, 2);
  L2[2].name = "c", L2[2].residual_name = "a";
  const LayerCosts a2 = evaluate(L2, {1, 1, 1}, spec, kUnitOffChip).layers[0];
  EXPECT_DOUBLE_EQ(a2.skip_bits, 48);
  EXPECT_DOUBLE_EQ(a2.skip_noc_flit_hops, 0);
  EXPECT_DOUBLE_EQ(a2.skip_nop_bit_hops, 96);
}

// `input` reroutes a layer's activations: c reads a (not b), so b's outputs go nowhere and a's go
// to both b and c: a's activation bits are its chain bits plus c's reads of it.
TEST(ChipletSkip, InputNamesTheProducer) {
  std::vector<LayerShape> L = {shape(3, 4, 4, 4, 2), shape(3, 4, 12, 4, 2), shape(3, 4, 4, 4, 2)};
  L[0].name = "a", L[1].name = "b", L[2].name = "c";
  const ChipletSpec spec = unit_spec(4, 4, 1, 32);
  const SystemCosts chain = evaluate(L, {1, 1, 1}, spec, kUnitOffChip);
  L[2].input_name = "a";
  const SystemCosts s = evaluate(L, {1, 1, 1}, spec, kUnitOffChip);
  // c reads each of its 4 input channels (3 elements x 8 b) on both of its n tiles: 4 x 2 x 24 b.
  EXPECT_DOUBLE_EQ(s.layers[0].activation_bits, chain.layers[0].activation_bits + 4 * 2 * 24);
  EXPECT_DOUBLE_EQ(s.layers[1].activation_bits, 0);
  L[2].input_name = "zz";
  EXPECT_THROW(evaluate(L, {1, 1, 1}, spec, kUnitOffChip), std::invalid_argument);
}

// The residual add of a 2-layer toy, by hand: a (K 4 x N 4, M 3, 8-bit activations) on tile 0;
// b (K 4 x N 4, M 3) adds a's output. b adds min(4, 4) channels x M 3 = 12 elements, each an
// 8-bit ripple-carry add: 96 full adders; the skip tensor, 12 x 8 = 96 bits, is written into b's
// output buffer and read back: 192 bits. Priced on b (the adder), not on a (which sends it).
TEST(ChipletSkip, ResidualAddAndBufferingOfATwoLayerToyByHand) {
  std::vector<LayerShape> L = {shape(3, 4, 4, 4, 4), shape(3, 4, 4, 4, 4)};
  L[0].name = "a", L[1].name = "b";
  const std::vector<LayerShape> chain = L;
  L[1].residual_name = "a";
  const ChipletSpec spec = unit_spec(1, 4, 1, 32);
  OffChip oc = kUnitOffChip;
  oc.full_adder_pj = 0.0034;         // ZigZag-IMC's 3.40 fJ full adder at 28 nm, 0.9 V
  oc.skip_buffer_pj_per_bit = 0.05;  // the default output buffer
  const SystemCosts s = evaluate(L, {1, 1}, spec, oc);
  const LayerCosts& b = s.layers[1];
  EXPECT_DOUBLE_EQ(b.residual_adds, 12);
  EXPECT_DOUBLE_EQ(b.residual_add_pj, 96 * 0.0034);
  EXPECT_DOUBLE_EQ(b.skip_buffer_bits, 192);
  EXPECT_DOUBLE_EQ(b.skip_buffer_pj, 192 * 0.05);
  EXPECT_DOUBLE_EQ(s.layers[0].residual_adds, 0);
  EXPECT_DOUBLE_EQ(s.layers[0].skip_bits, 96);  // the tensor the buffer holds is the one sent
  EXPECT_DOUBLE_EQ(s.layers[0].skip_buffer_pj, 0);
  // In the system's energy: the network with the skip costs its transfer, adds and buffering more.
  const SystemCosts n = evaluate(chain, {1, 1}, spec, oc);
  const double with = s.layers[0].pj() + s.layers[1].pj(), without = n.layers[0].pj() + n.layers[1].pj();
  EXPECT_NEAR(with - without, s.layers[0].skip_pj + 96 * 0.0034 + 192 * 0.05, 1e-12);

  // Fewer channels and narrower activations on the adder (b: N 2, 6-bit): 2 x 3 = 6 adds of
  // max(8, 6) = 8 bits: 48 full adders; the tensor is a's 6 elements x 8 b = 48 b, 96 b buffered.
  std::vector<LayerShape> L2 = L;
  L2[1] = shape(3, 4, 2, 4, 4);
  L2[1].name = "b", L2[1].residual_name = "a", L2[1].x_bits = 6;
  const LayerCosts b2 = evaluate(L2, {1, 1}, spec, oc).layers[1];
  EXPECT_DOUBLE_EQ(b2.residual_adds, 6);
  EXPECT_DOUBLE_EQ(b2.residual_add_pj, 48 * 0.0034);
  EXPECT_DOUBLE_EQ(b2.skip_buffer_bits, 96);
}

// Router area: linear in ports x flit bits and (node / 65 nm)^2 from Intel's 0.34 mm^2 router
// (5 ports, 39 bits, 65 nm), so that router itself comes back and a 64-bit router at 28 nm is
// 0.34 x 64/39 x (28/65)^2.
TEST(ChipletArea, RouterScalesFromThePublishedRouter) {
  EXPECT_DOUBLE_EQ(router_area_mm2(5, 39, 65), 0.34);
  EXPECT_NEAR(router_area_mm2(5, 64, 28), 0.34 * 64.0 / 39.0 * (28.0 / 65.0) * (28.0 / 65.0), 1e-15);
  EXPECT_NEAR(router_area_mm2(5, 78, 65), 0.68, 1e-15);
}

// SRAM buffer cells: NeuroSim's F^2 per bit by node, times F^2. By hand: 1 MiB at 28 nm is
// 8,388,608 bits x 160 x 0.028^2 um^2 = 1,052,266.99 um^2; 64 KiB at 14 nm, 524,288 x 300 x
// 0.014^2 um^2 = 30,828.1 um^2.
TEST(ChipletArea, SramBufferCellsByHand) {
  EXPECT_EQ(sram_cell_f2(32), 160.0);
  EXPECT_EQ(sram_cell_f2(22), 160.0);
  EXPECT_EQ(sram_cell_f2(16), 300.0);
  EXPECT_EQ(sram_cell_f2(14), 300.0);
  EXPECT_EQ(sram_cell_f2(10), 400.0);
  EXPECT_EQ(sram_cell_f2(7), 600.0);
  EXPECT_NEAR(sram_area_mm2(8388608.0, 28), 1.0522670, 1e-7);
  EXPECT_NEAR(sram_area_mm2(524288.0, 14), 0.0308281, 1e-7);
  EXPECT_EQ(sram_area_mm2(0.0, 28), 0.0);
}

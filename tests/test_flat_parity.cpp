// Today's flat system (mapping.hpp) against the same system written as a
// memory hierarchy (configs/arch-flat.yaml, issue 12 "today's flat
// architecture must be expressible and give today's numbers").
//
// hiermap::flat_blocks writes each of the flat model's mappings (every
// duplication, both loop orders) as loop nests in the layer's GEMM (im2col)
// view on the flat hierarchy, one nest per block of the work
// (hiermap/flat_nests.hpp):
//   dram[] global_buffer[M rounds] {G macros N copies C k_tiles M n_tiles}
//   input_buffer[N: vectors per copy] output_buffer[] macro[G packed] {C rows M cols}
// The loop-nest model then reproduces the flat model's tile jobs and macro
// energy exactly, and its compute time wherever every block has the flat
// model's largest tile; it differs from it in every storage term by a closed form,
// one documented convention each (README "Memory hierarchies and loop-nest
// mappings", "The flat system as a hierarchy"):
//   (a) a transfer costs a read at the source and a write at the destination
//       (flat: each bit once, at the buffer it leaves for the macros);
//   (b) inputs are the im2col matrix in the GEMM view (flat DRAM: the real
//       input tensor once);
//   (c) weights are loaded from DRAM every inference (flat: stationary, free,
//       unless the layer needs more than one round or is a matmul, whose
//       stored operand is an activation);
//   (d) final outputs are requantized to the input precision; partial sums
//       keep the accumulator width (flat: outputs at the accumulator width);
//   (e) partial sums over k tiles are reduced across the macros on the way up
//       (flat input_reuse: read-modify-written in the output buffer once per
//       k tile beyond the first; output_reuse: reduced beside the macros,
//       spilled where an n tile's k tiles straddle two rounds), and inputs
//       are multicast (flat output_reuse: fetched once per n tile);
//   (f) latency adds the global buffer's swap stall (not double-buffered);
//   (g) blocks are separate nests run one after another: each reads its K
//       slice of the inputs from DRAM (N blocks read the same slice again)
//       and its weights (V blocks again), requantizes its own outputs, and
//       their compute times add (flat: ragged tiles and leftover vectors and
//       groups run beside the others, in the same round);
//   (h) across rounds a macro's input buffer (unbounded) keeps its k slice:
//       filled once per block, from a global buffer that reads it once (flat:
//       refetched from the global buffer in every round that needs it).
// Each expectation below is written from these rules by hand, not taken
// from either program's output.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "arch/hierarchy.hpp"
#include "arch/timing.hpp"
#include "config/config.hpp"
#include "hiermap/flat_nests.hpp"
#include "loopnest/analysis.hpp"
#include "loopnest/cost.hpp"
#include "mapping/mapping.hpp"
#include "workload/gemm.hpp"

using namespace cimmc;
namespace ln = cimmc::loopnest;

namespace {

constexpr int kDram = hiermap::kFlatDram, kGlb = hiermap::kFlatGlobalBuffer, kIbuf = hiermap::kFlatInputBuffer,
              kObuf = hiermap::kFlatOutputBuffer;

// A made-up macro energy per MVM by tile shape: both paths price the same
// shapes with it, so any function that tells shapes apart tests the counts.
double job_pj(int rows, int cols) { return 3.0 + 0.25 * rows + 0.5 * cols; }

void expect_rel(double got, double want, const std::string& what) {
  EXPECT_NEAR(got, want, 1e-9 * std::max(1.0, std::abs(want))) << what;
}

// The flat model's placement (mapping.hpp "Placement"): tile (g, n, k) is
// number (g n_tiles + n) k_tiles + k, filled `placed` to a macro, and runs in
// round number / placed / macros. Rounds holding group g's tiles n in
// [n0, n1) x k in [k0, k1), by brute force.
struct FlatPlacement {
  std::int64_t k_tiles, n_tiles, groups, placed, macros;
  std::int64_t rounds_holding(std::int64_t g, std::int64_t n0, std::int64_t n1, std::int64_t k0,
                              std::int64_t k1) const {
    std::set<std::int64_t> rounds;
    for (std::int64_t n = n0; n < n1; ++n)
      for (std::int64_t k = k0; k < k1; ++k) rounds.insert(((g * n_tiles + n) * k_tiles + k) / placed / macros);
    return std::int64_t(rounds.size());
  }
};

// Its input_reuse global-buffer input fetches (elements per vector, all
// groups): a group's k slice once per round holding one of its tiles.
double flat_fetches_per_vector(const FlatPlacement& f, std::int64_t K, int rows) {
  double elems = 0;
  for (std::int64_t g = 0; g < f.groups; ++g)
    for (std::int64_t k = 0; k < f.k_tiles; ++k)
      elems += double(f.rounds_holding(g, 0, f.n_tiles, k, k + 1)) *
               double(std::min<std::int64_t>(rows, K - k * rows));
  return elems;
}

// Its output_reuse spills (partial-sum elements per vector, all groups): an
// n tile's partial sums go to the output buffer and back once per round
// boundary its k tiles cross.
double flat_spills_per_vector(const FlatPlacement& f, std::int64_t N, int cols) {
  double elems = 0;
  for (std::int64_t g = 0; g < f.groups; ++g)
    for (std::int64_t n = 0; n < f.n_tiles; ++n)
      elems += double(f.rounds_holding(g, n, n + 1, 0, f.k_tiles) - 1) *
               double(std::min<std::int64_t>(cols, N - n * cols));
  return elems;
}

// Whether the flat model's compute time, rounds x placed_per_macro time
// steps, is its placement's (mapping.hpp "Placement"): `total` tiles filled
// `placed` to a macro, `macros` to a round, and in every one of `rounds`
// rounds some macro holds `placed` (a last round can hold fewer; then the
// flat model still counts `placed` steps for it). By brute force over the macros.
bool flat_rounds_full(std::int64_t total, std::int64_t placed, std::int64_t macros, std::int64_t rounds) {
  std::vector<std::int64_t> busiest(std::size_t(rounds), 0);
  for (std::int64_t j = 0; j * placed < total; ++j) {
    if (j / macros >= rounds) return false;
    std::int64_t& b = busiest[std::size_t(j / macros)];
    b = std::max(b, std::min(placed, total - j * placed));
  }
  return std::all_of(busiest.begin(), busiest.end(), [&](std::int64_t b) { return b == placed; });
}

}  // namespace

// The block layout of the layers that need it, by hand from flat_nests.hpp's
// rule (128 rows, 16 weights per macro, 256 macros; whole n tiles per round,
// balanced over the fewest rounds): conv4_1 (K 2304 = 18 k tiles, N 512 = 32
// n tiles: at most 14 per round, so 3 rounds of 11, 11, 10), conv4_2 (K 4608
// = 36 k tiles: at most 7 per round, 5 rounds of 7, 7, 7, 7, 4), conv3_2 (K
// 2304, N 256: 2 rounds of 8), fc (K 512 = 4 k tiles, N 1000 = 62 full n
// tiles and one of 8 weights), conv1 (K 147 = 128 + 19), conv2_1 with 12
// copies of its 5 x 4 tiles (3136 vectors = 12 x 261 + 4: four copies take
// one vector more, as four one-vector copies after the others), and a 3 x 3
// depthwise layer of 32 channels, once and on 2 copies (tiles of 9 rows x 1
// weight, min(128 / 9, 16 / 1) = 14 to a macro: 3 macros, ceil(32 / 3) = 11
// groups on the busiest, 11, 11 and 10 as placed; as blocks 10 on each of
// 3 macros, then 1 on each of 2),
// and a GEMM with more k tiles than macros (K = 300 x 128 + 50: the 300 full
// ones in 2 chunks of 150, then the ragged one; N = 32: one n tile to a
// round, 2 rounds), and VGG-16's fc6 (K 25088 = 196 k tiles, N 4096 = 256 n
// tiles): all 196 k tiles of an n tile in a round leave one n tile to a round,
// 256 rounds; chunks of c k tiles, then the rest, take floor(196 / c) x
// ceil(256 / floor(256 / c)) + the rest's rounds, fewest at c = 64 (or 32):
// 3 x 64 rounds of 4 n tiles, then 4 rounds of 64 n tiles for the last 4 k
// tiles, 196 in all; c = 128 takes 128 + 86, c = 49 (balanced) 4 x 52.
TEST(FlatParity, BlocksByHand) {
  struct Want {
    std::int64_t g_begin, G, group_macros, packed, v_begin, V, k_begin, K, n_begin, N;
    int rows, cols;
    std::int64_t k_tiles, n_tiles, rounds, copies, group_rounds;
  };
  struct Case {
    std::int64_t macros, V, K, N;
    int d;
    std::int64_t G, macros_per_copy, placed_per_macro;
    std::vector<Want> blocks;
  };
  const std::vector<Case> cases = {
      {256, 49, 2304, 512, 1, 1, 0, 1,
       {{0, 1, 1, 1, 0, 49, 0, 2304, 0, 352, 128, 16, 18, 11, 2, 1, 1},
        {0, 1, 1, 1, 0, 49, 0, 2304, 352, 160, 128, 16, 18, 10, 1, 1, 1}}},
      {256, 49, 4608, 512, 1, 1, 0, 1,
       {{0, 1, 1, 1, 0, 49, 0, 4608, 0, 448, 128, 16, 36, 7, 4, 1, 1},
        {0, 1, 1, 1, 0, 49, 0, 4608, 448, 64, 128, 16, 36, 4, 1, 1, 1}}},
      {256, 196, 2304, 256, 1, 1, 0, 1, {{0, 1, 1, 1, 0, 196, 0, 2304, 0, 256, 128, 16, 18, 8, 2, 1, 1}}},
      {256, 1, 512, 1000, 1, 1, 0, 1,
       {{0, 1, 1, 1, 0, 1, 0, 512, 0, 992, 128, 16, 4, 62, 1, 1, 1},
        {0, 1, 1, 1, 0, 1, 0, 512, 992, 8, 128, 8, 4, 1, 1, 1, 1}}},
      {256, 12544, 147, 64, 1, 1, 0, 1,
       {{0, 1, 1, 1, 0, 12544, 0, 128, 0, 64, 128, 16, 1, 4, 1, 1, 1},
        {0, 1, 1, 1, 0, 12544, 128, 19, 0, 64, 19, 16, 1, 4, 1, 1, 1}}},
      {256, 3136, 576, 64, 12, 1, 0, 1,
       {{0, 1, 1, 1, 0, 3132, 0, 512, 0, 64, 128, 16, 4, 4, 1, 12, 1},
        {0, 1, 1, 1, 0, 3132, 512, 64, 0, 64, 64, 16, 1, 4, 1, 12, 1},
        {0, 1, 1, 1, 3132, 4, 0, 512, 0, 64, 128, 16, 4, 4, 1, 4, 1},
        {0, 1, 1, 1, 3132, 4, 512, 64, 0, 64, 64, 16, 1, 4, 1, 4, 1}}},
      {256, 12544, 9, 1, 1, 32, 3, 11,
       {{0, 30, 3, 10, 0, 12544, 0, 9, 0, 1, 9, 1, 1, 1, 1, 1, 1},
        {30, 2, 2, 1, 0, 12544, 0, 9, 0, 1, 9, 1, 1, 1, 1, 1, 1}}},
      {256, 12544, 9, 1, 2, 32, 3, 11,
       {{0, 30, 3, 10, 0, 12544, 0, 9, 0, 1, 9, 1, 1, 1, 1, 2, 1},
        {30, 2, 2, 1, 0, 12544, 0, 9, 0, 1, 9, 1, 1, 1, 1, 2, 1}}},
      {256, 4, 128 * 300 + 50, 32, 1, 1, 0, 1,
       {{0, 1, 1, 1, 0, 4, 0, 19200, 0, 32, 128, 16, 150, 1, 2, 1, 1},
        {0, 1, 1, 1, 0, 4, 19200, 19200, 0, 32, 128, 16, 150, 1, 2, 1, 1},
        {0, 1, 1, 1, 0, 4, 38400, 50, 0, 32, 50, 16, 1, 1, 2, 1, 1}}},
      {256, 1, 25088, 4096, 1, 1, 0, 1,
       {{0, 1, 1, 1, 0, 1, 0, 8192, 0, 4096, 128, 16, 64, 4, 64, 1, 1},
        {0, 1, 1, 1, 0, 1, 8192, 8192, 0, 4096, 128, 16, 64, 4, 64, 1, 1},
        {0, 1, 1, 1, 0, 1, 16384, 8192, 0, 4096, 128, 16, 64, 4, 64, 1, 1},
        {0, 1, 1, 1, 0, 1, 24576, 512, 0, 4096, 128, 16, 4, 64, 4, 1, 1}}},
      // Grouped, on 8 macros: 4 groups of 2 x 2 tiles (K 256, N 32), 2 to a
      // round, in 2 group rounds; 5 groups: 3 rounds of 2, 2, 1 groups; 2
      // groups of 3 x 4 tiles (K 384, N 64) that do not fit a round: one
      // group to a round, its n tiles 2 to a round (2 x 2 rounds).
      {8, 10, 256, 32, 1, 4, 0, 1, {{0, 4, 2, 1, 0, 10, 0, 256, 0, 32, 128, 16, 2, 2, 1, 1, 2}}},
      {8, 10, 256, 32, 1, 5, 0, 1,
       {{0, 4, 2, 1, 0, 10, 0, 256, 0, 32, 128, 16, 2, 2, 1, 1, 2},
        {4, 1, 1, 1, 0, 10, 0, 256, 0, 32, 128, 16, 2, 2, 1, 1, 1}}},
      {8, 10, 384, 64, 1, 2, 0, 1, {{0, 2, 1, 1, 0, 10, 0, 384, 0, 64, 128, 16, 3, 2, 2, 1, 2}}},
      // 100 depthwise 3 x 3 groups on 4 macros: 14 to a macro, 8 macros, 13
      // on each (the flat placement), 2 rounds: 4 x 13 = 52 groups in the
      // first; the other 48 fill 3 macros and 9 on a fourth, as 9 on each of
      // 4 macros, then 13 - 9 = 4 on each of 3 (13 steps, as the first).
      {4, 49, 9, 1, 1, 100, 8, 13,
       {{0, 52, 4, 13, 0, 49, 0, 9, 0, 1, 9, 1, 1, 1, 1, 1, 1},
        {52, 36, 4, 9, 0, 49, 0, 9, 0, 1, 9, 1, 1, 1, 1, 1, 1},
        {88, 12, 3, 4, 0, 49, 0, 9, 0, 1, 9, 1, 1, 1, 1, 1, 1}}},
      // 11 k tiles x 34 n tiles on 64 macros (flat: ceil(374 / 64) = 6
      // rounds). Whole n tiles of all 11 k tiles: 5 to a round, 7 rounds;
      // chunks of 9 + 2 with their own rounds: 5 + 2. Shared: 9 k tiles x 7
      // n tiles a round, 4 rounds, then 6 n tiles (54 macros) with the 2-k
      // chunk's first 5 n tiles on the other 10 macros, then its other 29 n
      // tiles (58 macros) in one round: 6.
      {64, 1, 1408, 544, 1, 1, 0, 1,
       {{0, 1, 1, 1, 0, 1, 0, 1152, 0, 448, 128, 16, 9, 7, 4, 1, 1},
        {0, 1, 1, 1, 0, 1, 0, 1152, 448, 96, 128, 16, 9, 6, 1, 1, 1},
        {0, 1, 1, 1, 0, 1, 1152, 256, 0, 80, 128, 16, 2, 5, 1, 1, 1},
        {0, 1, 1, 1, 0, 1, 1152, 256, 80, 464, 128, 16, 2, 29, 1, 1, 1}}},
      // 9 x 38 on 32 (flat: ceil(342 / 32) = 11): unshared at best 12 (8 +
      // 1: 10 + 2); shared, 8 k tiles x 4 n tiles, 9 rounds, then 2 n tiles
      // (16 macros) beside 16 of the last k tile's, then its other 22: 11.
      {32, 1, 1152, 608, 1, 1, 0, 1,
       {{0, 1, 1, 1, 0, 1, 0, 1024, 0, 576, 128, 16, 8, 4, 9, 1, 1},
        {0, 1, 1, 1, 0, 1, 0, 1024, 576, 32, 128, 16, 8, 2, 1, 1, 1},
        {0, 1, 1, 1, 0, 1, 1024, 128, 0, 256, 128, 16, 1, 16, 1, 1, 1},
        {0, 1, 1, 1, 0, 1, 1024, 128, 256, 352, 128, 16, 1, 22, 1, 1, 1}}},
  };
  for (const Case& c : cases) {
    Mapping m;
    m.weights_per_macro = 16;
    m.duplication = c.d;
    m.k_tiles = (c.K + 127) / 128;
    m.n_tiles = (c.N + 15) / 16;
    m.macros_per_copy = c.macros_per_copy;
    m.placed_per_macro = c.placed_per_macro;
    const Gemm g{c.V, c.K, c.N, int(c.G)};
    const std::vector<hiermap::FlatBlock> got = hiermap::flat_blocks(m, g, 128, c.macros);
    constexpr std::size_t kG = std::size_t(ln::Dim::G);
    ASSERT_EQ(got.size(), c.blocks.size()) << c.K << " x " << c.N;
    for (std::size_t i = 0; i < got.size(); ++i) {
      const hiermap::FlatBlock& b = got[i];
      const Want& w = c.blocks[i];
      const std::string at = std::to_string(c.K) + " x " + std::to_string(c.N) + " block " + std::to_string(i);
      const std::vector<std::int64_t> have = {b.g_begin, b.G,       b.group_macros, b.packed,    b.v_begin,
                                              b.V,       b.k_begin, b.K,            b.n_begin,   b.N,
                                              b.rows,    b.cols,    b.k_tiles,      b.n_tiles,   b.rounds,
                                              b.copies,  b.group_rounds, b.shape.G, b.shape.N,  b.shape.C,
                                              b.shape.M, b.nest.levels[kGlb].temporal[kG]};
      const std::vector<std::int64_t> want = {w.g_begin, w.G,       w.group_macros, w.packed,    w.v_begin,
                                              w.V,       w.k_begin, w.K,            w.n_begin,   w.N,
                                              w.rows,    w.cols,    w.k_tiles,      w.n_tiles,   w.rounds,
                                              w.copies,  w.group_rounds, w.G,       w.V,        w.K,
                                              w.N,       w.group_rounds};
      EXPECT_EQ(have, want) << at;
      // Only a packed last round's second phase runs beside a block (the 32
      // groups: 10 on each of 3 macros, then 1 on each of 2).
      EXPECT_EQ(b.beside, (c.G == 32 && i == 1) || (c.G == 100 && i == 2)) << at;
      // Only the last two cases' second chunks start beside the first's last round.
      EXPECT_EQ(b.concurrent, (c.K == 1408 || c.K == 1152) && i == 2) << at;
    }
  }
  // Not blocks of a flat mapping: several tiles of one group packed on a
  // macro, more copies than vectors or macros.
  Mapping m;
  m.weights_per_macro = 16;
  m.k_tiles = 3;
  m.n_tiles = 2;
  EXPECT_NO_THROW(hiermap::flat_blocks(m, Gemm{4, 300, 32, 2}, 128, 256));
  m.placed_per_macro = 2;
  m.macros_per_copy = 1;
  EXPECT_THROW(hiermap::flat_blocks(m, Gemm{4, 300, 32, 2}, 128, 256), std::invalid_argument);
  m.placed_per_macro = 1;
  m.duplication = 5;
  EXPECT_THROW(hiermap::flat_blocks(m, Gemm{4, 300, 32, 1}, 128, 256), std::invalid_argument);
  m.duplication = 2;
  EXPECT_THROW(hiermap::flat_blocks(m, Gemm{4, 300, 32, 1}, 128, 1), std::invalid_argument);
  EXPECT_NO_THROW(hiermap::flat_blocks(m, Gemm{4, 300, 32, 1}, 128, 2));
}

namespace {

struct Tally {
  int layers = 0, mappings = 0, ragged_k = 0, ragged_n = 0, multi_round = 0, duplicated = 0, ragged_v = 0;
  int grouped = 0, packed = 0;
  int grouped_rounds = 0, packed_rounds = 0;  // mappings of several groups (packed) over several rounds
  int compute_compared = 0, packed_compared = 0;  // of those, compared with the flat compute time
  int refused = 0;      // mappings flat_blocks does not write (flat_nests.hpp)
  int more_rounds = 0;  // one tile shape, but more rounds than the flat placement
  int shared = 0, shared_compared = 0;  // with a concurrent block; of those, compared in compute time
};

// Every flat mapping of `layer` on cfg's flat system (hierarchy `hs`)
// against its blocks.
void compare_layer(const Config& cfg, const hier::HierarchySpec& hs, const LayerSpec& layer, Tally& t) {
  const ArchSpec& arch = cfg.arch;
  const MacroSpec& mac = cfg.macro;
  const double e_d = arch.dram_pj_per_bit, e_g = arch.global_buffer.energy_pj_per_bit;
  const double e_i = arch.input_buffer.energy_pj_per_bit, e_o = arch.output_buffer.energy_pj_per_bit;
  const double clock = arch.clock_ghz;
  const Gemm g = lower(layer);
  const std::int64_t W = hier::macro_weight_columns(mac, layer.weights);
  const MappingSpace space = enumerate_mappings(layer, g, mac, arch, MappingOptions{});
  ASSERT_FALSE(space.feasible.empty()) << layer.name;
  ++t.layers;
  t.ragged_k += g.K % mac.rows != 0;
  t.ragged_n += g.N % W != 0;
  t.multi_round += space.feasible.front().rounds > 1;
  t.grouped += g.groups > 1;
  t.packed += space.feasible.front().placed_per_macro > 1;
  // Per group: V vectors, K x N weights; G groups.
  const std::int64_t V = g.M, K = g.K, N = g.N, G = g.groups, O = V * N * G;
  const hier::OperandBits ob = hier::layer_operand_bits(layer.inputs, layer.weights, K);
  const double x = layer.inputs.bits, w = layer.weights.bits, ps = ob[2], fin = layer.inputs.bits;
  const ln::Hierarchy h = hier::to_hierarchy(hs, mac, layer.weights, ob, clock);
  ASSERT_EQ(h.size(), hiermap::kFlatLevels);
  const int adc_ppw = adc_cols_per_weight(mac, layer.weights);
  auto mvm_ns = [&](int r, int cols) {
    return mvm_latency_ns(mac, rows_summed(mac, r), row_groups(mac, r), input_cycles(mac, layer.inputs),
                          cols * adc_ppw, arch.row_settle_ns);
  };
  // Every mapping of the flat model: each duplication, both loop orders.
  for (const Mapping& flat : space.feasible) {
    const bool in_reuse = flat.order == LoopOrder::input_reuse;
    const std::string L = layer.name + " d" + std::to_string(flat.duplication) + " " + loop_order_name(flat.order);

    std::vector<hiermap::FlatBlock> blocks;
    try {
      blocks = hiermap::flat_blocks(flat, g, mac.rows, arch.macros);
    } catch (const std::invalid_argument&) {
      ++t.refused;
      continue;
    }
    t.duplicated += flat.duplication > 1;
    t.grouped_rounds += G > 1 && flat.rounds > 1;
    t.packed_rounds += G > 1 && flat.rounds > 1 && flat.placed_per_macro > 1;
    t.ragged_v += V % flat.duplication != 0;
    ln::NestCost sum;
    double compute_ns = 0, want_compute_ns = 0;
    double want_ibuf = 0, want_glb_in = 0, want_dram_in = 0, want_dram_w = 0;
    double want_obuf = 0, want_glb_out = 0, want_dram_out = 0;
    std::map<std::pair<int, int>, std::int64_t> runs;  // by (rows, cols)
    std::int64_t covered = 0;
    bool one_shape = true;  // every block's tile is the flat model's largest
    // Rounds of the blocks, one after another (g): those of every G segment
    // (but a packed round's second phase) and K and N segment of one V segment.
    std::int64_t rounds = 0;
    std::int64_t slot_macros = 0;  // macros busy in the time slot of a block's last round
    const hiermap::FlatBlock* before = nullptr;
    for (const hiermap::FlatBlock& b : blocks) {
      ASSERT_EQ(ln::mapping_error(h, b.shape, b.nest), "") << L;
      // The blocks tile the GEMM: each an exact grid of tiles, together every weight once.
      EXPECT_EQ(b.K, b.k_tiles * b.rows) << L;
      EXPECT_EQ(b.N, b.rounds * b.n_tiles * b.cols) << L;
      EXPECT_EQ(b.V % b.copies, 0) << L;
      EXPECT_EQ(b.G, b.group_rounds * b.group_macros * b.packed) << L;
      EXPECT_TRUE(!b.beside || (b.group_rounds == 1 && b.g_begin > 0)) << L;
      EXPECT_LE(b.group_macros * b.copies * b.k_tiles * b.n_tiles, arch.macros) << L;
      covered += b.G * b.V * b.K * b.N;
      if (b.v_begin == 0 && !b.beside && !b.concurrent) rounds += b.group_rounds * b.rounds;
      // A concurrent block runs in one round, with the block before it's
      // last, on macros left idle there, with the same tile and vectors per copy.
      const std::int64_t b_macros = b.group_macros * b.copies * b.k_tiles * b.n_tiles;
      if (b.concurrent) {
        ASSERT_NE(before, nullptr) << L;
        EXPECT_EQ(b.rounds * b.group_rounds, 1) << L;
        EXPECT_EQ(std::make_tuple(b.rows, b.cols, b.V / b.copies, b.packed, b.g_begin, b.v_begin),
                  std::make_tuple(before->rows, before->cols, before->V / before->copies, before->packed,
                                  before->g_begin, before->v_begin))
            << L;
        slot_macros += b_macros;
      } else {
        slot_macros = b_macros;
      }
      EXPECT_LE(slot_macros, arch.macros) << L;
      before = &b;
      const std::int64_t Vb = b.V, per_copy = b.V / b.copies, Gb = b.G;
      one_shape = one_shape && b.rows == std::min<std::int64_t>(K, mac.rows) && b.cols == std::min(N, W);
      const ln::NestCounts c = ln::analyze(h, b.shape, b.nest);
      const ln::JobFiguresFn fig = [&](const ln::TileJob& job) {
        const int r = int(job.shape[std::size_t(ln::Dim::C)]), cols = int(job.shape[std::size_t(ln::Dim::M)]);
        return ln::JobFigures{job_pj(r, cols), mvm_ns(r, cols) * clock};
      };
      ln::CostParams p;
      p.bits = {x, w, ps, fin};
      p.job_figures = &fig;
      const ln::NestCost k = ln::cost(h, b.shape, b.nest, c, p);
      runs[{int(c.job.shape[std::size_t(ln::Dim::C)]), int(c.job.shape[std::size_t(ln::Dim::M)])}] += c.job.runs;
      sum.macro_pj += k.macro_pj;
      sum.total_pj += k.total_pj;
      for (int i = 0; i < h.size(); ++i)
        for (int o = 0; o < ln::kOperands; ++o)
          sum.level_pj[std::size_t(i)][std::size_t(o)] += k.level_pj[std::size_t(i)][std::size_t(o)];
      // (g): each block runs its group rounds and in each its rounds, each
      // copy its vectors once per round and each macro its packed groups one
      // after another; a concurrent block in the time of the one before it.
      if (!b.concurrent) {
        compute_ns += k.compute_cycles / clock;
        want_compute_ns += double(b.group_rounds * b.rounds) * double(per_copy) * double(b.packed) *
                           mvm_ns(b.rows, b.cols);
      }
      // (a), (h): every MVM reads its rows' inputs from the input buffer; each
      // macro fills its slice of its copy's vectors once for the block.
      const double in_words = double(Vb * b.K) * double(Gb);
      want_ibuf += (in_words * double(b.n_tiles * b.rounds) + in_words * double(b.n_tiles)) * x * e_i;
      // (a), (g): the global buffer fills the block's slice from DRAM and sends it once.
      want_glb_in += 2.0 * in_words * x * e_g;
      want_dram_in += in_words * x * e_d;
      want_dram_w += double(b.K * b.N) * double(Gb) * w * e_d;  // (c), (g): once per block
      // (d), (e): each k tile's macro writes its cols partial sums per vector,
      // round and group into its own output buffer and drains them (one
      // residency per time step: no RMW); a single-tile block's are final.
      const double Ob = double(Vb * b.N) * double(Gb);
      const double tile_bits = b.k_tiles == 1 ? fin : ps;
      want_obuf += 2.0 * Ob * double(b.k_tiles) * tile_bits * e_o;
      want_glb_out += 2.0 * Ob * fin * e_g;  // reduced across the macros: O_b updates, O_b drains
      want_dram_out += Ob * fin * e_d;
      if (blocks.size() == 1) {
        // (f): the one nest's latency from its bits by hand: DRAM port
        // (inputs, weights, outputs), global buffer port (inputs in and
        // out, outputs in and out) and its swap (inputs in, outputs out).
        const double dram_bits = double(V * K * G) * x + double(K * N * G) * w + double(O) * fin;
        const double glb_bits = 2.0 * double(V * K * G) * x + 2.0 * double(O) * fin;
        const double glb_bw = arch.global_buffer.bandwidth_bits_per_cycle;
        expect_rel(k.port_cycles[kDram], dram_bits / (arch.dram_bandwidth_gbps / clock), L + " dram port");
        expect_rel(k.port_cycles[kGlb], glb_bits / glb_bw, L + " glb port");
        expect_rel(k.swap_cycles[kGlb], (double(V * K * G) * x + double(O) * fin) / glb_bw, L + " glb swap");
        expect_rel(k.ns, std::max({want_compute_ns * clock, dram_bits / (arch.dram_bandwidth_gbps / clock),
                                   glb_bits / glb_bw}) / clock + glb_bits / 2.0 / glb_bw / clock,
                   L + " latency");
      }
    }
    EXPECT_EQ(covered, G * V * K * N) << L;
    const bool has_concurrent =
        std::any_of(blocks.begin(), blocks.end(), [](const hiermap::FlatBlock& b) { return b.concurrent; });
    // ... and they are the cross product of the G, V and K segments, which
    // tile [0, size) end to end, each (G, V, K) segment with N segments of
    // its own (a K chunk sizes its own n rounds) that tile [0, N).
    std::array<std::set<std::pair<std::int64_t, std::int64_t>>, 3> segs;
    std::map<std::array<std::int64_t, 3>, std::set<std::pair<std::int64_t, std::int64_t>>> n_segs;
    for (const hiermap::FlatBlock& b : blocks) {
      segs[0].insert({b.g_begin, b.G});
      segs[1].insert({b.v_begin, b.V});
      segs[2].insert({b.k_begin, b.K});
      n_segs[{b.g_begin, b.v_begin, b.k_begin}].insert({b.n_begin, b.N});
    }
    auto tiles_end_to_end = [&](const std::set<std::pair<std::int64_t, std::int64_t>>& seg, std::int64_t size,
                                const std::string& what) {
      std::int64_t end = 0;
      for (const auto& [begin, n] : seg) {
        EXPECT_EQ(begin, end) << L << " " << what;
        end = begin + n;
      }
      EXPECT_EQ(end, size) << L << " " << what;
    };
    std::size_t product = 1, pieces = 0;
    const std::array<std::int64_t, 3> sizes = {G, V, K};
    for (std::size_t d = 0; d < 3; ++d) {
      tiles_end_to_end(segs[d], sizes[d], "dimension " + std::to_string(d));
      product *= segs[d].size();
    }
    EXPECT_EQ(n_segs.size(), product) << L;
    for (const auto& [gvk, seg] : n_segs) {
      tiles_end_to_end(seg, N, "N segments of k " + std::to_string(gvk[2]));
      pieces += seg.size();
    }
    EXPECT_EQ(blocks.size(), pieces) << L;

    // Parity: tile jobs by shape, macro energy, compute time.
    std::map<std::pair<int, int>, std::int64_t> flat_runs;
    double flat_macro = 0;
    for (const TileUse& u : flat.tiles) {
      flat_runs[{u.rows_used, u.cols_used}] += u.mvms;
      flat_macro += double(u.mvms) * job_pj(u.rows_used, u.cols_used);
    }
    EXPECT_EQ(runs, flat_runs) << L;
    expect_rel(sum.macro_pj, flat_macro, L + " macro");
    expect_rel(compute_ns, want_compute_ns, L + " compute (g)");
    // A round holds at most `macros` tiles, as the flat model's do: never
    // fewer rounds than the flat placement.
    EXPECT_GE(rounds, flat.rounds) << L;
    // One tile shape and the same rounds: ceil(V / d) vectors per copy is
    // V / d, then 1, and a packed round's p groups per macro its two phases
    // (b, then p - b), where every round of the flat placement has a macro
    // holding p (else the flat model counts p steps for a round that has fewer).
    if (one_shape && rounds == flat.rounds &&
        flat_rounds_full(flat.total_tiles, flat.placed_per_macro, arch.macros, flat.rounds)) {
      expect_rel(compute_ns, flat.compute_ns, L + " compute");
      t.compute_compared += G > 1 && flat.rounds > 1;
      t.packed_compared += G > 1 && flat.rounds > 1 && flat.placed_per_macro > 1;
      t.shared_compared += has_concurrent;
    }
    t.shared += has_concurrent;
    t.more_rounds += one_shape && rounds > flat.rounds;

    // The flat model's storage terms by their closed forms (mapping.hpp).
    const double flat_ibuf_bits = double(V * K * G) * double(flat.n_tiles) * x;
    // input_reuse broadcasts a k slice to its n tiles in each round;
    // output_reuse fetches it for every n tile.
    const FlatPlacement fp{flat.k_tiles, flat.n_tiles, G, flat.placed_per_macro, arch.macros};
    const double flat_glb_in =
        double(V) * x * (in_reuse ? flat_fetches_per_vector(fp, K, mac.rows) : double(G * K) * double(flat.n_tiles));
    // The real input tensor (padded: H = (P - 1) stride + R rows) once; the
    // GEMM view reads the im2col matrix.
    const double flat_dram_in =
        layer.kind == LayerKind::conv2d
            ? double(layer.batch) * layer.C * double((layer.P - 1) * layer.stride_h + layer.R) *
                  double((layer.Q - 1) * layer.stride_w + layer.S) * x
            : double(V * K * G) * x;
    // Weights from DRAM when they do not fit, or are an activation (matmul).
    const double flat_dram_w =
        flat.rounds > 1 || layer.kind == LayerKind::matmul ? double(K * N * G) * w : 0.0;
    // input_reuse read-modify-writes partial sums per k tile beyond the
    // first; output_reuse spills an n tile's at each round boundary.
    const double flat_obuf_bits =
        in_reuse ? 2.0 * double(O) * double(flat.k_tiles - 1) * ps
                 : 2.0 * double(V) * ps * flat_spills_per_vector(fp, N, int(W));
    expect_rel(flat.input_buffer_bits, flat_ibuf_bits, L + " flat input buffer bits");
    expect_rel(flat.global_buffer_bits, flat_glb_in + double(O) * ps, L + " flat global buffer bits");
    expect_rel(flat.dram_bits, flat_dram_in + flat_dram_w + double(O) * ps, L + " flat dram bits");
    expect_rel(flat.output_buffer_bits, flat_obuf_bits, L + " flat output buffer bits");

    // The hierarchy's storage terms.
    expect_rel(sum.level_pj[kIbuf][0], want_ibuf, L + " input buffer");
    expect_rel(sum.level_pj[kGlb][0], want_glb_in, L + " global buffer inputs");
    expect_rel(sum.level_pj[kDram][0], want_dram_in, L + " dram inputs");
    expect_rel(sum.level_pj[kDram][1], want_dram_w, L + " dram weights");
    expect_rel(sum.level_pj[kDram][2], want_dram_out, L + " dram outputs");
    expect_rel(sum.level_pj[kObuf][2], want_obuf, L + " output buffer");
    expect_rel(sum.level_pj[kGlb][2], want_glb_out, L + " global buffer outputs");
    // One block of one round: (a) doubles the flat input buffer's bits.
    if (blocks.size() == 1 && flat.rounds == 1) expect_rel(want_ibuf, 2.0 * flat_ibuf_bits * e_i, L + " (a)");
    // The two orders' nests are the same: so are their terms.
    // Nothing else is priced: the macro level's weight fills and links cost 0 here.
    double levels = 0;
    for (const auto& lv : sum.level_pj)
      for (double v : lv) levels += v;
    expect_rel(sum.total_pj, sum.macro_pj + levels, L + " total");
    // The whole difference, closed form: the flat total less its storage
    // terms plus the hierarchy's.
    const double flat_storage = flat_ibuf_bits * e_i + flat_obuf_bits * e_o + (flat_glb_in + double(O) * ps) * e_g +
                                (flat_dram_in + flat_dram_w + double(O) * ps) * e_d;
    const double hier_storage =
        want_ibuf + want_glb_in + want_dram_in + want_dram_w + want_obuf + want_glb_out + want_dram_out;
    expect_rel(sum.total_pj, mapping_energy_pj(flat, arch, job_pj) - flat_storage + hier_storage,
               L + " total difference");
    ++t.mappings;
  }
}

}  // namespace

TEST(FlatParity, ResNet18LayersOnTheFlatHierarchy) {
  const Config cfg = load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/arch-flat.yaml");
  ASSERT_FALSE(cfg.arch.hierarchy.empty());
  Tally t;
  for (const LayerSpec& layer : cfg.network.layers) compare_layer(cfg, cfg.arch.hierarchy, layer, t);
  // All 21 layers of ResNet-18: conv1 (K = 147) and the six with K = 576 are
  // ragged on 128 rows; fc splits N raggedly (1000 outputs on 16 weight
  // columns); seven layers need more than one round of the 256 macros
  // (layer3's 3 x 3 convs after the first: 2 rounds; layer4's: 3 and 5).
  // Every layer with fewer tiles than macros also has copies: d = 1, 2, 4,
  // ... up to floor(256 / its tiles), some of which do not divide V.
  EXPECT_EQ(t.layers, 21);
  EXPECT_EQ(t.ragged_k, 7);
  EXPECT_EQ(t.ragged_n, 1);
  EXPECT_EQ(t.multi_round, 7);
  EXPECT_GT(t.duplicated, 0);
  EXPECT_GT(t.ragged_v, 0);
  EXPECT_EQ(t.refused, 0);
  EXPECT_EQ(t.more_rounds, 0);  // ResNet-18's rounds: 1, 2, 3 or 5, as the flat model's
  std::printf("FlatParity: ResNet-18, %d flat mappings compared (%d duplicated, %d on vectors d does not divide)\n",
              t.mappings, t.duplicated, t.ragged_v);
}

// MobileNetV3's layers on its own flat system (the same macro and flat keys
// as arch-flat; hier::flat_hierarchy): its depthwise layers pack several
// one-tile groups on a macro.
TEST(FlatParity, MobileNetV3LayersOnTheFlatHierarchy) {
  const Config cfg = load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/mobilenetv3.yaml");
  ASSERT_TRUE(cfg.arch.hierarchy.empty());
  const hier::HierarchySpec hs = hier::flat_hierarchy(cfg.arch);
  Tally t;
  for (const LayerSpec& layer : cfg.network.layers) compare_layer(cfg, hs, layer, t);
  EXPECT_EQ(t.layers, int(cfg.network.layers.size()));
  EXPECT_GT(t.grouped, 0);
  EXPECT_GT(t.packed, 0);
  EXPECT_EQ(t.refused, 0);
  EXPECT_EQ(t.more_rounds, 0);
  std::printf("FlatParity: MobileNetV3, %d layers (%d grouped, %d packed, %d ragged in K, %d in N, %d multi-round), "
              "%d flat mappings compared (%d duplicated, %d on vectors d does not divide)\n",
              t.layers, t.grouped, t.packed, t.ragged_k, t.ragged_n, t.multi_round, t.mappings, t.duplicated,
              t.ragged_v);
}

// Random layers on flat systems of 1 to 256 macros, with 4- and 8-bit
// weights (32 or 16 to a macro): GEMMs and grouped convs (up to 120 groups)
// that round, pack, duplicate and split raggedly in ways the networks do
// not, among them grouped and packed layers over several rounds.
TEST(FlatParity, RandomLayers) {
  Config cfg = load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/arch-flat.yaml");
  std::mt19937_64 rng(12);
  auto pick = [&](int lo, int hi) { return lo + int(rng() % std::uint64_t(hi - lo + 1)); };
  Tally t;
  for (int i = 0; i < 400; ++i) {
    cfg.arch.macros = 1 << pick(0, 8);
    const hier::HierarchySpec hs = hier::flat_hierarchy(cfg.arch);
    LayerSpec l;
    l.name = "random " + std::to_string(i);
    l.inputs.bits = 8;
    l.weights.bits = pick(0, 1) ? 8 : 4;
    l.weights.is_signed = true;
    if (pick(0, 1)) {
      l.kind = LayerKind::linear;
      l.batch = pick(1, 4);
      l.tokens = pick(1, 40);
      l.C = pick(0, 1) ? 128 * pick(1, 12) : pick(1, 1500);  // whole k tiles, or any
      l.M = pick(0, 1) ? 32 * pick(1, 20) : pick(1, 700);  // whole n tiles, or any
    } else {
      l.kind = LayerKind::conv2d;
      l.groups = pick(0, 2) ? pick(1, 24) : pick(25, 120);  // more groups than a few macros hold
      l.C = l.groups * (pick(0, 2) ? 1 : pick(1, 40));
      l.M = l.groups * (pick(0, 2) ? 1 : pick(1, 40));
      l.R = l.S = pick(0, 1) ? 3 : 1;
      l.stride_h = l.stride_w = pick(1, 2);
      l.P = pick(1, 12);
      l.Q = pick(1, 12);
    }
    compare_layer(cfg, hs, l, t);
  }
  // Seed 12: 1914 mappings compared, none refused; 128 of them grouped over
  // several rounds (46 packed). On 4 of one tile shape the blocks took more
  // rounds than the flat placement, which splits n tiles' k tiles over
  // rounds, until a K chunk's first n tiles could run beside the chunk
  // before it (BlocksByHand's 11 x 34 tiles on 64 macros and 9 x 38 on 32).
  std::printf("FlatParity: random, %d layers (%d grouped, %d packed, %d multi-round), %d flat mappings compared "
              "(%d grouped over several rounds, %d of them packed; %d and %d compared in compute time), "
              "%d refused, %d with more rounds; %d with a chunk beside another (%d compared in compute time)\n",
              t.layers, t.grouped, t.packed, t.multi_round, t.mappings, t.grouped_rounds, t.packed_rounds,
              t.compute_compared, t.packed_compared, t.refused, t.more_rounds, t.shared, t.shared_compared);
  EXPECT_EQ(t.layers, 400);
  EXPECT_GT(t.mappings, 1000);
  EXPECT_EQ(t.refused, 0);
  EXPECT_EQ(t.more_rounds, 0);
  EXPECT_GT(t.shared_compared, 0);
  EXPECT_GT(t.grouped_rounds, 50);
  EXPECT_GT(t.packed_rounds, 20);
  EXPECT_GT(t.compute_compared, 20);
  EXPECT_GT(t.packed_compared, 10);
  EXPECT_GT(t.grouped, 50);
  EXPECT_GT(t.packed, 20);
  EXPECT_GT(t.multi_round, 20);
}

// The other shipped networks on their flat systems (the same macro and flat
// keys as arch-flat): VGG-16, ViT and GPT-2 medium, whose attention matmuls
// load their stored operand from DRAM every inference.
TEST(FlatParity, OtherNetworksOnTheFlatHierarchy) {
  struct Want {
    const char* name;
    int layers, more_rounds;
  };
  // VGG-16's fc6 (K 25088 = 196 k tiles, N 4096 = 256 n tiles) would fit
  // one n tile in a round of 256 macros (256 rounds); as K chunks of 64, 64,
  // 64 and 4 k tiles it takes 3 x 64 + 4 = 196 rounds, the flat placement's
  // 50176 / 256 (BlocksByHand), so no network takes more rounds than flat.
  for (const Want& w : {Want{"vgg16", 16, 0}, Want{"vit", 98, 0}, Want{"gpt2-medium", 145, 0}}) {
    const Config cfg = load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/" + w.name + ".yaml");
    ASSERT_TRUE(cfg.arch.hierarchy.empty()) << w.name;
    const hier::HierarchySpec hs = hier::flat_hierarchy(cfg.arch);
    Tally t;
    for (const LayerSpec& layer : cfg.network.layers) compare_layer(cfg, hs, layer, t);
    EXPECT_EQ(t.layers, w.layers) << w.name;
    EXPECT_EQ(t.refused, 0) << w.name;
    EXPECT_EQ(t.more_rounds, w.more_rounds) << w.name;
    std::printf("FlatParity: %s, %d layers (%d multi-round), %d flat mappings compared\n", w.name, t.layers,
                t.multi_round, t.mappings);
  }
}

// The flat mapping's blocks as loop nests; the layout is in flat_nests.hpp.
#include "hiermap/flat_nests.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace cimmc::hiermap {

namespace ln = cimmc::loopnest;

namespace {

struct Segment {
  std::int64_t begin = 0, size = 0;  // vectors (V), groups (G) or elements of K or N
  std::int64_t tile = 0;             // vectors per copy, groups per macro, rows or weight columns per tile
  std::int64_t tiles = 0;            // copies, macros or tiles side by side (per round for N)
  std::int64_t rounds = 1;
};

void require(bool ok, const std::string& rule) {
  if (!ok) throw std::invalid_argument("flat_blocks: " + rule);
}

}  // namespace

std::vector<FlatBlock> flat_blocks(const Mapping& m, const Gemm& g, int macro_rows, std::int64_t macros) {
  require(macro_rows > 0 && m.weights_per_macro > 0 && macros > 0 && m.duplication > 0 && g.groups > 0 &&
              m.placed_per_macro > 0,
          "rows, weight columns, macros, duplication, groups and tiles per macro must be positive");
  require(g.groups == 1 || m.rounds == 1, "a layer of several groups must fit the macros in one round");
  require(m.placed_per_macro == 1 || (m.k_tiles == 1 && m.n_tiles == 1),
          "only a group of one tile can share a macro with others");
  const std::int64_t rows = macro_rows, W = m.weights_per_macro, d = m.duplication;
  require(m.k_tiles == (g.K + rows - 1) / rows, "the mapping's k tiles are not ceil(K / rows)");
  require(d <= g.M, "more copies of the weights than input vectors");
  // Groups side by side on the macros, `placed_per_macro` of them packed on
  // one macro (then a group is one tile): G / spread on each of `spread`
  // macros, then the G % spread left over, one on each of G % spread macros.
  const std::int64_t spread = m.placed_per_macro == 1 ? g.groups : m.macros_per_copy;
  require(spread > 0 && (g.groups + spread - 1) / spread == m.placed_per_macro,
          "the mapping's tiles per macro are not ceil(groups / macros per copy)");
  require(d <= macros && spread <= macros / d,
          std::to_string(d) + " copies of " + std::to_string(spread) + " groups side by side need more than the " +
              std::to_string(macros) + " macros");
  std::vector<Segment> gs;  // tile: groups per macro; tiles: macros
  if (g.groups / spread > 0) gs.push_back({0, g.groups / spread * spread, g.groups / spread, spread, 1});
  if (g.groups % spread > 0) gs.push_back({g.groups / spread * spread, g.groups % spread, 1, g.groups % spread, 1});

  std::vector<Segment> vs;  // tile: vectors per copy; tiles: copies
  if (g.M / d > 0) vs.push_back({0, g.M / d * d, g.M / d, d, 1});
  if (g.M % d > 0) vs.push_back({g.M / d * d, g.M % d, 1, g.M % d, 1});

  // K: the full k tiles, then the ragged one, sharing rounds (sized for
  // all k_tiles of an n tile). When those outnumber the macros a round
  // holds per copy and group, the full k tiles go in chunks of at most that
  // many, balanced, each its own block (their partial sums add outside).
  const std::int64_t k_fit = macros / (d * spread), kf = g.K / rows;
  std::int64_t k_round = m.k_tiles;  // k tiles side by side in a round
  std::vector<Segment> ks;
  if (m.k_tiles <= k_fit) {
    if (kf > 0) ks.push_back({0, kf * rows, rows, kf, 1});
  } else {
    const std::int64_t chunks = (kf + k_fit - 1) / k_fit;
    k_round = (kf + chunks - 1) / chunks;
    for (std::int64_t k = 0; k < kf; k += k_round) {
      const std::int64_t n = std::min(k_round, kf - k);
      ks.push_back({k * rows, n * rows, rows, n, 1});
    }
  }
  if (g.K % rows > 0) ks.push_back({kf * rows, g.K % rows, g.K % rows, 1, 1});

  // Whole n tiles per round, balanced over the fewest rounds that fit.
  std::vector<Segment> ns;
  const std::int64_t full = g.N / W;
  if (full > 0) {
    const std::int64_t fit = macros / (k_round * d * spread);
    const std::int64_t fewest = (full + fit - 1) / fit;
    const std::int64_t per_round = (full + fewest - 1) / fewest;
    const std::int64_t rounds = full / per_round, rest = full - rounds * per_round;
    ns.push_back({0, rounds * per_round * W, W, per_round, rounds});
    if (rest > 0) ns.push_back({rounds * per_round * W, rest * W, W, rest, 1});
  }
  if (g.N % W > 0) ns.push_back({full * W, g.N % W, g.N % W, 1, 1});

  std::vector<FlatBlock> blocks;
  for (const Segment& gr : gs)
    for (const Segment& v : vs)
      for (const Segment& k : ks)
        for (const Segment& n : ns) {
          FlatBlock b{.g_begin = gr.begin, .G = gr.size, .group_macros = gr.tiles, .packed = gr.tile,
                      .v_begin = v.begin, .V = v.size, .k_begin = k.begin, .K = k.size, .n_begin = n.begin,
                      .N = n.size, .rows = int(k.tile), .cols = int(n.tile), .k_tiles = k.tiles,
                      .n_tiles = n.tiles, .rounds = n.rounds, .copies = v.tiles,
                      .shape = ln::gemm(v.size, k.size, n.size), .nest = {}};
          b.shape.G = gr.size;
          b.nest.levels.resize(kFlatLevels);
          ln::LevelLoops& glb = b.nest.levels[kFlatGlobalBuffer];
          glb.temporal[std::size_t(ln::Dim::M)] = b.rounds;
          glb.spatial[std::size_t(ln::Dim::G)] = b.group_macros;
          glb.spatial[std::size_t(ln::Dim::N)] = b.copies;
          glb.spatial[std::size_t(ln::Dim::C)] = b.k_tiles;
          glb.spatial[std::size_t(ln::Dim::M)] = b.n_tiles;
          b.nest.levels[kFlatInputBuffer].temporal[std::size_t(ln::Dim::N)] = v.tile;
          ln::LevelLoops& mac = b.nest.levels[kFlatMacro];
          mac.temporal[std::size_t(ln::Dim::G)] = b.packed;
          mac.spatial[std::size_t(ln::Dim::C)] = b.rows;
          mac.spatial[std::size_t(ln::Dim::M)] = b.cols;
          blocks.push_back(std::move(b));
        }
  return blocks;
}

}  // namespace cimmc::hiermap

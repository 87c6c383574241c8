// The flat mapping's blocks as loop nests; the layout is in flat_nests.hpp.
#include "hiermap/flat_nests.hpp"

#include <stdexcept>
#include <string>

namespace cimmc::hiermap {

namespace ln = cimmc::loopnest;

namespace {

struct Segment {
  std::int64_t begin = 0, size = 0;  // elements of K or N
  int tile = 0;                      // rows or weight columns per tile
  std::int64_t tiles = 0;            // tiles side by side (per round for N)
  std::int64_t rounds = 1;
};

void require(bool ok, const std::string& rule) {
  if (!ok) throw std::invalid_argument("flat_blocks: " + rule);
}

}  // namespace

std::vector<FlatBlock> flat_blocks(const Mapping& m, const Gemm& g, int macro_rows, std::int64_t macros) {
  require(g.groups == 1, "the layer must have one group");
  require(m.order == LoopOrder::input_reuse, "the mapping's order must be input_reuse");
  require(m.duplication == 1, "the mapping must not duplicate weights");
  require(m.placed_per_macro == 1, "the mapping must place one tile per macro");
  require(macro_rows > 0 && m.weights_per_macro > 0 && macros > 0, "rows, weight columns and macros must be positive");
  const std::int64_t rows = macro_rows, W = m.weights_per_macro;
  require(m.k_tiles == (g.K + rows - 1) / rows, "the mapping's k tiles are not ceil(K / rows)");
  require(m.k_tiles <= macros, "one n tile's " + std::to_string(m.k_tiles) + " k tiles need more than the " +
                                   std::to_string(macros) + " macros");

  std::vector<Segment> ks;
  if (g.K / rows > 0) ks.push_back({0, g.K / rows * rows, int(rows), g.K / rows, 1});
  if (g.K % rows > 0) ks.push_back({g.K / rows * rows, g.K % rows, int(g.K % rows), 1, 1});

  // Whole n tiles per round, balanced over the fewest rounds that fit.
  std::vector<Segment> ns;
  const std::int64_t full = g.N / W;
  if (full > 0) {
    const std::int64_t fit = macros / m.k_tiles;
    const std::int64_t fewest = (full + fit - 1) / fit;
    const std::int64_t per_round = (full + fewest - 1) / fewest;
    const std::int64_t rounds = full / per_round, rest = full - rounds * per_round;
    ns.push_back({0, rounds * per_round * W, int(W), per_round, rounds});
    if (rest > 0) ns.push_back({rounds * per_round * W, rest * W, int(W), rest, 1});
  }
  if (g.N % W > 0) ns.push_back({full * W, g.N % W, int(g.N % W), 1, 1});

  std::vector<FlatBlock> blocks;
  for (const Segment& k : ks)
    for (const Segment& n : ns) {
      FlatBlock b{.k_begin = k.begin, .K = k.size, .n_begin = n.begin, .N = n.size, .rows = k.tile,
                  .cols = n.tile, .k_tiles = k.tiles, .n_tiles = n.tiles, .rounds = n.rounds,
                  .shape = ln::gemm(g.M, k.size, n.size), .nest = {}};
      b.nest.levels.resize(kFlatLevels);
      ln::LevelLoops& glb = b.nest.levels[kFlatGlobalBuffer];
      glb.temporal[std::size_t(ln::Dim::M)] = b.rounds;
      glb.spatial[std::size_t(ln::Dim::C)] = b.k_tiles;
      glb.spatial[std::size_t(ln::Dim::M)] = b.n_tiles;
      b.nest.levels[kFlatInputBuffer].temporal[std::size_t(ln::Dim::N)] = g.M;
      ln::LevelLoops& mac = b.nest.levels[kFlatMacro];
      mac.spatial[std::size_t(ln::Dim::C)] = b.rows;
      mac.spatial[std::size_t(ln::Dim::M)] = b.cols;
      blocks.push_back(std::move(b));
    }
  return blocks;
}

}  // namespace cimmc::hiermap

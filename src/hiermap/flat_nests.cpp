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
  bool beside = false;               // a G phase in the last round of the segment before it
  bool concurrent = false;           // N: at the same time as the segment before it, on its idle macros
  std::int64_t span = 0;             // K segments: k tiles side by side in a round (sizes the N rounds)
};

void require(bool ok, const std::string& rule) {
  if (!ok) throw std::invalid_argument("flat_blocks: " + rule);
}

}  // namespace

std::vector<FlatBlock> flat_blocks(const Mapping& m, const Gemm& g, int macro_rows, std::int64_t macros) {
  require(macro_rows > 0 && m.weights_per_macro > 0 && macros > 0 && m.duplication > 0 && g.groups > 0 &&
              m.placed_per_macro > 0,
          "rows, weight columns, macros, duplication, groups and tiles per macro must be positive");
  require(m.placed_per_macro == 1 || (m.k_tiles == 1 && m.n_tiles == 1),
          "only a group of one tile can share a macro with others");
  const std::int64_t rows = macro_rows, W = m.weights_per_macro, d = m.duplication;
  require(m.k_tiles == (g.K + rows - 1) / rows, "the mapping's k tiles are not ceil(K / rows)");
  require(m.n_tiles == (g.N + W - 1) / W, "the mapping's n tiles are not ceil(N / weight columns)");
  require(d <= g.M, "more copies of the weights than input vectors");
  require(d <= macros, std::to_string(d) + " copies need more than the " + std::to_string(macros) + " macros");
  const std::int64_t cap = macros / d;  // macros a copy has in a round
  // G segments (tile: groups packed on a macro; tiles: macros side by side;
  // rounds: group rounds, the temporal G on the global buffer). `spread`
  // is the most groups side by side in a round: the K and N segments below
  // size their rounds for it.
  std::vector<Segment> gs;
  std::int64_t spread = 0;
  if (m.placed_per_macro > 1) {
    // Groups of one tile, p to a macro: the flat placement itself, p
    // groups to a macro in group order, `cap` macros to a round. The full
    // rounds are one block; the last round's G2 groups fill G2 / p macros
    // and one more with G2 % p = b, which run as two phases of that round:
    // first b groups on each of the G2 / p + 1 macros, then the other p - b
    // on each of the G2 / p full ones (p time steps, as the flat model's).
    const std::int64_t p = m.placed_per_macro;
    require(m.macros_per_copy > 0 && (g.groups + m.macros_per_copy - 1) / m.macros_per_copy == p,
            "the mapping's tiles per macro are not ceil(groups / macros per copy)");
    const std::int64_t full = g.groups / (cap * p), begin = full * cap * p, a = (g.groups - begin) / p,
                       b = (g.groups - begin) % p;
    if (full > 0) gs.push_back({0, begin, p, cap, full});
    if (b > 0) gs.push_back({begin, (a + 1) * b, b, a + 1, 1});
    if (a > 0) gs.push_back({begin + (a + 1) * b, a * (p - b), p - b, a, 1, b > 0});
    spread = full > 0 ? cap : a + (b > 0);
  } else {
    // Whole groups to a round (all k_tiles x n_tiles tiles of each),
    // balanced over the fewest rounds, as the n tiles below; a group that
    // does not fit one round runs alone, its n tiles in rounds of their own
    // (and its k tiles in chunks) inside each group round.
    const std::int64_t fit = cap / (m.k_tiles * m.n_tiles);
    const std::int64_t side = std::max<std::int64_t>(1, std::min<std::int64_t>(g.groups, fit));
    const std::int64_t fewest = (g.groups + side - 1) / side;
    spread = (g.groups + fewest - 1) / fewest;
    const std::int64_t full = g.groups / spread, rest = g.groups - full * spread;
    gs.push_back({0, full * spread, 1, spread, full});
    if (rest > 0) gs.push_back({full * spread, rest, 1, rest, 1});
  }

  std::vector<Segment> vs;  // tile: vectors per copy; tiles: copies
  if (g.M / d > 0) vs.push_back({0, g.M / d * d, g.M / d, d, 1});
  if (g.M % d > 0) vs.push_back({g.M / d * d, g.M % d, 1, g.M % d, 1});

  // Whole n tiles per round for k tiles of `span` side by side, balanced
  // over the fewest rounds that fit; then a remainder round and the ragged n tile.
  const std::int64_t full = g.N / W;
  auto n_segments = [&](std::int64_t span) {
    std::vector<Segment> ns;
    if (full > 0) {
      const std::int64_t fit = macros / (span * d * spread);
      const std::int64_t fewest = (full + fit - 1) / fit;
      const std::int64_t per_round = (full + fewest - 1) / fewest;
      const std::int64_t rounds = full / per_round, rest = full - rounds * per_round;
      ns.push_back({0, rounds * per_round * W, W, per_round, rounds});
      if (rest > 0) ns.push_back({rounds * per_round * W, rest * W, W, rest, 1});
    }
    if (g.N % W > 0) ns.push_back({full * W, g.N % W, g.N % W, 1, 1});
    return ns;
  };
  auto rounds_of = [&](const std::vector<Segment>& ns) {
    std::int64_t r = 0;
    for (const Segment& n : ns) r += n.rounds;
    return r;
  };

  // K: the full k tiles, then the ragged one, sharing rounds (sized for
  // all k_tiles of an n tile). When those outnumber the macros a round
  // holds per copy and group, the full ones go in chunks of at most that
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
  for (Segment& k : ks) k.span = k_round;
  // Without a ragged k tile, whole-n-tile rounds of all k tiles can leave
  // macros idle that the flat placement fills by splitting an n tile's k
  // tiles over rounds (VGG-16's fc6: 196 k tiles, one n tile to a round of
  // 256 macros, 256 rounds where the flat model takes 196). Chunks of c k
  // tiles, then the rest, each with its own n rounds, can take fewer (c =
  // 64: 3 x 64 rounds of 4 n tiles, then 4 rounds of 64 n tiles for the last
  // 4 k tiles: 196), at one more partial-sum reduction per chunk.
  // That still leaves the last round of a chunk partly idle where the flat
  // placement runs the next tiles (11 k tiles x 34 n tiles on 64 macros:
  // 7 rounds, 6 flat). So, shared: the next chunk's first n tiles run there,
  // at the same time (`concurrent`: a block of its own, the same tile shape
  // and vectors, so the same MVM time), its other n tiles in full rounds,
  // then a remainder round (8 + 3 k tiles: 4 rounds of 8 n tiles, a round of
  // 2 beside 16 of the 3-k-tile chunk, a round of its other 18). Sharing
  // needs whole n tiles and one group round (a block runs all its group
  // rounds before the next block starts).
  // The c with the fewest rounds is taken where it beats the layout above;
  // on a tie, the fewest chunks, and unshared before shared.
  std::vector<std::vector<Segment>> k_ns;  // N segments of each K segment, when shared
  auto shared = [&](std::int64_t c, std::vector<std::vector<Segment>>* out) {
    std::int64_t rounds = 0, idle = 0;  // idle: macros the last round so far leaves free
    for (std::int64_t k = 0; k < kf; k += c) {
      const std::int64_t unit = std::min(c, kf - k) * d * spread, fit = macros / unit;
      const std::int64_t at = std::min(full, idle / unit), r = (full - at) / fit, rest = (full - at) % fit;
      std::vector<Segment> ns;
      if (at > 0) {
        ns.push_back({0, at * W, W, at, 1});
        ns.back().concurrent = true;
        idle -= at * unit;
      }
      if (r > 0) ns.push_back({at * W, r * fit * W, W, fit, r}), idle = macros - fit * unit;
      if (rest > 0) ns.push_back({(at + r * fit) * W, rest * W, W, rest, 1}), idle = macros - rest * unit;
      rounds += r + (rest > 0);
      if (out) out->push_back(std::move(ns));
    }
    return rounds;
  };
  if (g.K % rows == 0 && kf > 1) {
    const bool can_share = g.N % W == 0 && std::all_of(gs.begin(), gs.end(), [](const Segment& s) {
                             return s.rounds == 1;
                           });
    std::int64_t best = 0, best_c = 0;
    bool best_shared = false;
    for (const Segment& k : ks) best += rounds_of(n_segments(k.span));
    for (const bool share : {false, true})
      for (std::int64_t c = std::min(kf, k_fit); c >= 1 && (!share || can_share); --c) {
        const std::int64_t r =
            share ? shared(c, nullptr)
                  : kf / c * rounds_of(n_segments(c)) + (kf % c > 0 ? rounds_of(n_segments(kf % c)) : 0);
        if (r < best) best = r, best_c = c, best_shared = share;
      }
    if (best_c > 0) {
      ks.clear();
      for (std::int64_t k = 0; k < kf; k += best_c) {
        const std::int64_t n = std::min(best_c, kf - k);
        ks.push_back({k * rows, n * rows, rows, n, 1});
        ks.back().span = n;
      }
      if (best_shared) shared(best_c, &k_ns);
    }
  }
  if (g.K % rows > 0) {
    ks.push_back({kf * rows, g.K % rows, g.K % rows, 1, 1});
    ks.back().span = k_round;
  }
  for (std::size_t i = k_ns.size(); i < ks.size(); ++i) k_ns.push_back(n_segments(ks[i].span));

  std::vector<FlatBlock> blocks;
  for (const Segment& gr : gs)
    for (const Segment& v : vs)
      for (std::size_t ki = 0; ki < ks.size(); ++ki)
        for (const Segment& n : k_ns[ki]) {
          const Segment& k = ks[ki];
          FlatBlock b{.g_begin = gr.begin, .G = gr.size, .group_macros = gr.tiles, .packed = gr.tile,
                      .v_begin = v.begin, .V = v.size, .k_begin = k.begin, .K = k.size, .n_begin = n.begin,
                      .N = n.size, .rows = int(k.tile), .cols = int(n.tile), .k_tiles = k.tiles,
                      .n_tiles = n.tiles, .rounds = n.rounds, .group_rounds = gr.rounds,
                      .beside = gr.beside,
                      .concurrent = n.concurrent, .copies = v.tiles, .shape = ln::gemm(v.size, k.size, n.size), .nest = {}};
          b.shape.G = gr.size;
          b.nest.levels.resize(kFlatLevels);
          ln::LevelLoops& glb = b.nest.levels[kFlatGlobalBuffer];
          glb.temporal[std::size_t(ln::Dim::G)] = b.group_rounds;  // outermost (the default order)
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

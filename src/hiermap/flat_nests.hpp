// Today's flat mapping (mapping/mapping.hpp) written as loop nests on the
// flat system's hierarchy (hier::flat_hierarchy, configs/arch-flat.yaml), in
// the layer's GEMM (im2col) view: issue 12's "today's flat architecture must
// be expressible". tests/test_flat_parity.cpp checks the nests against the
// flat model (README "The flat system as a hierarchy").
//
// A loop nest needs exact factors; the flat tiling does not: K over the
// macro's rows and N over its weight columns can leave a ragged last tile,
// a layer with more tiles than macros runs in rounds, and d copies of the
// weights split the input vectors ceil(V / d) to a copy, and a grouped
// layer whose groups are one small tile each packs ceil(G / s) of them on
// each of s macros. So a flat mapping becomes a few blocks, each an exact nest over
// a rectangle of the work,
//   dram[] global_buffer[G group_rounds M rounds] {G group_macros N copies C k_tiles M n_tiles}
//   input_buffer[N vectors per copy] output_buffer[] macro[G packed] {C rows M cols}
// one block per (G segment, V segment, K segment, N segment of that K segment):
//   G segments, in group rounds (temporal G on the global buffer, outside
//     the M rounds; a round has macros / copies macros for each copy):
//     without packing, whole groups side by side, one per macro of each
//     tile, balanced over the fewest rounds (G / per of per groups, then a
//     round of the rest); a group whose tiles do not fit a round runs alone
//     (one group a round, its n tiles in rounds and k tiles in chunks);
//     packed groups (one tile each, p = placed_per_macro to a macro): the
//     flat placement itself, p to a macro in group order, the macros to a
//     round: the full rounds, then the last round's G2 groups, a = G2 / p
//     full macros and b = G2 % p on one more, as two phases of one round:
//     b on each of a + 1 macros, then p - b on each of a (`beside`: p time
//     steps, the flat model's).
//   V segments: the vectors d copies share evenly (V - V % d of them, V / d
//     per copy), then the V % d left over, one on each of V % d copies.
//   K segments: the full k tiles (K / rows of them), then the ragged one;
//     when an n tile's k tiles outnumber the macros a round has for each
//     copy and group, the full ones in balanced chunks that fit, each a
//     segment of its own. Without a ragged k tile, chunks of c k tiles and
//     then the rest, each with n rounds of its own, where some c takes fewer
//     rounds than that (VGG-16's fc6: 64, 64, 64, 4 k tiles, 196 rounds
//     instead of 256; the flat placement's 196); with whole n tiles and one
//     group round, a chunk's first n tiles may run in the idle macros of
//     the last round of the chunk before it (`concurrent`), where that
//     takes fewer rounds still (11 x 34 tiles on 64 macros: 6, not 7).
//   N segments: the full n tiles in rounds of n_tiles each (the rounds are
//     the temporal M loop above the fan-out), a remainder round of fewer n
//     tiles, then the ragged n tile (N % weights columns).
// A round holds whole n tiles (all k tiles of each, or of a chunk, so
// partial sums never cross rounds) of every copy and group, at most
// `macros` tiles; rounds are balanced (unless shared): with R = the fewest
// such rounds, ceil(full n tiles / R) n tiles each. The flat placement
// fills macros in tile order and may split an n tile's k tiles (or a
// group's tiles) over two rounds; the chunks above take as few rounds on
// the 1,914 random mappings of tests/test_flat_parity.cpp and the shipped
// networks.
// The blocks are separate nests, run one after another (a `concurrent`
// block at the same time as the one before it), whose outputs the caller
// sums (K segments: partial sums) or concatenates (G, V, N segments).
// Both loop orders give the same nests: the flat orders differ only in how the global buffer serves inputs (broadcast
// or once per n tile) and where partial sums meet (output buffer or beside
// the macros), which the nest model fixes by its own rules (multicast,
// reduction on the way up).
#pragma once
#include <cstdint>
#include <vector>

#include "loopnest/nest.hpp"
#include "loopnest/problem.hpp"
#include "mapping/mapping.hpp"
#include "workload/gemm.hpp"

namespace cimmc::hiermap {

// Level indices of the flat hierarchy (hier::flat_hierarchy).
inline constexpr int kFlatDram = 0, kFlatGlobalBuffer = 1, kFlatInputBuffer = 2, kFlatOutputBuffer = 3,
                     kFlatMacro = 4, kFlatLevels = 5;

struct FlatBlock {
  std::int64_t g_begin = 0, G = 1;  // the block's groups
  std::int64_t group_macros = 1;    // spatial G on the global buffer's fan-out
  std::int64_t packed = 1;          // temporal G on the macro: groups packed on one macro
  std::int64_t v_begin = 0, V = 0;  // the block's input vectors (GEMM rows)
  std::int64_t k_begin = 0, K = 0;  // the block's slice of the reduction (im2col columns)
  std::int64_t n_begin = 0, N = 0;  // and of the outputs (weight columns)
  int rows = 0, cols = 0;           // its tile job: rows used, weights used
  std::int64_t k_tiles = 0;         // spatial C on the global buffer's fan-out
  std::int64_t n_tiles = 0;         // spatial M there: n tiles per round
  std::int64_t rounds = 1;          // temporal M on the global buffer
  std::int64_t group_rounds = 1;    // temporal G there, outside M: G rounds of group_macros x packed groups
  bool beside = false;              // runs in the last group round of the block before it (packed groups' second phase)
  bool concurrent = false;          // runs at the same time as the block before it, on macros its last round leaves idle
  std::int64_t copies = 1;          // spatial N there: copies of the weights, V / copies vectors each
  loopnest::ConvShape shape;        // gemm(V, K, N) per group, G groups
  loopnest::LoopNest nest;
};

// The blocks of `m`, a mapping of the GEMM `g` on `macros` macros of
// `macro_rows` rows. Throws std::invalid_argument for a mapping the flat
// model does not make (more copies than vectors or macros, tile counts that
// are not its tiling's, several tiles of one group packed on a macro).
std::vector<FlatBlock> flat_blocks(const Mapping& m, const Gemm& g, int macro_rows, std::int64_t macros);

}  // namespace cimmc::hiermap

// A loop-nest mapping of a GEMM onto a Hierarchy, Timeloop-style: at every
// level a temporal factor and a loop order for each dimension, and below every
// level a spatial factor per dimension across its fan-out. The full nest, from
// the outside in, is
//   level 0 temporal loops (in level 0's order)
//   fan-out 0 spatial loops (parallel)
//   level 1 temporal loops ... fan-out L-1 spatial loops -> compute units.
// Level i's tile of an operand is what the loops of levels >= i (temporal and
// spatial) touch; see loopnest.hpp for what the counts mean.
#pragma once
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "loopnest/hierarchy.hpp"
#include "loopnest/problem.hpp"

namespace cimmc::loopnest {

struct LevelLoops {
  std::array<std::int64_t, kDims> temporal{1, 1, 1};       // by Dim
  std::array<Dim, kDims> order{Dim::M, Dim::K, Dim::N};   // outermost first
  std::array<std::int64_t, kDims> spatial{1, 1, 1};        // across this level's fan-out
};

struct LoopNest {
  std::vector<LevelLoops> levels;  // one per hierarchy level, same indexing
};

// Extents (per dimension) of level i's tile and instances of level i, for
// levels 0..L (L = below the innermost level: one compute unit, extent 1).
// Pure arithmetic on the factors; validation and the analytic model share it.
struct TileGeometry {
  int levels = 0;
  std::array<std::array<std::int64_t, kDims>, kMaxLevels + 1> extent{};
  std::array<std::int64_t, kMaxLevels + 1> instances{};
  std::int64_t words(int level, Operand op) const {
    std::int64_t w = 1;
    for (int d = 0; d < kDims; ++d)
      if (relevant(op, d)) w *= extent[std::size_t(level)][std::size_t(d)];
    return w;
  }
};
// Precondition: 1 <= nest.levels.size() <= kMaxLevels.
TileGeometry tile_geometry(const LoopNest& nest);

// The fan-out axis of `l` along which dimension d unrolls: the first axis of
// size > 1 that admits it, or -1 (no spatial factor > 1 allowed for d).
int spatial_axis(const StorageLevel& l, int d);

// "" when `nest` is a legal mapping of `shape` on `h`, else the first rule it
// breaks: the hierarchy's own rules, one LevelLoops per level, factors >= 1,
// each order a permutation, per dimension the temporal and spatial factors
// multiply to the layer's size, the spatial factors below a level fit its fan-out axes
// (each dimension on the axis spatial_axis names), and every level's tiles of the operands it keeps fit its
// capacity (shared: their sum). No allocation when the nest is legal.
std::string mapping_error(const Hierarchy& h, const GemmShape& shape, const LoopNest& nest);

// Throws LoopNestError with mapping_error's message.
void require_valid(const Hierarchy& h, const GemmShape& shape, const LoopNest& nest);

// One line, outermost first, e.g. "DRAM[K3 N2 M1] {M2} GLB[M2 N1 K1] {K4}":
// each level's temporal factors in its loop order, then the spatial factors
// used below it (omitted when all are 1).
std::string describe(const Hierarchy& h, const LoopNest& nest);

// A random nest of `shape` on `h`: each prime factor of each dimension goes to
// a random level, spatially when a coin says so and the level's fan-out has
// room, else temporally; loop orders shuffled. Always factor-complete and
// within the fan-outs; capacities are not considered (check mapping_error).
// For sampled searches, tests and benchmarks.
LoopNest random_nest(std::mt19937_64& rng, const Hierarchy& h, const GemmShape& shape);

}  // namespace cimmc::loopnest

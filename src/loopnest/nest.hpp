// A loop-nest mapping of a conv (problem.hpp) onto a Hierarchy, Timeloop-style: at every
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

// All-ones factors and the identity order G N M C P Q R S, the defaults.
constexpr std::array<std::int64_t, kDims> kUnitFactors{1, 1, 1, 1, 1, 1, 1, 1};
constexpr std::array<Dim, kDims> kDimOrder{Dim::G, Dim::N, Dim::M, Dim::C, Dim::P, Dim::Q, Dim::R, Dim::S};

struct LevelLoops {
  std::array<std::int64_t, kDims> temporal = kUnitFactors;  // by Dim
  std::array<Dim, kDims> order = kDimOrder;                  // outermost first
  std::array<std::int64_t, kDims> spatial = kUnitFactors;   // across this level's fan-out
};

struct LoopNest {
  std::vector<LevelLoops> levels;  // one per hierarchy level, same indexing
};

// Extents (per dimension) of level i's tile and instances of level i, for
// levels 0..L (L = below the innermost level: one compute unit, extent 1),
// and the words a tile of each operand occupies. Pure arithmetic on the
// factors; validation and the analytic model share it.
struct TileGeometry {
  int levels = 0;
  std::array<std::array<std::int64_t, kDims>, kMaxLevels + 1> extent{};
  std::array<std::int64_t, kMaxLevels + 1> instances{};
  std::int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;  // the layer's
  // The tile's true footprint: inputs span the whole sliding window along H
  // and W (window()), every other operand the product of its dims' extents.
  std::int64_t words(int level, Operand op) const {
    const auto& e = extent[std::size_t(level)];
    auto x = [&](Dim d) { return e[std::size_t(d)]; };
    switch (op) {
      case Operand::inputs:
        return x(Dim::G) * x(Dim::N) * x(Dim::C) * window(x(Dim::P), x(Dim::R), stride_h, dilation_h) *
               window(x(Dim::Q), x(Dim::S), stride_w, dilation_w);
      case Operand::weights: return x(Dim::G) * x(Dim::M) * x(Dim::C) * x(Dim::R) * x(Dim::S);
      case Operand::outputs: return x(Dim::G) * x(Dim::N) * x(Dim::M) * x(Dim::P) * x(Dim::Q);
    }
    return 0;
  }
};
// Precondition: 1 <= nest.levels.size() <= kMaxLevels.
TileGeometry tile_geometry(const ConvShape& shape, const LoopNest& nest);

// The fan-out axis of `l` along which dimension d unrolls: the first axis of
// size > 1 that admits it, or -1 (no spatial factor > 1 allowed for d).
int spatial_axis(const StorageLevel& l, int d);

// Tiles of each kept operand a level must hold at once: two when it is
// double-buffered (the next tile arrives while the current one is in use,
// hierarchy.hpp), else one.
inline std::int64_t tile_copies(const StorageLevel& l) { return l.double_buffered ? 2 : 1; }

// Whether level i's tiles (g.words x tile_copies, per operand or summed for a
// shared capacity) fit its capacity. The one capacity rule: mapping_error and
// Mapspace::fits both call it.
bool fits_capacity(const StorageLevel& l, const TileGeometry& g, int i);

// "" when the layer is usable, else the first rule it breaks: every dimension,
// stride and dilation >= 1, at most 2^62 MACs and input words.
std::string shape_error(const ConvShape& shape);

// "" when `nest` is a legal mapping of `shape` on `h`, else the first rule it
// breaks: the hierarchy's own rules, the layer's (shape_error), one LevelLoops per level, factors >= 1,
// each order a permutation, per dimension the temporal and spatial factors
// multiply to the layer's size, the spatial factors below a level fit its fan-out axes
// (each dimension on the axis spatial_axis names), and every level's tiles of the operands it keeps fit its
// capacity (shared: their sum; double-buffered: two of each, fits_capacity). No allocation when the nest is legal.
std::string mapping_error(const Hierarchy& h, const ConvShape& shape, const LoopNest& nest);

// Throws LoopNestError with mapping_error's message.
void require_valid(const Hierarchy& h, const ConvShape& shape, const LoopNest& nest);

// One line, outermost first, e.g. "DRAM[C3 N2] {M2} GLB[] Macro[P2 R3] {C4 M8}":
// each level's temporal factors > 1 in its loop order (factors of 1 change
// nothing), then the spatial factors > 1 used below it (omitted when none).
std::string describe(const Hierarchy& h, const LoopNest& nest);

// A random nest of `shape` on `h`: each prime factor of each dimension goes to
// a random level, spatially when a coin says so and the level's fan-out has
// room, else temporally; loop orders shuffled. Always factor-complete and
// within the fan-outs; capacities are not considered (check mapping_error).
// For sampled searches, tests and benchmarks.
LoopNest random_nest(std::mt19937_64& rng, const Hierarchy& h, const ConvShape& shape);

}  // namespace cimmc::loopnest

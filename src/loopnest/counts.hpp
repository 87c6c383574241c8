// What one evaluation of a loop nest produces: per level and operand, the
// words moved (semantics in loopnest.hpp), and the macro tile job and how often
// it runs. The analytic model and the brute-force simulator both fill this
// struct, so a test can compare them field by field. Fixed-size so the
// analytic model allocates nothing.
#pragma once
#include <array>
#include <cstdint>

#include "loopnest/hierarchy.hpp"
#include "loopnest/problem.hpp"

namespace cimmc::loopnest {

// Words per inference of the layer, summed over every instance of the level.
struct AccessCounts {
  std::int64_t fills = 0;    // written into the level from above (inputs, weights; 0 for outputs)
  std::int64_t reads = 0;    // read out for the level below or compute; outputs: the read half of
                             // a read-modify-write update
  std::int64_t updates = 0;  // outputs: partial sums written in from below (first writes + RMWs)
  std::int64_t drains = 0;   // outputs: partial sums read out and sent to the level above
  friend bool operator==(const AccessCounts&, const AccessCounts&) = default;
};

struct LevelCounts {
  std::int64_t instances = 0;                         // instances of the level the mapping uses
  std::array<std::int64_t, kOperands> tile_words{};  // per instance; 0 for a bypassed operand
  std::array<AccessCounts, kOperands> op{};          // by Operand; all 0 for a bypassed operand
  friend bool operator==(const LevelCounts&, const LevelCounts&) = default;
};

// The work below one instance of the innermost level in one time step: one
// MVM of the macro when the innermost fan-out is its array (C, R, S over rows,
// M over columns). Every run has the same shape: factors divide the layer exactly.
struct TileJob {
  std::array<std::int64_t, kDims> shape{};  // by Dim: spatial factors of the innermost fan-out
  std::int64_t runs = 0;                     // time steps x instances of the innermost level
  friend bool operator==(const TileJob&, const TileJob&) = default;
};

struct NestCounts {
  int levels = 0;
  std::array<LevelCounts, kMaxLevels> level{};  // [0, levels) are meaningful, the rest zero
  std::int64_t macs = 0;
  std::int64_t time_steps = 0;  // product of every temporal factor: cycles with no stalls
  TileJob job;
  friend bool operator==(const NestCounts&, const NestCounts&) = default;

  const AccessCounts& at(int lvl, Operand op) const { return level[std::size_t(lvl)].op[std::size_t(op)]; }
};

}  // namespace cimmc::loopnest

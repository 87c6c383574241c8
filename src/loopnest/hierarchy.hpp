// A storage hierarchy as plain structs: levels from the outermost (DRAM,
// index 0) to the innermost (next to the compute units), each with a capacity
// per instance, the operands it keeps, and the spatial fan-out below it. No
// energies or bandwidths yet: this is what the access counts need, and the
// config module will fill it (issue 12 item 1).
#pragma once
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "loopnest/problem.hpp"

namespace cimmc::loopnest {

// Fixed upper bound so the analytic model works in fixed-size arrays (no
// allocation per evaluation); DRAM + 7 on-chip levels covers every system in
// issue 12 (DRAM, NoP, chiplet buffer, tile buffer, macro registers, ...).
inline constexpr int kMaxLevels = 8;

// A bad hierarchy or loop nest, with the rule it breaks.
struct LoopNestError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

enum class CapacityKind : std::uint8_t {
  unbounded,    // DRAM, or a level whose size is not a constraint
  shared,       // one pool of words for every operand the level keeps
  per_operand,  // separate pools (e.g. macro input register, cells, output register)
};

// Words per instance of the level. A word is one operand element at whatever
// precision the operand has there; converting to bits is pricing's job.
struct Capacity {
  CapacityKind kind = CapacityKind::unbounded;
  std::int64_t shared_words = 0;
  std::array<std::int64_t, kOperands> operand_words{};  // by Operand

  static Capacity unbounded() { return {}; }
  static Capacity shared(std::int64_t words) { return {CapacityKind::shared, words, {}}; }
  static Capacity per_operand(std::int64_t inputs, std::int64_t weights, std::int64_t outputs) {
    return {CapacityKind::per_operand, 0, {inputs, weights, outputs}};
  }
};

struct StorageLevel {
  std::string name;
  std::array<bool, kOperands> holds{true, true, true};  // false: the operand bypasses the level
  Capacity capacity;
  // Instances of the next level (or compute units, below the innermost level)
  // that one instance of this level feeds. A mapping may use fewer.
  std::int64_t fanout = 1;

  bool keeps(Operand op) const { return holds[int(op)]; }
};

struct Hierarchy {
  std::vector<StorageLevel> levels;  // [0] outermost (DRAM) ... [size-1] innermost
  int size() const { return int(levels.size()); }
};

// "" when the hierarchy is usable, else the first rule it breaks: 1 to
// kMaxLevels levels, level 0 keeps every operand (it is where data lives),
// fan-outs >= 1, capacities > 0.
std::string hierarchy_error(const Hierarchy& h);

}  // namespace cimmc::loopnest

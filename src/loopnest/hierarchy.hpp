// A storage hierarchy as plain structs: levels from the outermost (DRAM,
// index 0) to the innermost (next to the compute units), each with a capacity
// per instance, the operands it keeps, the spatial fan-out below it (up to two
// axes) with the interconnect that joins it, and the energies and bandwidths
// pricing and latency need. The config module fills it (issue 12 item 1).
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

// Bits of `dims` name loop dimensions (bit d: Dim d).
using DimMask = std::uint32_t;
inline constexpr DimMask kAnyDim = ~DimMask{0};

// One physical axis of a fan-out: a macro's rows or columns, a mesh's x or y.
// The spatial factors of the dimensions it admits multiply to at most `size`.
// The two axes of a level admit disjoint dimensions (when both are > 1), so a
// mapping's spatial factors place themselves: no per-mapping axis choice.
struct FanoutAxis {
  std::int64_t size = 1;
  DimMask dims = kAnyDim;
};

// Energy of moving one bit of one operand through a level's port (pricing's
// input; the counts never look at it).
struct PortEnergy {
  double read_pj_per_bit = 0;   // reads, drains
  double write_pj_per_bit = 0;  // fills, updates
};

enum class Topology : std::uint8_t {
  bus,   // one shared medium: a multicast word crosses it once
  mesh,  // mesh_x x mesh_y grid, parent at a corner: hops by Manhattan distance
  tree,  // a binary tree of links: log2(fan-out) hops down to a leaf
};

// The network joining one parent instance to its fan-out.
struct Interconnect {
  Topology topology = Topology::bus;
  std::int64_t mesh_x = 0, mesh_y = 0;  // mesh only; mesh_x * mesh_y = fan-out instances
  double hop_pj_per_bit = 0;            // per bit per link crossed
  double bandwidth_bits_per_cycle = 0;  // per parent instance; 0 = unlimited
};

struct StorageLevel {
  std::string name;
  std::array<bool, kOperands> holds{true, true, true};  // false: the operand bypasses the level
  Capacity capacity;
  // Instances of the next level (or compute units, below the innermost level)
  // that one instance of this level feeds, as up to two axes. A mapping may
  // use fewer.
  std::array<FanoutAxis, 2> fanout{};
  std::int64_t fanout_instances() const { return fanout[0].size * fanout[1].size; }
  // One axis of n instances that admits every dimension.
  void set_fanout(std::int64_t n) { fanout = {FanoutAxis{n, kAnyDim}, FanoutAxis{1, kAnyDim}}; }

  // Costs (pricing and latency; access counts ignore them).
  std::array<PortEnergy, kOperands> energy{};  // by Operand
  double bandwidth_bits_per_cycle = 0;         // per instance, all ports together; 0 = unlimited
  bool double_buffered = false;                // capacity holds two tiles; fills overlap compute
  Interconnect link;                           // below the level, to its fan-out

  bool keeps(Operand op) const { return holds[int(op)]; }
};

struct Hierarchy {
  std::vector<StorageLevel> levels;  // [0] outermost (DRAM) ... [size-1] innermost
  double clock_ghz = 1.0;            // one time step of the nest = one cycle
  int size() const { return int(levels.size()); }
};

// "" when the hierarchy is usable, else the first rule it breaks: 1 to
// kMaxLevels levels, level 0 keeps every operand (it is where data lives),
// fan-out axes >= 1 with disjoint dimensions, capacities > 0, energies and
// bandwidths >= 0 and finite, a mesh that tiles its fan-out, clock > 0.
std::string hierarchy_error(const Hierarchy& h);

}  // namespace cimmc::loopnest

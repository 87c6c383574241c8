// The architecture as a memory hierarchy, as the config describes it
// (`architecture.hierarchy`, docs/config.md): plain structs in the config's
// units (bits, pJ per bit, bits per cycle). arch/hierarchy.hpp turns them into
// a loopnest::Hierarchy for one layer, where capacities are words and need
// the layer's operand precisions. Kept free of loopnest/ and spec/ types so
// spec.hpp can hold it by value.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace cimmc::hier {

// Operands in loopnest order: inputs, weights, outputs (partial sums).
inline constexpr int kOperandCount = 3;
inline constexpr std::array<const char*, kOperandCount> kOperandNames{"inputs", "weights", "outputs"};

// A buffer level is written out in full; the macro level (the innermost,
// exactly one) takes its fan-out (rows x weight columns) and its weight
// capacity (the cells) from `macro:`, and holds weights only.
// A `pe_array` level is the innermost level too, in place of the macro: storage
// like a buffer (the PEs' local registers, or a CiM primitive's cells, written
// out in full) whose every instance holds `fanout` MAC units that each do one
// MAC per operation, priced at a fixed energy per MAC (gpucim/, issue 15).
enum class LevelKind : std::uint8_t { buffer, macro, pe_array };

enum class CapacityKind : std::uint8_t { unbounded, shared, per_operand };

struct CapacitySpec {
  CapacityKind kind = CapacityKind::unbounded;
  std::uint64_t shared_bits = 0;                          // kind shared
  std::array<std::uint64_t, kOperandCount> operand_bits{};  // kind per_operand; 0 for operands not held
};

// What a fan-out axis may split, by the role of a loop in the layer, so the
// spec does not change when the loop-nest dimensions do (GEMM M, K, N once,
// conv dims later): arch/hierarchy.cpp maps roles to dimensions in one place.
enum class DimRole : std::uint8_t {
  vectors = 0,          // input vectors (GEMM M: batch x output pixels)
  reduction = 1,        // the summed dimension (GEMM K: input channels x kernel)
  output_channels = 2,  // weight columns (GEMM N)
};
inline constexpr int kRoleCount = 3;
inline constexpr std::array<const char*, kRoleCount> kRoleNames{"vectors", "reduction", "output_channels"};
using RoleMask = std::uint8_t;  // bit r: DimRole r
inline constexpr RoleMask kAllRoles = 0b111;

struct AxisSpec {
  std::int64_t size = 1;
  RoleMask admits = kAllRoles;
};

enum class TopologyKind : std::uint8_t { bus, mesh, tree };

// The network from one instance of a level to its fan-out.
struct InterconnectSpec {
  TopologyKind topology = TopologyKind::bus;
  std::int64_t mesh_x = 0, mesh_y = 0;  // mesh only; 0 = the fan-out's x / y sizes
  double hop_pj_per_bit = 0.0;          // per bit per link crossed
  double bandwidth_bits_per_cycle = 0.0;  // per parent instance; 0 = unlimited
};

struct LevelSpec {
  std::string name;
  LevelKind kind = LevelKind::buffer;
  std::array<bool, kOperandCount> holds{true, true, true};  // macro level: weights only
  CapacitySpec capacity;                                    // per instance
  std::array<double, kOperandCount> read_pj_per_bit{};      // reads and drains
  std::array<double, kOperandCount> write_pj_per_bit{};     // fills and updates
  double bandwidth_bits_per_cycle = 0.0;                    // per instance, all ports; 0 = unlimited
  bool double_buffered = false;
  std::array<AxisSpec, 2> fanout{};                         // buffer levels only (x, y)
  InterconnectSpec link;                                    // below the level
  // pe_array only: energy of one MAC and cycles of one operation of all the
  // instance's MAC units (1 for a PE array; a CiM primitive's latency).
  double pj_per_mac = 0.0;
  double cycles_per_op = 1.0;

  std::int64_t fanout_instances() const { return fanout[0].size * fanout[1].size; }
};

// Empty: the config gives no hierarchy (the flat ArchSpec alone describes the system).
struct HierarchySpec {
  std::vector<LevelSpec> levels;  // outermost (DRAM) first, the macro level last
  bool empty() const { return levels.empty(); }
};

}  // namespace cimmc::hier

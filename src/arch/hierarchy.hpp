// From the configured hierarchy (arch/level_spec.hpp) to the loop-nest model's
// loopnest::Hierarchy for one layer, and today's flat system (ArchSpec) as a
// hierarchy. Capacities are bits in the config and words in the model: a word
// is one operand element at its precision at that level, so the conversion
// takes the layer's operand precisions.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

#include "arch/level_spec.hpp"
#include "loopnest/hierarchy.hpp"
#include "spec/spec.hpp"

namespace cimmc::hier {

// A hierarchy that cannot hold a layer (a level smaller than one word, a macro
// too narrow for one weight). Configs are checked for the first; the second is
// the mapping's "layer does not fit" case.
struct HierarchyError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Bits of one word of each operand, by operand (inputs, weights, outputs).
struct OperandBits {
  std::array<int, kOperandCount> bits{8, 8, 8};
  int operator[](int op) const { return bits[std::size_t(op)]; }
};

// The precisions today's mapping model uses: inputs and weights at their
// configured bits; outputs (partial sums) at the exact accumulator width
// x + w + ceil(log2 K) (mapping.hpp "out_bits").
OperandBits layer_operand_bits(const OperandSpec& inputs, const OperandSpec& weights, std::int64_t K);

// The loop dimensions a role stands for. The one place that knows the
// loop-nest dimension set (conv G N M C P Q R S).
loopnest::DimMask role_dims(DimRole role);
loopnest::DimMask dims_of(RoleMask roles);

// Weights one macro holds side by side: floor(cols / physical columns per
// weight) (mapping.hpp "wpm"); 0 when one weight is wider than the macro.
std::int64_t macro_weight_columns(const MacroSpec& m, const OperandSpec& weights);
// The cells: rows x cols x bits_per_cell bits. Their weight capacity in words
// is rows x macro_weight_columns (a weight spans ppw cells of a row), not
// cell_bits / w_bits: differential and two's-complement encodings spend cells
// on signs.
std::uint64_t macro_cell_bits(const MacroSpec& m);

// Words of a buffer level per instance: per operand, floor(bits / word bits);
// shared, floor(bits / widest word of the operands it holds), so any mix of
// tiles that fits in words fits in bits.
loopnest::Capacity capacity_words(const LevelSpec& level, const OperandBits& bits);
// Why a level admits no tile of any mapping: an operand it holds has no room
// for one word (a shared pool: for one word of each at the widest word).
// Empty rule when it has room; `operand` names the short operand of a
// per-operand capacity (-1 for a shared one).
struct CapacityProblem {
  std::string rule;
  int operand = -1;
  explicit operator bool() const { return !rule.empty(); }
};
CapacityProblem capacity_problem(const LevelSpec& level, const OperandBits& bits);

// Instances of the macro level: the product of every buffer level's fan-out
// (the count architecture.macros must equal), in double so that no product
// of valid fan-outs overflows before it is checked.
double macro_instances(const HierarchySpec& h);

// The model's hierarchy for a layer with these weights and precisions: buffer
// levels as configured (capacities in words), then the macro level holding
// weights only, with fan-out rows (admitting the reduction) x weight columns
// (admitting output channels) and capacity rows x weight columns words.
// A pe_array innermost level converts as a buffer does (its fan-out: its MAC
// units).
// Throws HierarchyError when a level is below one word or no weight fits a
// macro row; the result passes loopnest::hierarchy_error for a validated spec.
loopnest::Hierarchy to_hierarchy(const HierarchySpec& h, const MacroSpec& macro, const OperandSpec& weights,
                                 const OperandBits& bits, double clock_ghz);

// Today's flat system (mapping.hpp) as a hierarchy: DRAM (holds everything,
// dram energy, bandwidth dram_bandwidth_gbps / clock_ghz bits per cycle), the
// global buffer (inputs and outputs: weights go from DRAM to the macros; fan-out
// `macros`), the per-macro input buffer (inputs) and output buffer (outputs),
// then the macro. Every capacity unbounded, as today; read and write energy
// both the configured per-bit energy; no interconnect cost.
HierarchySpec flat_hierarchy(const ArchSpec& arch);

}  // namespace cimmc::hier

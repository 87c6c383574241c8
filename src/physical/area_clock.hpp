// Area and clock period of one macro from gate counts, after ZigZag-IMC's
// macro cost model (KU Leuven zigzag-imc, ImcArray.get_area / get_tclk; paper
// "Benchmarking and modeling of analog and digital SRAM in-memory computing
// architectures"). Gate areas and delays are its 28 nm, 0.9 V constants
// (/work/shared/REFERENCES.md); other nodes scale logic area by (node/28)^2
// and logic delay by node/28 (ADC area and delay stay as at 28 nm, like the
// ADC energy rule of spec/technology.hpp). docs/config.md "Area and clock".
#pragma once
#include <array>

#include "arch/timing.hpp"
#include "spec/spec.hpp"

namespace cimmc {

// The physical macro as the area model sees it (all of it, not a tile).
struct MacroGeometry {
  bool digital = false;
  int rows = 128, cols = 128;   // cells
  int tree_inputs = 128;        // digital: adder-tree inputs per column; analog: rows summed per conversion
  int cell_group = 1;           // cells sharing one input line (macro.cell_group)
  int input_bits = 8;
  int dac_bits = 1;             // input bits per cycle (digital: adder trees per column)
  int weight_bits = 8;
  int cols_per_weight = 1;      // physical columns of one weight
  int adc_bits = 0;             // analog only
  int adcs = 0;                 // analog only: ADCs per macro
  double adc_ns = 0;            // analog only: one conversion (arch/timing.hpp, node independent)
  bool sram = true;             // cell kind
  // Digital, macro.adder_tree per_weight: one tree per weight whose leaves are
  // leaf_bits-bit products (weight bits, +1 for a differential pair), and one
  // accumulator per weight; per_column: a 1-bit tree and an accumulator per column.
  bool tree_per_weight = false;
  // Digital, macro.cycle_bits leaves: one tree per column of dac_bits-bit
  // leaves instead of dac_bits trees and a place-value adder.
  bool cycle_leaves = false;
  // Digital, macro.cycle_bits booth (per-weight trees): one tree per weight of
  // (weight bits + 2)-bit leaves, a Booth encoder per input line and a
  // selector per leaf bit in place of the NOR multipliers; cycles
  // floor(input_bits / 2) + 1 (unsigned inputs) or ceil(input_bits / 2) (booth_signed).
  bool booth = false, booth_signed = false;
  int leaf_bits = 1;
  int node_nm = 28;
};

// The macro of a config: its operands are the tile's, or in network mode the
// widest of any layer (input bits, weight bits, columns per weight taken
// separately), since one macro must serve every layer.
MacroGeometry macro_geometry(const Config& cfg);

enum class AreaPart { cells, multipliers, adder_trees, place_value, accumulators, output_regs, adcs, dacs, input_regs };
inline constexpr int kAreaParts = 9;
inline constexpr const char* kAreaPartNames[kAreaParts] = {
    "cells", "multipliers", "adder_trees", "place_value", "accumulators", "output_regs", "adcs", "dacs", "input_regs"};

struct AreaClock {
  std::array<double, kAreaParts> area_um2{};  // at the node
  double area_mm2 = 0;
  std::array<double, 5> delay_ns{};           // adc, multiplier, adder tree, place value, accumulator
  double clock_ns = 0;                        // their sum: one combinational cycle
};

AreaClock area_clock(const MacroGeometry& g);

// Full adders of one adder tree over n inputs of `bits` bits, as the digital
// kernel builds it (kernels/digital_model.hpp): stage s adds (bits + s - 1)-bit
// pairs with one full adder per bit; a node with no right child is a wire.
long long tree_full_adders(int n, int bits);

// The digital step's path widths of the physical macro (its rows, widest
// operands), for the self-timed step of arch/timing.hpp (MacroSpec::digital_timing).
DigitalTiming digital_timing(const MacroGeometry& g);

}  // namespace cimmc

#include "physical/area_clock.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "arch/timing.hpp"
#include "pricing/zigzag.hpp"

namespace cimmc {

namespace z = zigzag;

long long tree_full_adders(int n, int bits) {
  long long fa = 0;
  for (int s = 1; s <= tree_stages(n); ++s)  // node i of stage s is an adder when its right child holds an input
    for (long long i = 0; (i << s) < n; ++i)
      if ((i << s) + (1LL << (s - 1)) < n) fa += bits + s - 1;
  return fa;
}

MacroGeometry macro_geometry(const Config& cfg) {
  const MacroSpec& m = cfg.macro;
  MacroGeometry g;
  g.digital = m.kind == MacroKind::digital;
  g.rows = m.rows, g.cols = m.cols;
  g.tree_inputs = m.rows_active > 0 ? std::min(m.rows_active, m.rows) : std::max(1, m.rows / m.cell_group);
  g.dac_bits = m.dac_bits;
  g.cell_group = m.cell_group;
  // One macro serves every layer of a network, so its registers and output
  // adders are sized for the widest operands any layer asks for.
  const std::vector<LayerSpec>& layers = cfg.network.layers;
  if (layers.empty()) {
    g.input_bits = cfg.tile.inputs.bits;
    g.weight_bits = cfg.tile.weights.bits;
    g.cols_per_weight = phys_cols_per_weight(m, cfg.tile.weights);
  } else {
    g.input_bits = g.weight_bits = g.cols_per_weight = 1;
    for (const LayerSpec& l : layers) {
      g.input_bits = std::max(g.input_bits, l.inputs.bits);
      g.weight_bits = std::max(g.weight_bits, l.weights.bits);
      g.cols_per_weight = std::max(g.cols_per_weight, phys_cols_per_weight(m, l.weights));
    }
  }
  if (!g.digital) {
    g.adc_bits = m.adc.bits;
    // Charge-combined slices (macro.slice_combine charge): one ADC per weight's columns.
    const int conv_cols = m.slice_combine == SliceCombine::charge ? std::max(1, m.cols / g.cols_per_weight) : m.cols;
    g.adcs = m.adc.count > 0 ? std::min(m.adc.count, conv_cols) : conv_cols;
    g.adc_ns = adc_conversion_ns(m, g.tree_inputs);
  }
  g.sram = g.digital || m.cell == CellKind::sram;
  if (g.digital && m.cycle_bits == CycleBits::leaves) g.cycle_leaves = true, g.leaf_bits = g.dac_bits;
  if (g.digital && m.adder_tree == AdderTree::per_weight) {
    g.tree_per_weight = true;
    g.leaf_bits = g.weight_bits + (g.cols_per_weight > g.weight_bits ? 1 : 0);  // a differential pair's sign
    if (m.cycle_bits == CycleBits::booth) g.booth = true, g.leaf_bits += 2;       // digit in {-2..2} x weight
    g.booth_signed = g.booth && m.input_encoding == InputEncoding::twos_complement;
  }
  g.node_nm = cfg.energy.node_nm;
  return g;
}

namespace {

// Input cycles of one MVM on the physical macro.
int macro_cycles(const MacroGeometry& g) {
  return !g.booth        ? (g.input_bits + g.dac_bits - 1) / g.dac_bits
         : g.booth_signed ? (g.input_bits + 1) / 2
                          : g.input_bits / 2 + 1;
}

}  // namespace

DigitalTiming digital_timing(const MacroGeometry& g) {
  const int groups = (g.rows + g.tree_inputs - 1) / g.tree_inputs;
  DigitalTiming t;
  t.leaf_bits = g.tree_per_weight || g.cycle_leaves ? g.leaf_bits : 1;
  t.trees = g.cycle_leaves || g.booth ? 1 : g.dac_bits;
  t.booth = g.booth;
  t.accumulate = macro_cycles(g) * groups > 1;
  t.accumulator_carry = g.input_bits + tree_stages(groups);
  t.node_nm = g.node_nm;
  return t;
}

AreaClock area_clock(const MacroGeometry& g) {
  AreaClock a;
  auto part = [&](AreaPart p) -> double& { return a.area_um2[static_cast<int>(p)]; };
  const double cols = g.cols, rows = g.rows;
  const int cycles = macro_cycles(g);
  const int groups = (g.rows + g.tree_inputs - 1) / g.tree_inputs;  // row groups taking turns on one input
  const int s = tree_stages(g.tree_inputs);

  part(AreaPart::cells) = rows * cols * (g.sram ? z::kSramCellAreaUm2 : z::kReramCellAreaUm2);
  // Input registers hold each input line's bits of one cycle (ZigZag-IMC
  // leaves them out; cimmc counts them as the array's periphery). In a digital
  // macro the cells of a group share one line (kernels/digital_model.hpp), so
  // a line serves cell_group rows; analog rows keep a driver each.
  const double lines = g.digital ? std::ceil(rows / g.cell_group) : rows;
  part(AreaPart::input_regs) = lines * g.dac_bits * z::kDffAreaUm2;
  const double weights = std::floor(cols / g.cols_per_weight);
  // Trees (and the accumulators after them): one per column of 1-bit leaves,
  // or one per weight of leaf_bits-bit products.
  const double trees = g.tree_per_weight ? weights : cols;
  const int leaf = g.tree_per_weight || g.cycle_leaves ? g.leaf_bits : 1;
  const int sets = g.cycle_leaves || g.booth ? 1 : g.dac_bits;  // trees per column or weight
  // Width of the value entering the accumulator: a tree output (digital) or an ADC code.
  int w_in = g.digital ? s + leaf : g.adc_bits;
  if (g.digital) {
    // One NOR per tree input per column per input bit of a cycle (ZigZag-IMC: B_cycle x B_w x D1 x D2).
    part(AreaPart::multipliers) = g.dac_bits * static_cast<double>(g.tree_inputs) * cols * z::kNand2AreaUm2;
    if (g.booth)  // a selector per leaf bit per tree input per weight, an encoder per input line
      part(AreaPart::multipliers) = static_cast<double>(g.tree_inputs) * weights * leaf * z::kBoothSelectAreaUm2 +
                                    lines * z::kBoothEncoderAreaUm2;
    part(AreaPart::adder_trees) = sets * trees * tree_full_adders(g.tree_inputs, leaf) * z::kFullAdderAreaUm2;
    if (sets > 1) {  // the dac_bits tree outputs combined by place value, as a tree of (S + leaf)-bit inputs
      part(AreaPart::place_value) = trees * tree_full_adders(g.dac_bits, s + leaf) * z::kFullAdderAreaUm2;
      w_in += tree_stages(g.dac_bits);
    }
  } else {
    if (g.adc_bits >= 2)
      part(AreaPart::adcs) = g.adcs * std::pow(10.0, z::kAdcAreaK1 * g.adc_bits + z::kAdcAreaK2) * std::pow(2.0, g.adc_bits);
    // DAC area: ZigZag-IMC neglects it (get_dac_cost area = 0); so does cimmc.
    // An SRAM cell computes its 1-bit product in a local gate (ZigZag-IMC counts one per cell).
    if (g.sram) part(AreaPart::multipliers) = rows * cols * z::kNand2AreaUm2;
    a.delay_ns[0] = g.adc_ns;
  }
  // Accumulator per column (per weight with per-weight trees): the shift-add over input cycles and row groups,
  // a full adder and a flip-flop per bit (ZigZag-IMC; none with a single cycle).
  const int w_acc = g.input_bits + w_in + tree_stages(groups) + 1;
  if (cycles * groups > 1) part(AreaPart::accumulators) = trees * w_acc * (z::kFullAdderAreaUm2 + z::kDffAreaUm2);
  if (g.digital) {  // the step's path, as the self-timed latency takes it (arch/timing.hpp)
    const DigitalDelays d = digital_delays_ns28(digital_timing(g), g.tree_inputs);
    a.delay_ns[1] = d.multiplier, a.delay_ns[2] = d.tree, a.delay_ns[3] = d.place_value, a.delay_ns[4] = d.accumulator;
  } else {
    if (g.sram) a.delay_ns[1] = z::kNand2DelayNs;
    if (cycles * groups > 1) a.delay_ns[4] = accumulator_delay_ns28(w_acc - w_in - 1);
  }
  // Output register per weight: its columns' accumulators added by place value
  // into one register (cimmc's structure; ZigZag-IMC folds this into its trees).
  // A per-weight tree's accumulator already holds the weight's sum: the
  // register only latches it.
  const int w_out = g.tree_per_weight ? w_acc : w_acc + g.weight_bits + 1;
  const int combine = g.tree_per_weight ? 0 : g.cols_per_weight - 1;
  part(AreaPart::output_regs) = weights * w_out * (combine * z::kFullAdderAreaUm2 + z::kDffAreaUm2);

  // Node scaling: logic and cells by (node/28)^2, logic delay by node/28; the
  // ADC keeps its 28 nm area and delay (sized for matching and noise).
  const double lin = g.node_nm / 28.0;
  for (int p = 0; p < kAreaParts; ++p)
    if (p != static_cast<int>(AreaPart::adcs)) a.area_um2[p] *= lin * lin;
  for (int d = 1; d < 5; ++d) a.delay_ns[d] *= lin;
  for (double v : a.area_um2) a.area_mm2 += v * 1e-6;
  for (double v : a.delay_ns) a.clock_ns += v;
  return a;
}

}  // namespace cimmc

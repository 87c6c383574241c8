// Domain structs: what a validated config describes. Plain data, no YAML, no
// HDF5. Config builds these; everything downstream reads them. SI-ish units are
// in the field names where they are not dimensionless integers.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "arch/level_spec.hpp"
#include "chiplet/chiplet_spec.hpp"

namespace cimmc {

enum class DistKind { normal, laplace, uniform, constant, relu_normal, relu_laplace, histogram, patches };

// A real-valued operand distribution before quantization.
//   normal:        N(mean, std)
//   laplace:       Laplace(mean, b)
//   uniform:       U(low, high)
//   constant:      value
//   relu_normal:   0 with probability zero_fraction, else |N(0, std)|
//   relu_laplace:  0 with probability zero_fraction, else Exponential(scale b)
//   histogram:     CiMLoop bins (2^N-1, symmetric, zero-centred, middle bin = P(0))
//                  spanning [-clip, clip]; see src/engine/operands.cpp for the mapping.
//   patches:       inputs only: im2col patches (kernel x kernel, stride 1, no padding) of
//                  the first `images` images of an IDX file, real value pixel / 255;
//                  rows are correlated and not identically distributed (src/engine/patches.hpp).
struct DistributionSpec {
  DistKind kind = DistKind::normal;
  double mean = 0.0;
  double std = 1.0;
  double b = 1.0;
  double low = 0.0;
  double high = 1.0;
  double value = 0.0;
  double zero_fraction = 0.0;
  std::vector<double> bins;
  // patches: the IDX image file (resolved against the config's directory), the
  // square kernel's side (odd, 1..7) and how many images of the file to use.
  std::string file;
  int kernel = 3;
  int images = 1000;
  // Symmetric quantization clip (the real value mapped to the largest integer).
  // Absent: the distribution's max, or its 99.99th |x| percentile when unbounded.
  std::optional<double> clip;
  // Inputs only: equicorrelation rho in [0, 1) of the rows of one input vector
  // through a Gaussian copula (kernels/macro_model.hpp). Each row keeps this
  // distribution as its marginal; rows move together. 0 = independent rows.
  double correlation = 0.0;
};

struct OperandSpec {
  int bits = 8;
  bool is_signed = false;
  DistributionSpec dist;
};

// How a signed weight becomes cell levels (see DESIGN.md "The macro model").
// differential_analog: differential's two cells per weight slice on one column
// pair whose currents subtract in the array before one signed ADC (the g_off
// currents cancel); last so the enum values of the others stay as they were.
enum class WeightEncoding { unsigned_plain, offset, differential, twos_complement, sign_magnitude, differential_analog };
// How a signed input becomes DAC levels per cycle.
enum class InputEncoding { unsigned_plain, offset, twos_complement, sign_magnitude };
// Per-vector input scaling before the DAC (aihwkit's noise management):
// none, or abs_max: each input vector is multiplied by Q / max_j |x_j| (Q the
// encoding's largest magnitude) and rounded, and the outputs by the inverse
// after the ADC (kernels/input_scaling.hpp).
enum class InputScaling { none, abs_max };
enum class AdcRange { full, max, calibrated, ideal };
// analog: today's crossbar (cell currents summed on bitlines, ADCs).
// digital: SRAM DIMC, 1-bit cells feeding NOR multipliers and an adder tree
// per column, exact outputs, no ADC (kernels/digital_model.hpp).
enum class MacroKind { analog, digital };
// Digital macros: where a weight's bits meet the adder tree (docs/config.md).
// per_column: one 1-bit tree per weight-bit column, columns shift-added after
// the trees; per_weight: each row's B-bit product (the weight's bits gated by
// the input bit) enters one tree per weight (ZigZag-IMC's DIMC template).
enum class AdderTree { per_column, per_weight };
// Digital macros with dac_bits > 1: one tree per input bit of a cycle and a
// place-value adder (trees), or the cycle's input bits and a weight bit as
// one dac_bits-bit leaf of one tree (leaves; per_column trees only), or the
// cycle's 2 bits radix-4 Booth recoded into one digit in {-2..2} times the
// weight as the leaf of one tree per weight (booth; per_weight trees,
// dac_bits 2, unsigned inputs: floor(B/2) + 1 cycles for B input bits;
// twos_complement inputs: ceil(B/2)).
enum class CycleBits { trees, leaves, booth };
// Digital macros: the order of a sample's (input cycle, row group)
// evaluations. groups_inside: every input cycle walks all row groups (a cell
// group's selected cell is read on every evaluation). cycles_inside: each row
// group runs all its input cycles before the next, so a cell group's selected
// cell is read once per sample and held on the multiplier's input for the
// cycles (ZigZag-IMC's DIMC precharges a cell group's local bitline once per
// weight read-out, not per input bit: DimcArrayUnit.get_precharge_energy).
enum class GroupOrder { groups_inside, cycles_inside };
// Analog macros: how the physical columns of one weight's slices reach the
// ADC. none: every column is converted and the slices are shift-added
// digitally. charge: the columns are combined in the charge domain with their
// place values (binary-weighted charge sharing; a negative place value, as
// two's complement's MSB slice or differential's negative columns, subtracts)
// into one analog value per weight, converted once (kernels/slice_combine.hpp).
enum class SliceCombine { none, charge };
// reram: cell read V(x)^2 G(w) t (SIAM/NeuroSim). sram: a 1-bit SRAM cell that
// discharges its share of a precharged bitline; the bitline energy follows
// the column value (pricing/energy_tables.cpp). Digital macros are SRAM.
enum class CellKind { reram, sram };
// Line capacitance charged per event: the used part of a wordline / bitline
// (today's default), or the physical array's full length (ZigZag-IMC).
enum class LineSpan { used, physical };

// State-dependent programming noise (kernels/device_model.hpp): none beyond
// the constant sigmas, IBM's PCM fit, or Wan et al.'s ReRAM fit.
enum class ProgNoiseModel { constant, pcm, reram_wan };
enum class DriftNuModel { pcm, constant };

// Conductance drift G(t) = G0 (t / t0)^(-nu), read t_seconds after programming
// (0 = no drift); nu per cell, drawn once per programmed array.
struct DriftSpec {
  double t_seconds = 0.0;
  double t0_seconds = 20.0;    // aihwkit / Nandakumar et al. 2019 (REFERENCES.md)
  DriftNuModel nu_model = DriftNuModel::pcm;
  double nu_mean = 0.0, nu_sigma = 0.0;  // nu_model constant
  bool compensation = false;   // global drift compensation (aihwkit GlobalDriftCompensation)
  bool on() const { return t_seconds > 0.0; }
};

struct NoiseSpec {
  double prog_sigma_us = 0.0;   // programming variation, absolute (µS), static per array instance
  double prog_sigma_rel = 0.0;  // programming variation, proportional to the cell's conductance
  double read_sigma_us = 0.0;   // read noise per cell read, absolute (µS)
  double read_sigma_rel = 0.0;  // read noise per cell read, proportional to conductance
  double stuck_off = 0.0;       // probability a cell is stuck at g_off
  double stuck_on = 0.0;        // probability a cell is stuck at g_on
  ProgNoiseModel prog_model = ProgNoiseModel::constant;  // added in quadrature to the sigmas above
  DriftSpec drift;
};

struct AdcSpec {
  int bits = 6;
  AdcRange range = AdcRange::full;
  double max_value = 0.0;       // range=max: column value mapped to the top code (cell-level x DAC-level units)
  double quantile = 0.999;      // range=calibrated: quantile of the pilot column values
  // range=calibrated: one range per weight slice, each from its own columns'
  // pilot values (CrossSim calibrates each slice separately).
  bool per_slice = false;
  // range=calibrated: round each calibrated range up to a power-of-two number
  // of on-cell units (CrossSim's 128/2^k rule).
  bool round_pow2 = false;
  // range=calibrated: one range per input cycle (and per weight slice with
  // per_slice), each from the pilot values of its own conversions.
  bool per_cycle = false;
  double noise_lsb = 0.0;       // input-referred Gaussian noise, in ADC LSBs
  int count = 0;                // ADCs per macro, shared by the columns (0 = one per column)
  std::optional<double> conversion_ns;  // default: ZigZag-IMC delay model
};

// The combinational path of one digital macro step (ZigZag-IMC get_tclk): a
// multiplier (NOR, or Booth encoder + selector), the adder tree, the
// place-value adder of a cycle's trees, the accumulator.
struct DigitalTiming {
  int leaf_bits = 1;          // adder-tree leaf width
  int trees = 1;              // trees one step combines by place value (1: none)
  bool booth = false;
  bool accumulate = false;    // more than one step per MVM on the physical macro
  int accumulator_carry = 0;  // carry bits past the accumulator's input: input bits + stages(row groups)
  int node_nm = 28;
};

struct MacroSpec {
  MacroKind kind = MacroKind::analog;
  int rows = 128;
  int cols = 128;
  int rows_active = 0;          // rows summed per conversion (0 = all rows used); digital: adder-tree inputs
  int bits_per_cell = 2;        // digital: 1 (the default there)
  WeightEncoding weight_encoding = WeightEncoding::differential;
  int dac_bits = 1;
  InputEncoding input_encoding = InputEncoding::unsigned_plain;
  InputScaling input_scaling = InputScaling::none;
  double g_on_us = 10.0;        // ReRAM R_on 100 kΩ (NeuroSim/SIAM style)
  double g_off_us = 0.1;        // ReRAM R_off 10 MΩ
  double wire_ohm = 0.0;        // word/bit-line resistance per cell pitch (first-order IR drop); 0 = none
  // Cells per group sharing one multiplier / adder-tree input (digital) or one
  // bitline input (analog) through a column mux: only one cell of a group
  // drives the periphery per cycle. rows_active defaults to rows / cell_group.
  int cell_group = 1;
  AdderTree adder_tree = AdderTree::per_column;  // digital only
  CycleBits cycle_bits = CycleBits::trees;       // digital only
  GroupOrder group_order = GroupOrder::groups_inside;  // digital only
  SliceCombine slice_combine = SliceCombine::none;     // analog only
  CellKind cell = CellKind::reram;  // analog: what a cell read costs (pricing)
  // Period of one macro step (an input cycle x row group x shared-ADC step,
  // arch/timing.hpp). Unset (the default): each step takes its own conversion
  // or tree evaluation. `macro.clock_ns: derived` sets clock_derived, and the
  // config reader fills clock_ns with the macro's critical path
  // (physical/area_clock.hpp); a number is that period as written.
  std::optional<double> clock_ns;
  bool clock_derived = false;
  // Digital: the widths on one step's path, filled by the config reader from
  // the physical macro (resolve_macro_clock, physical/area_clock.hpp) for the
  // self-timed step of arch/timing.hpp, which sums them over the tile's rows.
  std::optional<DigitalTiming> digital_timing;
  NoiseSpec noise;
  AdcSpec adc;
};

// Per-event energy as a function of the event value v:
//   E(v) = e0 + e1*v + e2*v^2 + epop*popcount(v)   [pJ]
// Unset coefficients take the component's published default (src/pricing/energy_defaults.cpp).
struct EventEnergy {
  std::optional<double> e0_pj, e1_pj, e2_pj, epop_pj;
};

struct EnergySpec {
  double vdd_v = 0.9;           // periphery supply for the ZigZag-IMC 28 nm defaults
  int node_nm = 28;             // technology node of the gate and line energies (pricing/technology.hpp)
  LineSpan lines = LineSpan::used;  // wordline / bitline length charged (docs/config.md)
  double read_voltage_v = 0.5;  // cell read voltage at the top DAC level (SIAM/NeuroSim ReRAM)
  double read_pulse_ns = 1.0;   // cell read pulse per conversion
  EventEnergy dac;              // per row per input cycle; v = DAC level
  EventEnergy row_driver;       // per conversion; v = rows with a non-zero level
  EventEnergy column;           // per conversion; v = column value before the ADC
  EventEnergy adc;              // per conversion; v = output code (offset to start at 0)
  EventEnergy shift_add;        // per conversion; v unused (0)
  EventEnergy accumulator;      // per (cycle, row group, output); v unused (0)
  // Digital macros price toggles (v unused, 0): row_driver per input-line
  // toggle, multiplier per product-bit toggle, adder_tree per adder output-bit
  // toggle, accumulator / shift_add per register bit toggle (docs/config.md).
  EventEnergy multiplier;
  EventEnergy adder_tree;
  double leakage_uw = 0.0;      // macro leakage power, times MVM latency
};

// The operands and tile one macro job sees (issue 2's single-tile workload).
struct TileSpec {
  int rows_used = 0;            // K (<= rows); 0 = rows
  int cols_used = 0;            // logical weight columns N; 0 = as many as fit
  OperandSpec inputs;
  OperandSpec weights;
};

struct RunSpec {
  std::uint64_t samples = 10000;
  std::uint64_t seed = 1;
  int inputs_per_instance = 64; // samples served by one programmed array instance
  std::uint64_t pilot_samples = 2048;  // for range=calibrated; see pilot() below
  // Samples the calibration pilot draws: never more than the run itself, so a
  // quick `--samples 200` run is not mostly calibration.
  std::uint64_t pilot() const { return pilot_samples < samples ? pilot_samples : samples; }
};

// ---- Whole networks on a system of macros (issue 3): layers, the
// architecture around the macros, mapping options. They live here rather than
// in a header of their own because Config holds them by value.

enum class LayerKind { conv2d, linear, matmul };

// One DNN layer. Lowered to GEMMs (M x K x N each, `groups` independent ones)
// by workload/gemm.hpp:
//   conv2d: M = batch*P*Q, K = (C/groups)*R*S, N = M_out/groups, `groups` GEMMs
//   linear: M = batch*tokens, K = in_features (C), N = out_features (M_out), 1 GEMM
//   matmul: M = gemm_m, K = gemm_k, N = gemm_n, `batch` GEMMs: both operands are
//           activations, so each batch item has its own stored operand (the
//           `weights` operand is the one stored in the array)
struct LayerSpec {
  std::string name;
  LayerKind kind = LayerKind::conv2d;
  int batch = 1;
  // conv2d (CiMLoop/Timeloop names): C in channels, M out channels, P x Q output,
  // R x S kernel, strides, groups (groups == C == M: depthwise). linear uses C, M.
  int C = 1, M = 1, P = 1, Q = 1, R = 1, S = 1, stride_h = 1, stride_w = 1, groups = 1;
  int tokens = 1;                        // linear: rows of the activation matrix per batch item
  std::int64_t gemm_m = 1, gemm_k = 1, gemm_n = 1;  // matmul
  OperandSpec inputs;
  OperandSpec weights;
  int repeat = 1;                        // identical layers (e.g. transformer blocks) counted this many times
  // Where the layer's operands come from, by earlier layers' names (chiplet
  // systems route them; other systems ignore them): `input` the layer whose
  // output it reads ("" = the previous layer), `residual` the layer whose
  // output is added to its output (a skip connection; "" = none).
  std::string input_from, residual_from;
  std::string source;                    // CiMLoop file the layer was imported from ("" = written in the config)
};

struct NetworkSpec {
  std::string name;
  std::vector<LayerSpec> layers;         // empty: single-tile mode (Config::tile)
  std::string cimloop_dir;               // layers imported from here (as written in the config; "" = none)
  std::string distiller_file;            // input clips taken from here (as written; "" = none)
  // workload.defaults: bits and signedness of every layer that does not set its own.
  OperandSpec default_inputs;
  OperandSpec default_weights;
};

// A memory level outside the macros: per-access energy and bandwidth.
struct BufferSpec {
  double energy_pj_per_bit = 0.0;
  double bandwidth_bits_per_cycle = 0.0;  // 0 = unlimited
};

struct ArchSpec {
  int macros = 1;                          // identical macros working in parallel
  double clock_ghz = 1.0;                  // digital clock for buffers and the global schedule
  double row_settle_ns = 0.0;              // DAC/row settle time per input cycle and row group
  BufferSpec input_buffer{0.05, 0.0};      // per-macro input buffer (SRAM)
  BufferSpec output_buffer{0.05, 0.0};     // per-macro output/partial-sum buffer
  BufferSpec global_buffer{0.198, 512.0};  // MIREDO 28 nm SRAM global buffer, 0.198 pJ/bit
  double dram_pj_per_bit = 3.7;            // ZigZag-IMC example DRAM energy
  double dram_bandwidth_gbps = 204.8;      // bits per ns (> 0): 25.6 GB/s (one DDR4-3200 channel) x 8
  // architecture.hierarchy: the system as storage levels (arch/level_spec.hpp);
  // empty when the config gives none. Not yet used by the study (issue 12).
  hier::HierarchySpec hierarchy;
  // architecture.chiplets: a SIAM-like chiplet system (chiplet/chiplet_spec.hpp);
  // enabled only when the config gives one.
  chiplet::ChipletSpec chiplets;
};

enum class Objective { energy, latency, edp };
enum class LoopOrder { input_reuse, output_reuse };

struct MappingOptions {
  Objective objective = Objective::energy;
  bool keep_all = false;                   // --mappings all
  bool allow_duplication = true;
  // Loop-nest search of a hierarchy (architecture.hierarchy): mappings
  // evaluated per layer (exhaustive when the pruned mapspace fits, else this
  // many seeded random draws).
  int search_budget = 10000;
  // How a hierarchy's layers are mapped (`mapping.mapper`, `--mapper`):
  // automatic enumerates the mapspace when it fits the budget, else samples;
  // exhaustive must enumerate (an error when the space exceeds the budget);
  // random always samples; mip solves the mixed-integer program
  // (mipmap/mapper.hpp), `mip_seconds` CPU seconds per layer at most (0: no
  // limit; a limit that stops a solve early makes the result machine-dependent,
  // which the rows' mapping_status says).
  enum class Mapper : std::uint8_t { automatic, exhaustive, random, mip };
  Mapper mapper = Mapper::automatic;
  double mip_seconds = 10;
};
const char* to_string(MappingOptions::Mapper m);

// task: inference of a real network through the macros (`cimmc infer`,
// src/infer/). Paths are resolved against the config's directory. Operand bits
// come from workload.inputs / workload.weights (the tile's operands).
struct TaskSpec {
  std::string model;               // ONNX file ("" = no task section)
  std::string images, labels;      // IDX test images and labels
  int count = 10000;               // test images used (the first ones)
  std::string calibration_images;  // IDX images for the activation scales ("" = the test images)
  int calibration_count = 1000;
  int chips = 1;                   // chip instances (programming variation and faults per chip)
  int batch_images = 500;          // images per launch
};

struct Config {
  std::string source_path;      // the YAML file
  std::string source_text;      // its full text (stored in HDF5 provenance)
  std::string name = "cimmc";
  RunSpec run;
  MacroSpec macro;
  TileSpec tile;                // single-tile mode (network.layers empty)
  EnergySpec energy;
  NetworkSpec network;          // network mode when it has layers
  ArchSpec arch;
  MappingOptions mapping;
  TaskSpec task;
};

const char* to_string(DistKind k);
const char* to_string(WeightEncoding e);
const char* to_string(ProgNoiseModel p);
const char* to_string(InputEncoding e);
const char* to_string(InputScaling s);
const char* to_string(AdcRange r);
const char* to_string(MacroKind k);
const char* to_string(AdderTree t);
const char* to_string(CycleBits b);
const char* to_string(GroupOrder o);
const char* to_string(SliceCombine s);
const char* to_string(LayerKind k);
const char* to_string(Objective o);

}  // namespace cimmc

namespace cimmc {
// Derived counts that validation and the job builder must agree on.
int weight_magnitude_bits(const OperandSpec& w, WeightEncoding e);  // bits sliced into cells
int weight_slices(const MacroSpec& m, const OperandSpec& w);        // ceil(magnitude bits / bpc)
int phys_cols_per_weight(const MacroSpec& m, const OperandSpec& w); // incl. x2 differential, +1 sign column
int adc_cols_per_weight(const MacroSpec& m, const OperandSpec& w);  // conversions per weight (a pair converts once)
int input_cycles(const MacroSpec& m, const OperandSpec& x);         // DAC cycles per MVM
}  // namespace cimmc

// The plain data a kernel sees for one tile job: numbers and raw pointers only,
// no config or I/O types. Built on the host by src/engine/job_builder.cpp.
#pragma once
#include <cstdint>

#include "device_view.hpp"
#include "hd.hpp"
#include "stream_id.hpp"

namespace cimmc {

constexpr int kMaxCycles = 32;       // input cycles per MVM (16-bit sign-magnitude at 1 DAC bit = 30)
constexpr int kMaxPhysPerWeight = 32;  // physical columns per logical weight
constexpr int kBatchGroups = 32;     // batch-means groups for standard errors (instance i -> i % 32)

struct NormalBin;  // normal.hpp

// Digital toggle counters, in order (stage s of the adder tree at kTogStage1 + s - 1):
// input lines, multiplier outputs, tree stages 1..S, accumulator, output register.
constexpr int kTogInput = 0, kTogMult = 1, kTogStage1 = 2;
constexpr int kMaxTreeStages = 16;  // R <= 65536 rows per tree
// After the S stages: the accumulator at kTogStage1 + S, the output register at
// kTogStage1 + S + 1; tog_len = S + 4.

enum class WPart : std::uint8_t { plain, pos, neg, sign_bit, signed_mag };

// How a conversion turns a column value into the value the shift-add sees:
// one step for every column, a step per weight slice, or the value itself
// (ideal: no quantization, no clipping; codes are still counted at adc_delta
// so the conversions can be priced).
// per_cycle: a step per (input cycle, column position of a weight), from
// adc_delta_cq (the positions share a step unless calibrated per slice too).
enum class AdcMode : std::uint8_t { shared, per_slice, ideal, per_cycle };
constexpr int kMaxAdcRanges = 64;  // input cycles x column positions of AdcMode::per_cycle

// Discrete distribution over quantized integers, sampled by Walker's alias
// method from one 32-bit word. prob is scaled by 2^32 so 1.0 is representable.
struct AliasView {
  const std::uint64_t* prob = nullptr;
  const std::int32_t* alias = nullptr;
  const std::int32_t* value = nullptr;
  std::uint32_t n = 0;
};

struct JobView {
  // ---- shape
  int K = 0;        // rows used
  int N = 0;        // logical weight columns used
  int R = 0;        // rows summed per conversion (row group size)
  int G = 0;        // row groups = ceil(K / R)
  int wpg = 0;      // 64-bit words per row group
  int P = 0;        // physical columns used = N * ppw
  int ppw = 0;      // physical columns per weight
  // ---- weights -> cells
  int w_bits = 8;
  int bpc = 1;      // bits per cell
  int L = 2;        // levels per cell = 2^bpc
  int w_offset = 0; // added before slicing (offset encoding), subtracted digitally
  unsigned w_mask = 0xFFFFFFFFu;  // two's complement: the low n-1 bits go to plain slices
  WPart w_part[kMaxPhysPerWeight] = {};
  int w_shift[kMaxPhysPerWeight] = {};   // slice position in bits
  double w_coef[kMaxPhysPerWeight] = {}; // digital weight of each physical column
  bool signed_cols = false;              // sign-magnitude: cell sign applied on the bitline pair
  // Array-subtracted differential pairs (weight_encoding differential_analog):
  // conversion column p holds two devices, the positive one in cell column p
  // and the negative one in cell column P + p; their currents subtract on the
  // column pair before one signed ADC. P counts conversion columns, pcell the
  // cell columns (2P for pairs, else P).
  bool pair = false;
  int pcell = 0;
  // ---- inputs -> DAC levels
  int in_bits = 8;
  int in_enc = 0;   // InputEncoding as int
  int dac_bits = 1;
  int cycles = 1;
  int x_offset = 0;
  double in_coef[kMaxCycles] = {};
  // Per-vector input scaling (input_scaling.hpp): the encoding's largest
  // input magnitude Q every vector is scaled to; 0 = no scaling.
  int x_scale_q = 0;
  // ---- device, in units of one conductance step g_lsb = (g_on - g_off) / (L - 1)
  float r_off = 0.f;       // g_off / g_lsb
  float prog_abs = 0.f;    // programming sigma / g_lsb
  float prog_rel = 0.f;
  float read_abs = 0.f;    // read sigma / g_lsb
  float read_rel = 0.f;
  std::uint32_t stuck_off_u32 = 0;  // P(stuck off) * 2^32
  std::uint32_t stuck_on_u32 = 0;
  bool float_path = false; // programming variation, drift, IR drop, or proportional read noise with multi-bit DACs
  DeviceView dev;          // state-dependent programming noise, drift (device_model.hpp)
  float ir_rho = 0.f;      // wire resistance per cell pitch x g_lsb (ir_drop.hpp); 0 = no IR drop
  bool noisy = false;      // any per-conversion noise to draw
  // ---- ADC
  // macro.slice_combine charge (kernels/slice_combine.hpp): a weight's ppw
  // columns are combined with their place values w_coef into one analog value
  // before one conversion; adc_delta, codes and calibrated steps then refer to
  // that combined value (N conversions per cycle and row group, not P).
  bool slice_combine = false;
  double adc_delta = 1.0;  // column value per LSB
  float adc_noise = 0.f;   // input-referred sigma in LSB
  int code_min = 0, code_max = 63;
  AdcMode adc_mode = AdcMode::shared;
  // AdcMode::per_slice: the step of the columns at position q of a weight
  // (p % ppw) and its inverse; adc_delta is then the largest of them.
  double adc_delta_q[kMaxPhysPerWeight] = {};
  double adc_inv_q[kMaxPhysPerWeight] = {};
  // AdcMode::per_cycle: the step of cycle c at position q at [c * ppw + q], and its inverse.
  double adc_delta_cq[kMaxAdcRanges] = {};
  double adc_inv_cq[kMaxAdcRanges] = {};
  // Calibration pilot only (else null): every conversion's column value before
  // noise, at [((sample * cycles + c) * G + g) * P + p].
  double* col_capture = nullptr;
  // ---- column-value histogram
  double col_lo = 0.0;
  double col_bw = 1.0;
  int col_nbins = 1;
  // ---- digital macros (macro.kind digital, kernels/digital_model.hpp): an
  // adder tree of tree_stages = ceil(log2 R) stages per physical column, an
  // accumulator of acc_bits and an output register of out_bits (two's complement).
  bool digital = false;
  int tree_stages = 0;
  int acc_bits = 0, out_bits = 0;
  // Cells per group (macro.cell_group): > 1 means the row groups of a column
  // are the cells of its groups taking turns on one multiplier per tree input
  // (row j of group g is cell g of the group at input j), so multiplier and
  // input-line state is shared by all row groups.
  int cell_group = 1;
  // macro.group_order cycles_inside: a sample's evaluations run row group by
  // row group, all input cycles of a group in a row (default: cycle by cycle,
  // all row groups in each). The outputs are the same sums either way; the
  // toggles and the cell-group reads (once per sample instead of once per
  // cycle) are not.
  bool cycles_inside = false;
  // macro.adder_tree per_weight: every row's leaf_bits-bit product (its
  // weight's column bits gated by the input bit, weighted by w_coef) enters
  // one tree per weight (kernels/digital_weight_tree.hpp); stage s outputs
  // leaf_bits + s bits, two's complement where a coefficient is negative.
  bool tree_per_weight = false;
  // macro.cycle_bits leaves (per-column trees): a cycle's dac_bits input bits
  // and one weight bit form one leaf_bits = dac_bits leaf of one tree per column.
  bool tree_cycle_leaves = false;
  // macro.cycle_bits booth (per-weight trees, dac_bits 2, unsigned or two's-
  // complement inputs): cycle j's leaf is the radix-4 Booth digit of input
  // bits 2j+1, 2j, 2j-1 times the weight, one tree per weight
  // (kernels/digital_booth.hpp); cycles = floor(in_bits / 2) + 1 unsigned,
  // ceil(in_bits / 2) signed; abits hold the input's own (sign-extended) bits.
  bool tree_booth = false;
  int leaf_bits = 1;
  // ---- histogram layout inside one group's block of hist_size counters
  // (off_tog, tog_len: the digital toggle counters, kTog* below; tog_len 0 for analog)
  int off_dac = 0, off_row = 0, off_cell = 0, off_adc = 0, off_col = 0, off_tog = 0, tog_len = 0, hist_size = 0;
  // ---- sampling
  std::uint64_t seed = 1;
  philox::JobId job_id;
  philox::StreamKey key;          // stream_key(seed, job_id): what the draws use
  std::uint32_t stream_base = 0;  // 0 for the main run, philox::kPilot for the calibration pilot
  std::uint64_t samples = 0;
  int per_instance = 64;
  std::uint32_t instances = 0;
  AliasView x_dist, w_dist;
  const NormalBin* normal_table = nullptr;  // kNormalBins bins of the inverse normal CDF (normal.hpp)
  // Correlated inputs (Gaussian copula, rho > 0): x_z[k] = Phi^-1(P(x <= x_dist.value[k])),
  // x_dist.n entries, the last +inf. Unused (null) when x_rho == 0.
  float x_rho = 0.f;
  const float* x_z = nullptr;
  // Real-image patches (distribution kind patches) when x_npatches > 0: a
  // sample's rows are x_lut[pixel] of consecutive kernel x kernel patches of
  // one image (patch_input in encoding.hpp); x_dist then only describes the
  // pooled marginal. x_pixels holds images x img_h x img_w bytes.
  const std::uint8_t* x_pixels = nullptr;
  const std::int32_t* x_lut = nullptr;  // 256 entries: pixel -> quantized input
  int x_img_h = 0, x_img_w = 0, x_kernel = 0;
  std::uint32_t x_npatches = 0;          // images x patch positions per image
  // Given operands (inference through the macro, src/infer/): when w_given is
  // set the array holds these N x K weights ([n][j]) instead of drawn ones,
  // and every instance programs them with the same programming-variation and
  // fault draws (instance slot 0): one array instance is one chip, serving all
  // samples. x_given holds samples x K inputs ([sample][j]); y_out receives
  // samples x N macro outputs (the shift-added, corrected dot products).
  // Noise draws use sample index sample_base + s, so a batch of the inputs
  // draws what the same samples would in one long run.
  const std::int32_t* w_given = nullptr;
  const std::int32_t* x_given = nullptr;
  double* y_out = nullptr;
  std::uint32_t sample_base = 0;
};

// ADC conversions per (input cycle, row group): one per conversion column, or
// one per weight when its slices are charge-combined.
inline namespace CIMMC_ISA_NS {  // hd.hpp
CIMMC_HD int conversion_columns(const JobView& v) { return v.slice_combine ? v.N : v.P; }
}  // namespace CIMMC_ISA_NS

// Values a calibration pilot's col_capture holds (host code sizes it).
inline std::uint64_t capture_values(const JobView& v) {
  return v.samples * static_cast<std::uint64_t>(v.cycles) * static_cast<std::uint64_t>(v.G) * static_cast<std::uint64_t>(v.P);
}

// Raw error moments of one array instance; the host reduces them in instance
// order so floating sums never depend on the thread count.
struct InstanceMoments {
  double n = 0, sum_err = 0, sum_err2 = 0, max_abs_err = 0, sum_ref = 0, sum_ref2 = 0;
  std::uint64_t clipped = 0, conversions = 0;
};

}  // namespace cimmc

// Tile jobs that between them take every path of the sampling kernel: the
// unrolled popcount columns, the general bit-plane columns (multi-bit DACs,
// sign-magnitude), the conductance path (programming variation, proportional
// read noise), faults, absolute read and ADC noise, a calibrated ADC (shared
// or per slice), an ideal ADC, charge-combined slices, correlated inputs and
// real image patches. Used to show that two ways of
// running the kernel give the same bits.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace cimmc::test {

struct KernelCase {
  std::string name;
  Config cfg;
};

inline const char* kFashionMnist = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

inline std::vector<KernelCase> kernel_cases() {
  std::vector<KernelCase> out;
  Config base = small_config();
  base.macro.rows = 128;
  base.macro.cols = 256;
  base.macro.rows_active = 64;
  base.macro.bits_per_cell = 2;
  base.macro.weight_encoding = WeightEncoding::differential;
  base.macro.g_off_us = 1.0;
  base.macro.adc.bits = 6;
  base.tile.rows_used = 100;  // a ragged second row group
  base.tile.cols_used = 12;
  base.tile.weights = uniform_operand(8, true, -1.0, 1.0, 1.0);
  base.tile.inputs = uniform_operand(8, false, 0.0, 1.0, 1.0);
  base.run.samples = 96;
  base.run.inputs_per_instance = 8;
  out.push_back({"noise_free", base});
  // Noise-free conversions counted per level sum on the CPU (convert.hpp
  // convert_level_sums): 1-bit and 4-bit cells, and an ADC range that clips.
  Config clipped = base;
  clipped.macro.bits_per_cell = 1;
  clipped.macro.adc.range = AdcRange::max;
  clipped.macro.adc.max_value = 9.0;
  out.push_back({"noise_free_1bit_cells_clipping", clipped});
  Config cells4 = base;
  cells4.macro.bits_per_cell = 4;
  cells4.macro.rows_active = 128;  // two words per group: the unrolled 4-bit case
  cells4.macro.weight_encoding = WeightEncoding::unsigned_plain;
  cells4.tile.weights = uniform_operand(8, false, 0.0, 1.0, 1.0);
  out.push_back({"noise_free_4bit_cells", cells4});
  Config ragged = base;  // 3 slices x 5 columns: 15 cell columns, not a multiple of 4 (the avx2 copy's step)
  ragged.macro.weight_encoding = WeightEncoding::unsigned_plain;
  ragged.tile.cols_used = 5;
  ragged.tile.weights = uniform_operand(6, false, 0.0, 1.0, 1.0);
  out.push_back({"noise_free_ragged_columns", ragged});
  // Noisy fixed columns, whose sums the avx2 copy stores four at a time before
  // its conversion loop (convert.hpp store_plane_sums): absolute and
  // proportional read noise, with the scalar tail of 15 columns.
  Config ragged_noisy = ragged;
  ragged_noisy.macro.noise.read_sigma_us = 0.2;
  ragged_noisy.macro.noise.read_sigma_rel = 0.03;
  out.push_back({"read_noise_ragged_columns", ragged_noisy});

  Config planes = base;
  planes.macro.weight_encoding = WeightEncoding::sign_magnitude;
  planes.macro.dac_bits = 2;
  planes.macro.input_encoding = InputEncoding::twos_complement;
  planes.tile.inputs = uniform_operand(6, true, -1.0, 1.0, 1.0);
  out.push_back({"planes_sign_magnitude_2bit_dac", planes});
  // Proportional read noise on the integer path (1-bit DAC levels): its
  // squared currents from bit planes, unrolled and general, and in pairs.
  Config prop = base;
  prop.macro.noise.read_sigma_rel = 0.05;
  out.push_back({"proportional_read_noise_fixed", prop});
  Config prop_signed = prop;
  prop_signed.macro.weight_encoding = WeightEncoding::sign_magnitude;
  prop_signed.tile.weights = uniform_operand(6, true, -1.0, 1.0, 1.0);
  out.push_back({"proportional_read_noise_sign_magnitude", prop_signed});
  Config prop_pair = prop;
  prop_pair.macro.weight_encoding = WeightEncoding::differential_analog;
  out.push_back({"proportional_read_noise_pairs", prop_pair});

  // Multi-bit DAC cycles take dot-product columns on the CPU (one lane) and
  // bit planes in blocks of lanes (the GPU's path): aihwkit's regime of one
  // 16-level cell per weight with a 4-bit DAC, and array-subtracted pairs.
  Config multilevel = base;
  multilevel.macro.bits_per_cell = 4;
  multilevel.macro.weight_encoding = WeightEncoding::unsigned_plain;
  multilevel.macro.dac_bits = 4;
  multilevel.macro.noise.read_sigma_us = 0.1;
  multilevel.tile.weights = uniform_operand(4, false, 0.0, 1.0, 1.0);
  out.push_back({"multilevel_cells_4bit_dac", multilevel});
  Config pairs_dac = base;
  pairs_dac.macro.weight_encoding = WeightEncoding::differential_analog;
  pairs_dac.macro.dac_bits = 4;
  out.push_back({"differential_analog_4bit_dac", pairs_dac});
  // An 8-bit DAC (one cycle, per-row event sums on one CPU lane), with
  // per-vector input scaling and programming variation (the float path).
  Config dac8 = multilevel;
  dac8.macro.dac_bits = 8;
  dac8.macro.input_scaling = InputScaling::abs_max;
  dac8.macro.noise.prog_sigma_rel = 0.03;
  out.push_back({"multilevel_8bit_dac_scaled_prog", dac8});

  Config noisy = base;
  noisy.macro.noise.read_sigma_us = 0.3;
  noisy.macro.adc.noise_lsb = 0.4;
  noisy.macro.adc.range = AdcRange::calibrated;
  noisy.macro.noise.stuck_off = 0.01;
  noisy.macro.noise.stuck_on = 0.005;
  out.push_back({"read_noise_faults_calibrated", noisy});

  Config cond = base;
  cond.macro.noise.prog_sigma_rel = 0.05;
  cond.macro.noise.prog_sigma_us = 0.02;
  cond.macro.noise.read_sigma_rel = 0.02;
  out.push_back({"programming_and_proportional_noise", cond});

  // The ADC modes: an ideal ADC (set by build_job) and per-slice calibrated
  // ranges (set from the pilot's recorded values where the engine runs it).
  Config ideal = cond;
  ideal.macro.adc.range = AdcRange::ideal;
  ideal.macro.noise.read_sigma_us = 0.2;
  out.push_back({"ideal_adc", ideal});
  Config slices = noisy;
  slices.macro.adc.per_slice = true;
  slices.macro.adc.round_pow2 = true;
  out.push_back({"per_slice_calibrated", slices});
  Config cycles = noisy;  // a range per (input cycle, weight slice): 8 cycles x 8 columns
  cycles.macro.adc.per_slice = true;
  cycles.macro.adc.per_cycle = true;
  out.push_back({"per_cycle_calibrated", cycles});

  // Array-subtracted pairs, alone and with every device model; IR drop.
  Config pairs = base;
  pairs.macro.weight_encoding = WeightEncoding::differential_analog;
  out.push_back({"differential_analog", pairs});
  Config devices = pairs;
  devices.macro.noise.prog_model = ProgNoiseModel::pcm;
  devices.macro.noise.read_sigma_rel = 0.02;
  devices.macro.noise.drift.t_seconds = 86400;
  devices.macro.noise.drift.compensation = true;
  devices.macro.adc.range = AdcRange::calibrated;
  out.push_back({"pairs_pcm_drift_compensated", devices});
  Config ir = base;
  ir.macro.wire_ohm = 2.0;
  out.push_back({"ir_drop", ir});
  Config ir_pairs = pairs;
  ir_pairs.macro.wire_ohm = 2.0;
  ir_pairs.macro.noise.read_sigma_us = 0.1;
  out.push_back({"ir_drop_pairs", ir_pairs});

  // Charge-combined weight slices (kernels/slice_combine.hpp): one conversion
  // per weight on the plane path with absolute noise and a calibrated range
  // (the pilot records combined values), on the conductance path with
  // proportional noise, and on pairs with per-cycle calibration.
  Config combined = noisy;
  combined.macro.slice_combine = SliceCombine::charge;
  combined.macro.adc.bits = 8;
  out.push_back({"slice_combine_calibrated", combined});
  Config combined_float = cond;
  combined_float.macro.slice_combine = SliceCombine::charge;
  combined_float.macro.bits_per_cell = 1;
  combined_float.macro.weight_encoding = WeightEncoding::twos_complement;
  combined_float.macro.dac_bits = 2;
  out.push_back({"slice_combine_float_path", combined_float});
  Config combined_pairs = pairs;
  combined_pairs.macro.slice_combine = SliceCombine::charge;
  combined_pairs.macro.adc.range = AdcRange::calibrated;
  combined_pairs.macro.adc.per_cycle = true;
  combined_pairs.macro.noise.read_sigma_us = 0.1;
  out.push_back({"slice_combine_pairs_per_cycle", combined_pairs});

  Config corr = base;
  corr.tile.inputs.dist.kind = DistKind::relu_normal;
  corr.tile.inputs.dist.std = 1.0;
  corr.tile.inputs.dist.zero_fraction = 0.3;
  corr.tile.inputs.dist.clip = 3.0;
  corr.tile.inputs.dist.correlation = 0.4;
  corr.macro.noise.read_sigma_us = 0.1;
  out.push_back({"correlated_inputs", corr});

  // Per-vector input scaling (kernels/input_scaling.hpp): vectors whose max
  // varies (post-ReLU inputs well inside the clip), on the integer path with
  // read noise and a calibrated ADC, and signed on the conductance path.
  Config scaled = base;
  scaled.macro.input_scaling = InputScaling::abs_max;
  scaled.tile.inputs.dist.kind = DistKind::relu_normal;
  scaled.tile.inputs.dist.std = 0.4;
  scaled.tile.inputs.dist.zero_fraction = 0.5;
  scaled.tile.inputs.dist.clip = 3.0;
  scaled.macro.noise.read_sigma_us = 0.2;
  scaled.macro.adc.range = AdcRange::calibrated;
  out.push_back({"input_scaling_abs_max", scaled});
  Config scaled_signed = planes;
  scaled_signed.macro.input_scaling = InputScaling::abs_max;
  scaled_signed.macro.noise.prog_sigma_rel = 0.03;
  scaled_signed.tile.inputs.dist.kind = DistKind::normal;
  scaled_signed.tile.inputs.dist.std = 0.2;
  out.push_back({"input_scaling_signed_float_path", scaled_signed});

  // The digital kind (kernels/digital_model.hpp): adder trees of 64 rows
  // shared by the two row groups, two's-complement weights and inputs.
  Config digital = base;
  digital.macro.kind = MacroKind::digital;
  digital.macro.bits_per_cell = 1;
  digital.macro.weight_encoding = WeightEncoding::twos_complement;
  digital.macro.input_encoding = InputEncoding::twos_complement;
  digital.tile.inputs = uniform_operand(8, true, -1.0, 1.0, 1.0);
  out.push_back({"digital_adder_tree", digital});
  Config wide = digital;  // a 100-row tree: stage 7 adds word sums, ragged fields are wires
  wide.macro.rows_active = 0;
  wide.macro.weight_encoding = WeightEncoding::differential;
  out.push_back({"digital_wide_tree", wide});
  Config multibit = digital;  // two input bits per cycle (two trees) on cell groups of 2
  multibit.macro.dac_bits = 2;
  multibit.macro.cell_group = 2;
  out.push_back({"digital_two_bits_cell_groups", multibit});
  // Per-weight product trees (macro.adder_tree per_weight): the weights'
  // registers read other lanes' columns between barriers.
  Config per_weight = wide;
  per_weight.macro.adder_tree = AdderTree::per_weight;
  out.push_back({"digital_per_weight_wide_tree", per_weight});
  Config per_weight2 = multibit;
  per_weight2.macro.adder_tree = AdderTree::per_weight;
  out.push_back({"digital_per_weight_two_bits_cell_groups", per_weight2});
  Config leaves = multibit;  // a cycle's two input bits as one leaf of one tree per column
  leaves.macro.cycle_bits = CycleBits::leaves;
  out.push_back({"digital_cycle_leaves_cell_groups", leaves});
  Config booth = per_weight2;  // radix-4 Booth digits of unsigned inputs (kernels/digital_booth.hpp)
  booth.macro.cycle_bits = CycleBits::booth;
  booth.macro.input_encoding = InputEncoding::unsigned_plain;
  booth.tile.inputs = uniform_operand(8, false, 0.0, 1.0, 1.0);
  out.push_back({"digital_booth_cell_groups", booth});

  if (std::filesystem::exists(kFashionMnist)) {
    Config patches = base;
    patches.tile.rows_used = 9;
    patches.tile.inputs.bits = 4;
    patches.tile.inputs.is_signed = false;
    patches.tile.inputs.dist = DistributionSpec{};
    patches.tile.inputs.dist.kind = DistKind::patches;
    patches.tile.inputs.dist.file = kFashionMnist;
    patches.tile.inputs.dist.kernel = 3;
    patches.tile.inputs.dist.images = 20;
    patches.tile.inputs.dist.clip = 1.0;
    out.push_back({"image_patches", patches});
  }
  return out;
}

// Histograms, every batch group's moments and the ADC scale, bit for bit.
inline void expect_same_bits(const JobResult& a, const JobResult& b, const std::string& what) {
  EXPECT_EQ(a.hist, b.hist) << what;
  EXPECT_EQ(a.adc_full_scale, b.adc_full_scale) << what;
  ASSERT_EQ(a.groups.size(), b.groups.size()) << what;
  for (std::size_t g = 0; g < a.groups.size(); ++g) {
    const GroupMoments &x = a.groups[g], &y = b.groups[g];
    EXPECT_EQ(x.samples, y.samples) << what << " group " << g;
    EXPECT_EQ(x.outputs, y.outputs) << what << " group " << g;
    EXPECT_EQ(x.sum_err, y.sum_err) << what << " group " << g;
    EXPECT_EQ(x.sum_err2, y.sum_err2) << what << " group " << g;
    EXPECT_EQ(x.max_abs_err, y.max_abs_err) << what << " group " << g;
    EXPECT_EQ(x.sum_ref, y.sum_ref) << what << " group " << g;
    EXPECT_EQ(x.sum_ref2, y.sum_ref2) << what << " group " << g;
    EXPECT_EQ(x.clipped, y.clipped) << what << " group " << g;
    EXPECT_EQ(x.conversions, y.conversions) << what << " group " << g;
  }
}

}  // namespace cimmc::test

#include "engine/job_builder.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "device_model.hpp"
#include "normal.hpp"
#include "philox.hpp"

namespace cimmc {
namespace {

std::uint32_t prob_u32(double p) {
  const double s = std::round(p * 4294967296.0);
  return s >= 4294967295.0 ? 0xFFFFFFFFu : static_cast<std::uint32_t>(s);
}

void set_weight_columns(const MacroSpec& m, const OperandSpec& w, JobView& v) {
  const int s = weight_slices(m, w);
  v.ppw = adc_cols_per_weight(m, w);  // conversion columns; a pair's second cells follow (cell_column)
  for (int q = 0; q < v.ppw; ++q) {
    const int slice = q % s;
    v.w_shift[q] = slice * m.bits_per_cell;
    v.w_coef[q] = std::ldexp(1.0, v.w_shift[q]);
    v.w_part[q] = WPart::plain;
  }
  switch (m.weight_encoding) {
    case WeightEncoding::unsigned_plain: break;
    case WeightEncoding::offset: v.w_offset = 1 << (w.bits - 1); break;
    case WeightEncoding::differential:
      for (int q = 0; q < v.ppw; ++q) {
        v.w_part[q] = q < s ? WPart::pos : WPart::neg;
        if (q >= s) v.w_coef[q] = -v.w_coef[q];
      }
      break;
    case WeightEncoding::twos_complement:
      v.w_mask = (1u << (w.bits - 1)) - 1u;
      v.w_part[s] = WPart::sign_bit;
      v.w_shift[s] = 0;
      v.w_coef[s] = -std::ldexp(1.0, w.bits - 1);
      break;
    case WeightEncoding::sign_magnitude:
      for (int q = 0; q < v.ppw; ++q) v.w_part[q] = WPart::signed_mag;
      v.signed_cols = true;
      break;
    case WeightEncoding::differential_analog:  // positions s..2s-1: the pairs' negative cells
      v.pair = true;
      for (int q = 0; q < s; ++q) {
        v.w_part[q] = WPart::pos;
        v.w_part[s + q] = WPart::neg;
        v.w_shift[s + q] = v.w_shift[q];
      }
      break;
  }
}

void set_input_cycles(const MacroSpec& m, const OperandSpec& x, JobView& v) {
  v.in_bits = x.bits;
  v.in_enc = static_cast<int>(m.input_encoding);
  v.dac_bits = m.dac_bits;
  v.cycles = input_cycles(m, x);
  const int d = m.dac_bits;
  for (int c = 0; c < v.cycles; ++c) v.in_coef[c] = std::ldexp(1.0, d * c);
  switch (m.input_encoding) {
    case InputEncoding::offset: v.x_offset = 1 << (x.bits - 1); break;
    case InputEncoding::twos_complement:  // Booth: the trees' digits carry the sign (digital_booth.hpp)
      if (m.cycle_bits != CycleBits::booth) v.in_coef[v.cycles - 1] = -std::ldexp(1.0, x.bits - 1);
      break;
    case InputEncoding::sign_magnitude: {
      const int half = v.cycles / 2;
      for (int c = half; c < v.cycles; ++c) v.in_coef[c] = -std::ldexp(1.0, d * (c - half));
      break;
    }
    default: break;
  }
  // Per-vector scaling drives the largest magnitude the encoding takes.
  if (m.input_scaling == InputScaling::abs_max) v.x_scale_q = x.is_signed ? (1 << (x.bits - 1)) - 1 : (1 << x.bits) - 1;
}

// Digital macros: exact integer arithmetic (no g_off current, no noise), an
// adder tree over the R active rows and registers wide enough for any value.
// Bits of a per-weight tree's leaf: the smallest two's-complement (or, with
// no negative coefficient, unsigned) word holding every sum of a subset of
// the weight's column coefficients. A Booth leaf is that sum times a digit in
// {-2..2}: signed, over [min(2 lo, -2 hi), max(2 hi, -2 lo)].
int product_bits(const JobView& v, bool booth) {
  double lo = 0, hi = 0;
  for (int q = 0; q < v.ppw; ++q) (v.w_coef[q] < 0 ? lo : hi) += v.w_coef[q];
  if (booth) {
    const double a = std::max(hi, -lo);
    lo = -2 * a, hi = 2 * a;
  }
  int bits = 1;
  if (lo < 0)
    while (-std::ldexp(1.0, bits - 1) > lo || std::ldexp(1.0, bits - 1) - 1 < hi) ++bits;
  else
    while (std::ldexp(1.0, bits) - 1 < hi) ++bits;
  return bits;
}

void set_digital(JobView& v, AdderTree tree, CycleBits cycle) {
  v.digital = true;
  v.r_off = 0.f;
  v.prog_abs = v.prog_rel = v.read_abs = v.read_rel = v.adc_noise = 0.f;
  v.float_path = v.noisy = false;
  v.dev = DeviceView{};
  v.ir_rho = 0.f;
  v.tree_stages = 0;
  while ((1 << v.tree_stages) < v.R) ++v.tree_stages;
  int groups = 0;  // accumulating G tree outputs adds ceil(log2 G) bits
  while ((1 << groups) < v.G) ++groups;
  // Tree output: S + 1 bits; shifted by up to in_bits - 1 cycles and summed
  // over cycles and groups; one sign bit (a two's-complement sign cycle subtracts).
  v.acc_bits = v.in_bits + v.tree_stages + groups + 1;
  v.out_bits = v.acc_bits + v.w_bits + 1;  // the weight-bit columns shifted and added (+1: differential's pair)
  v.tree_per_weight = tree == AdderTree::per_weight;
  v.tree_cycle_leaves = cycle == CycleBits::leaves;
  v.tree_booth = cycle == CycleBits::booth;
  v.leaf_bits = v.tree_per_weight ? product_bits(v, v.tree_booth) : v.tree_cycle_leaves ? v.dac_bits : 1;
}

// Device models (kernels/device_view.hpp): conductances in g_lsb units.
void set_device(const MacroSpec& m, double g_lsb, JobView& v) {
  const NoiseSpec& n = m.noise;
  DeviceView& d = v.dev;
  d.prog_model = n.prog_model == ProgNoiseModel::pcm         ? ProgModel::pcm
                 : n.prog_model == ProgNoiseModel::reram_wan ? ProgModel::reram_wan
                                                             : ProgModel::constant;
  d.g_max = static_cast<float>(m.g_on_us / g_lsb);
  d.g_lsb_us = static_cast<float>(g_lsb);
  d.drift = n.drift.on();
  if (!d.drift) return;
  d.log_t = static_cast<float>(std::log(n.drift.t_seconds / n.drift.t0_seconds));
  d.nu_model = n.drift.nu_model == DriftNuModel::constant ? NuModel::constant : NuModel::pcm;
  d.nu_mean = static_cast<float>(n.drift.nu_mean);
  d.nu_sigma = static_cast<float>(n.drift.nu_sigma);
  d.compensate = n.drift.compensation;
  for (int l = 0; l < v.L; ++l) nu_params(d, static_cast<float>(l) + v.r_off, d.nu_mu[l], d.nu_sd[l]);
}

}  // namespace

CombinedRange combined_range(const JobView& v, double v_full, bool signed_cols) {
  CombinedRange r;
  const double clo = signed_cols ? -v_full : 0.0;
  for (int q = 0; q < v.ppw; ++q) {
    const double a = v.w_coef[q] * clo, b = v.w_coef[q] * v_full;
    r.lo += std::min(a, b);
    r.hi += std::max(a, b);
  }
  return r;
}

void set_adc_full_scale(JobView& v, double full_scale) {
  v.adc_delta = full_scale / v.code_max;
}

void build_job(const Config& cfg, philox::JobId job_id, BuiltJob& out, bool sampling) {
  const MacroSpec& m = cfg.macro;
  const TileSpec& t = cfg.tile;
  JobView& v = out.view;
  v = JobView{};
  v.K = t.rows_used > 0 ? t.rows_used : m.rows;
  v.R = m.rows_active > 0 ? std::min(m.rows_active, v.K) : v.K;
  v.G = (v.K + v.R - 1) / v.R;
  v.wpg = (v.R + 63) / 64;
  v.w_bits = t.weights.bits;
  v.bpc = m.bits_per_cell;
  v.L = 1 << m.bits_per_cell;
  set_weight_columns(m, t.weights, v);
  v.N = t.cols_used > 0 ? t.cols_used : m.cols / phys_cols_per_weight(m, t.weights);
  if (v.N < 1) throw std::invalid_argument("no weight column fits the macro");
  v.P = v.N * v.ppw;
  v.pcell = v.pair ? 2 * v.P : v.P;
  set_input_cycles(m, t.inputs, v);

  const double g_lsb = (m.g_on_us - m.g_off_us) / (v.L - 1);
  v.r_off = static_cast<float>(m.g_off_us / g_lsb);
  v.prog_abs = static_cast<float>(m.noise.prog_sigma_us / g_lsb);
  v.prog_rel = static_cast<float>(m.noise.prog_sigma_rel);
  v.read_abs = static_cast<float>(m.noise.read_sigma_us / g_lsb);
  v.read_rel = static_cast<float>(m.noise.read_sigma_rel);
  v.stuck_off_u32 = prob_u32(m.noise.stuck_off);
  v.stuck_on_u32 = prob_u32(m.noise.stuck_on);
  set_device(m, g_lsb, v);
  v.ir_rho = static_cast<float>(m.wire_ohm * g_lsb * 1e-6);  // ohm x uS
  // Proportional read noise alone keeps the integer path with 1-bit DAC
  // levels (its squared currents come from bit planes: plane_squares).
  v.float_path = v.prog_abs > 0 || v.prog_rel > 0 || (v.read_rel > 0 && v.dac_bits > 1) ||
                 m.noise.prog_model != ProgNoiseModel::constant || v.dev.drift || v.ir_rho > 0;
  v.adc_noise = static_cast<float>(m.adc.noise_lsb);
  v.noisy = v.read_abs > 0 || v.read_rel > 0 || v.adc_noise > 0;
  v.cell_group = m.cell_group;
  if (m.kind == MacroKind::digital) set_digital(v, m.adder_tree, m.cycle_bits);
  v.cycles_inside = v.digital && m.group_order == GroupOrder::cycles_inside;

  // ADC: unsigned columns use codes [0, 2^B-1]; signed (sign-magnitude) columns
  // a symmetric range. `full` never quantizes finer than one integer step.
  const int amax = (1 << m.dac_bits) - 1;
  // A pair's g_off currents cancel: its largest value is R x amax x (L - 1).
  const bool signed_adc = v.signed_cols || v.pair;
  out.v_full = static_cast<double>(v.R) * amax * (v.L - 1 + (v.pair ? 0.f : v.r_off));
  v.slice_combine = !v.digital && m.slice_combine == SliceCombine::charge;
  if (!v.digital) {  // a digital job keeps one empty ADC code (no conversions) and step 1
    // Charge-combined slices: the ADC sees sum_q coef_q x column_q, whose
    // range is the place-value sum of the columns' ranges (signed when a
    // place value is negative).
    const CombinedRange cr = v.slice_combine ? combined_range(v, out.v_full, signed_adc) : CombinedRange{};
    const bool signed_conv = v.slice_combine ? cr.lo < 0 : signed_adc;
    v.code_max = signed_conv ? (1 << (m.adc.bits - 1)) - 1 : (1 << m.adc.bits) - 1;
    v.code_min = signed_conv ? -v.code_max : 0;
    if (v.code_max < 1) throw std::invalid_argument("a signed column needs at least 2 ADC bits");
    const double v_conv = v.slice_combine ? std::max(-cr.lo, cr.hi) : out.v_full;
    const double fs_full = std::max(v_conv, static_cast<double>(v.code_max));
    set_adc_full_scale(v, m.adc.range == AdcRange::max ? m.adc.max_value : fs_full);
    // An ideal ADC counts the codes a full-range one would give, for pricing.
    if (m.adc.range == AdcRange::ideal) v.adc_mode = AdcMode::ideal;
  } else {
    v.code_min = v.code_max = 0;
  }

  // Column-value histogram: integer bins when the span allows, at most 4096 bins.
  const double span = std::ceil(signed_adc ? 2 * out.v_full : out.v_full);
  v.col_lo = signed_adc ? -std::ceil(out.v_full) : 0.0;
  v.col_bw = std::max(1.0, std::ceil((span + 1) / 4096.0));
  v.col_nbins = static_cast<int>(span / v.col_bw) + 1;

  const int A = 1 << m.dac_bits;
  v.off_dac = 0;
  v.off_row = v.off_dac + A;
  v.off_cell = v.off_row + v.R + 1;
  v.off_adc = v.off_cell + A * v.L;
  v.off_col = v.off_adc + (v.code_max - v.code_min + 1);
  v.off_tog = v.off_col + v.col_nbins;
  v.tog_len = v.digital ? kTogStage1 + v.tree_stages + 2 : 0;
  v.hist_size = v.off_tog + v.tog_len;

  v.seed = cfg.run.seed;
  v.job_id = job_id;
  v.key = philox::stream_key(v.seed, job_id);
  v.samples = cfg.run.samples;
  v.per_instance = cfg.run.inputs_per_instance;
  v.instances = static_cast<std::uint32_t>((v.samples + v.per_instance - 1) / v.per_instance);

  out.x_pmf = quantize(t.inputs);
  out.w_pmf = quantize(t.weights);
  if (sampling) {
    out.x_alias = build_alias(out.x_pmf);
    out.w_alias = build_alias(out.w_pmf);
    v.x_dist = out.x_alias.view();
    v.w_dist = out.w_alias.view();
  } else {
    for (const QuantizedPmf* q : {&out.x_pmf, &out.w_pmf}) {  // build_alias's own check
      double total = 0;
      for (double x : q->p) total += x;
      if (!(total > 0)) throw std::invalid_argument("operand distribution has no mass");
    }
  }
  out.x_scores.clear();
  if (t.inputs.dist.correlation > 0) {
    out.x_scores = build_normal_scores(out.x_pmf);
    v.x_rho = static_cast<float>(t.inputs.dist.correlation);
    v.x_z = out.x_scores.data();
  }
  out.x_patches = PatchInputs{};
  if (t.inputs.dist.kind == DistKind::patches) {
    out.x_patches = load_patches(t.inputs);
    const IdxImages& img = *out.x_patches.images;
    v.x_pixels = img.pixels.data();
    v.x_lut = out.x_patches.lut.data();
    v.x_img_h = img.rows;
    v.x_img_w = img.cols;
    v.x_kernel = out.x_patches.kernel;
    v.x_npatches = out.x_patches.npatches();
  }
  v.normal_table = normal_table();
}

double column_quantile(const JobView& v, const std::uint64_t* col_hist, double quantile) {
  // Fold signed columns onto |value|, then walk the cumulative counts.
  std::vector<std::pair<double, std::uint64_t>> mag;
  std::uint64_t total = 0;
  for (int b = 0; b < v.col_nbins; ++b) {
    mag.emplace_back(std::fabs(v.col_lo + b * v.col_bw), col_hist[b]);
    total += col_hist[b];
  }
  std::sort(mag.begin(), mag.end());
  const double target = quantile * static_cast<double>(total);
  std::uint64_t cum = 0;
  for (const auto& [value, count] : mag) {
    cum += count;
    if (static_cast<double>(cum) >= target) return value;
  }
  return mag.empty() ? 0.0 : mag.back().first;
}

}  // namespace cimmc

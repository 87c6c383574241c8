// Rules on the finished Config: the single-field ranges again (for values set
// after parsing, e.g. by CLI overrides) and every rule that involves more than
// one field. The reader already enforced the single-field ranges on parsed
// values, so for a freshly parsed config only the cross-field rules can fire.
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "job_view.hpp"  // kMaxAdcRanges: the per-cycle steps a job holds
#include "config/config.hpp"
#include "config/internal.hpp"
#include "spec/technology.hpp"

namespace cimmc::config_detail {

namespace {

// Physical limits of the model's per-conversion bookkeeping (kernels/).
constexpr int kMaxInputCycles = 32;
constexpr int kMaxColsPerWeight = 32;
// Philox slot numbers of one sample's draws are one 32-bit counter word.
constexpr std::uint64_t kPhiloxSlots = std::uint64_t{1} << 32;

std::string list_text(const std::vector<double>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + number_text(v[i]);
  return out + "]";
}

void check_distribution(const Checker& c, const std::string& p, const DistributionSpec& d, OperandRole role) {
  c.check(p + ".clip", d.clip, rule::kOperandScale);
  c.check(p + ".correlation", d.correlation, rule::kCorrelation);
  // Weights are drawn per array instance, not per input vector: there is no
  // "row of one vector" for them to correlate along.
  if (role == OperandRole::weights && d.correlation != 0)
    c.fail(p + ".correlation", number_text(d.correlation), "correlation applies to inputs only");
  switch (d.kind) {
    case DistKind::normal:
      c.check(p + ".mean", d.mean, rule::kOperandValue);
      c.check(p + ".std", d.std, rule::kOperandScale);
      break;
    case DistKind::laplace:
      c.check(p + ".mean", d.mean, rule::kOperandValue);
      c.check(p + ".b", d.b, rule::kOperandScale);
      break;
    case DistKind::uniform:
      c.check(p + ".low", d.low, rule::kOperandValue);
      c.check(p + ".high", d.high, rule::kOperandValue);
      if (d.high < d.low) c.fail(p + ".high", number_text(d.high), "must be >= low (" + number_text(d.low) + ")");
      // The quantizer scales by max(|low|, |high|) when there is no clip.
      if (!d.clip && d.low == 0 && d.high == 0)
        c.fail(p + ".clip", "<missing>", "is required when uniform has low = high = 0");
      break;
    case DistKind::constant: c.check(p + ".value", d.value, rule::kOperandValue); break;
    case DistKind::relu_normal:
      c.check(p + ".std", d.std, rule::kOperandScale);
      c.check(p + ".zero_fraction", d.zero_fraction, rule::kProbability);
      break;
    case DistKind::relu_laplace:
      c.check(p + ".b", d.b, rule::kOperandScale);
      c.check(p + ".zero_fraction", d.zero_fraction, rule::kProbability);
      break;
    case DistKind::histogram:
      if (auto i = first_bad_bin(d.bins))
        c.fail(p + ".bins[" + std::to_string(*i) + "]", number_text(d.bins[*i]), rule_text(rule::kHistogramBin));
      if (auto problem = bins_shape_problem(d.bins)) c.fail(p + ".bins", list_text(d.bins), *problem);
      break;
    case DistKind::patches:
      // A patch is one input vector: weights are drawn per array instance instead.
      if (role == OperandRole::weights) c.fail(p + ".kind", "patches", "patches applies to inputs only");
      if (d.correlation != 0)
        c.fail(p + ".correlation", number_text(d.correlation), "is not allowed with kind patches");
      c.check(p + ".kernel", d.kernel, rule::kPatchKernel);
      if (d.kernel % 2 == 0) c.fail(p + ".kernel", std::to_string(d.kernel), "must be odd (1, 3, 5 or 7)");
      c.check(p + ".images", d.images, rule::kPositiveInt);
      break;
  }
}

}  // namespace

void check_operand(const Checker& c, const std::string& p, const OperandSpec& op, OperandRole role,
                   const std::string& dist_parent) {
  c.check(p + ".bits", op.bits, rule::kOperandBits);
  // Signed operands are symmetric, |q| <= 2^(n-1)-1: one bit would hold only 0.
  if (op.is_signed && op.bits < 2)
    c.fail(p + ".bits", std::to_string(op.bits), "signed operands need at least 2 bits");
  check_distribution(c, (dist_parent.empty() ? p : dist_parent) + ".distribution", op.dist, role);
}

namespace {

void check_run(const Checker& c, const RunSpec& r) {
  c.check("run.samples", r.samples, rule::kSamples);
  c.check("run.seed", r.seed, rule::kSeed);
  c.check("run.inputs_per_instance", r.inputs_per_instance, rule::kPositiveInt);
  c.check("run.pilot_samples", r.pilot_samples, rule::kSamples);
}

void check_macro(const Checker& c, const MacroSpec& m) {
  c.check("macro.rows", m.rows, rule::kArrayDim);
  c.check("macro.cols", m.cols, rule::kArrayDim);
  c.check("macro.rows_active", m.rows_active, rule::kArrayDimOrZero);
  if (m.rows_active > m.rows)
    c.fail("macro.rows_active", std::to_string(m.rows_active),
           "must be an integer in [0, " + std::to_string(m.rows) + "] (at most macro.rows)");
  c.check("macro.cell_group", m.cell_group, rule::kArrayDim);
  if (m.rows % m.cell_group != 0)
    c.fail("macro.cell_group", std::to_string(m.cell_group),
           "must divide macro.rows (" + std::to_string(m.rows) + "): every periphery input serves a full group");
  if (m.cell_group > 1 && m.rows_active > m.rows / m.cell_group)
    c.fail("macro.rows_active", std::to_string(m.rows_active),
           "must be at most macro.rows / macro.cell_group = " + std::to_string(m.rows / m.cell_group) +
               " (the periphery inputs a conversion can sum)");
  c.check("macro.bits_per_cell", m.bits_per_cell, rule::kBitsPerCell);
  c.check("macro.dac_bits", m.dac_bits, rule::kDacBits);
  c.check("macro.clock_ns", m.clock_ns, rule::kTimeNs);
  c.check("macro.g_on_us", m.g_on_us, rule::kConductanceUs);
  c.check("macro.g_off_us", m.g_off_us, rule::kOffConductanceUs);
  // Products of decimal bounds round: 1e-12 of slack keeps a value written
  // exactly at the bound (g_on / 1.01, 10 x g_on) inside it.
  constexpr double kSlack = 1 + 1e-12;
  if (!(m.g_off_us * rule::kMinOnOffRatio <= m.g_on_us * kSlack))
    c.fail("macro.g_off_us", number_text(m.g_off_us),
           "must be at most macro.g_on_us / " + number_text(rule::kMinOnOffRatio) + " (g_on_us is " +
               number_text(m.g_on_us) + "): an on/off ratio below " + number_text(rule::kMinOnOffRatio) +
               " describes no memory cell");

  const NoiseSpec& n = m.noise;
  c.check("macro.noise.programming_sigma_us", n.prog_sigma_us, rule::kAbsSigmaUs);
  c.check("macro.noise.programming_sigma_rel", n.prog_sigma_rel, rule::kRelSigma);
  c.check("macro.noise.read_sigma_us", n.read_sigma_us, rule::kAbsSigmaUs);
  c.check("macro.noise.read_sigma_rel", n.read_sigma_rel, rule::kRelSigma);
  // An absolute sigma is bounded by the conductances it perturbs.
  for (const auto& [key, sigma] : {std::pair<const char*, double>{"programming_sigma_us", n.prog_sigma_us},
                                   {"read_sigma_us", n.read_sigma_us}})
    if (sigma > rule::kMaxSigmaOverGOn * m.g_on_us * kSlack)
      c.fail(std::string("macro.noise.") + key, number_text(sigma),
             "must be at most " + number_text(rule::kMaxSigmaOverGOn) + " x macro.g_on_us = " +
                 number_text(rule::kMaxSigmaOverGOn * m.g_on_us) + " (g_on_us is " + number_text(m.g_on_us) +
                 "): a sigma above 10 times the top conductance describes no device");
  c.check("macro.noise.stuck_off", n.stuck_off, rule::kProbability);
  c.check("macro.noise.stuck_on", n.stuck_on, rule::kProbability);
  if (n.stuck_off + n.stuck_on > 1)
    c.fail("macro.noise.stuck_on", number_text(n.stuck_on),
           "stuck_off + stuck_on must be <= 1 (stuck_off is " + number_text(n.stuck_off) + ")");

  check_device_models(c, m);

  const AdcSpec& a = m.adc;
  c.check("macro.adc.bits", a.bits, rule::kAdcBits);
  if (m.weight_encoding == WeightEncoding::differential_analog && a.bits < 2)
    c.fail("macro.adc.bits", std::to_string(a.bits),
           "must be at least 2 with weight_encoding differential_analog: the pair's signed ADC needs a sign bit");
  // max_value 0 is how the struct says "no max given".
  if (a.range == AdcRange::max) {
    if (a.max_value == 0) c.fail("macro.adc.max", "<missing>", "is required when macro.adc.range is max");
    c.check("macro.adc.max", a.max_value, rule::kAdcMax);
  } else if (a.max_value != 0) {
    c.fail("macro.adc.max", number_text(a.max_value),
           std::string("is only allowed when macro.adc.range is max (it is ") + to_string(a.range) + ")");
  }
  c.check("macro.adc.quantile", a.quantile, rule::kQuantile);
  // Per-slice ranges and power-of-two rounding act on the pilot's calibration;
  // every other range is one fixed value for all columns.
  for (const auto& [key, on] : {std::pair{"per_slice", a.per_slice}, std::pair{"per_cycle", a.per_cycle}, std::pair{"round_pow2", a.round_pow2}})
    if (on && a.range != AdcRange::calibrated)
      c.fail(std::string("macro.adc.") + key, "true",
             std::string("is only allowed when macro.adc.range is calibrated (it is ") + to_string(a.range) + ")");
  c.check("macro.adc.noise_lsb", a.noise_lsb, rule::kAdcNoiseLsb);
  if (a.range == AdcRange::ideal && a.noise_lsb != 0)
    c.fail("macro.adc.noise_lsb", number_text(a.noise_lsb),
           "must be 0 when macro.adc.range is ideal: an ideal ADC neither quantizes nor adds noise");
  c.check("macro.adc.count", a.count, rule::kAdcCount);
  c.check("macro.adc.conversion_ns", a.conversion_ns, rule::kTimeNs);
}

}  // namespace

void check_operands_fit_macro(const Checker& c, const MacroSpec& m, const OperandSpec& x, const std::string& p_x,
                              const OperandSpec& w, const std::string& p_w) {
  const bool w_unsigned_enc = m.weight_encoding == WeightEncoding::unsigned_plain;
  if (w.is_signed && w_unsigned_enc)
    c.fail(p_w + ".signed", "true",
           "signed weights need a signed macro.weight_encoding (offset, differential, twos_complement or "
           "sign_magnitude), not unsigned");
  if (!w.is_signed && !w_unsigned_enc)
    c.fail(p_w + ".signed", "false",
           std::string("unsigned weights need macro.weight_encoding: unsigned (it is ") +
               to_string(m.weight_encoding) + ")");
  const bool x_unsigned_enc = m.input_encoding == InputEncoding::unsigned_plain;
  if (x.is_signed && x_unsigned_enc)
    c.fail(p_x + ".signed", "true",
           "signed inputs need a signed macro.input_encoding (offset, twos_complement or sign_magnitude), "
           "not unsigned");
  if (!x.is_signed && !x_unsigned_enc)
    c.fail(p_x + ".signed", "false",
           std::string("unsigned inputs need macro.input_encoding: unsigned (it is ") +
               to_string(m.input_encoding) + ")");

  if (m.input_scaling == InputScaling::abs_max && x.is_signed && x.bits < 2)
    c.fail(p_x + ".bits", std::to_string(x.bits),
           "must be at least 2 for signed inputs with macro.input_scaling abs_max: a 1-bit signed input has no "
           "positive magnitude to scale to");
  const int cycles = input_cycles(m, x);
  if (cycles > kMaxInputCycles)
    c.fail(p_x + ".bits", std::to_string(x.bits),
           "needs " + std::to_string(cycles) + " input cycles with macro.dac_bits " + std::to_string(m.dac_bits) +
               " and input_encoding " + to_string(m.input_encoding) + "; at most " +
               std::to_string(kMaxInputCycles) + " are supported");
  const int per_weight = phys_cols_per_weight(m, w);
  if (m.adc.per_cycle && cycles * per_weight > kMaxAdcRanges)
    c.fail("macro.adc.per_cycle", "true",
           "needs a range for each of " + std::to_string(cycles) + " input cycles x " + std::to_string(per_weight) +
               " columns of a weight; at most " + std::to_string(kMaxAdcRanges) + " are supported");
  if (per_weight > kMaxColsPerWeight)
    c.fail(p_w + ".bits", std::to_string(w.bits),
           "needs " + std::to_string(per_weight) + " physical columns per weight with macro.bits_per_cell " +
               std::to_string(m.bits_per_cell) + " and weight_encoding " + to_string(m.weight_encoding) +
               "; at most " + std::to_string(kMaxColsPerWeight) + " are supported");
  if (m.cols / per_weight == 0)
    c.fail("macro.cols", std::to_string(m.cols),
           "no weight fits: each needs " + std::to_string(per_weight) + " physical columns (macro.bits_per_cell " +
               std::to_string(m.bits_per_cell) + ", weight_encoding " + to_string(m.weight_encoding) + ", " +
               p_w + ".bits " + std::to_string(w.bits) + ")");
}

namespace {

// One job's event counters are 64-bit; its largest total, the cell reads
// (samples x cycles x K x P), bounds every other (DAC, row, column, ADC).
void check_cell_reads(const Checker& c, const std::string& key, std::uint64_t samples, long long K, long long P,
                      int cycles, const std::string& where) {
  const std::uint64_t per_sample = static_cast<std::uint64_t>(cycles) * K * P;  // <= 2^37
  const std::uint64_t most = std::numeric_limits<std::uint64_t>::max() / per_sample;
  if (samples > most)
    c.fail(key, std::to_string(samples),
           "must be an integer in [1, " + std::to_string(most) + "]" + where + ": each sample reads " +
               std::to_string(cycles) + " input cycles x " + std::to_string(K) + " rows x " + std::to_string(P) +
               " physical columns = " + std::to_string(per_sample) +
               " cells, and a tile job's cell reads must fit its 64-bit event counters (at most 2^64-1)");
}

}  // namespace

void check_tile_counts(const Checker& c, const Config& cfg, long long K, long long P, int cycles,
                       const std::string& where) {
  const MacroSpec& m = cfg.macro;
  const std::string at = where.empty() ? "" : " for " + where;
  check_cell_reads(c, "run.samples", cfg.run.samples, K, P, cycles, at);
  // Read and ADC noise take Philox slots cg * ceil(P/4) + block of one sample's
  // counter (kernels/convert.hpp, fill_noise), for cg < cycles x row groups:
  // beyond 2^32 slots they would wrap and repeat a conversion set's noise.
  const NoiseSpec& n = m.noise;
  if (!(n.read_sigma_us > 0 || n.read_sigma_rel > 0 || m.adc.noise_lsb > 0)) return;
  const long long R = m.rows_active > 0 && m.rows_active < K ? m.rows_active : K;
  const long long groups = (K + R - 1) / R, blocks = (P + 3) / 4;
  const std::uint64_t draws = static_cast<std::uint64_t>(cycles) * groups * blocks;  // <= 2^35
  if (draws <= kPhiloxSlots) return;
  const long long most_groups = static_cast<long long>(kPhiloxSlots / (static_cast<std::uint64_t>(cycles) * blocks));
  c.fail("macro.rows_active", std::to_string(m.rows_active),
         "must be at least " + std::to_string((K + most_groups - 1) / most_groups) +
             " with read or ADC noise" + at + ": " + std::to_string(cycles) + " input cycles x " +
             std::to_string(groups) + " row groups x " + std::to_string(blocks) + " blocks of 4 of the " +
             std::to_string(P) + " physical columns = " + std::to_string(draws) +
             " noise draws per sample, more than the 2^32 random-number slots of a sample");
}

namespace {

// Single-tile mode: the operands, and the tile against the array.
void check_tile(const Checker& c, const Config& cfg) {
  const MacroSpec& m = cfg.macro;
  const TileSpec& t = cfg.tile;
  check_operand(c, "workload.inputs", t.inputs, OperandRole::inputs);
  check_operand(c, "workload.weights", t.weights, OperandRole::weights);
  check_operands_fit_macro(c, m, t.inputs, "workload.inputs", t.weights, "workload.weights");
  const int per_weight = phys_cols_per_weight(m, t.weights);

  c.check("workload.tile.rows_used", t.rows_used, rule::kArrayDimOrZero);
  if (t.rows_used > m.rows)
    c.fail("workload.tile.rows_used", std::to_string(t.rows_used),
           "must be an integer in [0, " + std::to_string(m.rows) + "] (at most macro.rows)");
  c.check("workload.tile.cols_used", t.cols_used, rule::kArrayDimOrZero);
  const int fit = m.cols / per_weight;
  const long long needed = static_cast<long long>(t.cols_used) * per_weight;
  if (needed > m.cols)
    c.fail("workload.tile.cols_used", std::to_string(t.cols_used),
           "needs " + std::to_string(t.cols_used) + " x " + std::to_string(per_weight) + " = " +
               std::to_string(needed) + " physical columns but macro.cols is " + std::to_string(m.cols) +
               " (at most " + std::to_string(fit) + " weights fit)");
  const long long K = t.rows_used > 0 ? t.rows_used : m.rows;
  const long long N = t.cols_used > 0 ? t.cols_used : fit;
  check_tile_counts(c, cfg, K, N * per_weight, input_cycles(m, t.inputs), "");
}

void check_event_energy(const Checker& c, const std::string& p, const EventEnergy& e) {
  c.check(p + ".e0_pj", e.e0_pj, rule::kEnergyPj);
  c.check(p + ".e1_pj", e.e1_pj, rule::kEnergyPj);
  c.check(p + ".e2_pj", e.e2_pj, rule::kEnergyPj);
  c.check(p + ".epop_pj", e.epop_pj, rule::kEnergyPj);
}

void check_energy(const Checker& c, const EnergySpec& e) {
  c.check("energy.vdd_v", e.vdd_v, rule::kSupplyV);
  if (!tech::has_node(e.node_nm))
    c.fail("energy.node_nm", std::to_string(e.node_nm),
           "must be one of " + tech::node_list() + " (the nodes with technology constants, docs/config.md)");
  c.check("energy.read_voltage_v", e.read_voltage_v, rule::kReadVoltageV);
  c.check("energy.read_pulse_ns", e.read_pulse_ns, rule::kTimeNs);
  c.check("energy.leakage_uw", e.leakage_uw, rule::kLeakageUw);
  check_event_energy(c, "energy.dac", e.dac);
  check_event_energy(c, "energy.row_driver", e.row_driver);
  check_event_energy(c, "energy.column", e.column);
  check_event_energy(c, "energy.adc", e.adc);
  check_event_energy(c, "energy.shift_add", e.shift_add);
  check_event_energy(c, "energy.accumulator", e.accumulator);
  check_event_energy(c, "energy.multiplier", e.multiplier);
  check_event_energy(c, "energy.adder_tree", e.adder_tree);
}

}  // namespace

void check_config(const Config& cfg, const std::string& file, const LineTable* lines) {
  const Checker c(file, lines);
  check_run(c, cfg.run);
  check_macro(c, cfg.macro);
  check_macro_kind(c, cfg);
  if (cfg.network.layers.empty())
    check_tile(c, cfg);
  else
    check_network(c, cfg);
  check_energy(c, cfg.energy);
  check_architecture(c, cfg.arch);
  c.check("mapping.search_budget", cfg.mapping.search_budget, rule::kSearchBudget);
  c.check("mapping.mip_seconds", cfg.mapping.mip_seconds, rule::kMipSeconds);
  check_mapper(c, cfg);
  check_hierarchy(c, cfg);
  check_chiplets(c, cfg);
}

}  // namespace cimmc::config_detail

// The config schema: which keys exist where, their types and ranges, and the
// struct fields they fill. docs/config.md is the reference for users; keep the
// two in step.
#include "config/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/internal.hpp"
#include "config/yaml_limits.hpp"
#include "data/input_file.hpp"
#include "physical/area_clock.hpp"

namespace cimmc {

namespace {

using config_detail::MapReader;
namespace rule = config_detail::rule;

void read_run(const MapReader& r, RunSpec& run) {
  r.allow_only({"samples", "seed", "inputs_per_instance", "pilot_samples"});
  r.read("samples", run.samples, rule::kSamples);
  r.read("seed", run.seed, rule::kSeed);
  r.read("inputs_per_instance", run.inputs_per_instance, rule::kPositiveInt);
  r.read("pilot_samples", run.pilot_samples, rule::kSamples);
}

void read_drift(const MapReader& r, DriftSpec& d) {
  r.allow_only({"t_seconds", "t0_seconds", "nu", "nu_mean", "nu_sigma", "compensation"});
  r.read("t_seconds", d.t_seconds, rule::kDriftSeconds);
  r.read("t0_seconds", d.t0_seconds, rule::kDriftT0Seconds);
  r.read_enum<DriftNuModel>("nu", d.nu_model, {{"pcm", DriftNuModel::pcm}, {"constant", DriftNuModel::constant}});
  r.read("nu_mean", d.nu_mean, rule::kDriftNu);  // with nu: cross-field rules
  r.read("nu_sigma", d.nu_sigma, rule::kDriftNu);
  r.read("compensation", d.compensation);
}

void read_noise(const MapReader& r, NoiseSpec& n) {
  r.allow_only({"programming_sigma_us", "programming_sigma_rel", "read_sigma_us", "read_sigma_rel",
                "stuck_off", "stuck_on", "programming_model", "drift"});
  r.read_enum<ProgNoiseModel>("programming_model", n.prog_model,
                              {{"constant", ProgNoiseModel::constant},
                               {"pcm", ProgNoiseModel::pcm},
                               {"reram_wan", ProgNoiseModel::reram_wan}});
  read_drift(r.section("drift"), n.drift);
  r.read("programming_sigma_us", n.prog_sigma_us, rule::kAbsSigmaUs);
  r.read("programming_sigma_rel", n.prog_sigma_rel, rule::kRelSigma);
  r.read("read_sigma_us", n.read_sigma_us, rule::kAbsSigmaUs);
  r.read("read_sigma_rel", n.read_sigma_rel, rule::kRelSigma);
  r.read("stuck_off", n.stuck_off, rule::kProbability);
  r.read("stuck_on", n.stuck_on, rule::kProbability);
}

void read_adc(const MapReader& r, AdcSpec& a) {
  r.allow_only({"bits", "range", "max", "quantile", "per_slice", "per_cycle", "round_pow2", "noise_lsb", "count", "conversion_ns"});
  r.read("bits", a.bits, rule::kAdcBits);
  r.read_enum<AdcRange>("range", a.range,
                        {{"full", AdcRange::full}, {"max", AdcRange::max}, {"calibrated", AdcRange::calibrated},
                         {"ideal", AdcRange::ideal}});
  r.read("max", a.max_value, rule::kAdcMax);  // presence vs range: a cross-field rule
  r.read("quantile", a.quantile, rule::kQuantile);
  r.read("per_slice", a.per_slice);  // with range: a cross-field rule
  r.read("per_cycle", a.per_cycle);
  r.read("round_pow2", a.round_pow2);
  r.read("noise_lsb", a.noise_lsb, rule::kAdcNoiseLsb);
  r.read("count", a.count, rule::kAdcCount);
  r.read("conversion_ns", a.conversion_ns, rule::kTimeNs);
}

// macro.clock_ns: `derived` (resolved by resolve_macro_clock once the whole
// config is read: the critical path needs the operand bits and the node) or
// a period in ns.
void read_macro_clock(const MapReader& r, MacroSpec& m) {
  if (!r.has("clock_ns")) return;
  const YAML::Node n = r.get("clock_ns");
  if (n.IsScalar() && n.Scalar() == "derived") {
    m.clock_derived = true;
    return;
  }
  double d = 0;
  if (config_detail::parse_number(n, d) != config_detail::Parse::ok)
    r.fail("clock_ns", config_detail::node_text(n), "must be `derived` or a number of ns");
  r.read("clock_ns", m.clock_ns, rule::kTimeNs);
}

void read_macro(const MapReader& r, MacroSpec& m) {
  r.allow_only({"kind", "rows", "cols", "rows_active", "bits_per_cell", "weight_encoding", "dac_bits",
                "input_encoding", "input_scaling", "g_on_us", "g_off_us", "wire_ohm", "noise", "adc", "cell_group",
                "cell", "clock_ns", "adder_tree", "cycle_bits", "group_order", "slice_combine"});
  r.read_enum<MacroKind>("kind", m.kind, {{"analog", MacroKind::analog}, {"digital", MacroKind::digital}});
  // SRAM cells hold one bit: that is the digital kind's default (a written
  // value other than 1 is refused by check_digital_macro).
  if (m.kind == MacroKind::digital) m.bits_per_cell = 1, m.cell = CellKind::sram;
  r.read("rows", m.rows, rule::kArrayDim);
  r.read("cols", m.cols, rule::kArrayDim);
  r.read("rows_active", m.rows_active, rule::kArrayDimOrZero);
  r.read("bits_per_cell", m.bits_per_cell, rule::kBitsPerCell);
  r.read_enum<WeightEncoding>("weight_encoding", m.weight_encoding,
                              {{"unsigned", WeightEncoding::unsigned_plain},
                               {"offset", WeightEncoding::offset},
                               {"differential", WeightEncoding::differential},
                               {"twos_complement", WeightEncoding::twos_complement},
                               {"sign_magnitude", WeightEncoding::sign_magnitude},
                               {"differential_analog", WeightEncoding::differential_analog}});
  r.read("dac_bits", m.dac_bits, rule::kDacBits);
  r.read_enum<InputEncoding>("input_encoding", m.input_encoding,
                             {{"unsigned", InputEncoding::unsigned_plain},
                              {"offset", InputEncoding::offset},
                              {"twos_complement", InputEncoding::twos_complement},
                              {"sign_magnitude", InputEncoding::sign_magnitude}});
  r.read_enum<InputScaling>("input_scaling", m.input_scaling,
                            {{"none", InputScaling::none}, {"abs_max", InputScaling::abs_max}});
  r.read("g_on_us", m.g_on_us, rule::kConductanceUs);
  r.read("g_off_us", m.g_off_us, rule::kOffConductanceUs);
  r.read("wire_ohm", m.wire_ohm, rule::kWireOhm);  // validity against the array: a cross-field rule
  read_noise(r.section("noise"), m.noise);
  read_adc(r.section("adc"), m.adc);
  r.read_enum<CellKind>("cell", m.cell, {{"reram", CellKind::reram}, {"sram", CellKind::sram}});
  r.read("cell_group", m.cell_group, rule::kArrayDim);  // divides rows: a cross-field rule
  r.read_enum<AdderTree>("adder_tree", m.adder_tree,
                         {{"per_column", AdderTree::per_column}, {"per_weight", AdderTree::per_weight}});
  r.read_enum<CycleBits>("cycle_bits", m.cycle_bits,
                         {{"trees", CycleBits::trees}, {"leaves", CycleBits::leaves}, {"booth", CycleBits::booth}});
  r.read_enum<GroupOrder>("group_order", m.group_order,
                          {{"groups_inside", GroupOrder::groups_inside}, {"cycles_inside", GroupOrder::cycles_inside}});
  r.read_enum<SliceCombine>("slice_combine", m.slice_combine,
                            {{"none", SliceCombine::none}, {"charge", SliceCombine::charge}});
  // A group's cells share one periphery input, so a conversion (or tree
  // evaluation) sums rows / cell_group inputs unless rows_active says fewer.
  if (m.cell_group > 1 && !r.has("rows_active")) m.rows_active = std::max(1, m.rows / m.cell_group);
  read_macro_clock(r, m);
}

void read_event_energy(const MapReader& r, EventEnergy& e) {
  r.allow_only({"e0_pj", "e1_pj", "e2_pj", "epop_pj"});
  r.read("e0_pj", e.e0_pj, rule::kEnergyPj);
  r.read("e1_pj", e.e1_pj, rule::kEnergyPj);
  r.read("e2_pj", e.e2_pj, rule::kEnergyPj);
  r.read("epop_pj", e.epop_pj, rule::kEnergyPj);
}

void read_energy(const MapReader& r, EnergySpec& e) {
  r.allow_only({"vdd_v", "node_nm", "lines", "read_voltage_v", "read_pulse_ns", "leakage_uw", "dac", "row_driver", "column",
                "adc", "shift_add", "accumulator", "multiplier", "adder_tree"});
  r.read("vdd_v", e.vdd_v, rule::kSupplyV);
  r.read("node_nm", e.node_nm, rule::kPositiveInt);  // which nodes have constants: validate()
  r.read_enum<LineSpan>("lines", e.lines, {{"used", LineSpan::used}, {"physical", LineSpan::physical}});
  r.read("read_voltage_v", e.read_voltage_v, rule::kReadVoltageV);
  r.read("read_pulse_ns", e.read_pulse_ns, rule::kTimeNs);
  r.read("leakage_uw", e.leakage_uw, rule::kLeakageUw);
  read_event_energy(r.section("dac"), e.dac);
  read_event_energy(r.section("row_driver"), e.row_driver);
  read_event_energy(r.section("column"), e.column);
  read_event_energy(r.section("adc"), e.adc);
  read_event_energy(r.section("shift_add"), e.shift_add);
  read_event_energy(r.section("accumulator"), e.accumulator);
  read_event_energy(r.section("multiplier"), e.multiplier);
  read_event_energy(r.section("adder_tree"), e.adder_tree);
}

}  // namespace

YAML::Node config_detail::load_config_document(const std::string& text, const std::string& file) {
  std::vector<YAML::Node> docs;
  const std::string too_many = ": the document holds more than " + std::to_string(kMaxYamlNodes) + " YAML nodes";
  try {
    if (const int line = yaml_nodes_past(text))
      throw ConfigError(file + ":" + std::to_string(line) + too_many + " (a config is far smaller)");
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line >= 0 ? e.mark.line + 1 : 1;
    throw ConfigError(file + ":" + std::to_string(line) + ": YAML syntax error: " + e.msg);
  }
  // Silently reading only the first would drop whatever follows the "---".
  if (docs.size() > 1) {
    const int line = docs[1].Mark().line >= 0 ? docs[1].Mark().line + 1 : 1;
    throw ConfigError(file + ":" + std::to_string(line) +
                      ": a second YAML document: a config is one document (remove the '---' line or split the file)");
  }
  if (docs.empty()) return YAML::Node();
  if (const int line = expanded_nodes_past(docs.front()))
    throw ConfigError(file + ":" + std::to_string(line) + too_many +
                      " once its aliases are expanded (aliases of aliases multiply); write it out");
  return docs.front();
}

Config parse_config(const std::string& yaml_text, const std::string& path_for_messages) {
  Config cfg = config_detail::parse_config_root(config_detail::load_config_document(yaml_text, path_for_messages),
                                                path_for_messages);
  cfg.source_text = yaml_text;
  return cfg;
}

Config config_detail::parse_config_root(const YAML::Node& root, const std::string& path_for_messages) {
  config_detail::Context ctx{path_for_messages, std::filesystem::path(path_for_messages).parent_path(), {}};
  // An empty document reads as an empty mapping (and then misses `workload`).
  if (root.IsDefined() && !root.IsNull() && !root.IsMap())
    config_detail::fail(path_for_messages, 1, "", config_detail::node_text(root),
                        "the document must be a mapping of top-level keys");
  const MapReader top(ctx, root, "", 1);
  top.allow_only({"name", "run", "macro", "workload", "energy", "architecture", "mapping", "task"});

  Config cfg;
  top.read("name", cfg.name);
  read_run(top.section("run"), cfg.run);
  read_macro(top.section("macro"), cfg.macro);
  if (top.has("task")) config_detail::read_task(top.section("task"), cfg.task);  // before workload: see read_tile_mode
  config_detail::read_workload(top.required_section("workload"), cfg);
  read_energy(top.section("energy"), cfg.energy);
  config_detail::read_architecture(top.section("architecture"), cfg.arch);
  config_detail::read_mapping(top.section("mapping"), cfg.mapping);
  config_detail::check_config(cfg, path_for_messages, &ctx.lines);
  resolve_macro_clock(cfg);

  cfg.source_path = path_for_messages;
  return cfg;
}

std::string config_detail::read_config_text(const std::string& path) {
  try {
    return read_input_text(path);
  } catch (const InputFileError& e) {
    throw ConfigError(path + ": cannot open config file: " + e.reason);
  }
}

Config load_config(const std::string& path) { return parse_config(config_detail::read_config_text(path), path); }

void resolve_macro_clock(Config& cfg) {
  const bool digital = cfg.macro.kind == MacroKind::digital;
  if (!digital && !cfg.macro.clock_derived) return;
  const MacroGeometry g = macro_geometry(cfg);
  if (digital) cfg.macro.digital_timing = digital_timing(g);
  if (cfg.macro.clock_derived) cfg.macro.clock_ns = area_clock(g).clock_ns;
}

void fail_config_key(const Config& cfg, const std::string& key_path, const std::string& value,
                     const std::string& rule) {
  int line = 1;
  try {
    // reset(), not =: assigning a yaml-cpp node writes into the node it refers to.
    YAML::Node n = YAML::Load(cfg.source_text);
    for (std::size_t at = 0; n && n.IsMap();) {
      const std::size_t dot = key_path.find('.', at);
      const YAML::Node& parent = n;  // const lookup: a missing key is not inserted
      n.reset(parent[key_path.substr(at, dot == std::string::npos ? std::string::npos : dot - at)]);
      if (dot == std::string::npos) {
        if (n && n.Mark().line >= 0) line = n.Mark().line + 1;
        break;
      }
      at = dot + 1;
    }
  } catch (const YAML::Exception&) {  // the text parsed once already; keep line 1
  }
  config_detail::fail(cfg.source_path, line, key_path, value, rule);
}

void validate(const Config& cfg, const std::string& path_for_messages) {
  config_detail::check_config(cfg, path_for_messages, nullptr);
}

}  // namespace cimmc

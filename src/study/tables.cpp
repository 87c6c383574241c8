#include "study/tables.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "study/tables_chiplet.hpp"
#include "study/tables_hier.hpp"

namespace cimmc {
namespace {

using I = std::int64_t;

}  // namespace

void put_params(Table& t, const ParamColumns& p, std::size_t point) {
  for (std::size_t k = 0; k < p.keys.size(); ++k) {
    const std::string& v = p.values[point][k];
    const std::string desc = "swept config value at key path " + p.keys[k];
    if (p.integral[k])
      t.put(p.keys[k], static_cast<I>(std::strtoll(v.c_str(), nullptr, 10)), "as in the config", desc);
    else if (p.numeric[k])
      t.put(p.keys[k], v.empty() ? std::numeric_limits<double>::quiet_NaN() : std::strtod(v.c_str(), nullptr),
            "as in the config", desc);
    else
      t.put(p.keys[k], v, "as in the config", desc);
  }
}

namespace {

void put_costs(Table& t, const Costs& c, const char* scope) {
  const std::string per = std::string(" per inference of the ") + scope;
  for (int i = 0; i < kComponents; ++i) {
    const std::string n = kComponentNames[i];
    t.put(n + "_pj", c.macro_pj[i].mean, "pJ", "macro component " + n + " energy" + per);
    t.put(n + "_pj_se", c.macro_pj[i].se, "pJ", "standard error of " + n + "_pj; NaN when the file's ci_note says why");
  }
  if (c.hier.levels.empty())
    for (int i = 0; i < kMemories; ++i) {
      const std::string n = kMemoryNames[i];
      t.put(n + "_pj", c.memory_pj[i], "pJ", n + " access energy" + per);
    }
  else
    put_hier_costs(t, c.hier, per);
  if (c.chip.present) put_chiplet_costs(t, c.chip, per);
  t.put("total_pj", c.total_pj.mean, "pJ", "total energy" + per);
  t.put("total_pj_se", c.total_pj.se, "pJ",
        "standard error of total_pj (independent tile jobs); NaN when the file's ci_note says why");
  t.put("total_pj_ci95", 1.96 * c.total_pj.se, "pJ",
        "half-width of the 95% confidence interval of total_pj; NaN when the file's ci_note says why");
  t.put("macs", c.macs, "MAC", std::string("multiply-accumulates") + per);
  t.put("latency_ns", c.latency_ns, "ns", std::string("latency") + per);
  t.put("tops", c.tops, "TOPS", "throughput, 2 ops per MAC");
  t.put("tops_per_w", c.tops_per_w, "TOPS/W", "energy efficiency, 2 ops per MAC");
  t.put("pj_per_mac", c.pj_per_mac, "pJ/MAC", "total energy per multiply-accumulate");
  t.put("tops_per_mm2", c.tops_per_mm2(), "TOPS/mm^2",
        "tops over the area of every provisioned macro (network row: cim_area_mm2)");
  t.put("err_rms_lsb", c.err_rms(), "LSB", "root mean square output error (LSB = one unit of the integer dot product)");
  t.put("err_mean_lsb", c.err_mean, "LSB", "mean output error");
  t.put("sqnr_db", c.sqnr_db(), "dB", "10 log10(exact output power / mean squared error); +inf when lossless");
  t.put("clip_rate", c.clip_rate(), "1", "clipped ADC conversions / conversions");
}

}  // namespace

void set_param_types(ParamColumns& p, const std::vector<std::vector<std::string>>& values_by_key) {
  p.numeric.assign(p.keys.size(), true);
  p.integral.assign(p.keys.size(), true);
  for (std::size_t k = 0; k < p.keys.size(); ++k)
    for (const std::string& v : values_by_key[k]) {
      if (v.empty()) {
        p.integral[k] = false;  // int64 has no NaN for "unset"
        continue;
      }
      char* end = nullptr;
      std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0') p.numeric[k] = p.integral[k] = false;
      errno = 0;
      std::strtoll(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || errno == ERANGE) p.integral[k] = false;
    }
}

void put_conversions(Table& t, const Mapping& m) {
  t.put("macro_activations", m.macro_activations, "MVM", "MVMs per inference of the layer (one repeat)");
  t.put("dac_conversions", m.dac_conversions, "conversion", "DAC conversions per inference (one repeat)");
  t.put("adc_conversions", m.adc_conversions, "conversion", "ADC conversions per inference (one repeat)");
}

void append_layer_rows(Table& t, const RollUp& r, const ParamColumns& params, const std::string& model) {
  for (const LayerRow& row : r.layers) {
    const Mapping& m = *row.m;
    t.put("point", static_cast<I>(params.ids[row.point]), "1", "hardware point (sweep index)");
    put_params(t, params, row.point);
    t.put("model", model, "1", "sampled (Monte Carlo) or statistical (analytic, independent operands)");
    t.put("layer", static_cast<I>(row.layer), "1", "layer index in the network");
    t.put("layer_name", row.layer_name, "1", "layer name");
    t.put("mapping", static_cast<I>(row.mapping), "1", "mapping index in enumeration order");
    t.put("selected", static_cast<I>(row.selected), "1", "1 for the best mapping by the objective");
    if (row.hier) {
      put_nest_columns(t, *row.hier, static_cast<std::size_t>(row.mapping), m);
      put_costs(t, row.cost, "layer (all repeats)");
      continue;
    }
    t.put("duplication", static_cast<I>(m.duplication), "1", "copies of the weights on idle macros");
    t.put("loop_order", std::string(loop_order_name(m.order)), "1", "input_reuse or output_reuse");
    t.put("k_tiles", static_cast<I>(m.k_tiles), "1", "tiles along K (rows)");
    t.put("n_tiles", static_cast<I>(m.n_tiles), "1", "tiles along N (weight columns)");
    t.put("rounds", static_cast<I>(m.rounds), "1", "rounds when the weights do not fit the macros");
    put_conversions(t, m);
    t.put("input_buffer_bits", m.input_buffer_bits, "bit", "input buffer traffic per inference (one repeat)");
    t.put("output_buffer_bits", m.output_buffer_bits, "bit", "output buffer traffic per inference (one repeat)");
    t.put("global_buffer_bits", m.global_buffer_bits, "bit", "global buffer traffic per inference (one repeat)");
    t.put("dram_bits", m.dram_bits, "bit", "DRAM traffic per inference (one repeat)");
    t.put("compute_ns", m.compute_ns, "ns", "macro compute time per inference (one repeat)");
    t.put("memory_ns", m.memory_ns, "ns", "slowest memory transfer time per inference (one repeat)");
    put_costs(t, row.cost, "layer (all repeats)");
  }
}

void append_network_rows(Table& t, const RollUp& r, const ParamColumns& params, const std::string& model) {
  for (const NetworkRow& row : r.network) {
    t.put("point", static_cast<I>(params.ids[row.point]), "1", "hardware point (sweep index)");
    put_params(t, params, row.point);
    t.put("model", model, "1", "sampled (Monte Carlo) or statistical (analytic, independent operands)");
    t.put("layers", static_cast<I>(row.layers), "1", "layers rolled up (selected mapping each)");
    put_costs(t, row.cost, "network");
    if (row.cost.chip.present) put_chiplet_system(t, row.cost);
    t.put("macro_area_mm2", row.macro.area_mm2, "mm^2",
          "area of one macro (physical/area_clock.hpp: gate areas at energy.node_nm, sized for the widest layer)");
    t.put("cim_area_mm2", row.cost.area_mm2, "mm^2", "macro_area_mm2 x the macros provisioned");
    t.put("clock_ns", row.macro.clock_ns, "ns", "the macro's clock period from its critical path");
    t.put("sqnr_db_min", row.sqnr_db_min, "dB", "SQNR of the worst layer");
  }
}

namespace {

// A digital job's toggle counters summed over its samples (docs/hdf5-format.md
// "/jobs"); zeros and "" for an analog job of a study that has digital ones.
void put_toggles(Table& t, const JobResult& r) {
  const JobView& v = r.view;
  const std::vector<std::uint64_t> tog = r.toggles();
  auto at = [&](int i) { return v.digital ? static_cast<I>(tog[i]) : I{0}; };
  I tree = 0;
  std::string stages;
  for (int s = 0; v.digital && s < v.tree_stages; ++s) {
    tree += static_cast<I>(tog[kTogStage1 + s]);
    if (s) stages += ' ';
    stages += std::to_string(tog[kTogStage1 + s]);
  }
  t.put("tree_stages", static_cast<I>(v.tree_stages), "stage", "adder-tree stages per column (0: analog job)");
  t.put("toggles_input", at(kTogInput), "toggle", "input-line bit toggles over all samples (digital jobs)");
  t.put("toggles_multiplier", at(kTogMult), "toggle", "multiplier output toggles over all samples (digital jobs)");
  t.put("toggles_adder_tree", tree, "toggle", "adder output bit toggles of all tree stages over all samples");
  t.put("toggles_accumulator", v.digital ? at(kTogStage1 + v.tree_stages) : I{0}, "toggle",
        "accumulator register bit toggles over all samples (digital jobs)");
  t.put("toggles_output", v.digital ? at(kTogStage1 + v.tree_stages + 1) : I{0}, "toggle",
        "output register bit toggles over all samples (digital jobs)");
  t.put("toggles_by_stage", stages, "toggle", "adder-tree toggles of stage 1, 2, ... over all samples, space-separated");
}

}  // namespace

void append_job_row(Table& t, const std::string& key, const JobId& job_id, const JobResult& r, bool digital) {
  const GroupMoments s = r.totals();
  t.put("key", key, "1", "every sampled parameter of the tile job (job identity)");
  t.put("job_id", to_hex(job_id), "1", "XXH3-128 of key in hex: with the seed it keys the random streams");
  t.put("rows_used", static_cast<I>(r.view.K), "1", "active rows of the tile");
  t.put("cols_used", static_cast<I>(r.view.N), "1", "logical weight columns of the tile");
  t.put("samples", static_cast<I>(s.samples), "MVM", "MVMs sampled");
  t.put("outputs", s.outputs, "output", "outputs compared with the exact dot product");
  t.put("sum_err", s.sum_err, "LSB", "sum of output errors");
  t.put("sum_err2", s.sum_err2, "LSB^2", "sum of squared output errors");
  t.put("sum_ref", s.sum_ref, "LSB", "sum of exact outputs");
  t.put("sum_ref2", s.sum_ref2, "LSB^2", "sum of squared exact outputs");
  t.put("max_abs_err", s.max_abs_err, "LSB", "largest absolute output error");
  t.put("clipped", static_cast<I>(s.clipped), "conversion", "clipped ADC conversions");
  t.put("conversions", static_cast<I>(s.conversions), "conversion", "ADC conversions");
  t.put("adc_full_scale", r.adc_full_scale, "column value", "column value at the top ADC code");
  if (digital) put_toggles(t, r);
}

}  // namespace cimmc

namespace cimmc {

void append_row(Table& dst, const Table& src, std::size_t row) {
  for (const Column& c : src.columns())
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v[0])>;
          dst.put(c.name, static_cast<V>(v[row]), c.units, c.description);
        },
        c.data);
}

ParamColumns param_columns(const Sweep& sweep) {
  ParamColumns p;
  for (const SweepPoint& sp : sweep.points) p.ids.push_back(sp.index);
  p.keys = sweep.keys;
  p.values.assign(sweep.points.size(), std::vector<std::string>(p.keys.size()));
  for (std::size_t i = 0; i < sweep.points.size(); ++i)
    for (const auto& [key, value] : sweep.points[i].params)
      for (std::size_t k = 0; k < p.keys.size(); ++k)
        if (p.keys[k] == key) p.values[i][k] = value;
  set_param_types(p, sweep.key_values.empty() ? param_values(sweep) : sweep.key_values);
  return p;
}

std::vector<std::vector<std::string>> param_values(const Sweep& sweep) {
  std::vector<std::vector<std::string>> by_key(sweep.keys.size(), std::vector<std::string>(sweep.points.size()));
  for (std::size_t i = 0; i < sweep.points.size(); ++i)
    for (const auto& [key, value] : sweep.points[i].params)
      for (std::size_t k = 0; k < sweep.keys.size(); ++k)
        if (sweep.keys[k] == key) by_key[k][i] = value;
  return by_key;
}

}  // namespace cimmc

// Rules on the network, architecture and mapping parts of a finished Config
// (see validate.cpp for how these rules relate to the reader's).
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include "config/internal.hpp"
#include "workload/gemm.hpp"

namespace cimmc::config_detail {

namespace {

// Where a layer's problems are reported: at its own keys
// (workload.layers[i].KEY) when it was written in the config; at
// workload.cimloop.dir, naming the file, when it was imported.
class LayerWhere {
 public:
  LayerWhere(const Checker& c, const NetworkSpec& n, std::size_t i)
      : c_(c), net_(n), layer_(n.layers[i]), base_("workload.layers[" + std::to_string(i) + "]") {}

  bool imported() const { return !layer_.source.empty(); }
  const std::string& base() const { return base_; }

  [[noreturn]] void fail(const std::string& key, const std::string& value, const std::string& rule) const {
    if (imported())
      c_.fail("workload.cimloop.dir", net_.cimloop_dir, layer_.source + ": " + key + " " + value + ": " + rule);
    c_.fail(key.empty() ? base_ : base_ + "." + key, value, rule);
  }
  void check(const std::string& key, long long v, const IntRule& r) const {
    const IntValue iv{v < 0, v < 0 ? 0ULL - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v)};
    if (!in_range(r, iv)) fail(key, std::to_string(v), rule_text(r, !iv.negative && iv.magnitude > r.hi));
  }

 private:
  const Checker& c_;
  const NetworkSpec& net_;
  const LayerSpec& layer_;
  std::string base_;
};

void check_layer_shape(const Checker& c, const LayerWhere& w, const LayerSpec& l) {
  w.check("batch", l.batch, rule::kLayerDim);
  w.check("repeat", l.repeat, rule::kLayerDim);
  switch (l.kind) {
    case LayerKind::conv2d: {
      for (const auto& [key, v] : {std::pair<const char*, int>{"C", l.C}, {"M", l.M}, {"P", l.P}, {"Q", l.Q},
                                   {"R", l.R}, {"S", l.S}, {"groups", l.groups}})
        w.check(key, v, rule::kLayerDim);
      // A written `stride` sets both directions: report it under the key the user wrote.
      const bool one_key = !w.imported() && c.written(w.base() + ".stride");
      w.check(one_key ? "stride" : "stride_h", l.stride_h, rule::kLayerDim);
      w.check(one_key ? "stride" : "stride_w", l.stride_w, rule::kLayerDim);
      if (l.C % l.groups != 0 || l.M % l.groups != 0)
        w.fail("groups", std::to_string(l.groups),
               "must divide C (" + std::to_string(l.C) + ") and M (" + std::to_string(l.M) + ")");
      break;
    }
    case LayerKind::linear:
      w.check("in_features", l.C, rule::kLayerDim);
      w.check("out_features", l.M, rule::kLayerDim);
      w.check("tokens", l.tokens, rule::kLayerDim);
      break;
    case LayerKind::matmul:
      w.check("m", l.gemm_m, rule::kLayerDim);
      w.check("k", l.gemm_k, rule::kLayerDim);
      w.check("n", l.gemm_n, rule::kLayerDim);
      break;
  }
  // In double: the int64 lowering must not be tried on a layer that overflows it.
  const GemmDims<double> d = gemm_dims<double>(l);
  const double macs = d.M * d.K * d.N * d.groups * l.repeat;
  if (macs > kMaxLayerMacs)
    w.fail("", l.name,
           "lowers to " + number_text(macs) + " MACs (M x K x N x groups x repeat); at most 2^62 are supported");
}

// Operand bits and signedness: a layer that inherits them from
// workload.defaults is reported there, one that sets them at its own key.
std::string operand_path(const Checker& c, const LayerWhere& w, const char* which, const OperandSpec& op,
                         const OperandSpec& def) {
  const std::string own = w.base() + "." + which;
  if (!w.imported() &&
      (c.written(own + ".bits") || c.written(own + ".signed") || op.bits != def.bits || op.is_signed != def.is_signed))
    return own;
  return std::string("workload.defaults.") + which;
}

void check_layer_operands(const Checker& c, const MacroSpec& m, const LayerWhere& w, const LayerSpec& l,
                          const NetworkSpec& n) {
  const std::string px = operand_path(c, w, "inputs", l.inputs, n.default_inputs);
  const std::string pw = operand_path(c, w, "weights", l.weights, n.default_weights);
  if (w.imported()) {
    // The histograms came from the file: report them there; bits and
    // signedness are the defaults'.
    for (const auto& [tensor, op] : {std::pair<const char*, const OperandSpec*>{"Inputs", &l.inputs}, {"Weights", &l.weights}}) {
      if (auto i = first_bad_bin(op->dist.bins))
        w.fail(std::string("problem.histograms.") + tensor + "[" + std::to_string(*i) + "]", number_text(op->dist.bins[*i]),
               rule_text(rule::kHistogramBin));
      if (auto problem = bins_shape_problem(op->dist.bins)) w.fail(std::string("problem.histograms.") + tensor, "", *problem);
      if (op->dist.clip) c.check("workload.distiller.file", *op->dist.clip, rule::kOperandScale);
    }
    OperandSpec x = l.inputs, wt = l.weights;
    x.dist = wt.dist = DistributionSpec{};
    check_operand(c, px, x, OperandRole::inputs);
    check_operand(c, pw, wt, OperandRole::weights);
  } else {
    // A distribution the layer writes itself is reported there, whatever its bits.
    auto dist_at = [&](const char* which, const std::string& fallback) {
      const std::string own = w.base() + "." + which;
      return c.written(own + ".distribution") ? own : fallback;
    };
    check_operand(c, px, l.inputs, OperandRole::inputs, dist_at("inputs", px));
    check_operand(c, pw, l.weights, OperandRole::weights, dist_at("weights", pw));
  }
  check_operands_fit_macro(c, m, l.inputs, px, l.weights, pw);
}

}  // namespace

void check_network(const Checker& c, const Config& cfg) {
  const NetworkSpec& n = cfg.network;
  check_operand(c, "workload.defaults.inputs", n.default_inputs, OperandRole::inputs);
  check_operand(c, "workload.defaults.weights", n.default_weights, OperandRole::weights);
  std::map<std::string, std::size_t> names;
  for (std::size_t i = 0; i < n.layers.size(); ++i) {
    const LayerSpec& l = n.layers[i];
    const LayerWhere w(c, n, i);
    check_layer_shape(c, w, l);
    check_layer_operands(c, cfg.macro, w, l, n);
    // The layer's largest tile job: K and N cut to the macro (mapping.hpp).
    const GemmDims<std::int64_t> d = gemm_dims<std::int64_t>(l);
    const int ppw = phys_cols_per_weight(cfg.macro, l.weights);
    const long long K = std::min<long long>(d.K, cfg.macro.rows), N = std::min<long long>(d.N, cfg.macro.cols / ppw);
    check_tile_counts(c, cfg, K, N * ppw, input_cycles(cfg.macro, l.inputs), "layer '" + l.name + "'");
    // Operand links name earlier layers (the network stays in order; docs/config.md).
    for (const auto& [key, ref] : {std::pair<const char*, const std::string&>{"input", l.input_from},
                                   {"residual", l.residual_from}})
      if (!ref.empty() && names.count(ref) == 0)
        w.fail(key, ref, "must name an earlier layer of workload.layers (a layer reads and adds outputs already made)");
    if (!l.residual_from.empty() && l.repeat > 1)
      w.fail("residual", l.residual_from,
             "cannot be given on a layer with repeat " + std::to_string(l.repeat) +
                 " (every copy would add it): write the copies out");
    // Results are reported by layer name.
    const auto [it, fresh] = names.emplace(l.name, i);
    if (!fresh)
      w.fail("name", l.name, "duplicate layer name (workload.layers[" + std::to_string(it->second) + "] has it too)");
  }
}

void check_architecture(const Checker& c, const ArchSpec& a) {
  c.check("architecture.macros", a.macros, rule::kMacros);
  c.check("architecture.clock_ghz", a.clock_ghz, rule::kClockGhz);
  c.check("architecture.row_settle_ns", a.row_settle_ns, rule::kTimeOrZeroNs);
  for (const auto& [key, b] : {std::pair<const char*, const BufferSpec*>{"input_buffer", &a.input_buffer},
                               {"output_buffer", &a.output_buffer},
                               {"global_buffer", &a.global_buffer}}) {
    const std::string p = std::string("architecture.") + key;
    c.check(p + ".energy_pj_per_bit", b->energy_pj_per_bit, rule::kEnergyPj);
    c.check(p + ".bandwidth_bits_per_cycle", b->bandwidth_bits_per_cycle, rule::kBitsPerCycle);
  }
  c.check("architecture.dram.energy_pj_per_bit", a.dram_pj_per_bit, rule::kEnergyPj);
  c.check("architecture.dram.bandwidth_gbps", a.dram_bandwidth_gbps, rule::kDramGbps);
}

}  // namespace cimmc::config_detail

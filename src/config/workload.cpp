// `workload:` — the operands of one tile (single-tile mode, issue 2) or a
// whole network: layers written in the config, or imported from a CiMLoop
// network directory, with operand defaults. docs/config.md is the reference.
#include "config/internal.hpp"

namespace cimmc::config_detail {

namespace {

const char* const kNetworkOnly = "is only allowed with workload.layers or workload.cimloop";

// bits / signed / distribution over `op`, which holds the defaults. A given
// distribution replaces the default one whole (no key of it is inherited).
void read_operand(const MapReader& r, OperandSpec& op, bool distribution_required) {
  r.allow_only({"bits", "signed", "distribution"});
  r.read("bits", op.bits, rule::kOperandBits);
  r.read("signed", op.is_signed);
  if (!distribution_required && !r.has("distribution")) return;
  DistributionSpec d;
  read_distribution(r.required_section("distribution"), d);
  op.dist = d;
}

// With a task (inference), operands take only bits and signedness: the
// network gives the values.
void read_tile_mode(const MapReader& r, TileSpec& t, bool distributions) {
  for (const char* key : {"network", "defaults", "distiller"})
    if (r.has(key)) r.fail(key, node_text(r.get(key)), kNetworkOnly);
  const MapReader tile = r.section("tile");
  tile.allow_only({"rows_used", "cols_used"});
  tile.read("rows_used", t.rows_used, rule::kArrayDimOrZero);
  tile.read("cols_used", t.cols_used, rule::kArrayDimOrZero);
  read_operand(r.required_section("inputs"), t.inputs, distributions);
  read_operand(r.required_section("weights"), t.weights, distributions);
}

// workload.defaults.<which>: everything optional; whether it names a
// distribution decides if layers must name their own.
bool read_default_operand(const MapReader& r, OperandSpec& op, bool imported) {
  r.allow_only({"bits", "signed", "distribution"});
  if (imported && r.has("distribution"))
    r.fail("distribution", node_text(r.get("distribution")),
           "is not used with workload.cimloop (every layer's histograms come from its file)");
  read_operand(r, op, false);
  return r.has("distribution");
}

struct Defaults {
  const OperandSpec& inputs;
  const OperandSpec& weights;
  bool inputs_have_dist, weights_have_dist;
};

void read_layer_operand(const MapReader& lr, const char* which, const OperandSpec& def, bool def_has_dist,
                        OperandSpec& out) {
  out = def;
  const std::string why = std::string("is required (workload.defaults.") + which + " has no distribution)";
  if (!lr.has(which)) {
    if (!def_has_dist) lr.require(which, why);
    return;
  }
  const MapReader r = lr.section(which);  // `inputs:` with nothing under it keeps the defaults
  if (!def_has_dist) r.require("distribution", why);
  read_operand(r, out, false);
}

LayerSpec read_layer(const MapReader& lr, std::size_t index, const Defaults& defs) {
  LayerSpec l;
  l.name = "layer" + std::to_string(index);
  lr.require("type", "is required (conv2d, linear or matmul)");
  lr.read_enum<LayerKind>("type", l.kind,
                          {{"conv2d", LayerKind::conv2d}, {"linear", LayerKind::linear}, {"matmul", LayerKind::matmul}});
  std::vector<std::string> keys = {"name", "type", "batch", "repeat", "inputs", "weights", "input", "residual"};
  std::vector<std::string> required;
  switch (l.kind) {
    case LayerKind::conv2d:
      required = {"C", "M", "P", "Q", "R", "S"};
      keys.insert(keys.end(), {"C", "M", "P", "Q", "R", "S", "stride", "stride_h", "stride_w", "groups"});
      break;
    case LayerKind::linear:
      required = {"in_features", "out_features"};
      keys.insert(keys.end(), {"in_features", "out_features", "tokens"});
      break;
    case LayerKind::matmul:
      required = {"m", "k", "n"};
      keys.insert(keys.end(), {"m", "k", "n"});
      break;
  }
  lr.allow_only(keys);
  for (const std::string& key : required) lr.require(key, std::string("is required for type ") + to_string(l.kind));

  lr.read("name", l.name);
  lr.read("batch", l.batch, rule::kLayerDim);
  lr.read("repeat", l.repeat, rule::kLayerDim);
  lr.read("input", l.input_from);
  lr.read("residual", l.residual_from);
  switch (l.kind) {
    case LayerKind::conv2d:
      lr.read("C", l.C, rule::kLayerDim);
      lr.read("M", l.M, rule::kLayerDim);
      lr.read("P", l.P, rule::kLayerDim);
      lr.read("Q", l.Q, rule::kLayerDim);
      lr.read("R", l.R, rule::kLayerDim);
      lr.read("S", l.S, rule::kLayerDim);
      lr.read("groups", l.groups, rule::kLayerDim);
      if (lr.has("stride") && (lr.has("stride_h") || lr.has("stride_w")))
        lr.fail("stride", node_text(lr.get("stride")), "give either stride or stride_h / stride_w, not both");
      lr.read("stride", l.stride_h, rule::kLayerDim);
      lr.read("stride", l.stride_w, rule::kLayerDim);
      lr.read("stride_h", l.stride_h, rule::kLayerDim);
      lr.read("stride_w", l.stride_w, rule::kLayerDim);
      break;
    case LayerKind::linear:
      lr.read("in_features", l.C, rule::kLayerDim);
      lr.read("out_features", l.M, rule::kLayerDim);
      lr.read("tokens", l.tokens, rule::kLayerDim);
      break;
    case LayerKind::matmul: {
      int m = 1, k = 1, n = 1;  // kLayerDim keeps them within int
      lr.read("m", m, rule::kLayerDim);
      lr.read("k", k, rule::kLayerDim);
      lr.read("n", n, rule::kLayerDim);
      l.gemm_m = m, l.gemm_k = k, l.gemm_n = n;
      break;
    }
  }
  read_layer_operand(lr, "inputs", defs.inputs, defs.inputs_have_dist, l.inputs);
  read_layer_operand(lr, "weights", defs.weights, defs.weights_have_dist, l.weights);
  return l;
}

void read_layers(const MapReader& r, const Defaults& defs, std::vector<LayerSpec>& out) {
  const YAML::Node list = r.get("layers");
  if (!list.IsSequence() || list.size() == 0)
    r.fail("layers", node_text(list), "must be a non-empty list of layers (mappings)");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node e = list[i];
    const std::string path = r.key_path("layers") + "[" + std::to_string(i) + "]";
    const int line = e.Mark().line >= 0 ? e.Mark().line + 1 : r.key_line("layers");
    if (!e.IsMap()) config_detail::fail(r.context().file, line, path, node_text(e), "must be a mapping");
    out.push_back(read_layer(MapReader(r.context(), e, path, line), i, defs));
  }
}

// Relative data paths resolve against the config file's directory.
std::filesystem::path resolve(const MapReader& r, const std::string& path) {
  const std::filesystem::path p(path);
  return p.is_relative() ? r.context().base_dir / p : p;
}

void read_cimloop(const MapReader& r, NetworkSpec& net) {
  const MapReader cl = r.section("cimloop");
  cl.allow_only({"dir", "batch"});
  cl.require("dir");
  cl.read("dir", net.cimloop_dir);
  int batch = 1;
  cl.read("batch", batch, rule::kLayerDim);
  const std::filesystem::path dir = resolve(cl, net.cimloop_dir);
  try {
    net.layers = import_cimloop_dir(dir, batch, net.default_inputs, net.default_weights);
  } catch (const DataError& e) {
    cl.fail("dir", net.cimloop_dir, e.what());
  }
  if (net.name.empty()) {
    std::filesystem::path d = dir.lexically_normal();
    if (!d.has_filename()) d = d.parent_path();  // "resnet18/" names resnet18 too
    net.name = d.filename().string();
  }
  if (!r.has("distiller")) return;
  const MapReader ds = r.section("distiller");
  ds.allow_only({"file"});
  ds.require("file");
  ds.read("file", net.distiller_file);
  try {
    apply_distiller_stats(resolve(ds, net.distiller_file), net.layers);
  } catch (const DataError& e) {
    ds.fail("file", net.distiller_file, e.what());
  }
}

}  // namespace

void read_workload(const MapReader& r, Config& cfg) {
  r.allow_only({"tile", "inputs", "weights", "network", "layers", "cimloop", "distiller", "defaults"});
  // At most one mode key; none is the single-tile mode of configs written
  // before networks existed. The later one in the file is reported.
  std::string mode;
  for (const char* key : {"tile", "layers", "cimloop"}) {
    if (!r.has(key)) continue;
    if (!mode.empty()) {
      const bool later = r.key_line(key) >= r.key_line(mode);
      const std::string bad = later ? std::string(key) : mode;
      r.fail(bad, node_text(r.get(bad)),
             "give only one of workload.tile, workload.layers, workload.cimloop (workload." +
                 (later ? mode : std::string(key)) + " is given too)");
    }
    mode = key;
  }
  if (mode.empty() || mode == "tile") return read_tile_mode(r, cfg.tile, cfg.task.model.empty());

  for (const char* key : {"inputs", "weights"})
    if (r.has(key))
      r.fail(key, node_text(r.get(key)),
             "is only allowed in single-tile mode (without workload.layers or workload.cimloop); give operands in "
             "workload.defaults or per layer");
  if (mode == "layers" && r.has("distiller"))
    r.fail("distiller", node_text(r.get("distiller")), "is only allowed with workload.cimloop");

  NetworkSpec& net = cfg.network;
  r.read("network", net.name);
  const bool imported = mode == "cimloop";
  const MapReader defaults = r.section("defaults");
  defaults.allow_only({"inputs", "weights"});
  const bool x_dist = read_default_operand(defaults.section("inputs"), net.default_inputs, imported);
  const bool w_dist = read_default_operand(defaults.section("weights"), net.default_weights, imported);
  if (imported) return read_cimloop(r, net);
  read_layers(r, Defaults{net.default_inputs, net.default_weights, x_dist, w_dist}, net.layers);
}

}  // namespace cimmc::config_detail

// Whole-network import from a CiMLoop workload directory (one NN.yaml per
// layer: problem.instance holds the shape, problem.histograms the operands).
// The mapping from CiMLoop/Timeloop dimensions to LayerSpec is documented in
// docs/config.md ("CiMLoop import").
#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>

#include "config/internal.hpp"

namespace cimmc::config_detail {

namespace {

// Timeloop's problem_base spells the strides Hstride/Wstride; the layer files
// write HStride/WStride. Dilation does not change the im2col GEMM, so it is
// accepted and not used.
const std::vector<std::string> kInstanceKeys = {"C",       "M",       "P",       "Q",       "R",
                                                "S",       "G",       "HStride", "Hstride", "WStride",
                                                "Wstride", "Hdilation", "Wdilation"};

std::string known_keys() {
  std::string out;
  for (const auto& k : kInstanceKeys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

int line_of_node(const YAML::Node& n) { return n.Mark().line >= 0 ? n.Mark().line + 1 : 1; }

// const lookups: a mutable operator[] would insert the key.
YAML::Node child(const YAML::Node& map, const std::string& key) {
  return map.IsMap() ? std::as_const(map)[key] : YAML::Node();
}

// problem.instance as dimension -> value (strides as HStride / WStride), every
// value an integer in kLayerDim.
std::vector<std::pair<std::string, int>> read_instance(const YAML::Node& doc, const std::string& name) {
  const YAML::Node inst = child(child(doc, "problem"), "instance");
  if (!inst || !inst.IsMap()) throw DataError(name + " has no problem.instance mapping");
  std::vector<std::pair<std::string, int>> dims;
  for (auto it = inst.begin(); it != inst.end(); ++it) {
    const std::string key = it->first.Scalar();
    const std::string where = name + ":" + std::to_string(line_of_node(it->first)) + ": problem.instance." + key;
    if (std::find(kInstanceKeys.begin(), kInstanceKeys.end(), key) == kInstanceKeys.end())
      throw DataError(where + ": unknown dimension (known: " + known_keys() + ")");
    IntValue v;
    if (parse_int(it->second, v) != Parse::ok || !in_range(rule::kLayerDim, v))
      throw DataError(where + " '" + node_text(it->second) + "' " + rule_text(rule::kLayerDim));
    // One name per dimension, so a stride written in both spellings is caught.
    const std::string dim = key == "Hstride" ? "HStride" : key == "Wstride" ? "WStride" : key;
    for (const auto& d : dims)
      if (d.first == dim) throw DataError(where + ": dimension " + dim + " is given twice");
    dims.emplace_back(dim, static_cast<int>(v.magnitude));
  }
  return dims;
}

LayerSpec parse_layer_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  const YAML::Node doc = load_cimloop_file(file);
  // Absent dimensions are 1, as in Timeloop.
  long long C = 1, M = 1, P = 1, Q = 1, R = 1, S = 1, G = 1, sh = 1, sw = 1;
  for (const auto& [k, v] : read_instance(doc, name)) {
    if (k == "C") C = v;
    else if (k == "M") M = v;
    else if (k == "P") P = v;
    else if (k == "Q") Q = v;
    else if (k == "R") R = v;
    else if (k == "S") S = v;
    else if (k == "G") G = v;
    else if (k == "HStride") sh = v;
    else if (k == "WStride") sw = v;
  }
  LayerSpec l;
  l.name = file.stem().string();
  l.source = name;
  const YAML::Node notes = child(child(doc, "problem"), "notes");
  if (notes && notes.IsScalar() && notes.Scalar() == "From einsum") {
    // Activation x activation (attention): the file's Weights tensor is the
    // operand held in the array; shapes are taken exactly as written.
    if (G != 1) throw DataError(name + ": problem.instance.G must be 1 for an einsum layer");
    l.kind = LayerKind::matmul;
    l.gemm_m = P * Q;
    l.gemm_k = C * R * S;
    l.gemm_n = M;
  } else {
    // Timeloop's C and M count channels per group: the layer has G times as many.
    const auto limit = static_cast<long long>(rule::kLayerDim.hi);
    if (G * C > limit || G * M > limit)
      throw DataError(name + ": problem.instance G x C and G x M must be at most " +
                      std::to_string(rule::kLayerDim.hi));
    l.kind = LayerKind::conv2d;
    l.C = static_cast<int>(G * C);
    l.M = static_cast<int>(G * M);
    l.P = static_cast<int>(P), l.Q = static_cast<int>(Q), l.R = static_cast<int>(R), l.S = static_cast<int>(S);
    l.stride_h = static_cast<int>(sh), l.stride_w = static_cast<int>(sw);
    l.groups = static_cast<int>(G);
  }
  l.inputs.dist.kind = DistKind::histogram;
  l.inputs.dist.bins = cimloop_histogram(doc, name, "Inputs");
  l.weights.dist.kind = DistKind::histogram;
  l.weights.dist.bins = cimloop_histogram(doc, name, "Weights");
  return l;
}

// A sweep parses the same network once per point: keep each parsed file
// (keyed by path, size and modification time) for the life of the process.
LayerSpec layer_from_file(const std::filesystem::path& file, int batch, const OperandSpec& x, const OperandSpec& w) {
  static std::mutex mu;
  static std::map<std::string, std::tuple<std::filesystem::file_time_type, std::uintmax_t, LayerSpec>> cache;
  const std::string key = std::filesystem::absolute(file).lexically_normal().string();
  const auto mtime = std::filesystem::last_write_time(file);
  const auto size = std::filesystem::file_size(file);
  LayerSpec l;
  {
    std::unique_lock lock(mu);
    auto it = cache.find(key);
    if (it != cache.end() && std::get<0>(it->second) == mtime && std::get<1>(it->second) == size) {
      l = std::get<2>(it->second);
    } else {
      lock.unlock();
      l = parse_layer_file(file);  // throws DataError: nothing is cached
      lock.lock();
      cache[key] = {mtime, size, l};
    }
  }
  l.batch = batch;
  l.inputs.bits = x.bits;
  l.inputs.is_signed = x.is_signed;
  l.weights.bits = w.bits;
  l.weights.is_signed = w.is_signed;
  return l;
}

// NN.yaml: digits only (problem_base.yaml and friends are not layers).
bool is_layer_name(const std::filesystem::path& p) {
  const std::string stem = p.stem().string();
  return p.extension() == ".yaml" && !stem.empty() &&
         std::all_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A layer file that cannot be looked at (a symbolic-link loop, a dangling
// link, no permission) is the user's error, named with the OS's reason; other
// entries are not ours to judge and are skipped.
bool is_layer_file(const std::filesystem::directory_entry& e) {
  if (!is_layer_name(e.path())) return false;
  std::error_code ec;
  const bool regular = e.is_regular_file(ec);
  if (ec) throw DataError("cannot read " + e.path().string() + ": " + ec.message());
  return regular;
}

}  // namespace

std::vector<LayerSpec> import_cimloop_dir(const std::filesystem::path& dir, int batch,
                                          const OperandSpec& default_inputs, const OperandSpec& default_weights) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw DataError("cannot open directory " + dir.string() +
                    (std::filesystem::exists(dir, ec) ? ": not a directory" : ": no such directory"));
  std::vector<std::filesystem::path> files;
  std::filesystem::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec))
    if (is_layer_file(*it)) files.push_back(it->path());
  if (ec) throw DataError("cannot list directory " + dir.string() + ": " + ec.message());
  if (files.empty()) throw DataError(dir.string() + " holds no CiMLoop layer files (NN.yaml)");
  // By layer number, so 9.yaml comes before 10.yaml whether or not names are zero-padded.
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    const std::string sa = a.stem().string(), sb = b.stem().string();
    const auto na = sa.find_first_not_of('0'), nb = sb.find_first_not_of('0');
    const std::string ta = na == std::string::npos ? "" : sa.substr(na), tb = nb == std::string::npos ? "" : sb.substr(nb);
    return ta.size() != tb.size() ? ta.size() < tb.size() : (ta != tb ? ta < tb : sa < sb);
  });
  std::vector<LayerSpec> layers;
  for (const auto& f : files) layers.push_back(layer_from_file(f, batch, default_inputs, default_weights));
  return layers;
}

}  // namespace cimmc::config_detail

// Absolute input scale from Distiller post-training-quantization statistics
// (per-module activation min/max/mean/std of a torchvision model). CiMLoop
// histograms carry shape only; these give each layer's input clip.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

#include "config/internal.hpp"
#include "config/yaml_limits.hpp"
#include "data/input_file.hpp"

namespace cimmc::config_detail {

namespace {

// torchvision names convolution and linear modules conv*, fc and
// downsample.0 (ResNet); batch-norm, ReLU, pooling and add modules are skipped.
bool is_weighted_module(const std::string& name) {
  const auto dot = name.find_last_of('.');
  const std::string last = dot == std::string::npos ? name : name.substr(dot + 1);
  const std::string tail = ".downsample.0";
  const bool downsample = name.size() > tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
  return last.rfind("conv", 0) == 0 || last == "fc" || downsample;
}

YAML::Node child(const YAML::Node& map, const std::string& key) {
  return map.IsMap() ? std::as_const(map)[key] : YAML::Node();
}

// "(256, 64, 56, 56)" -> {256, 64, 56, 56}; empty when it does not parse.
std::vector<long long> parse_shape(const YAML::Node& n) {
  if (!n || !n.IsScalar()) return {};
  std::string s = n.Scalar();
  if (s.size() < 2 || s.front() != '(' || s.back() != ')') return {};
  std::replace(s.begin(), s.end(), ',', ' ');
  std::istringstream in(s.substr(1, s.size() - 2));
  std::vector<long long> dims;
  long long d = 0;
  while (in >> d) dims.push_back(d);
  return in.eof() ? dims : std::vector<long long>{};
}

// One value of a module's statistics, or the error reading it gives.
struct Stat {
  double v = 0;
  std::string error;  // "" when v is a number
};

Stat stat(const YAML::Node& stats, const std::string& key) {
  Stat s;
  if (parse_number(child(stats, key), s.v) != Parse::ok) s.error = key + " must be a number";
  return s;
}

// What the layers need of one convolution / linear module, read from the
// document once: a sweep applies the same file to every point, and walking
// the yaml-cpp document took 11% of a statistical ResNet-18 sweep.
struct Module {
  std::string name;
  bool has_io = false;  // inputs.0 and output present
  std::vector<long long> xs, ys;
  Stat avg_min, avg_max;
};

std::string shape_text(const std::vector<long long>& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + ")";
}

}  // namespace

void apply_distiller_stats(const std::filesystem::path& file, std::vector<LayerSpec>& layers) {
  const std::string name = file.string();
  std::string text;
  try {
    text = read_input_text(name);
  } catch (const InputFileError& e) {
    throw DataError(e.what());
  }
  // A sweep parses every point's config, and the same statistics file each
  // time; parsing it is most of expanding a sweep (1,024 ResNet-18 points:
  // 58% of an --energy-only run). The modules are kept by the file's text, so
  // a file that changes is read again.
  static std::mutex mu;
  static std::map<std::string, std::vector<Module>> parsed;
  const std::vector<Module>* found = nullptr;
  {
    const std::lock_guard<std::mutex> lock(mu);  // yaml-cpp nodes share state, even when read
    auto it = parsed.find(text);
    if (it == parsed.end()) {
      YAML::Node doc;
      try {
        doc = load_bounded(text);
      } catch (const YamlTooLarge& e) {
        throw DataError(name + ":" + std::to_string(e.line) + ": more than " + std::to_string(kMaxYamlNodes) +
                        " YAML nodes (Distiller statistics are far smaller)");
      } catch (const YAML::Exception& e) {
        throw DataError(name + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
      }
      if (!doc.IsMap()) throw DataError(name + " is not a mapping of module names to statistics");
      std::vector<Module> modules;  // in file order, which is execution order
      for (auto m = doc.begin(); m != doc.end(); ++m) {
        if (!m->first.IsScalar() || !is_weighted_module(m->first.Scalar())) continue;
        Module& mod = modules.emplace_back();
        mod.name = m->first.Scalar();
        const YAML::Node in = child(child(m->second, "inputs"), "0");
        const YAML::Node out = child(m->second, "output");
        mod.has_io = in && out;
        if (!mod.has_io) continue;
        mod.xs = parse_shape(child(in, "shape"));
        mod.ys = parse_shape(child(out, "shape"));
        mod.avg_min = stat(in, "avg_min");
        mod.avg_max = stat(in, "avg_max");
      }
      it = parsed.emplace(text, std::move(modules)).first;
    }
    found = &it->second;  // std::map nodes stay where they are
  }
  const std::vector<Module>& modules = *found;
  if (modules.size() != layers.size())
    throw DataError(name + " has " + std::to_string(modules.size()) +
                    " convolution / linear modules (conv*, fc, *.downsample.0) but the workload has " +
                    std::to_string(layers.size()) + " layers");

  for (std::size_t i = 0; i < layers.size(); ++i) {
    LayerSpec& l = layers[i];
    const Module& mod = modules[i];
    const std::string where = name + ": " + mod.name;
    if (l.kind == LayerKind::matmul)
      throw DataError(where + ": Distiller statistics apply to conv2d and linear layers only (layer " + l.name +
                      " is a matmul)");
    if (!mod.has_io) throw DataError(where + " has no inputs.0 or output statistics");
    // The order is the only link between modules and layers: check it on the shapes.
    const auto &xs = mod.xs, &ys = mod.ys;
    const bool shapes_ok = xs.size() >= 2 && (ys.size() == 2 || ys.size() == 4);
    const bool match = shapes_ok && xs[1] == l.C && ys[1] == l.M &&
                       (ys.size() == 2 ? l.P == 1 && l.Q == 1 : ys[2] == l.P && ys[3] == l.Q);
    if (!match)
      throw DataError(where + " (input " + shape_text(xs) + ", output " + shape_text(ys) +
                      ") does not match layer " + std::to_string(i) + " '" + l.name + "' (C " + std::to_string(l.C) +
                      ", M " + std::to_string(l.M) + ", P " + std::to_string(l.P) + ", Q " + std::to_string(l.Q) +
                      "): modules are matched to layers in order");
    // Distiller's "avg" clipping: the mean over batches of the per-batch
    // extremes, symmetric because the quantizer is.
    for (const Stat* st : {&mod.avg_min, &mod.avg_max})
      if (!st->error.empty()) throw DataError(where + ".inputs.0." + st->error);
    const double clip = std::max(std::fabs(mod.avg_min.v), std::fabs(mod.avg_max.v));
    if (!(clip > 0)) throw DataError(where + ".inputs.0: avg_min and avg_max are both 0");
    l.inputs.dist.clip = clip;
  }
}

}  // namespace cimmc::config_detail

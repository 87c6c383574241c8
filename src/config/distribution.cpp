// `distribution:` mappings, and the CiMLoop per-layer histogram files they may
// point to.
#include <cerrno>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "config/internal.hpp"
#include "config/yaml_limits.hpp"
#include "data/input_file.hpp"
#include "data/idx.hpp"

namespace cimmc::config_detail {

namespace {

const std::vector<std::pair<std::string, DistKind>> kKinds = {
    {"normal", DistKind::normal},           {"laplace", DistKind::laplace},
    {"uniform", DistKind::uniform},         {"constant", DistKind::constant},
    {"relu_normal", DistKind::relu_normal}, {"relu_laplace", DistKind::relu_laplace},
    {"histogram", DistKind::histogram},     {"patches", DistKind::patches}};

// Keys each kind accepts; parameters of other kinds are errors, not silently
// ignored (a `std` under laplace is almost certainly a mistake).
std::vector<std::string> allowed_keys(DistKind k) {
  std::vector<std::string> keys = {"kind", "clip", "correlation"};
  switch (k) {
    case DistKind::normal: keys.insert(keys.end(), {"mean", "std"}); break;
    case DistKind::laplace: keys.insert(keys.end(), {"mean", "b"}); break;
    case DistKind::uniform: keys.insert(keys.end(), {"low", "high"}); break;
    case DistKind::constant: keys.insert(keys.end(), {"value"}); break;
    case DistKind::relu_normal: keys.insert(keys.end(), {"std", "zero_fraction"}); break;
    case DistKind::relu_laplace: keys.insert(keys.end(), {"b", "zero_fraction"}); break;
    case DistKind::histogram: keys.insert(keys.end(), {"bins", "file", "tensor"}); break;
    case DistKind::patches: keys.insert(keys.end(), {"file", "kernel", "images"}); break;
  }
  return keys;
}

// "<<<:" after the indentation (spaces before the colon allowed).
bool is_merge_key_line(const std::string& line) {
  const auto first = line.find_first_not_of(" \t");
  if (first == std::string::npos || line.compare(first, 3, "<<<") != 0) return false;
  const auto next = line.find_first_not_of(" \t", first + 3);
  return next != std::string::npos && line[next] == ':';
}

// CiMLoop files are YAML plus two things an ordinary parser rejects: a
// template include line ({{include_text(...)}}) and a `<<<:` merge key naming
// an anchor from the included file. Blank those lines; keeping the line count
// keeps line numbers in messages true to the file.
std::string strip_cimloop_extensions(const std::string& text) {
  std::istringstream in(text);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.find("{{") == std::string::npos && !is_merge_key_line(line)) out += line;
    out += '\n';
  }
  return out;
}

}  // namespace

YAML::Node load_cimloop_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  std::string text;
  try {
    text = read_input_text(name);
  } catch (const InputFileError& e) {
    throw DataError(e.what());
  }
  try {
    return load_bounded(strip_cimloop_extensions(text));
  } catch (const YamlTooLarge& e) {
    throw DataError(name + ":" + std::to_string(e.line) + ": more than " + std::to_string(kMaxYamlNodes) +
                    " YAML nodes (a layer file is far smaller)");
  } catch (const YAML::Exception& e) {
    throw DataError(name + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
  }
}

std::vector<double> cimloop_histogram(const YAML::Node& doc, const std::string& name, const std::string& tensor) {
  const std::string where = "problem.histograms." + tensor;
  YAML::Node h = doc;
  for (const std::string& key : {std::string("problem"), std::string("histograms"), tensor}) {
    // Look up through a const view: a mutable operator[] would insert the key.
    const YAML::Node next = h.IsMap() ? std::as_const(h)[key] : YAML::Node();
    if (!h.IsMap() || !next) throw DataError(name + " has no " + where);
    h.reset(next);  // operator= would assign into the document instead of rebinding
  }
  if (!h.IsSequence()) throw DataError(name + ": " + where + " must be a list of numbers");

  std::vector<double> bins;
  for (std::size_t i = 0; i < h.size(); ++i) {
    double d = 0;
    if (parse_number(h[i], d) != Parse::ok || !in_range(rule::kHistogramBin, d))
      throw DataError(name + ":" + std::to_string(h[i].Mark().line + 1) + ": " + where + "[" +
                      std::to_string(i) + "] '" + node_text(h[i]) + "' " + rule_text(rule::kHistogramBin));
    bins.push_back(d);
  }
  if (auto problem = bins_shape_problem(bins)) throw DataError(name + ": " + where + ": " + *problem);
  return bins;
}

namespace {

void read_histogram(const MapReader& r, std::vector<double>& bins) {
  const bool has_bins = r.has("bins"), has_file = r.has("file");
  if (has_bins && has_file) r.fail("file", node_text(r.get("file")), "give either bins or file, not both");
  if (!has_file) {
    r.require("bins", "is required for kind histogram (or give file and tensor)");
    if (r.has("tensor")) r.fail("tensor", node_text(r.get("tensor")), "is only allowed with file");
    bins = r.read_number_list("bins", rule::kHistogramBin);
    if (auto problem = bins_shape_problem(bins)) r.fail("bins", node_text(r.get("bins")), *problem);
    return;
  }
  std::string file, tensor;
  r.read("file", file);
  r.require("tensor", "is required with file (one of: Inputs, Weights, Outputs)");
  r.read_enum<std::string>("tensor", tensor, {{"Inputs", "Inputs"}, {"Weights", "Weights"}, {"Outputs", "Outputs"}});
  // Relative to the config file, so configs can travel with their data.
  std::filesystem::path resolved(file);
  if (resolved.is_relative()) resolved = r.context().base_dir / resolved;
  try {
    bins = cimloop_histogram(load_cimloop_file(resolved), resolved.string(), tensor);
  } catch (const DataError& e) {
    r.fail("file", file, e.what());
  }
}

// Only the header is read here; the pixels are loaded (once) when a job is built.
void read_patches(const MapReader& r, DistributionSpec& out) {
  // Real patches carry their own correlation; a copula on top would double it.
  if (r.has("correlation"))
    r.fail("correlation", node_text(r.get("correlation")),
           "is not allowed with kind patches (the rows of real patches are correlated already)");
  r.require("file", "is required for kind patches (an IDX image file, gzip or plain)");
  std::string file;
  r.read("file", file);
  std::filesystem::path resolved(file);
  if (resolved.is_relative()) resolved = r.context().base_dir / resolved;
  out.file = resolved.lexically_normal().string();
  IdxImages header;
  try {
    header = read_idx_header(out.file);
  } catch (const IdxError& e) {
    r.fail("file", file, e.what());
  }
  r.read("kernel", out.kernel, rule::kPatchKernel);
  if (out.kernel % 2 == 0) r.fail("kernel", std::to_string(out.kernel), "must be odd (1, 3, 5 or 7)");
  if (out.kernel > header.rows || out.kernel > header.cols)
    r.fail("kernel", std::to_string(out.kernel),
           "must fit the images (" + std::to_string(header.rows) + " x " + std::to_string(header.cols) + ")");
  if (!r.has("images")) out.images = std::min(out.images, header.count);
  r.read("images", out.images, rule::kPositiveInt);
  if (out.images > header.count)
    r.fail("images", std::to_string(out.images),
           "must be at most " + std::to_string(header.count) + " (the images in " + file + ")");
  // The kernels number patches with one 32-bit word (kernels/encoding.hpp).
  const std::uint64_t positions =
      static_cast<std::uint64_t>(header.rows - out.kernel + 1) * static_cast<std::uint64_t>(header.cols - out.kernel + 1);
  if (static_cast<std::uint64_t>(out.images) * positions > kU32Max)
    r.fail("images", std::to_string(out.images),
           "must be at most " + std::to_string(kU32Max / positions) + ": " + std::to_string(positions) +
               " patch positions per image (" + std::to_string(header.rows) + " x " + std::to_string(header.cols) +
               " images, kernel " + std::to_string(out.kernel) +
               "), and images x positions must fit a 32-bit patch index (at most 4294967295)");
  // The pixels too (read and dropped): a truncated or corrupt file is a config
  // error at `file`, not a failure in the middle of a run.
  try {
    check_idx_images(out.file, out.images);
  } catch (const IdxError& e) {
    r.fail("file", file, e.what());
  }
}

}  // namespace

void read_distribution(const MapReader& r, DistributionSpec& out) {
  r.require("kind");
  r.read_enum("kind", out.kind, kKinds);
  r.allow_only(allowed_keys(out.kind));
  r.read("clip", out.clip, rule::kOperandScale);
  r.read("correlation", out.correlation, rule::kCorrelation);
  const std::string for_kind = std::string("is required for kind ") + to_string(out.kind);
  switch (out.kind) {
    case DistKind::normal:
      r.read("mean", out.mean, rule::kOperandValue);
      r.require("std", for_kind);
      r.read("std", out.std, rule::kOperandScale);
      break;
    case DistKind::laplace:
      r.read("mean", out.mean, rule::kOperandValue);
      r.require("b", for_kind);
      r.read("b", out.b, rule::kOperandScale);
      break;
    case DistKind::uniform:  // high >= low is checked with the cross-field rules
      r.require("low", for_kind);
      r.require("high", for_kind);
      r.read("low", out.low, rule::kOperandValue);
      r.read("high", out.high, rule::kOperandValue);
      break;
    case DistKind::constant:
      r.require("value", for_kind);
      r.read("value", out.value, rule::kOperandValue);
      break;
    case DistKind::relu_normal:
      r.require("std", for_kind);
      r.read("std", out.std, rule::kOperandScale);
      r.read("zero_fraction", out.zero_fraction, rule::kProbability);
      break;
    case DistKind::relu_laplace:
      r.require("b", for_kind);
      r.read("b", out.b, rule::kOperandScale);
      r.read("zero_fraction", out.zero_fraction, rule::kProbability);
      break;
    case DistKind::histogram: read_histogram(r, out.bins); break;
    case DistKind::patches: read_patches(r, out); break;
  }
}

}  // namespace cimmc::config_detail

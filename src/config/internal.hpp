// Internal to src/config: the pieces config.cpp strings together.
#pragma once
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/rules.hpp"
#include "config/yaml_reader.hpp"
#include "spec/spec.hpp"

namespace cimmc::config_detail {

// A config file's whole text; ConfigError naming the file when it cannot be read.
std::string read_config_text(const std::string& path);
// The one YAML document of a config; a syntax error or a second document
// ("---") is a ConfigError naming the file and line.
YAML::Node load_config_document(const std::string& text, const std::string& file);
// parse_config's reading of a loaded document (the config's source_text is
// left empty): a sweep point's document is read without writing it out as
// text and parsing it again. Line numbers in errors are the nodes' marks.
Config parse_config_root(const YAML::Node& root, const std::string& path_for_messages);

// Reads a `distribution:` mapping (distribution.cpp), including CiMLoop
// histogram files, which are resolved against ctx.base_dir.
void read_distribution(const MapReader& r, DistributionSpec& out);

// Every range and cross-field rule on the finished struct (validate.cpp).
// With a line table, messages carry the line of the offending key.
void check_config(const Config& cfg, const std::string& file, const LineTable* lines);

// ---- CiMLoop per-layer files (distribution.cpp)

// A problem in a referenced data file; the caller reports it against the
// config key that named the file.
struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Reads one file, ignoring its template include and `<<<:` merge key lines.
YAML::Node load_cimloop_file(const std::filesystem::path& file);
// problem.histograms.<tensor> of a loaded file, as written; `name` names the
// file in messages.
std::vector<double> cimloop_histogram(const YAML::Node& doc, const std::string& name, const std::string& tensor);

// ---- workload, architecture, mapping sections (workload.cpp, cimloop.cpp, system.cpp)

// `workload:` in either mode: single tile (cfg.tile) or network (cfg.network).
void read_workload(const MapReader& r, Config& cfg);
// Every NN.yaml of a CiMLoop network directory, sorted by name, as layers
// whose operand bits and signedness are `defaults`'. Throws DataError.
std::vector<LayerSpec> import_cimloop_dir(const std::filesystem::path& dir, int batch,
                                          const OperandSpec& default_inputs, const OperandSpec& default_weights);
// Sets each layer's input clip from a Distiller statistics file (matching
// rules in docs/config.md). Throws DataError.
void apply_distiller_stats(const std::filesystem::path& file, std::vector<LayerSpec>& layers);
void read_architecture(const MapReader& r, ArchSpec& arch);
// `architecture.hierarchy` (hierarchy.cpp); absent or null leaves h empty.
void read_hierarchy(const MapReader& arch_reader, hier::HierarchySpec& h);
// `architecture.chiplets` (chiplets.cpp); absent or null leaves s disabled.
void read_chiplets(const MapReader& arch_reader, chiplet::ChipletSpec& s);
void read_mapping(const MapReader& r, MappingOptions& mapping);
// `task:` (task.cpp); absent leaves t.model empty.
void read_task(const MapReader& r, TaskSpec& t);

// ---- shared by the rule checks (validate.cpp, validate_network.cpp)

// Reports rule violations on struct values at a key path; the line comes from
// the line table when there is one.
class Checker {
 public:
  Checker(const std::string& file, const LineTable* lines) : file_(file), lines_(lines) {}

  [[noreturn]] void fail(const std::string& path, const std::string& value, const std::string& rule) const {
    config_detail::fail(file_, line_of(lines_, path), path, value, rule);
  }
  void check(const std::string& path, long long v, const IntRule& r) const {
    const IntValue iv{v < 0, v < 0 ? 0ULL - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v)};
    if (!in_range(r, iv)) fail(path, std::to_string(v), rule_text(r, !iv.negative && iv.magnitude > r.hi));
  }
  void check(const std::string& path, std::uint64_t v, const IntRule& r) const {
    if (!in_range(r, IntValue{false, v})) fail(path, std::to_string(v), rule_text(r, v > r.hi));
  }
  void check(const std::string& path, int v, const IntRule& r) const { check(path, static_cast<long long>(v), r); }
  void check(const std::string& path, double v, const NumRule& r) const {
    if (!in_range(r, v)) fail(path, number_text(v), rule_text(r));
  }
  void check(const std::string& path, const std::optional<double>& v, const NumRule& r) const {
    if (v) check(path, *v, r);
  }
  // True when `path` was written in the file (always false without lines).
  bool written(const std::string& path) const { return lines_ && lines_->count(path) > 0; }
  // The first key written at `path` or below it ("" when none, or without lines).
  std::string written_under(const std::string& path) const {
    if (!lines_) return "";
    const auto it = lines_->lower_bound(path);
    if (it == lines_->end()) return "";
    const std::string& k = it->first;
    const bool below = k == path || (k.size() > path.size() && k.compare(0, path.size(), path) == 0 && k[path.size()] == '.');
    return below ? k : "";
  }

 private:
  const std::string& file_;
  const LineTable* lines_;
};

// Bits, signedness and distribution of one operand at key path p; the role
// decides which distribution keys apply (correlation: inputs only).
enum class OperandRole { inputs, weights };
// Bits and signedness are reported under p, the distribution under
// dist_parent (default p): a layer may take its bits from workload.defaults
// and write its own distribution.
void check_operand(const Checker& c, const std::string& p, const OperandSpec& op, OperandRole role,
                   const std::string& dist_parent = "");
// Operand signedness against the macro's encodings, and the cycle / column
// limits of the model; p_x / p_w are the operands' key paths.
void check_operands_fit_macro(const Checker& c, const MacroSpec& m, const OperandSpec& x, const std::string& p_x,
                              const OperandSpec& w, const std::string& p_w);
// Limits of the kernels' counters on the tile a job samples: K rows, P
// physical columns, `cycles` input cycles (for a network layer its largest
// tile; `where` then names the layer for the message, else empty).
void check_tile_counts(const Checker& c, const Config& cfg, long long K, long long P, int cycles,
                       const std::string& where);
// macro.noise.programming_model and macro.noise.drift (validate_device.cpp).
void check_device_models(const Checker& c, const MacroSpec& m);
// The network, architecture and mapping sections (validate_network.cpp).
void check_network(const Checker& c, const Config& cfg);
// The rules of macro.kind (validate_digital.cpp): keys of the other kind
// refused; digital: 1-bit cells, bit-serial inputs, encodings the adder tree adds.
void check_macro_kind(const Checker& c, const Config& cfg);
void check_architecture(const Checker& c, const ArchSpec& a);
// The hierarchy's cross-field rules: level order and kinds, contents, fan-outs
// against architecture.macros and the meshes, capacities against every
// layer's operand words (validate_hierarchy.cpp).
void check_hierarchy(const Checker& c, const Config& cfg);
// mapping.mapper: a choice other than auto needs a hierarchy (and mip the CBC
// solver this build may lack).
void check_mapper(const Checker& c, const Config& cfg);
// architecture.chiplets against the rest and the network's size (validate_chiplets.cpp).
void check_chiplets(const Checker& c, const Config& cfg);

}  // namespace cimmc::config_detail

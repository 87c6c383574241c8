// Internal to src/config: typed, line-aware reading of yaml-cpp mappings.
// Every read checks type and range on the text the user wrote and throws
// ConfigError in the one message format (rules.hpp) naming the key's line.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/rules.hpp"

namespace cimmc::config_detail {

struct Context {
  std::string file;                // names the config in messages
  std::filesystem::path base_dir;  // relative data paths are resolved against it
  LineTable lines;                 // filled as mappings are read; used by cross-field checks
};

// A node as messages show it: scalars as written, '' for null, <mapping>/<list>.
std::string node_text(const YAML::Node& n);

enum class Parse { ok, wrong_type, out_of_range, not_finite };
// Plain (unquoted) scalars only: "8" in quotes is a string, not a number.
// Integers may be written as 1e6 or 2.0 when the value is whole.
Parse parse_int(const YAML::Node& n, IntValue& out);
Parse parse_number(const YAML::Node& n, double& out);

class MapReader {
 public:
  // node is a mapping, or null/undefined for a section that is absent (then
  // every read leaves its default and missing keys point at `line`).
  MapReader(Context& ctx, const YAML::Node& node, std::string path, int line);

  const std::string& path() const { return path_; }
  int line() const { return line_; }
  Context& context() const { return *ctx_; }
  std::string key_path(std::string_view key) const { return join_path(path_, std::string(key)); }
  int key_line(std::string_view key) const;  // the key's own line, else this mapping's

  bool has(std::string_view key) const { return find(key).has_value(); }
  YAML::Node get(std::string_view key) const;  // a null node when absent

  // Rejects any key not listed, and duplicate keys.
  void allow_only(const std::vector<std::string>& allowed) const;
  // Throws "value '<missing>': RULE" at this mapping's line when key is absent.
  void require(std::string_view key, const std::string& rule = "is required") const;
  [[noreturn]] void fail(std::string_view key, const std::string& value, const std::string& rule) const;

  MapReader section(std::string_view key) const;           // absent or null: empty
  MapReader required_section(std::string_view key) const;

  // Absent keys leave `out` untouched, so struct defaults survive.
  void read(std::string_view key, int& out, const IntRule& rule) const;
  void read(std::string_view key, std::uint64_t& out, const IntRule& rule) const;
  void read(std::string_view key, double& out, const NumRule& rule) const;
  void read(std::string_view key, std::optional<double>& out, const NumRule& rule) const;
  void read(std::string_view key, bool& out) const;
  void read(std::string_view key, std::string& out) const;
  // Absent: empty list. Each element is checked against `element`.
  std::vector<double> read_number_list(std::string_view key, const NumRule& element) const;

  template <class E>
  void read_enum(std::string_view key, E& out,
                 const std::vector<std::pair<std::string, E>>& names) const {
    if (!has(key)) return;
    const YAML::Node n = get(key);
    if (n.IsScalar())
      for (const auto& [name, value] : names)
        if (n.Scalar() == name) {
          out = value;
          return;
        }
    std::string list;
    for (const auto& nv : names) list += (list.empty() ? "" : ", ") + nv.first;
    fail(key, node_text(n), "must be one of: " + list);
  }

 private:
  struct Entry {
    YAML::Node key, value;
  };
  std::optional<Entry> find(std::string_view key) const;
  IntValue read_int(std::string_view key, const IntRule& rule) const;
  double read_number(std::string_view key, const NumRule& rule) const;

  Context* ctx_;
  YAML::Node node_;
  std::string path_;
  int line_;
};

}  // namespace cimmc::config_detail

#include "config/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

namespace cimmc::config_detail {

namespace {

// Quoted scalars carry the non-specific tag "!": the user wrote a string.
bool is_plain_scalar(const YAML::Node& n) {
  return n.IsScalar() && n.Tag() != "!" && n.Tag() != "tag:yaml.org,2002:str";
}

int mark_line(const YAML::Node& n, int fallback) {
  const int l = n.Mark().line;  // 0-based; -1 for nodes with no position
  return l >= 0 ? l + 1 : fallback;
}

}  // namespace

std::string node_text(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "";
  if (n.IsScalar()) return n.Scalar();
  if (n.IsMap()) return "<mapping>";
  std::string out = "[";  // lists of scalars read best as written (messages cut them short)
  for (std::size_t i = 0; i < n.size(); ++i) {
    const YAML::Node e = n[i];
    out += (i ? ", " : "") + (e.IsScalar() ? e.Scalar() : std::string(e.IsMap() ? "{...}" : "[...]"));
  }
  return out + "]";
}

Parse parse_number(const YAML::Node& n, double& out) {
  if (!is_plain_scalar(n)) return Parse::wrong_type;
  std::string_view s = n.Scalar();
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);  // YAML allows it, from_chars does not
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == ".inf" || lower == "-.inf" || lower == ".nan") return Parse::not_finite;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  if (res.ec == std::errc::result_out_of_range && res.ptr == s.data() + s.size()) {
    // from_chars does not say which way: 1e999 overflows, 1e-999 underflows to 0.
    out = std::strtod(std::string(s).c_str(), nullptr);
    return std::isfinite(out) ? Parse::ok : Parse::not_finite;
  }
  if (res.ec != std::errc() || res.ptr != s.data() + s.size() || s.empty()) return Parse::wrong_type;
  return std::isfinite(out) ? Parse::ok : Parse::not_finite;  // from_chars reads "inf", "nan"
}

Parse parse_int(const YAML::Node& n, IntValue& out) {
  if (!is_plain_scalar(n)) return Parse::wrong_type;
  std::string_view digits = n.Scalar();
  bool negative = false;
  if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (!digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const auto res = std::from_chars(digits.data(), digits.data() + digits.size(), out.magnitude);
    out.negative = negative && out.magnitude != 0;
    if (res.ec == std::errc::result_out_of_range) {
      out.negative = negative;
      return Parse::out_of_range;
    }
    return Parse::ok;
  }
  // Whole numbers written as floats (samples: 1e6) are integers too.
  double d = 0;
  if (parse_number(n, d) != Parse::ok || d != std::trunc(d)) return Parse::wrong_type;
  out.negative = d < 0;
  if (std::fabs(d) >= 18446744073709551616.0) return Parse::out_of_range;  // 2^64
  out.magnitude = static_cast<std::uint64_t>(std::fabs(d));
  return Parse::ok;
}

MapReader::MapReader(Context& ctx, const YAML::Node& node, std::string path, int line)
    : ctx_(&ctx), node_(node), path_(std::move(path)), line_(line) {
  if (!node_.IsDefined() || !node_.IsMap()) return;
  ctx_->lines[path_] = line_;
  for (auto it = node_.begin(); it != node_.end(); ++it)
    if (it->first.IsScalar()) ctx_->lines.emplace(key_path(it->first.Scalar()), mark_line(it->first, line_));
}

std::optional<MapReader::Entry> MapReader::find(std::string_view key) const {
  if (!node_.IsDefined() || !node_.IsMap()) return std::nullopt;
  for (auto it = node_.begin(); it != node_.end(); ++it)
    if (it->first.IsScalar() && it->first.Scalar() == key) return Entry{it->first, it->second};
  return std::nullopt;
}

int MapReader::key_line(std::string_view key) const {
  const auto e = find(key);
  return e ? mark_line(e->key, line_) : line_;
}

YAML::Node MapReader::get(std::string_view key) const {
  const auto e = find(key);
  return e ? e->value : YAML::Node();
}

void MapReader::allow_only(const std::vector<std::string>& allowed) const {
  if (!node_.IsDefined() || !node_.IsMap()) return;
  std::set<std::string> seen;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : node_text(it->first);
    const int line = mark_line(it->first, line_);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      config_detail::fail(ctx_->file, line, key_path(key), node_text(it->second),
                          "unknown key (allowed: " + list + ")");
    }
    if (!seen.insert(key).second)
      config_detail::fail(ctx_->file, line, key_path(key), node_text(it->second), "duplicate key");
  }
}

void MapReader::require(std::string_view key, const std::string& rule) const {
  if (!has(key)) config_detail::fail(ctx_->file, line_, key_path(key), "<missing>", rule);
}

void MapReader::fail(std::string_view key, const std::string& value, const std::string& rule) const {
  config_detail::fail(ctx_->file, key_line(key), key_path(key), value, rule);
}

MapReader MapReader::section(std::string_view key) const {
  const auto e = find(key);
  if (!e || e->value.IsNull()) return MapReader(*ctx_, YAML::Node(), key_path(key), key_line(key));
  if (!e->value.IsMap()) fail(key, node_text(e->value), "must be a mapping");
  return MapReader(*ctx_, e->value, key_path(key), key_line(key));
}

MapReader MapReader::required_section(std::string_view key) const {
  const auto e = find(key);
  if (!e || e->value.IsNull()) config_detail::fail(ctx_->file, line_, key_path(key), "<missing>", "is required");
  return section(key);
}

IntValue MapReader::read_int(std::string_view key, const IntRule& rule) const {
  const YAML::Node n = get(key);
  IntValue v;
  switch (parse_int(n, v)) {
    case Parse::ok: break;
    case Parse::out_of_range: fail(key, node_text(n), rule_text(rule, !v.negative));
    default: fail(key, node_text(n), "must be an integer");
  }
  if (!in_range(rule, v)) fail(key, node_text(n), rule_text(rule, !v.negative && v.magnitude > rule.hi));
  return v;
}

double MapReader::read_number(std::string_view key, const NumRule& rule) const {
  const YAML::Node n = get(key);
  double d = 0;
  switch (parse_number(n, d)) {
    case Parse::ok: break;
    case Parse::not_finite: fail(key, node_text(n), "must be a finite number");
    default: fail(key, node_text(n), "must be a number");
  }
  if (!in_range(rule, d)) fail(key, node_text(n), rule_text(rule));
  return d;
}

void MapReader::read(std::string_view key, int& out, const IntRule& rule) const {
  if (!has(key)) return;
  const IntValue v = read_int(key, rule);  // rules for int fields stay within int
  out = v.negative ? -static_cast<int>(v.magnitude) : static_cast<int>(v.magnitude);
}

void MapReader::read(std::string_view key, std::uint64_t& out, const IntRule& rule) const {
  if (!has(key)) return;
  const IntValue v = read_int(key, rule);  // rules for uint64 fields have lo >= 0
  out = v.magnitude;
}

void MapReader::read(std::string_view key, double& out, const NumRule& rule) const {
  if (has(key)) out = read_number(key, rule);
}

void MapReader::read(std::string_view key, std::optional<double>& out, const NumRule& rule) const {
  if (has(key)) out = read_number(key, rule);
}

void MapReader::read(std::string_view key, bool& out) const {
  if (!has(key)) return;
  const YAML::Node n = get(key);
  const std::string s = is_plain_scalar(n) ? n.Scalar() : std::string();
  if (s == "true" || s == "True" || s == "TRUE") {
    out = true;
  } else if (s == "false" || s == "False" || s == "FALSE") {
    out = false;
  } else {
    fail(key, node_text(n), "must be true or false");
  }
}

void MapReader::read(std::string_view key, std::string& out) const {
  if (!has(key)) return;
  const YAML::Node n = get(key);
  if (!n.IsScalar()) fail(key, node_text(n), "must be a string");
  out = n.Scalar();
}

std::vector<double> MapReader::read_number_list(std::string_view key, const NumRule& element) const {
  std::vector<double> out;
  if (!has(key)) return out;
  const YAML::Node n = get(key);
  if (!n.IsSequence()) fail(key, node_text(n), "must be a list of numbers");
  for (std::size_t i = 0; i < n.size(); ++i) {
    const YAML::Node e = n[i];
    const std::string path = key_path(key) + "[" + std::to_string(i) + "]";
    const int line = mark_line(e, key_line(key));
    double d = 0;
    const Parse p = parse_number(e, d);
    if (p == Parse::not_finite) config_detail::fail(ctx_->file, line, path, node_text(e), "must be a finite number");
    if (p != Parse::ok) config_detail::fail(ctx_->file, line, path, node_text(e), "must be a number");
    if (!in_range(element, d)) config_detail::fail(ctx_->file, line, path, node_text(e), rule_text(element));
    out.push_back(d);
  }
  return out;
}

}  // namespace cimmc::config_detail

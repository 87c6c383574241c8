// Sweep expansion. Each point is built as a YAML document (the base with the
// point's values set) and read by parse_config's reader, so points obey
// exactly the rules of a single config file and no rule is written twice.
// Errors are translated to lines of the original file (point_error).
#include "config/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "config/internal.hpp"
#include "config/sweep_plan.hpp"

namespace cimmc {

namespace {

using config_detail::join_path;
using config_detail::line_of_node;
using config_detail::LineTable;
using config_detail::Plan;
using config_detail::Setting;

// Writes a node back as YAML. Scalars quoted in the file are quoted again:
// yaml-cpp's own node emitter drops the quotes, which would turn the string
// '64' into the number 64 and hide a type error parse_config must report.
void emit(YAML::Emitter& out, const YAML::Node& n) {
  const std::string& tag = n.Tag();
  if (n.IsScalar() && tag == "!") {
    out << YAML::DoubleQuoted << n.Scalar();
    return;
  }
  if (!n.IsNull() && !tag.empty() && tag != "?" && tag != "!") out << YAML::VerbatimTag(tag);
  if (n.IsScalar()) {
    out << n.Scalar();
  } else if (n.IsSequence()) {
    out << YAML::BeginSeq;
    for (const YAML::Node& e : n) emit(out, e);
    out << YAML::EndSeq;
  } else if (n.IsMap()) {
    out << YAML::BeginMap;
    for (auto it = n.begin(); it != n.end(); ++it) {
      out << YAML::Key;
      emit(out, it->first);
      out << YAML::Value;
      emit(out, it->second);
    }
    out << YAML::EndMap;
  } else {
    out << YAML::Null;
  }
}

std::string value_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  emit(out, n);
  return out.c_str();
}

void set_path(YAML::Node doc, const std::string& key, const YAML::Node& value) {
  YAML::Node cur = doc;
  std::size_t s = 0;
  for (std::size_t dot; (dot = key.find('.', s)) != std::string::npos; s = dot + 1) {
    const std::string seg = key.substr(s, dot - s);
    if (!cur[seg].IsMap()) cur[seg] = YAML::Node(YAML::NodeType::Map);  // absent or null (check_path refused the rest)
    cur.reset(cur[seg]);  // reset, not =: assigning a Node overwrites the node it refers to
  }
  cur[key.substr(s)] = YAML::Clone(value);  // a clone: a shared node would be emitted as an alias
}

// Key path -> line of every mapping key and list element under `n`.
void collect_lines(const YAML::Node& n, const std::string& path, LineTable& out) {
  if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->first.IsScalar()) continue;
      const std::string p = join_path(path, it->first.Scalar());
      out.emplace(p, line_of_node(it->first, 0));
      collect_lines(it->second, p, out);
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      const std::string p = path + "[" + std::to_string(i) + "]";
      out.emplace(p, line_of_node(n[i], 0));
      collect_lines(n[i], p, out);
    }
  }
}

// Line of `path` or its nearest ancestor in the table; 0 when none is there.
int nearest_line(const LineTable& lines, std::string path) {
  while (!path.empty()) {
    if (auto it = lines.find(path); it != lines.end() && it->second > 0) return it->second;
    const auto cut = path.find_last_of(".[");
    path = cut == std::string::npos ? std::string() : path.substr(0, cut);
  }
  return 0;
}

// Characters of the longest whole-component prefix two key paths share
// ("workload.inputs" and "workload.tile.rows" share "workload": 8).
std::size_t common_path(const std::string& a, const std::string& b) {
  std::size_t n = 0;
  for (std::size_t i = 0;; ++i) {
    const bool end_a = i == a.size() || a[i] == '.' || a[i] == '[';
    const bool end_b = i == b.size() || b[i] == '.' || b[i] == '[';
    if (end_a && end_b) n = i;
    if (i == a.size() || i == b.size() || a[i] != b[i]) return n;
  }
}

// `path` or its nearest ancestor that the table has ("" when none).
std::string deepest_in(const LineTable& lines, std::string path) {
  while (!path.empty() && !lines.count(path)) {
    const auto cut = path.find_last_of(".[");
    path = cut == std::string::npos ? std::string() : path.substr(0, cut);
  }
  return path;
}

std::string with_line(const std::string& file, int line) {
  return line > 0 ? file + ":" + std::to_string(line) : file;
}

// Rewrites parse_config's message about a point's generated text so it points
// into the original file: at the sweep entry when the failing key is one this
// point sets, else at the base file's key.
std::string point_error(const std::string& msg, const std::string& file, const YAML::Node& root,
                        const std::vector<const Setting*>& sets, std::size_t index) {
  // msg: FILE[:LINE]: KEY: value 'V': RULE
  std::size_t pos = msg.compare(0, file.size(), file) == 0 ? file.size() : 0;
  if (pos && pos < msg.size() && msg[pos] == ':') {
    std::size_t d = pos + 1;
    while (d < msg.size() && std::isdigit(static_cast<unsigned char>(msg[d]))) ++d;
    if (d > pos + 1) pos = d;
  }
  if (msg.compare(pos, 2, ": ") == 0) pos += 2;
  const std::string body = msg.substr(pos);  // KEY: value 'V': RULE
  const std::size_t key_end = body.find(": value '");
  const std::string key = key_end == std::string::npos ? std::string() : body.substr(0, key_end);
  const std::string point = "sweep point " + std::to_string(index);

  for (const Setting* s : sets) {
    if (key.compare(0, s->key.size(), s->key) != 0 ||
        (key.size() > s->key.size() && key[s->key.size()] != '.' && key[s->key.size()] != '['))
      continue;
    const std::string entry = s->entry + key.substr(s->key.size());  // a key inside a swept mapping keeps its tail
    LineTable lines{{s->entry, s->line}};
    collect_lines(s->value, s->entry, lines);
    return with_line(file, nearest_line(lines, entry)) + ": " + entry + body.substr(key_end) + " (" + point + ")";
  }
  std::string params;
  for (const Setting* s : sets) params += (params.empty() ? "" : ", ") + s->key + "=" + value_text(s->value);
  LineTable lines;
  collect_lines(root, "", lines);
  int line = nearest_line(lines, key);
  // When a swept key shares more of the failing key's path than the base file
  // has, the sweep made that part of the document (a typo inside the sweep's
  // key path, or a point that creates `workload` in a file without one and
  // leaves a required key under it unset), so point at the sweep entry.
  const std::size_t in_base = common_path(key, deepest_in(lines, key));
  std::size_t best = in_base;
  for (const Setting* s : sets)
    if (const std::size_t c = common_path(key, s->key); c > best) {
      best = c;
      line = s->line;
    }
  // A top-level key missing from both (`workload`): the document's mapping starts at line 1,
  // as parse_config says of a file without a sweep.
  return with_line(file, line > 0 ? line : 1) + ": " + point + (params.empty() ? "" : " (" + params + ")") + ": " + body;
}

// The settings point `index` applies, in key order.
void settings_of(const Plan& plan, std::size_t grid, std::size_t index, std::vector<const Setting*>& sets) {
  sets.clear();
  if (index >= grid) {
    for (const Setting& s : plan.extra[index - grid]) sets.push_back(&s);
    return;
  }
  std::vector<std::size_t> step(plan.axes.size());
  for (std::size_t a = plan.axes.size(), rest = index; a-- > 0; rest /= plan.axes[a].size())
    step[a] = rest % plan.axes[a].size();  // the last axis varies fastest
  for (std::size_t a = 0; a < plan.axes.size(); ++a)
    for (const Setting& s : plan.axes[a][step[a]]) sets.push_back(&s);
}

SweepPoint build_point(const Plan& plan, const std::vector<const Setting*>& sets, std::size_t index,
                       const std::string& text, const std::string& file) {
  YAML::Node doc = YAML::Clone(plan.base);
  // A clone of each value too: the point's document must share no node with
  // the plan, which later points read.
  for (const Setting* s : sets) set_path(doc, s->key, YAML::Clone(s->value));
  SweepPoint p;
  p.index = index;
  try {
    // Read as parse_config reads a file (the original path: relative data
    // files resolve as in the file), without writing the document out and
    // parsing it again (that was ~40% of building a point).
    p.config = config_detail::parse_config_root(doc, file);
  } catch (const ConfigError& e) {
    throw ConfigError(point_error(e.what(), file, plan.root, sets, index));
  }
  p.config.source_text = text;
  for (const Setting* s : sets) p.params.emplace_back(s->key, value_text(s->value));
  return p;
}

}  // namespace

SweepSource::SweepSource(std::string yaml_text, std::string path_for_messages)
    : text_(std::move(yaml_text)), path_(std::move(path_for_messages)) {
  const std::optional<Plan> plan = config_detail::read_plan(text_, path_);
  if (!plan) return;  // one point: the file itself
  has_sweep_ = true;
  keys_ = plan->keys;
  for (const auto& axis : plan->axes) {
    axis_sizes_.push_back(axis.size());
    std::string names;
    for (const Setting& st : axis.front()) names += (names.empty() ? "" : "+") + st.key;
    axis_names_.push_back(names);
  }
  grid_ = plan->axes.empty() ? (plan->extra.empty() ? 1 : 0) : config_detail::plan_size(*plan, path_) - plan->extra.size();
  size_ = grid_ + plan->extra.size();
}

SweepSource SweepSource::load(const std::string& path) {
  return SweepSource(config_detail::read_config_text(path), path);
}

std::size_t SweepSource::grid_index(const std::vector<std::size_t>& steps) const {
  std::size_t index = 0;
  for (std::size_t a = 0; a < axis_sizes_.size(); ++a) index = index * axis_sizes_[a] + steps.at(a);
  return index;
}

std::vector<SweepPoint> SweepSource::points(std::size_t first, std::size_t last) const {
  std::vector<std::size_t> indices;
  for (std::size_t i = first; i < std::min(last, size_); ++i) indices.push_back(i);
  return points_at(indices);
}

// Points are independent, so they are built in parallel: with network
// workloads parse_config rereads every layer's data file, which dominates.
// yaml-cpp nodes are not safe to share between threads even for reading (a
// lookup can modify a node), so each thread reads the text into its own Plan.
// The error reported is the one of the lowest failing index, as in a serial run.
std::vector<SweepPoint> SweepSource::points_at(const std::vector<std::size_t>& indices) const {
  std::vector<SweepPoint> out(indices.size());
  if (!has_sweep_) {  // no sweep section: the file is one config, with parse_config's own lines
    for (SweepPoint& p : out) p = SweepPoint{0, {}, parse_config(text_, path_)};
    return out;
  }
  const std::size_t none = std::numeric_limits<std::size_t>::max();
  std::atomic<std::size_t> first_bad{none};
  std::exception_ptr error;
#pragma omp parallel if (indices.size() > 1)
  {
    std::optional<Plan> own;
    std::vector<const Setting*> sets;
#pragma omp for schedule(dynamic)
    for (std::int64_t k = 0; k < static_cast<std::int64_t>(indices.size()); ++k) {
      const std::size_t index = indices[static_cast<std::size_t>(k)];
      if (index > first_bad.load()) continue;  // a lower point already failed
      try {
        if (index >= size_) throw std::out_of_range("sweep point index out of range");
        if (!own) own = config_detail::read_plan(text_, path_);
        settings_of(*own, grid_, index, sets);
        out[static_cast<std::size_t>(k)] = build_point(*own, sets, index, text_, path_);
      } catch (...) {
#pragma omp critical(cimmc_sweep_error)
        if (index < first_bad.load()) {
          first_bad = index;
          error = std::current_exception();
        }
      }
    }
  }
  if (error) std::rethrow_exception(error);
  return out;
}

std::vector<std::size_t> SweepSource::every_value_indices(std::size_t max_explicit) const {
  std::vector<std::size_t> out{0};
  if (grid_ > 0)
    for (std::size_t a = 0; a < axis_sizes_.size(); ++a)
      for (std::size_t k = 1; k < axis_sizes_[a]; ++k) {
        std::vector<std::size_t> at(axis_sizes_.size(), 0);
        at[a] = k;
        out.push_back(grid_index(at));
      }
  for (std::size_t e = grid_; e < size_ && e - grid_ < max_explicit; ++e)
    if (e != 0) out.push_back(e);
  return out;
}

std::vector<std::vector<std::string>> SweepSource::key_values() const {
  std::vector<std::vector<std::string>> out(keys_.size());
  if (!has_sweep_) return out;
  const std::optional<Plan> plan = config_detail::read_plan(text_, path_);
  const auto add = [&](std::size_t k, const std::string& v) {
    if (std::find(out[k].begin(), out[k].end(), v) == out[k].end()) out[k].push_back(v);
  };
  const auto key_of = [&](const Setting& st) {
    return static_cast<std::size_t>(std::find(keys_.begin(), keys_.end(), st.key) - keys_.begin());
  };
  std::vector<bool> on_grid(keys_.size(), false);
  for (const auto& axis : plan->axes)
    for (const auto& step : axis)
      for (const Setting& st : step) {
        on_grid[key_of(st)] = true;
        add(key_of(st), value_text(st.value));
      }
  if (grid_ > 0)
    for (std::size_t k = 0; k < keys_.size(); ++k)
      if (!on_grid[k]) add(k, "");
  for (const auto& point : plan->extra) {
    std::vector<bool> set(keys_.size(), false);
    for (const Setting& st : point) {
      set[key_of(st)] = true;
      add(key_of(st), value_text(st.value));
    }
    for (std::size_t k = 0; k < keys_.size(); ++k)
      if (!set[k]) add(k, "");
  }
  return out;
}

Sweep parse_sweep(const std::string& yaml_text, const std::string& path_for_messages) {
  const SweepSource src(yaml_text, path_for_messages);
  Sweep sw;
  sw.path = path_for_messages;
  sw.source_text = yaml_text;
  sw.keys = src.keys();
  sw.points = src.points(0, src.size());
  return sw;
}

Sweep load_sweep(const std::string& path) { return parse_sweep(config_detail::read_config_text(path), path); }

std::size_t sweep_size(const std::string& yaml_text, const std::string& path_for_messages) {
  const std::optional<Plan> plan = config_detail::read_plan(yaml_text, path_for_messages);
  return plan ? config_detail::plan_size(*plan, path_for_messages) : 1;
}

}  // namespace cimmc

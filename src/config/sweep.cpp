// Sweep expansion. Each point is built as YAML text and handed to
// parse_config, so points obey exactly the rules of a single config file and
// no rule is written twice. parse_config's line numbers then refer to that
// generated text; they are translated back to lines of the original file.
#include "config/sweep.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <utility>

#include "config/internal.hpp"

namespace cimmc {

namespace {

using config_detail::fail;
using config_detail::join_path;
using config_detail::LineTable;
using config_detail::node_text;

int line_of_node(const YAML::Node& n, int fallback) {
  const int l = n.Mark().line;  // 0-based; -1 for nodes without a position
  return l >= 0 ? l + 1 : fallback;
}

// One value a point writes at a config key path, and where the sweep wrote it.
struct Setting {
  std::string key;    // config key path, e.g. macro.adc.bits
  YAML::Node value;   // the node in the original document (keeps its line)
  std::string entry;  // e.g. sweep.cartesian.macro.adc.bits[4]
  int line = 0;
};

struct Plan {
  YAML::Node root;                            // the original document (its lines, for messages)
  YAML::Node base;                            // the document without `sweep`
  std::vector<std::string> keys;              // parameter columns
  std::vector<std::vector<std::vector<Setting>>> axes;  // axes[a][step]: a cartesian key or a zip group
  std::vector<std::vector<Setting>> extra;    // explicit points, settings in `keys` order
  int sweep_line = 1;
};

bool overlaps(const std::string& a, const std::string& b) {
  const auto under = [](const std::string& p, const std::string& q) {  // p at or below q
    return p.size() >= q.size() && p.compare(0, q.size(), q) == 0 && (p.size() == q.size() || p[q.size()] == '.');
  };
  return under(a, b) || under(b, a);
}

class PlanReader {
 public:
  PlanReader(const std::string& file, const YAML::Node& root) : file_(file), root_(root) {}

  Plan read(const YAML::Node& sweep, int sweep_line) {
    plan_.sweep_line = sweep_line;
    plan_.root = root_;
    plan_.base = YAML::Clone(root_);
    plan_.base.remove("sweep");
    if (sweep.IsNull()) return std::move(plan_);  // `sweep:` with no content
    if (!sweep.IsMap()) fail(file_, sweep_line, "sweep", node_text(sweep), "must be a mapping");
    unique_keys(sweep, "sweep", sweep_line);
    for (auto it = sweep.begin(); it != sweep.end(); ++it) {
      const std::string name = it->first.Scalar();
      if (name != "cartesian" && name != "zip" && name != "points")
        fail(file_, line_of_node(it->first, sweep_line), join_path("sweep", name), node_text(it->second),
             "unknown key (allowed: cartesian, zip, points)");
    }
    // Fixed order, whatever order the file uses: cartesian axes, then zip
    // axes, then points; that is also the order of the parameter columns.
    if (const auto [v, line] = section(sweep, "cartesian"); !v.IsNull()) {
      if (!v.IsMap()) fail(file_, line, "sweep.cartesian", node_text(v), "must be a mapping of key paths to lists of values");
      unique_keys(v, "sweep.cartesian", line);
      for (auto kv = v.begin(); kv != v.end(); ++kv)
        plan_.axes.push_back(transpose({read_list(kv->first, kv->second, "sweep.cartesian", line)}));
    }
    if (const auto [v, line] = section(sweep, "zip"); !v.IsNull()) {
      if (!v.IsSequence())
        fail(file_, line, "sweep.zip", node_text(v), "must be a list of groups (mappings of key paths to lists of values)");
      for (std::size_t g = 0; g < v.size(); ++g) read_zip_group(v[g], "sweep.zip[" + std::to_string(g) + "]", line);
    }
    if (const auto [v, line] = section(sweep, "points"); !v.IsNull()) {
      if (!v.IsSequence()) fail(file_, line, "sweep.points", node_text(v), "must be a list of mappings of key paths to values");
      for (std::size_t p = 0; p < v.size(); ++p) read_point(v[p], "sweep.points[" + std::to_string(p) + "]", line);
    }
    return std::move(plan_);
  }

 private:
  // The value of `key` in the sweep mapping (null when absent) and its line.
  std::pair<YAML::Node, int> section(const YAML::Node& sweep, const std::string& key) const {
    for (auto it = sweep.begin(); it != sweep.end(); ++it)
      if (it->first.Scalar() == key) return {it->second, line_of_node(it->first, plan_.sweep_line)};
    return {YAML::Node(), plan_.sweep_line};
  }

  // Keys of a sweep mapping must be plain strings, each written once.
  void unique_keys(const YAML::Node& map, const std::string& prefix, int line) const {
    std::vector<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const int l = line_of_node(it->first, line);
      if (!it->first.IsScalar()) fail(file_, l, prefix, node_text(it->first), "keys must be key paths");
      const std::string k = it->first.Scalar();
      if (std::find(seen.begin(), seen.end(), k) != seen.end())
        fail(file_, l, join_path(prefix, k), node_text(it->second), "duplicate key (a key path is swept once)");
      seen.push_back(k);
    }
  }

  // A key path must name a place in the config's mappings: not inside a list,
  // not below a scalar. Missing mappings are created when the point is built.
  void check_path(const std::string& key, const std::string& entry, int line, const YAML::Node& value) const {
    const auto bad = [&](const std::string& rule) { fail(file_, line, entry, node_text(value), rule); };
    if (key.find_first_of("[]") != std::string::npos) bad("key paths into lists are not supported");
    std::vector<std::string> segs;
    for (std::size_t s = 0, e; s <= key.size(); s = e + 1) {
      e = std::min(key.find('.', s), key.size());
      segs.push_back(key.substr(s, e - s));
      if (segs.back().empty()) bad("must be a dotted key path such as macro.adc.bits");
    }
    if (segs.front() == "sweep") bad("the sweep section cannot be swept");
    YAML::Node cur = root_;
    std::string walked;
    for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
      walked = join_path(walked, segs[i]);
      const YAML::Node next = std::as_const(cur)[segs[i]];  // const: a lookup must not add the key
      if (!next.IsDefined() || next.IsNull()) return;  // created when the point is built
      if (next.IsSequence()) bad("key path goes into the list " + walked + "; key paths into lists are not supported");
      if (!next.IsMap()) bad("key path goes below " + walked + ", which is not a mapping");
      cur.reset(next);
    }
  }

  // `key: [v0, v1, ...]` of a cartesian map or zip group.
  std::vector<Setting> read_list(const YAML::Node& key_node, const YAML::Node& list, const std::string& prefix, int fallback) {
    const std::string key = key_node.Scalar();
    const std::string entry = join_path(prefix, key);
    const int line = line_of_node(key_node, fallback);
    if (!list.IsSequence()) fail(file_, line, entry, node_text(list), "must be a list of values");
    if (list.size() == 0) fail(file_, line, entry, node_text(list), "must be a non-empty list of values");
    check_path(key, entry, line, list);
    for (const auto& [k, where] : grid_keys_)
      if (overlaps(k, key))
        fail(file_, line, entry, node_text(list),
             k == key ? "key path swept twice (also at " + where + ")" : "overlaps the swept key path " + k + " (at " + where + ")");
    grid_keys_.emplace_back(key, entry);
    add_key(key);
    std::vector<Setting> out;
    for (std::size_t i = 0; i < list.size(); ++i)
      out.push_back({key, list[i], entry + "[" + std::to_string(i) + "]", line_of_node(list[i], line)});
    return out;
  }

  void read_zip_group(const YAML::Node& group, const std::string& prefix, int fallback) {
    const int line = line_of_node(group, fallback);
    if (!group.IsMap() || group.size() == 0)
      fail(file_, line, prefix, node_text(group), "must be a non-empty mapping of key paths to lists of values");
    unique_keys(group, prefix, line);
    std::vector<std::vector<Setting>> lists;
    for (auto kv = group.begin(); kv != group.end(); ++kv) {
      lists.push_back(read_list(kv->first, kv->second, prefix, line));
      if (lists.back().size() != lists.front().size())
        fail(file_, line_of_node(kv->first, line), prefix, node_text(group),
             "lists must have equal lengths (" + std::to_string(lists.front().size()) + " vs " +
                 std::to_string(lists.back().size()) + ": " + lists.front().front().key + ", " + lists.back().front().key + ")");
    }
    plan_.axes.push_back(transpose(lists));
  }

  void read_point(const YAML::Node& point, const std::string& prefix, int fallback) {
    const int line = line_of_node(point, fallback);
    if (!point.IsMap()) fail(file_, line, prefix, node_text(point), "must be a mapping of key paths to values");
    unique_keys(point, prefix, line);
    std::vector<Setting> sets;
    for (auto kv = point.begin(); kv != point.end(); ++kv) {
      const std::string key = kv->first.Scalar();
      const std::string entry = join_path(prefix, key);
      const int kline = line_of_node(kv->first, line);
      check_path(key, entry, kline, kv->second);
      for (const Setting& s : sets)
        if (overlaps(s.key, key))
          fail(file_, kline, entry, node_text(kv->second), "overlaps the key path " + s.key + " of the same point");
      add_key(key);
      sets.push_back({key, kv->second, entry, line_of_node(kv->second, kline)});
    }
    const auto col = [&](const Setting& s) { return std::find(plan_.keys.begin(), plan_.keys.end(), s.key); };
    std::stable_sort(sets.begin(), sets.end(), [&](const Setting& a, const Setting& b) { return col(a) < col(b); });
    plan_.extra.push_back(std::move(sets));
  }

  // lists[key][step] -> steps[step][key]
  static std::vector<std::vector<Setting>> transpose(const std::vector<std::vector<Setting>>& lists) {
    std::vector<std::vector<Setting>> steps(lists.front().size());
    for (const auto& l : lists)
      for (std::size_t i = 0; i < l.size(); ++i) steps[i].push_back(l[i]);
    return steps;
  }

  void add_key(const std::string& key) {
    if (std::find(plan_.keys.begin(), plan_.keys.end(), key) == plan_.keys.end()) plan_.keys.push_back(key);
  }

  const std::string& file_;
  YAML::Node root_;
  Plan plan_;
  std::vector<std::pair<std::string, std::string>> grid_keys_;  // key path, sweep entry
};

// nullopt when the document has no `sweep` key (then it is a plain config).
std::optional<Plan> read_plan(const std::string& text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception&) {
    (void)parse_config(text, file);  // reports the syntax error in the one format
    throw;
  }
  if (!root.IsMap()) return std::nullopt;
  YAML::Node sweep;
  int line = 0;
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (!it->first.IsScalar() || it->first.Scalar() != "sweep") continue;
    if (line) fail(file, line_of_node(it->first, 1), "sweep", node_text(it->second), "duplicate key");
    sweep = it->second;
    line = line_of_node(it->first, 1);
  }
  if (!line) return std::nullopt;
  return PlanReader(file, root).read(sweep, line);
}

std::size_t plan_size(const Plan& plan, const std::string& file) {
  if (plan.axes.empty()) return plan.extra.empty() ? 1 : plan.extra.size();  // points alone: only them
  std::size_t n = 1;
  for (const auto& axis : plan.axes) {
    if (n > std::numeric_limits<std::size_t>::max() / axis.size())
      fail(file, plan.sweep_line, "sweep", "<mapping>", "has too many points to count");
    n *= axis.size();
  }
  if (n > std::numeric_limits<std::size_t>::max() - plan.extra.size())
    fail(file, plan.sweep_line, "sweep", "<mapping>", "has too many points to count");
  return n + plan.extra.size();
}

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
  const int line = nearest_line(lines, key);
  return with_line(file, line) + ": " + point + (params.empty() ? "" : " (" + params + ")") + ": " + body;
}

Sweep expand(const Plan& plan, const std::string& text, const std::string& file) {
  Sweep sw;
  sw.path = file;
  sw.source_text = text;
  sw.keys = plan.keys;
  const std::size_t grid = plan.axes.empty() ? (plan.extra.empty() ? 1 : 0) : plan_size(plan, file) - plan.extra.size();
  const std::size_t total = grid + plan.extra.size();
  sw.points.reserve(total);
  std::vector<const Setting*> sets;
  for (std::size_t index = 0; index < total; ++index) {
    sets.clear();
    if (index < grid) {
      std::vector<std::size_t> step(plan.axes.size());
      for (std::size_t a = plan.axes.size(), rest = index; a-- > 0; rest /= plan.axes[a].size())
        step[a] = rest % plan.axes[a].size();  // the last axis varies fastest
      for (std::size_t a = 0; a < plan.axes.size(); ++a)
        for (const Setting& s : plan.axes[a][step[a]]) sets.push_back(&s);
    } else {
      for (const Setting& s : plan.extra[index - grid]) sets.push_back(&s);
    }
    YAML::Node doc = YAML::Clone(plan.base);
    for (const Setting* s : sets) set_path(doc, s->key, s->value);
    YAML::Emitter out;
    emit(out, doc);
    if (!out.good()) throw ConfigError(file + ": sweep point " + std::to_string(index) + ": cannot write YAML: " + out.GetLastError());
    SweepPoint p;
    p.index = index;
    try {
      p.config = parse_config(out.c_str(), file);  // the original path: relative data files resolve as in the file
    } catch (const ConfigError& e) {
      throw ConfigError(point_error(e.what(), file, plan.root, sets, index));
    }
    p.config.source_text = text;
    for (const Setting* s : sets) p.params.emplace_back(s->key, value_text(s->value));
    sw.points.push_back(std::move(p));
  }
  return sw;
}

}  // namespace

Sweep parse_sweep(const std::string& yaml_text, const std::string& path_for_messages) {
  const std::optional<Plan> plan = read_plan(yaml_text, path_for_messages);
  if (plan) return expand(*plan, yaml_text, path_for_messages);
  Sweep sw;  // no sweep section: the file is one config, with parse_config's own lines
  sw.path = path_for_messages;
  sw.source_text = yaml_text;
  sw.points.push_back(SweepPoint{0, {}, parse_config(yaml_text, path_for_messages)});
  return sw;
}

Sweep load_sweep(const std::string& path) {
  if (std::filesystem::is_directory(path)) throw ConfigError(path + ": cannot open config file: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open config file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": cannot read config file");
  return parse_sweep(text.str(), path);
}

std::size_t sweep_size(const std::string& yaml_text, const std::string& path_for_messages) {
  const std::optional<Plan> plan = read_plan(yaml_text, path_for_messages);
  return plan ? plan_size(*plan, path_for_messages) : 1;
}

}  // namespace cimmc

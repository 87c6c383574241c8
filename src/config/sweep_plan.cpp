// Reading a `sweep:` section: which values each point sets, and where the
// file wrote them. No point is built here, so sweep_size can count huge sweeps.
#include "config/sweep_plan.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "config/config.hpp"
#include "config/internal.hpp"

namespace cimmc::config_detail {

namespace {

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

}  // namespace

// nullopt when the document has no `sweep` key (then it is a plain config).
std::optional<Plan> read_plan(const std::string& text, const std::string& file) {
  const YAML::Node root = load_config_document(text, file);
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

}  // namespace cimmc::config_detail

// Internal to src/config: the `sweep:` section read into a plan of settings
// (sweep_plan.cpp), which sweep.cpp expands into points.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace cimmc::config_detail {

// 1-based line of a node, or fallback for nodes without a position.
inline int line_of_node(const YAML::Node& n, int fallback) {
  const int l = n.Mark().line;
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

// Reads the document and checks the sweep section's structure (every error is
// a ConfigError at a line of the section). nullopt when the document has no
// `sweep` key: then it is a plain config.
std::optional<Plan> read_plan(const std::string& text, const std::string& file);
// Grid points (0 when there are explicit points but no axes) plus explicit
// points; throws ConfigError when the count overflows size_t.
std::size_t plan_size(const Plan& plan, const std::string& file);

}  // namespace cimmc::config_detail

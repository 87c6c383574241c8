// Bounds on the YAML documents cimmc reads (configs, CiMLoop layer files,
// Distiller statistics), checked before yaml-cpp builds a node tree and after
// aliases are expanded. yaml-cpp keeps about 530 bytes per node it builds:
// 8 MB of "1," (4·10^6 nodes) took 2.1 GB and 43 s to load, so the file size
// limit alone (64 MiB, input_file.hpp) does not bound memory.
#pragma once
#include <cstddef>
#include <string>

#include <yaml-cpp/yaml.h>

namespace cimmc::config_detail {

// 10^6 nodes: far above any real input (the longest lists, histogram bins,
// hold at most 2^16 - 1 values), far below what exhausts memory.
inline constexpr std::size_t kMaxYamlNodes = 1000000;

// 0 when `text` holds at most `limit` nodes (scalars, nulls, aliases, lists
// and mappings, every document), else the line of the node past the limit.
// yaml-cpp's event parser counts without building nodes and stops there.
// A syntax error throws YAML::Exception as YAML::Load would.
int yaml_nodes_past(const std::string& text, std::size_t limit = kMaxYamlNodes);

// 0 when `root` with its aliases expanded holds at most `limit` nodes, else
// the line of the node that passed it: an alias may stand for a list of
// aliases, so ten lines can expand to 10^9 nodes, which copying a sweep's base
// document or printing a value would build. An alias resolves to its
// anchor's node, so the line points into the lists that multiply.
int expanded_nodes_past(const YAML::Node& root, std::size_t limit = kMaxYamlNodes);

// YAML::Load with the first bound: throws YamlTooLarge naming the line.
struct YamlTooLarge {
  int line;
};
YAML::Node load_bounded(const std::string& text);

}  // namespace cimmc::config_detail

// Internal to src/config: the pieces config.cpp strings together.
#pragma once
#include <string>

#include "config/rules.hpp"
#include "config/yaml_reader.hpp"
#include "spec/spec.hpp"

namespace cimmc::config_detail {

// Reads a `distribution:` mapping (distribution.cpp), including CiMLoop
// histogram files, which are resolved against ctx.base_dir.
void read_distribution(const MapReader& r, DistributionSpec& out);

// Every range and cross-field rule on the finished struct (validate.cpp).
// With a line table, messages carry the line of the offending key.
void check_config(const Config& cfg, const std::string& file, const LineTable* lines);

}  // namespace cimmc::config_detail

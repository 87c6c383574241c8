// Sweeps: one YAML file with a `sweep:` section describes many hardware
// points. Each point is the base file (everything but `sweep`) with some
// values replaced at their dotted key paths; every point is then parsed and
// validated by parse_config, so a point is exactly the config a user would get
// by writing those values into the file. The syntax is in docs/config.md
// ("Sweeps").
//
// Errors are ConfigError with the one-line format of config.hpp. Lines point
// into the original file: at the sweep entry when a swept value breaks a rule,
// at the base key otherwise (the text parse_config sees is generated, so its
// own line numbers are never shown).
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace cimmc {

struct SweepPoint {
  std::size_t index = 0;  // 0-based position in the sweep
  // Key path -> value text as written (mappings and lists in flow style), in
  // Sweep::keys order; only the keys this point sets.
  std::vector<std::pair<std::string, std::string>> params;
  // Fully parsed and validated. source_path / source_text are the original
  // file and its full text (sweep section included), for provenance.
  Config config;
};

struct Sweep {
  std::string path, source_text;  // the file and its full text (provenance)
  std::vector<std::string> keys;  // every swept key path, first-appearance order: the parameter columns
  std::vector<SweepPoint> points; // grid points (last axis fastest), then the explicit points
};

// A file without a `sweep` section (or with an empty one) gives one point with
// no params, identical to parse_config. path_for_messages names the file in
// errors and anchors relative data paths, as in parse_config.
Sweep parse_sweep(const std::string& yaml_text, const std::string& path_for_messages);
Sweep load_sweep(const std::string& path);

// The number of points parse_sweep would give, after the same structural checks
// of the sweep section, but without building or validating any point (for
// planning huge sweeps). Throws ConfigError when the count overflows size_t.
std::size_t sweep_size(const std::string& yaml_text, const std::string& path_for_messages);

}  // namespace cimmc

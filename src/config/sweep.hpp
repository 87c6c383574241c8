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
  // Set for some points of a larger sweep (a hybrid study's refined points):
  // the value texts each key takes in the whole sweep, which decide the
  // parameter columns' types (study/tables.hpp), so the rows fit the sweep's.
  std::vector<std::vector<std::string>> key_values;
};

// A sweep read and structurally checked but not expanded: points are built
// and validated on demand, so a 10^7-point sweep costs its file, not 10^7
// configs (issue 10: expanding one took 15 GB before point 0's error).
// Points are numbered as in Sweep::points: the grid (last axis fastest), then
// the explicit points.
class SweepSource {
 public:
  SweepSource(std::string yaml_text, std::string path_for_messages);
  static SweepSource load(const std::string& path);

  std::size_t size() const { return size_; }
  const std::vector<std::string>& keys() const { return keys_; }
  const std::string& path() const { return path_; }
  const std::string& source_text() const { return text_; }
  // Steps of each grid axis (a cartesian key, or a zip group), outermost
  // first; empty without a grid. grid_size() = their product (0 when the
  // sweep has explicit points only); explicit points follow the grid.
  const std::vector<std::size_t>& axis_sizes() const { return axis_sizes_; }
  // Each axis's key, or its zip group's keys joined by '+'.
  const std::vector<std::string>& axis_names() const { return axis_names_; }
  std::size_t grid_size() const { return grid_; }
  std::size_t grid_index(const std::vector<std::size_t>& steps) const;

  // Points [first, last) (clipped to size()), built and validated in
  // parallel; a bad point throws the ConfigError parse_sweep would (the
  // lowest failing index among those asked for).
  std::vector<SweepPoint> points(std::size_t first, std::size_t last) const;
  // The points at `indices` (each < size()), in that order, by the same rules.
  std::vector<SweepPoint> points_at(const std::vector<std::size_t>& indices) const;
  // Every value text (as in SweepPoint::params) each key of keys() takes, in
  // order of appearance, each once, plus "" when some point leaves the key
  // unset: what typing a parameter column needs, without building points.
  std::vector<std::vector<std::string>> key_values() const;
  // Points that between them take every swept value: point 0, each step of
  // each grid axis with the other axes at step 0 (the star), then the first
  // `max_explicit` explicit points. Building these checks every value on
  // its own before a long run reaches it; a value that is only wrong next to
  // another axis's value still fails where that combination comes.
  std::vector<std::size_t> every_value_indices(std::size_t max_explicit) const;

 private:
  std::string text_, path_;
  bool has_sweep_ = false;
  std::vector<std::string> keys_;
  std::vector<std::size_t> axis_sizes_;
  std::vector<std::string> axis_names_;
  std::size_t grid_ = 1, size_ = 1;
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

// The only code that reads YAML: a config file becomes a validated Config
// (spec/spec.hpp). The key reference is docs/config.md.
//
// Every error is one ConfigError with a one-line message
//   FILE:LINE: KEY.PATH: value 'VALUE': RULE
// (LINE is 1-based; it is left out, as "FILE: KEY.PATH: ...", when validate()
// checks a Config that no longer has line information).
#pragma once
#include <stdexcept>
#include <string>

#include "spec/spec.hpp"

namespace cimmc {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads the file and parses it; the Config keeps the path and the full text
// (source_path, source_text) for provenance.
Config load_config(const std::string& path);

// Parses YAML text. path_for_messages names the file in errors, and its
// directory is where relative data paths (histogram files) are resolved.
// Also sets source_path = path_for_messages and source_text = yaml_text.
// Runs every check, including the cross-field ones of validate(), with lines.
Config parse_config(const std::string& yaml_text, const std::string& path_for_messages);

// Checks every range and cross-field rule on the struct values, for configs
// changed after parsing (CLI overrides such as --samples, --seed). Messages
// have no line numbers.
void validate(const Config& cfg, const std::string& path_for_messages);

// macro.clock_ns: derived -> the macro's critical-path period
// (physical/area_clock.hpp), filled into macro.clock_ns, and a digital
// macro's step path (macro.digital_timing, the self-timed latency's).
// parse_config does it; call it again after changing the macro or the
// operands of a Config in code.
void resolve_macro_clock(Config& cfg);

// A rule a finished Config breaks for a later stage (a model option it does
// not support): the one-line ConfigError for `key_path`, its line looked up in
// cfg.source_text (1 when the key is not written there, e.g. a default).
[[noreturn]] void fail_config_key(const Config& cfg, const std::string& key_path, const std::string& value,
                                  const std::string& rule);

}  // namespace cimmc

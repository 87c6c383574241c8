// Shared by the workload tests: parse a config and check the one-line error
//   FILE:LINE: KEY.PATH: value 'VALUE': RULE
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"

namespace cimmc::wltest {

inline const std::string kFile = "cfg.yaml";
inline const std::string kSource = CIMMC_SOURCE_DIR;

// The ConfigError message of parsing `yaml`, or "" when it parses.
inline std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, kFile);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// Exactly "cfg.yaml:LINE: KEY: value 'VALUE': " and then a rule containing `rule`, on one line.
inline ::testing::AssertionResult has_error(const std::string& yaml, int line, const std::string& key,
                                            const std::string& value, const std::string& rule) {
  const std::string msg = error_of(yaml);
  const std::string head = kFile + ":" + std::to_string(line) + ": " + key + ": value '" + value + "': ";
  if (msg.rfind(head, 0) != 0 || msg.find(rule, head.size()) == std::string::npos ||
      msg.find('\n') != std::string::npos)
    return ::testing::AssertionFailure() << "got:      " << msg << "\nexpected: " << head << "..." << rule
                                         << "...";
  return ::testing::AssertionSuccess();
}

// Network mode with operand defaults (5 lines); layers follow from line 6.
inline const std::string kNetHead = R"(workload:
  defaults:
    inputs: {bits: 8, distribution: {kind: relu_normal, std: 1.0, zero_fraction: 0.5}}
    weights: {bits: 8, signed: true, distribution: {kind: normal, std: 0.5}}
  layers:
)";

// A valid single-tile workload (7 lines) for the architecture / mapping tests.
inline const std::string kTile = R"(workload:
  inputs:
    distribution: {kind: relu_normal, std: 1.0, zero_fraction: 0.5}
  weights:
    bits: 8
    signed: true
    distribution: {kind: normal, std: 0.5}
)";

}  // namespace cimmc::wltest

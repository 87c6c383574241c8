// Checking ConfigError messages, shared by the config and sweep tests.
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"

namespace cimmc::test {

// The ConfigError message of running `parse`, or "" when it throws none.
template <class Parse>
std::string config_error(Parse&& parse) {
  try {
    parse();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// A valid workload section (8 lines). Tests put the section under test in
// front of it, so that section's line numbers count from 1.
inline const std::string kValidWorkload = R"(workload:
  inputs:
    bits: 8
    distribution: {kind: relu_normal, std: 1.0, zero_fraction: 0.5}
  weights:
    bits: 8
    signed: true
    distribution: {kind: normal, std: 0.5}
)";

// `s` with the first occurrence of `from` replaced by `to` (a test failure
// when `from` is missing): a valid config made invalid at one key.
inline std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? s : s.replace(at, from.size(), to);
}

// parse_config's ConfigError message for `yaml` read as `file` ("" when valid).
inline std::string parse_error(const std::string& yaml, const std::string& file) {
  return config_error([&] { parse_config(yaml, file); });
}

// `msg` is exactly "FILE:LINE: KEY: value 'VALUE': " followed by a rule that
// contains `rule`, on one line.
inline ::testing::AssertionResult is_config_error(const std::string& msg, const std::string& file, int line,
                                                  const std::string& key, const std::string& value,
                                                  const std::string& rule) {
  const std::string head = file + ":" + std::to_string(line) + ": " + key + ": value '" + value + "': ";
  if (msg.rfind(head, 0) != 0 || msg.find(rule, head.size()) == std::string::npos ||
      msg.find('\n') != std::string::npos)
    return ::testing::AssertionFailure() << "got:      " << msg << "\nexpected: " << head << "..." << rule << "...";
  return ::testing::AssertionSuccess();
}

}  // namespace cimmc::test

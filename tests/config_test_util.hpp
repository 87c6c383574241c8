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

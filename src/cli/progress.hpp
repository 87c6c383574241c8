// A progress line with ETA on stderr, shown only once a run has taken more
// than a second, refreshed at most five times a second.
#pragma once
#include <chrono>
#include <mutex>
#include <string>

namespace cimmc {

class ProgressLine {
 public:
  explicit ProgressLine(std::string label);
  void update(double fraction);  // thread-safe
  void finish();                 // ends the line if one was drawn
 private:
  std::string label_;
  std::chrono::steady_clock::time_point start_, last_;
  bool drawn_ = false;
  std::mutex mu_;
};

}  // namespace cimmc

// Progress of a long run on stderr, shown only once the run has taken more
// than a second. On a terminal: one line redrawn in place (\r) at most five
// times a second. Otherwise (a log file, a pipe): a plain line at every tenth
// of the run and at least every 30 s, so logs get a few lines, not thousands
// of carriage returns. The line is ended before anything else is printed:
// finish() or the destructor, which runs before main() reports an error.
#pragma once
#include <chrono>
#include <mutex>
#include <string>

namespace cimmc {

class ProgressLine {
 public:
  explicit ProgressLine(std::string label);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  void update(double fraction);  // thread-safe
  void finish();                 // ends the line if one was drawn
 private:
  std::string label_;
  std::chrono::steady_clock::time_point start_, last_;
  bool tty_;
  bool drawn_ = false;           // a terminal line is open
  int tenths_ = 0;               // plain lines: the last tenth reported
  std::mutex mu_;
};

}  // namespace cimmc

#include "cli/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace cimmc {

ProgressLine::ProgressLine(std::string label)
    : label_(std::move(label)), start_(std::chrono::steady_clock::now()), last_(start_),
      tty_(::isatty(STDERR_FILENO) == 1) {}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::update(double fraction) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (elapsed < 1.0) return;
  const double eta = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
  if (tty_) {
    if (since < 0.2) return;
    std::fprintf(stderr, "\r%s %5.1f%% | %.1f s elapsed | ETA %.1f s   ", label_.c_str(), 100.0 * fraction, elapsed,
                 eta);
    drawn_ = true;
  } else {
    const int tenths = static_cast<int>(fraction * 10.0);
    if (tenths <= tenths_ && since < 30.0) return;
    tenths_ = tenths;
    std::fprintf(stderr, "%s %5.1f%% | %.1f s elapsed | ETA %.1f s\n", label_.c_str(), 100.0 * fraction, elapsed, eta);
  }
  last_ = now;
  std::fflush(stderr);
}

void ProgressLine::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace cimmc

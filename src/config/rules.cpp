#include "config/rules.hpp"

#include <charconv>
#include <cmath>

#include "config/config.hpp"

namespace cimmc::config_detail {

bool in_range(const IntRule& r, IntValue v) {
  if (v.negative) {
    if (r.lo >= 0) return false;
    // -(lo + 1) + 1 avoids negating INT64_MIN.
    return v.magnitude <= static_cast<std::uint64_t>(-(r.lo + 1)) + 1;
  }
  if (r.lo > 0 && v.magnitude < static_cast<std::uint64_t>(r.lo)) return false;
  return v.magnitude <= r.hi;
}

bool in_range(const NumRule& r, double v) {
  if (!std::isfinite(v)) return false;
  if (r.zero_too && v == 0) return true;
  if (r.lo_open ? !(v > r.lo) : !(v >= r.lo)) return false;
  if (r.hi_open ? !(v < r.hi) : !(v <= r.hi)) return false;
  return true;
}

std::string rule_text(const IntRule& r, bool too_large) {
  // Limits that only exist because of the C++ type are not worth showing
  // unless the value actually hit them.
  const bool type_limit = r.hi == kIntMax || r.hi == std::numeric_limits<std::uint64_t>::max();
  if (type_limit && !too_large) return "must be an integer >= " + std::to_string(r.lo);
  return "must be an integer in [" + std::to_string(r.lo) + ", " + std::to_string(r.hi) + "]";
}

std::string rule_text(const NumRule& r) {
  if (r.zero_too) {
    NumRule interval = r;
    interval.zero_too = false;
    return "must be 0 or a " + rule_text(interval).substr(std::string("must be a ").size());
  }
  const bool has_lo = std::isfinite(r.lo), has_hi = std::isfinite(r.hi);
  if (!has_lo && !has_hi) return "must be a number";
  if (has_lo && !has_hi) return std::string("must be a number ") + (r.lo_open ? "> " : ">= ") + number_text(r.lo);
  if (!has_lo) return std::string("must be a number ") + (r.hi_open ? "< " : "<= ") + number_text(r.hi);
  return std::string("must be a number in ") + (r.lo_open ? "(" : "[") + number_text(r.lo) + ", " +
         number_text(r.hi) + (r.hi_open ? ")" : "]");
}

std::optional<std::size_t> first_bad_bin(const std::vector<double>& bins) {
  for (std::size_t i = 0; i < bins.size(); ++i)
    if (!in_range(rule::kHistogramBin, bins[i])) return i;
  return std::nullopt;
}

std::optional<std::string> bins_shape_problem(const std::vector<double>& bins) {
  // 2^N - 1 with N >= 2: n + 1 is a power of two and n >= 3.
  const std::size_t n = bins.size();
  if (n < 3 || ((n + 1) & n) != 0)
    return "must be a list of 2^N-1 bins with N >= 2 (3, 7, 15, 31, 63, ...), got " +
           std::to_string(n);
  double sum = 0;
  for (double b : bins) sum += b;
  if (!(sum > 0)) return "bins must have a positive sum";
  return std::nullopt;
}

int line_of(const LineTable* lines, const std::string& path) {
  if (!lines) return 0;
  std::string p = path;
  while (true) {
    if (auto it = lines->find(p); it != lines->end()) return it->second;
    if (p.empty()) return 1;
    // Drop the last ".key" or "[i]".
    const auto cut = p.find_last_of(".[");
    p = cut == std::string::npos ? std::string() : p.substr(0, cut);
  }
}

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

namespace {
// Messages are one line: show newlines as spaces and cut long values.
std::string one_line(const std::string& s) {
  std::string out;
  for (char c : s) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  constexpr std::size_t kMax = 80;
  if (out.size() > kMax) out = out.substr(0, kMax) + "...";
  return out;
}
}  // namespace

std::string format_error(const std::string& file, int line, const std::string& key,
                         const std::string& value, const std::string& rule) {
  // Appended piece by piece: chained operator+ here trips a false -Wrestrict in g++ 12 -O3.
  std::string msg = file;
  if (line > 0) {
    msg += ':';
    msg += std::to_string(line);
  }
  msg += ": ";
  msg += key.empty() ? std::string("<document>") : key;
  msg += ": value '";
  msg += one_line(value);
  msg += "': ";
  msg += rule;
  return msg;
}

void fail(const std::string& file, int line, const std::string& key, const std::string& value,
          const std::string& rule) {
  throw ConfigError(format_error(file, line, key, value, rule));
}

std::string number_text(double v) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

}  // namespace cimmc::config_detail

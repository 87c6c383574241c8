// Internal to src/config: the value rules shared by the YAML reader (which
// checks them with the exact text and line the user wrote) and validate()
// (which re-checks the struct after CLI overrides). Each range is written once,
// here, so both report the same rule text.
#pragma once
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cimmc::config_detail {

// Integer in [lo, hi]. hi is unsigned so seeds can use the whole uint64 range.
struct IntRule {
  std::int64_t lo;
  std::uint64_t hi;
};

// A YAML integer as sign + magnitude: holds every int64 and uint64 value.
struct IntValue {
  bool negative = false;
  std::uint64_t magnitude = 0;
};

// Finite number in the interval lo..hi; the flags make an end open. Infinite
// ends mean unbounded.
struct NumRule {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool hi_open = false;
};

bool in_range(const IntRule& r, IntValue v);
bool in_range(const NumRule& r, double v);
// "must be an integer in [1, 16]"; too_large: the value broke the upper limit.
std::string rule_text(const IntRule& r, bool too_large = false);
std::string rule_text(const NumRule& r);  // "must be a number > 0"

constexpr std::uint64_t kU32Max = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kIntMax = std::numeric_limits<int>::max();

namespace rule {
// run: sample indices must fit the 32-bit Philox counter word.
inline constexpr IntRule kSamples{1, kU32Max};
inline constexpr IntRule kSeed{0, std::numeric_limits<std::uint64_t>::max()};
inline constexpr IntRule kPositiveInt{1, kIntMax};
inline constexpr IntRule kNonNegativeInt{0, kIntMax};
// macro geometry
inline constexpr IntRule kArrayDim{1, 65536};
inline constexpr IntRule kArrayDimOrZero{0, 65536};  // 0 = "all"; the upper bound is cross-checked
inline constexpr IntRule kBitsPerCell{1, 4};
inline constexpr IntRule kDacBits{1, 8};
inline constexpr IntRule kAdcBits{1, 16};
inline constexpr IntRule kOperandBits{1, 16};  // signed operands need 2: a cross-field rule
// workload layers: every dimension, batch, groups, stride and repeat. 2^24
// keeps products of a few of them exact in int64; the lowered GEMM's size is a
// cross-field rule (at most 2^62 MACs).
inline constexpr IntRule kLayerDim{1, 16777216};
// distribution kind patches: the kernel side (odd is a cross-field rule)
inline constexpr IntRule kPatchKernel{1, 7};
// numbers
inline constexpr NumRule kAny{};
inline constexpr NumRule kPositive{0.0, std::numeric_limits<double>::infinity(), true, false};
inline constexpr NumRule kNonNegative{0.0, std::numeric_limits<double>::infinity(), false, false};
inline constexpr NumRule kProbability{0.0, 1.0, false, false};
inline constexpr NumRule kQuantile{0.0, 1.0, true, false};
// Gaussian-copula equicorrelation: rho = 1 would make every row one draw.
inline constexpr NumRule kCorrelation{0.0, 1.0, false, true};
}  // namespace rule

// Histogram bins (CiMLoop layout): 2^N-1 entries, N >= 2, all >= 0, sum > 0.
// Returns the index of the first negative bin, if any.
std::optional<std::size_t> first_negative_bin(const std::vector<double>& bins);
// The rule the list as a whole breaks (length or sum), if any.
std::optional<std::string> bins_shape_problem(const std::vector<double>& bins);

// Key path -> 1-based line of the key (mappings too). "" is the document.
using LineTable = std::map<std::string, int>;
// Line of `path`, else of its nearest recorded parent; 0 when there is no table.
int line_of(const LineTable* lines, const std::string& path);
// "a.b.c" + "d" -> "a.b.c.d"; "" + "d" -> "d".
std::string join_path(const std::string& parent, const std::string& key);

// The one message format. line <= 0 omits the line.
std::string format_error(const std::string& file, int line, const std::string& key,
                         const std::string& value, const std::string& rule);
[[noreturn]] void fail(const std::string& file, int line, const std::string& key,
                       const std::string& value, const std::string& rule);

// Shortest text that reads back as the same double ("0.1", "1e-09").
std::string number_text(double v);

}  // namespace cimmc::config_detail

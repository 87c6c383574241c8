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
// ends mean unbounded. zero_too: 0 is allowed besides the interval (the
// "0 = unlimited" convention of bandwidths).
struct NumRule {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool hi_open = false;
  bool zero_too = false;
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
// numbers without a physical scale (keys with a unit take a physical range below)
inline constexpr NumRule kAny{};
inline constexpr NumRule kPositive{0.0, std::numeric_limits<double>::infinity(), true, false};
inline constexpr NumRule kNonNegative{0.0, std::numeric_limits<double>::infinity(), false, false};
inline constexpr NumRule kProbability{0.0, 1.0, false, false};
inline constexpr NumRule kQuantile{0.0, 1.0, true, false};
// Gaussian-copula equicorrelation: rho = 1 would make every row one draw.
inline constexpr NumRule kCorrelation{0.0, 1.0, false, true};

// ---- Physical ranges. Every number a config sets is bounded by what a device
// or circuit can be, with the reason next to the bound (docs/config.md repeats
// them). Beyond validity they keep every product the models form (energies x
// event counts, variances, latencies x powers) finite in double and the
// kernels' conductances and their squares finite in float.

// Conductances [µS]: 1 pS (a 1 TOhm cell, below any readable memory device)
// to 1 S (a 1 Ohm cell is a wire, not a memory). g_off may be 0 (an ideal off
// state); its ratio to g_on is a cross-field rule (kMinOnOffRatio).
inline constexpr NumRule kConductanceUs{1e-6, 1e6};
inline constexpr NumRule kOffConductanceUs{0.0, 1e6};
// g_on / g_off >= 1.01: a smaller on/off ratio leaves under 1% of the current
// between the end levels (STT-MRAM, the lowest of real cells, has about 2-3).
// It also bounds the g_off term of a column, g_off / g_lsb, to 1500 levels.
inline constexpr double kMinOnOffRatio = 1.01;
// Relative sigmas (programming variation, read noise): measured ReRAM/PCM/
// FeFET cells lie within 0.01-0.5; a standard deviation above 10 times the
// conductance describes no device.
inline constexpr NumRule kRelSigma{0.0, 10.0};
// Absolute sigmas [µS]: the same 10 x, of the top conductance g_on_us (a
// cross-field rule, kMaxSigmaOverGOn); here 10 x the largest g_on.
inline constexpr double kMaxSigmaOverGOn = 10.0;
inline constexpr NumRule kAbsSigmaUs{0.0, 1e7};
// Wire resistance per cell pitch [Ohm]: copper lines at the pitches of real
// arrays measure 0.1-10 Ohm; 1 kOhm is a resistor, not a wire.
inline constexpr NumRule kWireOhm{0.0, 1e3};
// The first-order IR-drop model's limit: wire_ohm x g_on x (rows^2 + cols^2) / 2,
// the largest relative drop of a fully driven array, at most 0.1.
inline constexpr double kMaxIrDrop = 0.1;
// Drift read time [s]: 0 (no drift) or 1 ms (a read right after a write) to
// 3.2e9 s (about 100 years, past any retention spec); at least t0 is a
// cross-field rule. t0 [s]: the same span (aihwkit uses 20 s).
inline constexpr NumRule kDriftSeconds{1e-3, 3.2e9, false, false, true};
inline constexpr NumRule kDriftT0Seconds{1e-3, 3.2e9};
// Drift exponent nu (nu: constant) and its sigma: measured PCM nu lie within
// 0.005-0.1 (aihwkit's fit clamps at 0.1); 1 halves the conductance every
// doubling of time, past any memory device.
inline constexpr NumRule kDriftNu{0.0, 1.0};
// ADC input-referred noise [LSB]: noise wider than the 2^16 codes of the
// largest ADC allowed is not a converter.
inline constexpr NumRule kAdcNoiseLsb{0.0, 65536.0};
// ADC top-code column value [cell level x DAC level]: the largest column value
// is 65536 rows x 255 DAC levels x (15 + 1500 levels of g_off) < 2.6e10; 1e12
// is past it, and below 1e-6 every conversion clips.
inline constexpr NumRule kAdcMax{1e-6, 1e12};
// ADCs per macro: 0 (one per column) up to the largest macro.cols.
inline constexpr IntRule kAdcCount{0, 65536};
// Times [ns]: 1 ps (faster than any ADC conversion, read pulse or clock edge
// in CMOS) to 1 ms (a millisecond per conversion or read is no accelerator).
inline constexpr NumRule kTimeNs{1e-3, 1e6};
inline constexpr NumRule kTimeOrZeroNs{0.0, 1e6};  // settle times: 0 = none
// Digital clock [GHz]: 100 kHz (the slowest sensor-node logic) to 100 GHz
// (beyond any CMOS clock).
inline constexpr NumRule kClockGhz{1e-4, 100.0};
// Voltages [V]: up to 100 V (no on-chip supply or read pulse is higher). The
// supply is at least 10 mV (below the 26 mV thermal voltage no logic
// switches); a read voltage at least 1 mV (under it the bitline signal is
// below its thermal noise).
inline constexpr NumRule kSupplyV{0.01, 100.0};
inline constexpr NumRule kReadVoltageV{1e-3, 100.0};
// Energies [pJ]: per event, per bit or per event-value coefficient, 0 up to
// 1 uJ (1e6 pJ; a DRAM bit costs ~4 pJ, an ADC conversion ~1 pJ).
inline constexpr NumRule kEnergyPj{0.0, 1e6};
// Macro leakage [µW]: 0 up to 1 W per macro.
inline constexpr NumRule kLeakageUw{0.0, 1e6};
// Buffer bandwidth [bits per clock cycle]: 0 = unlimited (the existing
// convention), else 1e-3 (one bit per thousand cycles) up to 1e12.
inline constexpr NumRule kBitsPerCycle{1e-3, 1e12, false, false, true};
// DRAM bandwidth [Gbit/s]: 1 Mbit/s up to 1e9 Gbit/s (HBM3 stacks give ~1e4).
inline constexpr NumRule kDramGbps{1e-3, 1e9};
// Macros per system: up to 2^24 (16.7 million macros of even 64 x 64 cells
// are 7e10 cells, more than any CiM system).
inline constexpr IntRule kMacros{1, 16777216};
inline constexpr IntRule kSearchBudget{1, 1000000000};
// mapping.mip_seconds: CPU seconds per layer for the MIP mapper; 0 = no limit,
// at most a day (a layer that needs more is better mapped by sampling).
inline constexpr NumRule kMipSeconds{0, 86400};
// architecture.hierarchy: fan-out and mesh sizes per axis, bounded like the
// macros they multiply to; capacities in bits up to 2^62 (an exabit: any DRAM).
inline constexpr IntRule kFanout{1, 16777216};
inline constexpr IntRule kCapacityBits{1, 4611686018427387904ULL};
// A pe_array level's cycles per operation of its MAC units: 1e-3 (a thousand
// operations per cycle, beyond any array) up to 1e9 (a second at 1 GHz).
inline constexpr NumRule kCyclesPerOp{1e-3, 1e9};
// Operand distributions, in whatever unit the data has (the quantizer sees
// only ratios): locations within +-1e15, scales (std, b, clip) in
// [1e-15, 1e15]. Wider would let ratios and their squares leave double range.
inline constexpr NumRule kOperandValue{-1e15, 1e15};
inline constexpr NumRule kOperandScale{1e-15, 1e15};
// Histogram bins: weights >= 0 (they need not sum to 1), at most 1e15 each.
inline constexpr NumRule kHistogramBin{0.0, 1e15};
}  // namespace rule

// Histogram bins (CiMLoop layout): 2^N-1 entries, N >= 2, each in
// rule::kHistogramBin, sum > 0. Returns the index of the first bin out of range, if any.
std::optional<std::size_t> first_bad_bin(const std::vector<double>& bins);
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

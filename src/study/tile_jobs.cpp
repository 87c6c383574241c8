#include "study/tile_jobs.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstdio>

namespace cimmc {

Config tile_config(const Config& point, const LayerSpec* layer, int rows_used, int cols_used) {
  Config c = point;
  c.network = NetworkSpec{};
  c.tile.rows_used = rows_used;
  c.tile.cols_used = cols_used;
  if (layer) {
    c.tile.inputs = layer->inputs;
    c.tile.weights = layer->weights;
  }
  return c;
}

namespace {

// Keys are appended to one string: a study builds one per tile-job reference
// (a long one for histogram operands), and ostringstream plus snprintf for
// every field was most of a plan's time. The text is unchanged, since the job
// id that keys the random streams is a hash of it.

// Doubles in hex float: exact, so keys never merge values that differ. Zeros
// and normal numbers are written here as glibc's "%a" writes them (0x1.<hex
// fraction, trailing zeros dropped>p<signed decimal exponent>); subnormals,
// infinities and NaNs are left to snprintf.
void put(std::string& o, double x) {
  const auto bits = std::bit_cast<std::uint64_t>(x);
  const int biased = static_cast<int>(bits >> 52 & 0x7ff);
  const std::uint64_t frac_mask = (std::uint64_t{1} << 52) - 1;
  std::uint64_t frac = bits & frac_mask;
  char buf[40];
  if (biased == 0x7ff || (biased == 0 && frac != 0)) {
    const int n = std::snprintf(buf, sizeof buf, "%a,", x);
    o.append(buf, static_cast<std::size_t>(n));
    return;
  }
  char* p = buf;
  if (bits >> 63) *p++ = '-';
  *p++ = '0';
  *p++ = 'x';
  *p++ = biased ? '1' : '0';
  if (frac) {
    *p++ = '.';
    for (; frac; frac = (frac << 4) & frac_mask) *p++ = "0123456789abcdef"[frac >> 48];
  }
  const int e = biased ? biased - 1023 : 0;
  *p++ = 'p';
  *p++ = e < 0 ? '-' : '+';
  p = std::to_chars(p, buf + sizeof buf, e < 0 ? -e : e).ptr;
  *p++ = ',';
  o.append(buf, p);
}
// Integers as ostream << writes them (decimal, no grouping).
template <class Int>
void put_int(std::string& o, Int x) {
  char buf[24];
  o.append(buf, std::to_chars(buf, buf + sizeof buf, x).ptr);
}
void put(std::string& o, long long x) {
  put_int(o, x);
  o += ',';
}

void put_operand(std::string& o, const OperandSpec& op) {
  const DistributionSpec& d = op.dist;
  put(o, static_cast<long long>(op.bits));
  put(o, static_cast<long long>(op.is_signed));
  put(o, static_cast<long long>(d.kind));
  for (double x : {d.mean, d.std, d.b, d.low, d.high, d.value, d.zero_fraction}) put(o, x);
  put(o, d.clip ? *d.clip : -1.0);
  if (d.correlation != 0) { o += "rho:"; put(o, d.correlation); }  // absent at 0: old keys and job ids stay
  if (d.kind == DistKind::patches) {  // absent for other kinds, like rho
    o += "patches:";
    put_int(o, d.file.size());
    o += ':';
    o += d.file;
    o += ',';
    put(o, static_cast<long long>(d.kernel));
    put(o, static_cast<long long>(d.images));
  }
  o += '[';
  for (double x : d.bins) put(o, x);
  o += ']';
}

}  // namespace

std::string job_key(const Config& c) {
  const MacroSpec& m = c.macro;
  const int K = c.tile.rows_used > 0 ? c.tile.rows_used : m.rows;
  const int R = m.rows_active > 0 ? std::min(m.rows_active, K) : K;
  std::string o;
  // About 30 characters a field: one allocation for most keys.
  o.reserve(1024 + 30 * (c.tile.inputs.dist.bins.size() + c.tile.weights.dist.bins.size()));
  o += "v1|";
  for (long long x : {static_cast<long long>(K), static_cast<long long>(c.tile.cols_used),
                      static_cast<long long>(R), static_cast<long long>(m.bits_per_cell),
                      static_cast<long long>(m.weight_encoding), static_cast<long long>(m.dac_bits),
                      static_cast<long long>(m.input_encoding), static_cast<long long>(m.adc.bits),
                      static_cast<long long>(m.adc.range)})
    put(o, x);
  for (double x : {m.g_on_us, m.g_off_us, m.noise.prog_sigma_us, m.noise.prog_sigma_rel, m.noise.read_sigma_us,
                   m.noise.read_sigma_rel, m.noise.stuck_off, m.noise.stuck_on, m.adc.max_value, m.adc.quantile,
                   m.adc.noise_lsb})
    put(o, x);
  o += "|x:";
  put_operand(o, c.tile.inputs);
  o += "|w:";
  put_operand(o, c.tile.weights);
  o += "|run:";
  for (unsigned long long x : {static_cast<unsigned long long>(c.run.samples), static_cast<unsigned long long>(c.run.seed),
                               static_cast<unsigned long long>(c.run.inputs_per_instance),
                               static_cast<unsigned long long>(c.run.pilot_samples)}) {
    put_int(o, x);
    o += ',';
  }
  return o;
}

std::uint32_t job_id_of(const std::string& key) {
  std::uint32_t h = 2166136261u;
  for (unsigned char ch : key) {
    h ^= ch;
    h *= 16777619u;
  }
  return h;
}

}  // namespace cimmc

#include "study/tile_jobs.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <unordered_map>

#include <xxhash.h>

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
// every field was most of a plan's time. The text must not change: the job id
// that keys the random streams is a hash of it.

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
  // Analog keys stay as they were (job ids, and so random streams, unchanged).
  if (m.kind == MacroKind::digital) o += "|digital";
  // Appended only when set, so the keys (and random streams) of jobs without them stay as they were.
  if (m.adc.per_slice || m.adc.round_pow2 || m.adc.per_cycle)
    o += std::string("|adc:") + (m.adc.per_slice ? "s" : "") + (m.adc.round_pow2 ? "p" : "") +
         (m.adc.per_cycle ? "c" : "");
  if (m.input_scaling != InputScaling::none) o += std::string("|xs:") + to_string(m.input_scaling);
  // Cell groups change which evaluations share a multiplier (digital toggles).
  if (m.cell_group > 1) {
    o += "|cg:";
    put(o, static_cast<long long>(m.cell_group));
  }
  if (m.adder_tree == AdderTree::per_weight) o += "|tree:w";  // other toggles, same values
  if (m.cycle_bits == CycleBits::leaves) o += "|cyc:l";
  if (m.cycle_bits == CycleBits::booth) o += "|cyc:b";
  if (m.kind == MacroKind::digital && m.group_order == GroupOrder::cycles_inside) o += "|go:c";  // other toggles
  if (m.kind == MacroKind::analog && m.slice_combine == SliceCombine::charge) o += "|sc:c";  // other conversions
  if (m.wire_ohm > 0) {
    o += "|ir:";
    put(o, m.wire_ohm);
  }
  const DriftSpec& d = m.noise.drift;
  if (m.noise.prog_model != ProgNoiseModel::constant || d.on()) {
    o += "|dev:";
    put(o, static_cast<long long>(m.noise.prog_model));
    if (d.on()) {
      for (double x : {d.t_seconds, d.t0_seconds, d.nu_mean, d.nu_sigma}) put(o, x);
      put(o, static_cast<long long>(d.nu_model));
      put(o, static_cast<long long>(d.compensation));
    }
  }
  o += "|x:";
  put_operand(o, c.tile.inputs);
  o += "|w:";
  put_operand(o, c.tile.weights);
  o += "|run:";
  for (unsigned long long x : {static_cast<unsigned long long>(c.run.samples), static_cast<unsigned long long>(c.run.seed),
                               static_cast<unsigned long long>(c.run.inputs_per_instance),
                               static_cast<unsigned long long>(c.run.pilot())}) {
    put_int(o, x);
    o += ',';
  }
  return o;
}

double job_cell_reads(const Config& c, std::uint64_t samples, bool with_pilot) {
  const MacroSpec& m = c.macro;
  const double per_sample = static_cast<double>(c.tile.rows_used) * c.tile.cols_used *
                            phys_cols_per_weight(m, c.tile.weights) * input_cycles(m, c.tile.inputs);
  const std::uint64_t pilot = std::min(c.run.pilot_samples, samples);  // RunSpec::pilot() for this many samples
  const bool calibrated = with_pilot && m.adc.range == AdcRange::calibrated;
  return per_sample * (static_cast<double>(samples) + (calibrated ? static_cast<double>(pilot) : 0.0));
}

JobId job_id_of(const std::string& key) {
  const XXH128_hash_t h = XXH3_128bits(key.data(), key.size());
  return JobId{h.low64, h.high64};
}

std::string to_hex(const JobId& id) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(id.hi),
                static_cast<unsigned long long>(id.lo));
  return buf;
}

void check_unique_ids(const std::vector<std::string>& keys, const std::vector<JobId>& ids,
                      const std::vector<std::uint64_t>& seeds) {
  struct Hash {
    std::size_t operator()(const JobId& i) const { return i.lo ^ (i.hi * 0x9E3779B97F4A7C15ull); }
    std::size_t operator()(const StreamKey& k) const {
      return (static_cast<std::size_t>(k.k1) << 32 | k.k0) ^ (static_cast<std::size_t>(k.c3) * 0x9E3779B97F4A7C15ull);
    }
  };
  std::unordered_map<JobId, std::size_t, Hash> by_id;
  std::unordered_map<StreamKey, std::size_t, Hash> by_stream;
  by_id.reserve(ids.size());
  by_stream.reserve(ids.size());
  auto clash = [&](const char* what, std::size_t a, std::size_t b) {
    throw std::logic_error(std::string("two different tile jobs share ") + what + " " + to_hex(ids[a]) +
                           " (they would draw the same random numbers):\n  " + keys[a] + "\n  " + keys[b]);
  };
  for (std::size_t j = 0; j < ids.size(); ++j) {
    const auto [it, fresh] = by_id.emplace(ids[j], j);
    if (!fresh && keys[it->second] != keys[j]) clash("the job id", it->second, j);
    if (!fresh) continue;  // the same job listed twice: one stream, as it should be
    const auto [st, sfresh] = by_stream.emplace(philox::stream_key(seeds[j], ids[j]), j);
    if (!sfresh) clash("the random-stream key of job id", st->second, j);
  }
}

}  // namespace cimmc

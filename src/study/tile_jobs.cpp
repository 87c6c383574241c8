#include "study/tile_jobs.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

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

// Doubles in hex float: exact, so keys never merge values that differ.
void put(std::ostringstream& o, double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%a,", x);
  o << buf;
}
void put(std::ostringstream& o, long long x) { o << x << ','; }

void put_operand(std::ostringstream& o, const OperandSpec& op) {
  const DistributionSpec& d = op.dist;
  put(o, static_cast<long long>(op.bits));
  put(o, static_cast<long long>(op.is_signed));
  put(o, static_cast<long long>(d.kind));
  for (double x : {d.mean, d.std, d.b, d.low, d.high, d.value, d.zero_fraction}) put(o, x);
  put(o, d.clip ? *d.clip : -1.0);
  if (d.correlation != 0) { o << "rho:"; put(o, d.correlation); }  // absent at 0: old keys and job ids stay
  if (d.kind == DistKind::patches)  // absent for other kinds, like rho
    o << "patches:" << d.file.size() << ':' << d.file << ',' << d.kernel << ',' << d.images << ',';
  o << '[';
  for (double x : d.bins) put(o, x);
  o << ']';
}

}  // namespace

std::string job_key(const Config& c) {
  const MacroSpec& m = c.macro;
  const int K = c.tile.rows_used > 0 ? c.tile.rows_used : m.rows;
  const int R = m.rows_active > 0 ? std::min(m.rows_active, K) : K;
  std::ostringstream o;
  o << "v1|";
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
  o << "|x:";
  put_operand(o, c.tile.inputs);
  o << "|w:";
  put_operand(o, c.tile.weights);
  o << "|run:";
  for (unsigned long long x : {static_cast<unsigned long long>(c.run.samples), static_cast<unsigned long long>(c.run.seed),
                               static_cast<unsigned long long>(c.run.inputs_per_instance),
                               static_cast<unsigned long long>(c.run.pilot_samples)})
    o << x << ',';
  return o.str();
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

// Mapping enumeration and per-mapping action counts / latency; the model is
// described in mapping.hpp.
#include "mapping/mapping.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "arch/timing.hpp"

namespace cimmc {
namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

int ceil_log2(std::int64_t k) {
  int b = 0;
  while ((std::int64_t{1} << b) < k) ++b;
  return b;
}

// What a layer's mappings share: the tiling of one copy of the weights and
// its placement on the macros. Duplication and loop order vary on top of it.
struct Tiling {
  std::int64_t M = 0, K = 0, N = 0, G = 0;
  int rows = 0, rows_active = 0, ppw = 0, adc_ppw = 0, wpm = 0, cycles = 0;  // adc_ppw: conversions per weight
  std::int64_t k_tiles = 0, n_tiles = 0, total = 0;
  int k_ragged = 0, n_ragged = 0;  // size of the ragged last tile, 0 when K (N) divides evenly
  int rows_max = 0, cols_max = 0;  // the largest tile (sets the MVM time and packing)
  int tiles_per_macro = 1;
  std::int64_t macros_per_copy = 0, placed_per_macro = 1, rounds = 1;
  int x_bits = 0, w_bits = 0, out_bits = 0;
  std::vector<TileUse> tiles;

  int rows_of(std::int64_t k) const { return (k == k_tiles - 1 && k_ragged) ? k_ragged : rows; }
  int cols_of(std::int64_t n) const { return (n == n_tiles - 1 && n_ragged) ? n_ragged : wpm; }
  int row_groups(int rows_used) const { return static_cast<int>(ceil_div(rows_used, rows_active)); }
  // Round of tile (g, n, k) under the balanced fill (see mapping.hpp "Placement").
  std::int64_t round_of(std::int64_t g, std::int64_t n, std::int64_t k, int macros) const {
    const std::int64_t t = (g * n_tiles + n) * k_tiles + k;
    return t / placed_per_macro / macros;
  }
};

void check_positive(std::int64_t v, const char* what) {
  if (v < 1) throw std::invalid_argument(std::string(what) + " must be positive, got " + std::to_string(v));
}

Tiling make_tiling(const LayerSpec& layer, const Gemm& g, const MacroSpec& macro, const ArchSpec& arch) {
  Tiling t;
  t.M = g.M;
  t.K = g.K;
  t.N = g.N;
  t.G = g.groups;
  t.rows = macro.rows;
  t.rows_active = macro.rows_active > 0 ? std::min(macro.rows_active, macro.rows) : macro.rows;
  t.ppw = phys_cols_per_weight(macro, layer.weights);
  t.adc_ppw = adc_cols_per_weight(macro, layer.weights);
  t.wpm = macro.cols / t.ppw;
  t.cycles = input_cycles(macro, layer.inputs);
  t.x_bits = layer.inputs.bits;
  t.w_bits = layer.weights.bits;
  t.out_bits = t.x_bits + t.w_bits + ceil_log2(t.K);
  if (t.wpm < 1) return t;  // pruned by the caller

  t.k_tiles = ceil_div(t.K, t.rows);
  t.n_tiles = ceil_div(t.N, t.wpm);
  t.total = t.k_tiles * t.n_tiles * t.G;
  t.k_ragged = static_cast<int>(t.K % t.rows);
  t.n_ragged = static_cast<int>(t.N % t.wpm);
  t.rows_max = static_cast<int>(std::min<std::int64_t>(t.K, t.rows));
  t.cols_max = static_cast<int>(std::min<std::int64_t>(t.N, t.wpm));

  // At most four shapes: full, ragged K, ragged N, both ragged.
  const std::int64_t kf = t.K / t.rows, nf = t.N / t.wpm;
  auto add = [&](int r, int c, std::int64_t count) {
    if (r > 0 && c > 0 && count > 0) t.tiles.push_back({r, c, count, count * t.M});
  };
  add(t.rows, t.wpm, kf * nf * t.G);
  add(t.k_ragged, t.wpm, nf * t.G);
  add(t.rows, t.n_ragged, kf * t.G);
  add(t.k_ragged, t.n_ragged, t.G);

  t.tiles_per_macro = std::max(1, std::min(t.rows / t.rows_max, t.wpm / t.cols_max));
  t.macros_per_copy = ceil_div(t.total, t.tiles_per_macro);
  // ceil(total / ceil(total / tpm)) <= tpm, and it still needs exactly macros_per_copy macros.
  t.placed_per_macro = ceil_div(t.total, t.macros_per_copy);
  t.rounds = ceil_div(t.macros_per_copy, arch.macros);
  return t;
}

// Input elements fetched from the global buffer per input vector.
double input_fetch_elems(const Tiling& t, LoopOrder order, int macros) {
  if (order == LoopOrder::output_reuse) return static_cast<double>(t.K * t.G * t.n_tiles);
  if (t.rounds == 1) return static_cast<double>(t.K * t.G);
  // A slice (g, k) is broadcast only within a round: fetched once per round
  // that holds one of its n tiles. Along n its tiles are k_tiles apart in
  // placement order, so its rounds floor((base + n k_tiles) / per_round) are
  // nondecreasing: with k_tiles < per_round they step by 0 or 1 and every
  // round between the first and the last is one, otherwise each n is a round
  // of its own. O(G k_tiles), not O(G k_tiles n_tiles): a 2^24 x 2^24 layer
  // took minutes to plan.
  const std::int64_t per_round = t.placed_per_macro * macros;
  double elems = 0;
  for (std::int64_t g = 0; g < t.G; ++g)
    for (std::int64_t k = 0; k < t.k_tiles; ++k) {
      const std::int64_t rounds = t.k_tiles >= per_round
                                      ? t.n_tiles
                                      : t.round_of(g, t.n_tiles - 1, k, macros) - t.round_of(g, 0, k, macros) + 1;
      elems += static_cast<double>(rounds) * t.rows_of(k);
    }
  return elems;
}

// Partial-sum elements (per input vector) spilled to the output buffer under
// output_reuse: once per round boundary inside an n tile's run of k tiles.
double output_spill_elems(const Tiling& t, int macros) {
  if (t.rounds == 1) return 0.0;
  double elems = 0;
  for (std::int64_t g = 0; g < t.G; ++g)
    for (std::int64_t n = 0; n < t.n_tiles; ++n) {
      const std::int64_t crossings = t.round_of(g, n, t.k_tiles - 1, macros) - t.round_of(g, n, 0, macros);
      elems += static_cast<double>(crossings) * t.cols_of(n);
    }
  return elems;
}

// The layer's real input and output tensors in DRAM (bits).
double dram_tensor_bits(const LayerSpec& layer, const Tiling& t) {
  double in_bits = 0, out_bits = 0;
  if (layer.kind == LayerKind::conv2d) {
    const double h = static_cast<double>(layer.P - 1) * layer.stride_h + layer.R;
    const double w = static_cast<double>(layer.Q - 1) * layer.stride_w + layer.S;
    in_bits = static_cast<double>(layer.batch) * layer.C * h * w * t.x_bits;
    out_bits = static_cast<double>(layer.batch) * layer.M * layer.P * layer.Q * t.out_bits;
  } else {
    in_bits = static_cast<double>(t.M) * t.K * t.G * t.x_bits;
    out_bits = static_cast<double>(t.M) * t.N * t.G * t.out_bits;
  }
  return in_bits + out_bits;
}

// bits / (bits per ns); 0 bandwidth means the term never limits.
double transfer_ns(double bits, double bits_per_ns) { return bits_per_ns > 0 ? bits / bits_per_ns : 0.0; }

Mapping make_mapping(const LayerSpec& layer, const Tiling& t, const MacroSpec& macro, const ArchSpec& arch,
                     int d, LoopOrder order) {
  Mapping m;
  m.duplication = d;
  m.order = order;
  m.phys_cols_per_weight = t.ppw;
  m.weights_per_macro = t.wpm;
  m.cycles = t.cycles;
  m.k_tiles = t.k_tiles;
  m.n_tiles = t.n_tiles;
  m.total_tiles = t.total;
  m.tiles_per_macro = t.tiles_per_macro;
  m.placed_per_macro = t.placed_per_macro;
  m.macros_per_copy = t.macros_per_copy;
  m.rounds = t.rounds;
  m.macros_in_use = t.rounds > 1 ? arch.macros : t.macros_per_copy * d;
  m.weights_stationary = t.rounds == 1 && layer.kind != LayerKind::matmul;
  m.tiles = t.tiles;

  for (const TileUse& u : t.tiles) {
    const double mvms = static_cast<double>(u.mvms);
    m.macro_activations += mvms;
    m.dac_conversions += mvms * u.rows_used * t.cycles;
    if (macro.kind == MacroKind::analog)  // a digital macro's adder trees convert nothing
      m.adc_conversions += mvms * t.cycles * t.row_groups(u.rows_used) * u.cols_used * t.adc_ppw;
    m.input_buffer_bits += mvms * u.rows_used * t.x_bits;
  }

  const double M = static_cast<double>(t.M);
  const double outputs = M * static_cast<double>(t.N) * t.G;
  if (order == LoopOrder::input_reuse)
    m.output_buffer_bits = 2.0 * outputs * static_cast<double>(t.k_tiles - 1) * t.out_bits;
  else
    m.output_buffer_bits = 2.0 * M * output_spill_elems(t, arch.macros) * t.out_bits;
  m.global_buffer_bits = M * input_fetch_elems(t, order, arch.macros) * t.x_bits + outputs * t.out_bits;
  m.dram_bits = dram_tensor_bits(layer, t);
  if (!m.weights_stationary) m.dram_bits += static_cast<double>(t.K) * t.N * t.G * t.w_bits;

  const int rows_summed = std::min(t.rows_active, t.rows_max);
  m.mvm_ns = mvm_latency_ns(macro, rows_summed, t.row_groups(t.rows_max), t.cycles, t.cols_max * (macro.slice_combine == SliceCombine::charge ? 1 : t.adc_ppw),
                            arch.row_settle_ns);
  m.compute_ns = static_cast<double>(t.rounds) * static_cast<double>(t.placed_per_macro) *
                 static_cast<double>(ceil_div(t.M, d)) * m.mvm_ns;
  const double macros = static_cast<double>(m.macros_in_use);
  m.input_buffer_ns =
      transfer_ns(m.input_buffer_bits, arch.input_buffer.bandwidth_bits_per_cycle * arch.clock_ghz * macros);
  m.output_buffer_ns =
      transfer_ns(m.output_buffer_bits, arch.output_buffer.bandwidth_bits_per_cycle * arch.clock_ghz * macros);
  m.global_buffer_ns =
      transfer_ns(m.global_buffer_bits, arch.global_buffer.bandwidth_bits_per_cycle * arch.clock_ghz);
  m.dram_ns = transfer_ns(m.dram_bits, arch.dram_bandwidth_gbps);
  m.memory_ns = std::max({m.input_buffer_ns, m.output_buffer_ns, m.global_buffer_ns, m.dram_ns});
  m.latency_ns = std::max(m.compute_ns, m.memory_ns);
  m.macs = M * static_cast<double>(t.K) * static_cast<double>(t.N) * t.G;
  m.tops = m.latency_ns > 0 ? 2.0 * m.macs / m.latency_ns / 1e3 : 0.0;
  return m;
}

}  // namespace

std::vector<int> duplication_options(std::int64_t macros_per_copy, int macros, std::int64_t M,
                                     bool allow_duplication) {
  if (!allow_duplication || macros_per_copy > macros) return {1};
  const std::int64_t d_max = std::max<std::int64_t>(1, std::min<std::int64_t>(macros / macros_per_copy, M));
  std::vector<int> ds;
  for (std::int64_t d = 1; d <= d_max; d *= 2) ds.push_back(static_cast<int>(d));
  if (ds.back() != d_max) ds.push_back(static_cast<int>(d_max));
  return ds;
}

MappingSpace enumerate_mappings(const LayerSpec& layer, const Gemm& gemm, const MacroSpec& macro,
                                const ArchSpec& arch, const MappingOptions& options) {
  check_positive(gemm.M, "GEMM M");
  check_positive(gemm.K, "GEMM K");
  check_positive(gemm.N, "GEMM N");
  check_positive(gemm.groups, "GEMM groups");
  check_positive(macro.rows, "macro rows");
  check_positive(macro.cols, "macro cols");
  check_positive(arch.macros, "arch macros");

  MappingSpace space;
  const Tiling t = make_tiling(layer, gemm, macro, arch);
  if (t.wpm < 1) {
    space.pruned.push_back("a weight needs " + std::to_string(t.ppw) + " physical columns but the macro has " +
                           std::to_string(macro.cols));
    return space;
  }
  for (int d : duplication_options(t.macros_per_copy, arch.macros, t.M, options.allow_duplication))
    for (LoopOrder order : {LoopOrder::input_reuse, LoopOrder::output_reuse}) {
      space.feasible.push_back(make_mapping(layer, t, macro, arch, d, order));
      space.feasible.back().index = static_cast<int>(space.feasible.size() - 1);
    }
  return space;
}

}  // namespace cimmc

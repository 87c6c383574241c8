// Mapping enumeration: how one layer's GEMM (M x K x N per group, `groups`
// independent GEMMs) is tiled onto a system of identical macros, and what every
// mapping costs in actions and time. Energy per MVM is not modelled here: the
// caller samples each tile job (rows_used, cols_used) and prices it; this module
// only says how many MVMs of each job a mapping runs and how many buffer / DRAM
// bits move (mapping_energy_pj combines the two).
//
// Tiling (per layer; the operands and the macro are fixed):
//   ppw = phys_cols_per_weight(macro, weights), wpm = floor(cols / ppw) weights
//   per macro column-wise (wpm < 1: the layer is pruned with a reason).
//   K over rows:  k_tiles = ceil(K / rows), ragged last tile uses K % rows rows.
//   N over cols:  n_tiles = ceil(N / wpm),  ragged last tile uses N % wpm weights.
//   A tile job is (rows_used, cols_used); a layer has at most 4. Each tile
//   processes all M input vectors, so a job runs tiles x M MVMs.
//   Small tiles pack block-diagonally on disjoint rows and columns:
//   tiles_per_macro = min(rows / rows_max, wpm / cols_max) (>1 only when the
//   whole layer is one tile per group, e.g. depthwise conv). Packed tiles run
//   one after another, each driving only its own rows, so the column values
//   (and energy) are those of the sampled (rows_used, cols_used) job; driving
//   them together would add the off-block cells' g_off current to every column.
//
// Placement: tiles are numbered t = (g * n_tiles + n) * k_tiles + k and filled
// into macros `placed_per_macro` = ceil(total / macros_per_copy) at a time
// (balanced, so the busiest macro holds as few tiles as possible).
//
// Weights that do not fit (macros_per_copy > arch.macros) run in `rounds`
// rounds of arch.macros macros; every weight is then loaded from DRAM once per
// inference (K*N*groups*w_bits DRAM bits). The mapping is still feasible: it is
// how a too-small system would run the layer. Cell write time and energy of
// those reloads are not modelled (only the DRAM traffic and its bandwidth).
// For matmul layers the stored operand is an activation, so it is loaded every
// inference too (weights_stationary = false even when it fits).
// Stationary weights are preloaded once and cost nothing per inference. Each
// layer is mapped as if it had all arch.macros to itself; whether a whole
// network's weights fit at once is the roll-up's question, not this module's.
//
// Duplication d: d copies of the weights on idle macros, each handling
// ceil(M / d) of the input vectors. d in {1, 2, 4, ...} up to
// d_max = min(floor(macros / macros_per_copy), M) plus d_max itself (copies
// beyond M would idle); only d = 1 when duplication is disabled or the weights
// do not fit. Duplication changes latency only: every action count is the same.
//
// Loop orders (both always enumerated):
//   input_reuse:  an input slice (group, k tile) is fetched from the global
//     buffer once (per round) and broadcast to the n_tiles macros that need it;
//     partial sums across k tiles live in the output buffer: one read and one
//     write per (m, n, k tile beyond the first) at out_bits.
//   output_reuse: inputs are refetched from the global buffer for every n tile;
//     partial sums stay in the macros' accumulators (the k tiles of one n tile
//     reduce digitally beside the macros) and touch the output buffer only when
//     an n tile's k tiles straddle two rounds (spill: one write + one read).
// out_bits = x_bits + w_bits + ceil(log2 K) (the exact accumulation width) for
// partial sums and for the layer output written to the global buffer and DRAM.
//
// Action counts are per inference of the layer (M already includes the batch):
//   macro_activations = sum mvms
//   dac_conversions   = sum mvms * rows_used * cycles
//   adc_conversions   = sum mvms * cycles * row_groups * cols_used * ppw,
//                       row_groups = ceil(rows_used / rows_active)
//   input_buffer_bits = sum mvms * rows_used * x_bits (each bit delivered to a
//                       macro is counted once: price the fill in its pJ/bit)
//   global_buffer_bits = input fetches + M*N*groups*out_bits
//   dram_bits = input tensor once + output tensor + weight loads if not stationary
//     conv2d input: batch*C*H*W*x_bits, H = (P-1)*stride_h + R, W = (Q-1)*stride_w + S
//     linear / matmul input: M*K*groups*x_bits; output: M*N*groups*out_bits
//
// Latency (ns), a roofline: compute = rounds * placed_per_macro * ceil(M/d) *
// mvm_ns, where mvm_ns = mvm_latency_ns for the largest tile (all macros of a
// copy run in parallel, packed tiles serially). Memory terms: global buffer
// bits / (bits_per_cycle * clock_ghz), DRAM bits / dram_bandwidth_gbps (bit/ns),
// and the per-macro input/output buffers with their bandwidth times the macros
// in use; 0 bandwidth = unlimited. latency = max(compute, memory terms).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "spec/spec.hpp"
#if __has_include("spec/network.hpp")
#include "spec/network.hpp"
#endif
#include "workload/gemm.hpp"

namespace cimmc {

// One tile job of a mapping and how much of it runs per inference.
struct TileUse {
  int rows_used = 0;             // active rows (K slice)
  int cols_used = 0;             // logical weights (N slice); physical columns = cols_used * ppw
  std::int64_t tiles = 0;        // tiles of this shape in one copy of the weights
  std::int64_t mvms = 0;         // tiles * M: MVMs per inference
};

struct Mapping {
  int index = 0;                 // position in enumeration order (stable: split / resume by index)
  int duplication = 1;
  LoopOrder order = LoopOrder::input_reuse;
  // Tiling (same for every mapping of a layer).
  int phys_cols_per_weight = 0;
  int weights_per_macro = 0;     // wpm
  int cycles = 0;                // input cycles per MVM
  std::int64_t k_tiles = 0, n_tiles = 0, total_tiles = 0;  // total = k_tiles * n_tiles * groups
  int tiles_per_macro = 1;       // packing capacity for the largest tile
  std::int64_t placed_per_macro = 1;  // tiles on the busiest macro (run serially)
  std::int64_t macros_per_copy = 0;
  std::int64_t macros_in_use = 0;     // macros busy per round (all copies)
  std::int64_t rounds = 1;
  bool weights_stationary = true;
  std::vector<TileUse> tiles;
  // Action counts per inference of the layer.
  double macro_activations = 0, dac_conversions = 0, adc_conversions = 0;
  double input_buffer_bits = 0, output_buffer_bits = 0, global_buffer_bits = 0, dram_bits = 0;
  // Latency terms (ns).
  double mvm_ns = 0, compute_ns = 0;
  double input_buffer_ns = 0, output_buffer_ns = 0, global_buffer_ns = 0, dram_ns = 0;
  double memory_ns = 0;          // max of the memory terms
  double latency_ns = 0;         // max(compute_ns, memory_ns)
  double macs = 0;               // M * K * N * groups
  double tops = 0;               // 2 * macs / latency_ns / 1e3
};

struct MappingSpace {
  std::vector<Mapping> feasible;     // index i sits at feasible[i]
  std::vector<std::string> pruned;   // one reason per infeasible mapping (or layer)
};

// All mappings of one layer on one hardware point, in a fixed order:
// duplication ascending, then input_reuse before output_reuse.
// Throws std::invalid_argument for non-positive GEMM or macro/arch sizes (a
// spec error, not an infeasible mapping).
MappingSpace enumerate_mappings(const LayerSpec& layer, const Gemm& gemm, const MacroSpec& macro,
                                const ArchSpec& arch, const MappingOptions& options);

// The duplication factors enumerated for a copy of `macros_per_copy` macros.
std::vector<int> duplication_options(std::int64_t macros_per_copy, int macros, std::int64_t M,
                                     bool allow_duplication);

// Energy of one inference of the layer under `m`: every tile job's MVMs times
// its sampled energy per MVM, plus buffer and DRAM bits at their pJ/bit.
double mapping_energy_pj(const Mapping& m, const ArchSpec& arch,
                         const std::function<double(int rows_used, int cols_used)>& job_energy_pj_per_mvm);

struct MappingCost {
  double energy_pj = 0;
  double latency_ns = 0;
};

double objective_value(const MappingCost& c, Objective objective);  // edp = energy * latency

// Indices into `costs`, best first by the objective; ties (and NaN, which
// sorts last) go to the lower index so the choice is deterministic.
// keep_all = false: just the best one (empty input -> empty result).
std::vector<std::size_t> select(const std::vector<MappingCost>& costs, Objective objective, bool keep_all);

// Not named to_string: spec/ may grow its own overloads for its enums.
const char* loop_order_name(LoopOrder order);  // "input_reuse" / "output_reuse"

}  // namespace cimmc

// Scratch memory of one array instance in flight and the per-lane error
// moments, shared by the model phases and both launchers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "hd.hpp"
#include "job_view.hpp"
#include "level_sums.hpp"

namespace cimmc {
inline namespace CIMMC_ISA_NS {  // hd.hpp

// Scratch for one instance in flight; sizes in workspace_layout() below.
struct Workspace {
  std::int32_t* w;          // N*K weights, [n][j]
  std::int64_t* wsum;       // N: sum_j w[n][j]
  std::int64_t* wmax;       // 1: max |w| of the instance (CPU only: picks the exact dot product's accumulator)
  std::uint8_t* lev;        // pcell*K cell levels, [p][j]
  std::uint64_t* wbits;     // pcell*bpc*G*wpg: bit q of each cell level, per row group
  std::uint64_t* wbits_t;   // the same words as [g][q][k][p] for FixedColumns (fixed_layout jobs only)
  std::uint64_t* negbits;   // N*G*wpg: rows whose cells are negative (sign-magnitude)
  std::uint8_t* wneg;       // N*K: 1 where weight [n][j] is stored negative (sign-magnitude; zero weights draw it)
  float* gf;                // K*pcell signed conductance / g_lsb, [j][p] (float path)
  float* fval;              // pcell column values of the current conversion set (float path)
  float* fsq;               // pcell sums of squared cell contributions (float path)
  float* g0;                // K*pcell conductances before drift (drift compensation only)
  double* comp;             // 2P: |column sums| before and after drift (drift compensation only)
  double* alpha;            // 1: the instance's drift compensation factor
  float* ird;               // R*pcell: word-line drops of the current conversion set (IR drop only)
  double* ircol;            // 4*pcell: bit-line sums of the current conversion set (IR drop only)
  std::uint32_t* rowcount;  // L*K: cells of row j at level l, [l][j]
  std::int32_t* x;          // K inputs of the current sample
  std::int32_t* xq;         // K inputs as the DAC sees them after per-vector scaling (scaling only)
  std::int32_t* xmax;       // 1: max_j |x_j| of the current sample (scaling only)
  std::uint8_t* a;          // cycles*K DAC levels
  float* af;                // cycles*K DAC levels as float (float path)
  std::uint64_t* abits;     // cycles*dac_bits*G*wpg
  std::int32_t* suma;       // cycles*G: sum of levels per conversion
  float* suma2;             // cycles*G: sum of squared levels
  double* ypart;            // P: shift-added ADC outputs per physical column
  double* err;              // N: this sample's output errors (MVM output - exact dot product)
  double* ref;              // N: this sample's exact dot products
  float* noise;             // P: standard normals for the current conversion set
  std::uint32_t* noise_bits;// P rounded up to 4: the random words behind them
  // pcell each, CPU only: integer column sums of the current set and their DAC
  // levels on rows stored negative (dot_columns); in the avx2 copy's noisy
  // fixed columns, the level sums and squared-current sums (store_plane_sums).
  std::int32_t* ival;
  std::int32_t* ineg;
  std::uint32_t* col_idx;   // P: slot in col_local (shard offset + column-value bin) of each column in the set
  std::uint32_t* adc_idx;   // P: slot in adc_local (shard offset + code - code_min) of each column in the set
  // K*2^dac_bits: (row, level) occurrences in this instance. 64-bit: one
  // instance counts up to inputs_per_instance x cycles (< 2^36) per entry.
  std::uint64_t* cnt;
  // The CPU's form for DACs of 4+ bits (pairs_by_row): each drawn row adds
  // its cell-level counts to its DAC level's row of lvl_pairs at once.
  std::uint64_t* rowlev;    // K*L: rowcount transposed, [j][l]
  std::uint64_t* lvl_pairs; // A*L: (DAC level, cell level) cell events of this instance
  std::uint64_t* dac_seen;  // A: row events per DAC level of this instance
  std::int64_t* xsum;       // 1: sum of the DAC's inputs (scaled ones when scaling)
  // Per-instance column-value and ADC-code counts in interleaved copies
  // (column p counts into copy p % shards), folded into the group histogram
  // at the end of the instance: hot bins would otherwise serialize every
  // increment on one counter. Noisy ADC codes repeat at random distances,
  // which the CPU's store-to-load speculation mispredicts unless repeats are
  // far apart: 16 ADC copies ran read noise 8% faster than 4 (32: no gain).
  std::uint64_t* col_local; // kShards * col_nbins
  std::uint64_t* adc_local; // kAdcShards * (code_max - code_min + 1)
  std::uint32_t* sum_count; // kSumCopies x level sums, [sum][copy]: noise-free fixed columns on one CPU lane (fixed_layout jobs only)
  // Digital macros only (one word each otherwise): the state of every adder
  // tree between evaluations, column-minor ([..][p]) so the CPU loop over
  // columns vectorizes and GPU lanes read coalesced.
  std::uint64_t* dwt;       // G*wpg*P: weight bits, [g][k][p]
  std::uint64_t* dmul;      // G*wpg*P: multiplier outputs of every cell, [g][k][p]
  std::uint64_t* dstage;    // 6*wpg*P: stages 1..6 in SWAR fields, [s-1][k][p]
  std::uint64_t* dmask;     // 6*wpg: fields of stage s in word k that are adders
  std::uint64_t* dline;     // G*wpg: input bits on the rows' lines
  std::uint32_t* dword;     // wpg*P: stage-6 (64-row) sums, then the cross-word stages in place
  std::uint32_t* dcross;    // dcross_len(v)*P: outputs of the stages beyond 64 rows
  std::uint32_t* dpv;       // P: place-value sum of one cycle's dac_bits tree outputs (scratch)
  std::uint32_t* dpvs;      // P: the place-value adder's output at its previous evaluation
  std::int64_t* dacc;       // P: accumulator registers
  std::int64_t* dout;       // N: output registers
  // Product trees only (one element otherwise; digital_weight_tree.hpp): each
  // unit's trees, [b][u][node] with wtree_len(v) nodes (the last wpg are
  // scratch), and each weight's place-value adder output and accumulator at
  // their last evaluation (adder_tree per_weight).
  std::int32_t* dwtree;
  std::int32_t* dwval;      // G*wpg*U*64: each row's unit value (weight, or weight bit), gated by the input bits
  std::int64_t* dwpv;       // N
  std::int64_t* dwacc;      // N
  // macro.cycle_bits booth only (one element otherwise; digital_booth.hpp):
  // each row's Booth select lines (neg, one, two) at their last evaluation,
  // [line][g][k], and each leaf (digit x weight) at its last evaluation, [g][k][n][j].
  std::uint64_t* dsel;      // 3*G*wpg
  std::int32_t* dleaf;      // G*wpg*N*64
  std::uint64_t* dtog;      // tog_len: this sample's toggles (one lane's share)
};

constexpr int kShards = 4;
constexpr int kAdcShards = 16;

struct LaneStats {
  double n = 0, sum_err = 0, sum_err2 = 0, max_abs_err = 0, sum_ref = 0, sum_ref2 = 0;
  std::uint64_t clipped = 0, conversions = 0;
};

CIMMC_HD LaneStats combine(const LaneStats& a, const LaneStats& b) {
  LaneStats r;
  r.n = a.n + b.n;
  r.sum_err = a.sum_err + b.sum_err;
  r.sum_err2 = a.sum_err2 + b.sum_err2;
  r.max_abs_err = a.max_abs_err > b.max_abs_err ? a.max_abs_err : b.max_abs_err;
  r.sum_ref = a.sum_ref + b.sum_ref;
  r.sum_ref2 = a.sum_ref2 + b.sum_ref2;
  r.clipped = a.clipped + b.clipped;
  r.conversions = a.conversions + b.conversions;
  return r;
}

// Adders of the tree stages beyond one 64-row word (stages 7..S): stage t has
// ceil(wpg / 2^(t-6)) nodes.
CIMMC_HD int dcross_len(const JobView& v) {
  int n = 0;
  for (int t = 7; t <= v.tree_stages; ++t) n += (v.wpg + (1 << (t - 6)) - 1) >> (t - 6);
  return n > 0 ? n : 1;
}

// Nodes of one per-weight product tree: stages 1..6 in 64-row words
// (wpg x 63), the cross-word stages (dcross_len), and wpg word sums of scratch.
CIMMC_HD int wtree_len(const JobView& v) { return v.wpg * 63 + dcross_len(v) + v.wpg; }

// Product trees (kernels/digital_weight_tree.hpp): whether the job has them,
// how many units (weights, or columns with cycle leaves) and trees per unit.
CIMMC_HD bool product_trees(const JobView& v) { return v.tree_per_weight || v.tree_cycle_leaves; }
CIMMC_HD int tree_units(const JobView& v) { return v.tree_per_weight ? v.N : v.P; }
CIMMC_HD int tree_sets(const JobView& v) { return v.tree_cycle_leaves || v.tree_booth ? 1 : v.dac_bits; }

// Jobs whose conversions can take the unrolled FixedColumns (1-bit DAC
// levels, unsigned, unpaired integer columns), which read Workspace::wbits_t.
CIMMC_HD bool fixed_layout(const JobView& v) {
  return !v.float_path && v.dac_bits == 1 && !v.signed_cols && !v.pair;
}

// Byte layout of a Workspace inside one scratch block (host sizes it, both bind it).
CIMMC_HD std::size_t bind_workspace(const JobView& v, char* base, Workspace* ws) {
  std::size_t off = 0;
  auto take = [&](auto*& ptr, std::size_t count) {
    using T = std::remove_reference_t<decltype(*ptr)>;
    off = (off + 63) & ~std::size_t(63);  // cache-line aligned arrays
    if (ws) ptr = reinterpret_cast<T*>(base + off);
    off += count * sizeof(T);
  };
  Workspace tmp{};
  Workspace& w = ws ? *ws : tmp;
  const std::size_t K = v.K, N = v.N, P = v.P, C = v.cycles, G = v.G, W = v.wpg;
  take(w.w, N * K);
  take(w.wsum, N);
  take(w.wmax, 1);
  const std::size_t PC = v.pcell;
  take(w.lev, PC * K);
  take(w.wbits, PC * v.bpc * G * W);
  take(w.wbits_t, fixed_layout(v) ? PC * v.bpc * G * W : 0);
  take(w.negbits, v.signed_cols ? N * G * W : 1);
  take(w.wneg, v.signed_cols ? N * K : 1);
  take(w.gf, v.float_path ? PC * K : 1);
  take(w.fval, v.float_path ? PC : 1);
  take(w.fsq, v.float_path ? PC : 1);
  take(w.g0, v.dev.compensate ? PC * K : 1);
  take(w.comp, v.dev.compensate ? 2 * P : 1);
  take(w.alpha, 1);
  take(w.ird, v.ir_rho > 0.f ? static_cast<std::size_t>(v.R) * PC : 1);
  take(w.ircol, v.ir_rho > 0.f ? 4 * PC : 1);
  take(w.rowcount, K * v.L);
  take(w.x, K);
  take(w.xq, v.x_scale_q > 0 ? K : 1);
  take(w.xmax, 1);
  take(w.a, C * K);
  take(w.af, v.float_path ? C * K : 1);
  take(w.abits, C * v.dac_bits * G * W);
  take(w.suma, C * G);
  take(w.suma2, C * G);
  take(w.ypart, P);
  take(w.err, N);
  take(w.ref, N);
  take(w.noise, P);
  take(w.noise_bits, (P + 3) / 4 * 4);
  take(w.ival, PC);
  take(w.ineg, PC);
  take(w.col_idx, P);
  take(w.adc_idx, P);
  take(w.cnt, K * (std::size_t(1) << v.dac_bits));
  const std::size_t A = v.dac_bits >= 4 ? std::size_t(1) << v.dac_bits : 0;  // pairs_by_row's arrays
  take(w.rowlev, A ? K * v.L : 0);
  take(w.lvl_pairs, A * v.L);
  take(w.dac_seen, A);
  take(w.xsum, 1);
  take(w.col_local, static_cast<std::size_t>(kShards) * v.col_nbins);
  take(w.adc_local, static_cast<std::size_t>(kAdcShards) * (v.code_max - v.code_min + 1));
  const std::size_t S = fixed_layout(v) ? level_sum_entries(v) : 1;
  take(w.sum_count, kSumCopies * S);
  const std::size_t D = v.digital ? 1 : 0;  // digital arrays shrink to one element for analog jobs
  const std::size_t Pd = D ? P : 1, Wd = D ? W : 1, Gd = D ? G : 1;
  take(w.dwt, Gd * Wd * Pd);
  // One tree (multipliers, stages, input lines) per input bit of a cycle.
  const std::size_t Bd = D ? static_cast<std::size_t>(v.dac_bits) : 1;
  take(w.dmul, Bd * Gd * Wd * Pd);
  take(w.dstage, Bd * 6 * Wd * Pd);
  take(w.dmask, 6 * Wd);
  take(w.dline, Bd * Gd * Wd);
  take(w.dword, Wd * Pd);
  take(w.dcross, D ? Bd * static_cast<std::size_t>(dcross_len(v)) * P : 1);
  take(w.dpv, Pd);
  take(w.dpvs, Pd);
  take(w.dacc, Pd);
  take(w.dout, D ? N : 1);
  const std::size_t TW = D && product_trees(v) ? 1 : 0;
  const std::size_t U = TW ? static_cast<std::size_t>(tree_units(v)) : 1;
  take(w.dwtree, TW ? static_cast<std::size_t>(tree_sets(v)) * U * static_cast<std::size_t>(wtree_len(v)) : 1);
  take(w.dwval, TW ? Gd * Wd * U * 64 : 1);
  take(w.dwpv, U);
  take(w.dwacc, U);
  const std::size_t BO = TW && v.tree_booth ? 1 : 0;
  take(w.dsel, BO ? 3 * Gd * Wd : 1);
  take(w.dleaf, BO ? Gd * Wd * U * 64 : 1);
  take(w.dtog, D ? static_cast<std::size_t>(v.tog_len) : 1);
  return (off + 63) & ~std::size_t(63);
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc

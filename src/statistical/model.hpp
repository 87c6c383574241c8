// Internals of the statistical model, shared by its source files and the tests.
//
// A "conversion class" is (input cycle c, physical column q of a weight, rows
// n in the row group): every conversion of that class sees n i.i.d. rows, each
// contributing s*a*g (sign, DAC level, conductance in g_lsb units) to the
// column value. Classes with equal per-row distributions are computed once.
#pragma once
#include <complex>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/job_builder.hpp"

namespace cimmc::stat {

// What a cell reads as once its fault is decided: its faulted level l, the
// mean and variance of its conductance [g_lsb] (programming variation clamped
// at 0, then drift), the same before drift (g0_: what drift compensation
// reads at t0), and its read-noise variance per squared DAC level
// (n2 = read_abs^2 + read_rel^2 E[g^2]). An array-subtracted pair
// (differential_analog) reads as one state of its two devices: the device
// holding the weight's magnitude at faulted level x, the other (encoded 0) at
// y; level and conductance are the differences x - y (g_off cancels, l < 0
// where the second device dominates), variances and n2 add.
struct CellState {
  int l = 0;
  double g_mean = 0, g_var = 0, g0_mean = 0, g0_var = 0, n2 = 0;
  // Drift compensation's spread (operand_model.cpp): Cov(programmed, drifted
  // conductance) and the third cumulants kappa(g0, g, g), kappa(g, g, g) and
  // kappa(g0, g0, g).
  double g_cov = 0, k0tt = 0, kttt = 0, k00t = 0;
};

// One (sign, state) outcome of a cell in physical column q, with probability
// p: the row adds s*a*g, s the weight's column sign (sign-magnitude columns
// and pairs).
struct CellOutcome : CellState {
  int s = 1;
  double p = 0;
};

// Encoded level l becomes state `state` with probability p (its faults).
struct Fate {
  double p = 0;
  int state = 0;
};

struct InputValue {
  double p = 0;
  int x = 0;
  std::vector<int> a;  // DAC level per cycle
  double rho = 0;      // per-vector input scaling: the rescaled input's rounding, x' - (Q / m) x
};

// Per-vector input scaling (macro.input_scaling abs_max, kernels/input_scaling.hpp)
// scales each vector's inputs by Q / m, m = max_j |x_j|, and its output back by
// m / Q. Given m, the K rows follow the signed mixture
//   (F(m)^K A_m - F(m-1)^K B_m) / P(max = m),  F(t) = P(|x| <= t),
// of two i.i.d. laws, A_m the inputs truncated to |x| <= m and B_m to
// |x| <= m - 1 (the vectors whose max is m are those within m less those
// within m - 1), so every expectation over vectors is the signed sum over
// (m, law) of F^K times the i.i.d. model's with inputs scaled by Q / m: exact
// where the i.i.d. model is. One part of that sum:
struct InputScale {
  int m = 0;          // the vector's max |x|
  int trunc = 0;      // its rows' |x| <= trunc: m (A_m) or m - 1 (B_m)
  double weight = 1;  // F(trunc)^K, negative for B_m
};
// The parts of a job with input scaling (empty without), leaving out the m
// with P(max = m) <= 1e-15.
std::vector<InputScale> input_scales(const BuiltJob& job);

struct WeightValue {
  double p = 0;
  int w = 0, s = 1;    // s: column sign (sign-magnitude columns)
  std::vector<int> l;  // encoded (fault-free) level per physical column
};

struct OperandModel {
  std::vector<std::vector<double>> pa;         // [cycle][DAC level] per row
  std::vector<std::vector<CellOutcome>> cell;  // [physical column q]
  std::vector<InputValue> xs;
  std::vector<WeightValue> ws;
  double p_fault[3] = {1, 0, 0};               // a cell keeps its level, is stuck off, is stuck on
  std::vector<double> g_mean, g_var;           // one device's conductance by faulted level [g_lsb] (drifted)
  std::vector<double> g_prog_mean, g_prog_var; // the programmed moments before drift
  std::vector<double> g_cov;                   // Cov(programmed, drifted): Var(G_prog) E[F]
  std::vector<double> k0tt, kttt, k00t;        // third cumulants (CellState), by level
  std::vector<CellState> states;               // what a cell (a pair) reads as
  std::vector<std::vector<Fate>> fates;        // [encoded level (magnitude, for pairs)]
  // Global drift compensation's factor: the ratio of an array's expected
  // summed |column| before and after drift (1 without compensation).
  double alpha = 1;
  // alpha's squared coefficient of variation between arrays, by the delta
  // method (drift_compensation.cpp); the error variance gains alpha_cv2 times the
  // compensated outputs' second moment (statistical.cpp, assemble).
  double alpha_cv2 = 0;
  // 2 E[(alpha' - alpha) y e]: each output's own columns are in its array's
  // alpha', so the factor's spread moves with the output's own error
  // (drift_compensation.cpp); added to the error variance with alpha_cv2's term.
  double alpha_own = 0;
  // E[(alpha' - alpha) y], the same part's shift of the mean error, and
  // E[(alpha y)^2] of the raw analog output the factor scales.
  double alpha_shift = 0, alpha_y2 = 0;
  // Expected devices per weight at each faulted level, over all its physical
  // columns (both devices of a pair): the cell-read events.
  std::vector<double> device_levels;
  double ex = 0, ex2 = 0, ew = 0, ew2 = 0;     // operand moments (exact reference)
  bool requant = false;                        // inputs rescaled (InputScale): rho is an error term
};

// Moments of |X| and |Y| for a bivariate normal (X, Y) (drift compensation's
// column sums): E|X|, E|Y|, Var|X|, Var|Y|, Cov(|X|, |Y|); folded = false
// gives those of X and Y themselves.
struct AbsMoments {
  double ex = 0, ey = 0, vx = 0, vy = 0, cxy = 0;
};
AbsMoments abs_moments(double mx, double vx, double my, double vy, double cxy, bool folded);

// values = false leaves xs and ws empty (the energy-only model needs only the
// marginals and moments). scale: one part of per-vector input scaling's law
// (inputs truncated, then rescaled), in units of the scaled inputs.
OperandModel operand_model(const BuiltJob& job, bool values = true, const InputScale* scale = nullptr);

// One point of the column-value mixture of a class. The value U reaching the
// column-value histogram is N(u, vp) (vp: programming spread and what the
// conditioning left unresolved), the ADC input is N(u, vp + vn + ADC noise)
// (vn: read noise; the ADC's own noise scales with its step, which a
// calibrated ADC learns from the atoms, so convert() adds it). d = u - M is
// the expected analog deviation from the integer sum M = sum s*a*l of faulted
// levels. vp = vn = 0 (and no ADC noise) is an exact point mass.
// vn is itself random given the atom (it depends on which rows are active):
// vn_sd is its conditional spread, and the ADC sees a two-point mixture of
// noise variances with that mean and spread (tails are convex in the variance).
struct Atom {
  double u = 0, p = 0, vp = 0, vn = 0, d = 0, vn_sd = 0;
  int m = 0;  // M
  int o = 0;  // O = sum s*a (bit-serial: the active rows), the statistic shared by the columns of one conversion set (0 in value_dp)
};

// How the class's (M, O) = (sum s*a*l, sum s*a) distribution was obtained.
enum class Method { binomial_mixture, joint_dp, value_dp, value_fft };  // value_fft: value_dp by FFT

struct ColumnDistribution {
  std::vector<Atom> atoms;
  Method method = Method::value_dp;
};

// A bit-serial source (column_slices) leaves out its least probable atoms,
// by probability weighted with the largest P(O = o) of their slice, while
// together they weigh at most this: every class it serves loses at most
// kAtomFloor of its mass, so clip rates and bin probabilities move by at most
// that and error moments by at most that times the largest |e|^k. A sampled
// run would need about 1e10 MVMs to see such a mass; the improbable slices and
// tails had been a third of the model's time on the bit-serial configs (every
// atom down to 1e-18 was kept). Other methods keep every atom above 1e-18.
constexpr double kAtomFloor = 1e-10;

// Direct value_dp convolutions costing more multiply-adds than this are done
// by FFT instead (column_distribution.cpp, from_spectra).
constexpr double kValueBudget = 3e8;

// The column value of one conversion of class (pa, cells, n rows); fft_above:
// kValueBudget, or another threshold (tests compare both ways).
ColumnDistribution column_distribution(const JobView& v, const std::vector<double>& pa,
                                       const std::vector<CellOutcome>& cells, int n,
                                       double fft_above = kValueBudget);

// 1-bit DAC and no sign-magnitude cells: O, the number of active rows, is
// Binomial(n, P(a = 1)), and the atoms given O do not depend on P(a = 1), so
// the classes of one column (every cycle) share them. (A sign-magnitude
// row's g_off current s*a*r_off follows the signed sum of the inputs, not O;
// an array-subtracted pair's cancels, and its signed levels are summed as
// they are.)
inline bool bit_serial(const JobView& v) { return v.dac_bits == 1 && !v.signed_cols; }
// P(O = o), o = 0..n, of a bit-serial class with DAC-level probabilities pa.
std::vector<double> active_rows_pmf(const std::vector<double>& pa, int n);

// Bit-serial columns: calls f with the atoms given O = o, p = P(M | O = o),
// for o = 0..n (where any are kept), less the least probable atoms by w_max[o] p
// (w_max: the largest P(O = o) of the classes it serves) while they weigh at
// most kAtomFloor in all, so a class weighting by its P(O = o) loses at most that.
void column_slices(const JobView& v, const std::vector<CellOutcome>& cells, int n, const std::vector<double>& w_max,
                   const std::function<void(std::span<const Atom>)>& f);

// ADC transfer of a class. Q = delta*code - U is the conversion error against
// the analog column value, D = U - M the analog deviation.
struct ConversionStats {
  std::vector<double> col;   // P(column-value bin)
  std::vector<double> adc;   // P(code - code_min)
  double p_clip = 0;
  // E[Q], E[Q^2], E[Q D]: [0] unbounded codes, no noise; [1] + clipping; [2] + noise.
  double q1[3] = {}, q2[3] = {}, qd[3] = {};
  // e = Q + D = delta*code - M is the class's conversion error against M.
  double d1 = 0, d2 = 0;     // E[D], E[D^2]
  double m1 = 0, m2 = 0, md = 0, em[3] = {};  // E[M], E[M^2], E[M D], E[e M] per variant
  // By O - o0: P(O), E[D; O], E[M; O] and E[e; O] per variant.
  int o0 = 0;
  std::vector<double> po, pd_o, pm_o, pe_o[3];
};

// The two passes over a class's atoms: the column-value bins need no ADC step
// (a calibrated ADC takes its range from them); everything else does.
enum class Pass { bins, adc };

// One pass's statistics of the atoms into cs (reusing its storage); the other
// pass's fields are left as they are. step: the ADC step of the atoms' column
// position (adc_step); the ADC's own noise is in LSBs of v.adc_delta, as the
// sampler takes it.
void convert(const JobView& v, double step, std::span<const Atom> atoms, Pass pass, ConversionStats& cs);

// The ADC step of column position q in input cycle c: its (cycle, position)'s
// with AdcMode::per_cycle, its slice's with AdcMode::per_slice, else the shared one.
inline double adc_step(const JobView& v, int c, int q) {
  if (v.adc_mode == AdcMode::per_cycle) return v.adc_delta_cq[c * v.ppw + q];
  return v.adc_mode == AdcMode::per_slice ? v.adc_delta_q[q] : v.adc_delta;
}

// Zeroes one pass's statistics, for O in [o0, o0 + no) (the adc pass), reusing cs's storage.
void reset(ConversionStats& cs, const JobView& v, Pass pass, int o0, int no);

// Every field of ConversionStats is linear in the atom probabilities: adds
// the statistics of part's atoms weighted by w[j] to *cs[j], whose O ranges
// cover part's.
void accumulate(const ConversionStats& part, const std::vector<ConversionStats*>& cs, const std::vector<double>& w);

// Row groups of this many rows.
struct GroupSize {
  int rows, count;
};

// A job's row groups by size: full groups of R rows and a ragged last one.
std::vector<GroupSize> group_sizes(const JobView& v);

// Atoms converted together for the classes they serve: the slices (O = o) of
// a bit-serial column, which each class weights by its P(O = o), or one
// class's own atoms. Both passes read them; they are generated once and kept
// in between unless the table would hold too many (class_table.cpp). The
// classes of a bit-serial source may have different ADC steps (per-slice or
// per-cycle ranges): the ADC pass converts each slice once per distinct step.
struct AtomSource {
  int c = 0, q = 0, rows = 0;          // what generates the atoms: cycle (own atoms only), column, row count
  std::vector<int> classes;            // into ClassTable::stats
  std::vector<std::pair<int, int>> at; // [member]: a (cycle, column position) of the class, for its ADC step
  std::vector<std::vector<double>> w;  // [member][o]; empty: one class's own atoms
  std::vector<double> w_max;           // [o]: the largest weight, for column_slices
  std::vector<double> key;             // bit-serial: the column's key (cells and rows), for a SliceCache
  bool kept = false;
  std::vector<Atom> atoms;
  std::vector<std::size_t> ends;       // where each kept slice ends in atoms
};

// Conversions of bit-serial slices shared by the class tables of one job's
// input-scaling parts (statistical.cpp): the atoms given O = o depend on the
// column's cells and row count, not on the inputs, so each slice is converted
// once per (pass, ADC step, column) and every part weights it by its own
// P(O = o). Tables that share one keep every atom above column_distribution's
// threshold given O (w_max = 1), so a slice is the same whichever table made it.
struct SliceCache {
  struct Slice {
    int o = 0;
    ConversionStats stats;
  };
  std::map<std::vector<double>, std::vector<Slice>> by_key;
  std::size_t doubles = 0;  // held, at most kSliceCacheDoubles
};
constexpr std::size_t kSliceCacheDoubles = std::size_t{1} << 24;  // 128 MB

struct PairMemo;

// Every (cycle, weight column, group size) class, computed once per distinct
// per-row distribution (e.g. all bit-serial cycles of uniform inputs agree).
struct ClassTable {
  OperandModel om;
  std::vector<GroupSize> gs;
  std::vector<ConversionStats> stats;
  std::vector<int> index;  // [(c * ppw + q) * gs.size() + gi] -> stats
  std::vector<AtomSource> sources;  // until convert_classes
  SliceCache* cache = nullptr;      // shared with other tables of the job, or none
  PairMemo* pairs = nullptr;        // shared by the jobs assembled from the table, or none
  const ConversionStats& at(const JobView& v, int c, int q, int gi) const {
    return stats[index[(static_cast<std::size_t>(c) * v.ppw + q) * gs.size() + gi]];
  }
};

// Atoms a table keeps between its passes (~56 MB); sources beyond are generated twice.
constexpr std::size_t kKeptAtoms = std::size_t{1} << 20;

// The classes and their column-value bins (Pass::bins); the ADC step need not be set.
// ADC ranges per weight slice or per input cycle (adc: the job's ADC, or a view
// already in AdcMode::per_slice or per_cycle) keep column positions of
// different slices, or of different cycles, in classes of their own, since
// their ADC steps may differ; a bit-serial source still serves them all.
// scale: one part of per-vector input scaling's law (operand_model), and a
// cache its bit-serial slices share with the other parts' tables.
ClassTable build_classes(const BuiltJob& job, std::size_t max_kept_atoms = kKeptAtoms, const AdcSpec* adc = nullptr,
                         const InputScale* scale = nullptr, SliceCache* cache = nullptr);
// Adds the ADC statistics (Pass::adc) with the job's ADC step, and drops the atoms.
void convert_classes(const JobView& v, ClassTable& cl);

// Output error per logical output (error_model.cpp): mean, and the variance
// under an ideal ADC (analog: g_off, faults, programming only) and under the
// cumulative ADC variants of ConversionStats ([0] quantization, [1] + clipping,
// [2] + noise, the real one), each including the analog error.
struct ErrorMoments {
  double mean = 0, var[3] = {}, analog = 0;
};

ErrorMoments error_moments(const JobView& v, const ClassTable& cl);

// Two columns q1 != q2 of one conversion set that is not bit-serial (same
// cycle: DAC-level probabilities pa, same row group of n rows), from the joint
// distribution of their integer sums (column_pairs.cpp): the probability kept
// and, per ADC variant of ConversionStats, E[e1; .], E[e2; .], E[e1 e2; .] of
// the conversion errors e = delta*code - M given the pair; and the moments of
// one row's (m, d) = (s*a*l, s*a*(g - l)) in both columns, exact: E[f1 f2^T],
// E[f1], E[f2].
struct PairMoments {
  double p = 0, e1[3] = {}, e2[3] = {}, e12[3] = {};
  double row[2][2] = {}, row1[2] = {}, row2[2] = {};
};
// dst[i] += p * src[i] for i in [lo, hi], the same bits on every CPU (column_distribution.cpp).
void add_scaled(double p, const double* src, double* dst, int lo, int hi);

// Pair moments computed, by everything they depend on (column_pairs.cpp
// memo_key): the jobs of one group share their class table and assemble each
// its own error moments from it, and different conversion sets repeat pairs
// (measured on arch-zigzag-aimc: 13,471 pairs, 1,880 distinct).
struct PairMemo {
  std::unordered_map<std::string, std::optional<PairMoments>> by_key;
  // A column's error spectrum (pair_spectrum.cpp), by its step, grid and ADC:
  // each column is in a pair with every other of its conversion set.
  std::unordered_map<std::string, std::vector<std::complex<double>>> spectra;
};

// How the joint law is taken: where no row deviates, from its spectrum or
// by the direct convolution, whichever costs less (cheaper); else directly.
// The others force one (tests compare them).
enum class PairMethod { cheaper, direct, spectral };

// Empty where the method would take more than budget multiply-adds.
// c: the input cycle, for the columns' ADC steps (adc_step). With a memo, a
// pair it holds is not computed again (the same bits).
std::optional<PairMoments> pair_moments(const JobView& v, const OperandModel& om, const std::vector<double>& pa,
                                        int c, int q1, int q2, int n, double budget, PairMemo* memo,
                                        PairMethod method = PairMethod::cheaper);

// P(k) of Binomial(n, p), k = 0..n.
std::vector<double> binomial_pmf(int n, double p);

// E[Y], Var[Y] of Y = max(0, N(mean, sd^2)).
void clamped_normal_moments(double mean, double sd, double& m, double& var);
// E[F^k] of the drift factor F = exp(-L max(0, nu)), nu ~ N(mu, sigma^2), at kl = k L.
double drift_moment(double mu, double sigma, double kl);
// E[Y^3] of Y = max(0, N(mean, sd^2)).
double clamped_normal_third(double mean, double sd);
// Drift compensation's factor: om.alpha, om.alpha_cv2 and, with values (om.ws
// and om.xs listed), om.alpha_own, om.alpha_shift and om.alpha_y2
// (drift_compensation.cpp). Needs om's cells,
// states and fates.
void compensation_factor(const JobView& v, bool values, OperandModel& om);

}  // namespace cimmc::stat

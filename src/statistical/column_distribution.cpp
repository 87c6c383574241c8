// Distribution of one conversion's column value: the sum over n i.i.d. rows of
// s*a*g. Write the row's contribution as m + e with m = s*a*l (an integer: the
// faulted level) and e = s*a*(g - l) (g_off current r_off*s*a, programming
// variation). The integer part and the g_off multiplier O = sum s*a are kept
// exactly as a joint distribution of (M, O) when affordable:
//   binomial_mixture  1-bit DAC, unsigned columns: O = active rows ~ Binomial,
//                     M | O = sum of O i.i.d. levels (n^2 L work, exact); the
//                     atoms given O serve every cycle (column_slices)
//   joint_dp          2-D convolution over rows, when it costs < kJointBudget
//                     (1-bit cells in unsigned columns: a binomial sum of
//                     products of the DAC levels' 1-D convolutions instead)
//   value_dp          1-D convolution of M only
//   value_fft         value_dp by FFT where the direct sums would cost more than
//                     kValueBudget (from_spectra: the same atoms to rounding, those
//                     below kFftFloor dropped)
// With r_off = 0 and no programming variation or drift every method is exact, and so
// is the g_off shift r_off*O in the first two. Everything else is a row sum
// sum_j h_j (h: e, programming variance, read-noise variance) and enters
// through its exact conditional mean given the kept statistic S, from the
// convolution's previous layer: E[sum h | S] = n sum_r h_r p_r P_{n-1}(S - s_r)
// / P_n(S). In value_dp the conditional variance of sum e (r_off times O's
// spread given M) comes the same way from layer n-2 and becomes Gaussian
// spread. Approximations: programming variation is Gaussian with the
// clamped-normal variance, at its conditional mean, and so is drift, by the
// first two moments of the drifted conductance (operand_model.cpp); read noise, a mixture of
// Gaussians whose variance depends on the rows, is two Gaussians matching the
// conditional mean and variance of that variance (adc_transfer.cpp); atoms
// below kTiny are dropped (clip rates below ~1e-18 read as 0), and in
// column_slices the least probable up to kAtomFloor of mass (model.hpp).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "device_model.hpp"
#include "statistical/fft.hpp"
#include "statistical/model.hpp"

namespace cimmc::stat {

// The convolutions' inner loop, in the widest vectors this CPU has (host code
// is built for baseline x86-64). Element by element, with no contraction into
// FMAs (-ffp-contract=off), so every copy gives the same bits.
__attribute__((target_clones("avx512f", "avx2", "default"))) void add_scaled(double p, const double* src,
                                                                               double* dst, int lo, int hi) {
  for (int i = lo; i <= hi; ++i) dst[i] += p * src[i];
}

// dst[i] += a[i] * b[i] for i in [0, len): the factored joint layers' inner loop, the same way.
__attribute__((target_clones("avx512f", "avx2", "default"))) void add_product(const double* a, const double* b,
                                                                                double* dst, int len) {
  for (int i = 0; i < len; ++i) dst[i] += a[i] * b[i];
}

namespace {

constexpr double kJointBudget = 3e7;  // multiply-adds for joint_dp per class
constexpr double kTiny = 1e-18;       // atoms below this probability are dropped
constexpr double kFactorTrim = 1e-21; // mass a factored joint layer may leave out (Convolution::factored)

struct RowOutcome {
  int m = 0, o = 0;
  double p = 0, e = 0, vp = 0, vn = 0;
};

std::vector<RowOutcome> row_outcomes(const std::vector<double>& pa,
                                     const std::vector<CellOutcome>& cells) {
  std::vector<RowOutcome> rows;
  for (int a = 0; a < static_cast<int>(pa.size()); ++a) {
    if (pa[a] <= 0) continue;
    for (const CellOutcome& c : cells) {
      RowOutcome r;
      r.p = pa[a] * c.p;
      if (r.p <= 0) continue;
      r.m = c.s * a * c.l;
      r.o = c.s * a;
      r.e = c.s * a * c.g_mean - r.m;
      r.vp = static_cast<double>(a) * a * c.g_var;
      r.vn = static_cast<double>(a) * a * c.n2;
      rows.push_back(r);
    }
  }
  return rows;
}

// The full convolution a * k into r (reusing its storage); all zero for a zero kernel.
void convolve(const std::vector<double>& a, const std::vector<double>& k, std::vector<double>& r) {
  r.assign(a.size() + k.size() - 1, 0.0);
  for (std::size_t j = 0; j < k.size(); ++j)
    if (k[j] != 0)
      for (std::size_t i = 0; i < a.size(); ++i) r[i + j] += k[j] * a[i];
}

// Conditional expectations of the row sums given the kept statistic.
struct Sums {
  double e = 0, vp = 0, vn = 0, e_var = 0, vn2 = 0;  // vn2 = E[(sum vn)^2]
};

Atom make_atom(const JobView& v, int M, int O, bool has_o, double p, const Sums& s) {
  Atom a;
  a.p = p;
  if (has_o && !has_static_variation(v)) {
    // The sampler's own expression; a pair's g_off currents cancel (its plane sums leave them out).
    a.u = v.pair ? static_cast<double>(M) : static_cast<double>(M) + static_cast<double>(v.r_off) * O;
  } else {
    a.u = M + s.e;
  }
  a.d = a.u - M;
  a.m = M;
  a.o = has_o ? O : 0;
  a.vp = s.vp + s.e_var;
  a.vn = s.vn;
  a.vn_sd = std::sqrt(std::max(0.0, s.vn2 - s.vn * s.vn));
  return a;
}

// Row outcomes merged by their kept statistic, with probability-weighted sums of h.
struct Key {
  int m = 0, o = 0;
  double p = 0, pe = 0, pvp = 0, pvn = 0, pe2 = 0, pvn2 = 0;
};

std::vector<Key> merge(const std::vector<RowOutcome>& rows, bool with_o) {
  std::map<std::pair<int, int>, Key> by;
  for (const auto& r : rows) {
    Key& k = by[{r.m, with_o ? r.o : 0}];
    k.m = r.m;
    k.o = with_o ? r.o : 0;
    k.p += r.p;
    k.pe += r.p * r.e;
    k.pvp += r.p * r.vp;
    k.pvn += r.p * r.vn;
    k.pe2 += r.p * r.e * r.e;
    k.pvn2 += r.p * r.vn * r.vn;
  }
  std::vector<Key> keys;
  for (const auto& [k, key] : by) keys.push_back(key);
  return keys;
}

// 1-bit cells in unsigned columns: every row is (a l, a), the DAC level a
// (pmf pa, trimmed to its largest level) independent of the cell level l in
// {0, 1} (P(l = 1) = p1).
struct TwoLevel {
  std::vector<double> pa;
  double p1 = 0;
};

std::optional<TwoLevel> two_level(const std::vector<double>& pa, const std::vector<CellOutcome>& cells) {
  TwoLevel t;
  for (const CellOutcome& c : cells) {
    if (c.p <= 0) continue;
    if (c.s != 1 || c.l < 0 || c.l > 1) return std::nullopt;
    if (c.l == 1) t.p1 += c.p;
  }
  int amax = static_cast<int>(pa.size()) - 1;
  while (amax > 0 && pa[amax] <= 0) --amax;
  t.pa.assign(pa.begin(), pa.begin() + amax + 1);
  return t;
}

// Layers n, n-1 and n-2 of the n-fold convolution over (m, o). Layer k covers
// [k*mmin, k*mmax] x [k*omin, k*omax], stored from index 0 with row stride nm.
// Each row (one o) keeps the range of m it can reach: much of the rectangle is
// exactly zero (e.g. M <= (L-1) O), and skipping it adds only the terms that
// are not zero, in the same order, so the sums are unchanged.
// With two-level rows (TwoLevel) a layer is built directly instead, from the
// number j of rows whose cell is on: M is the sum of j DAC levels and O - M
// that of the other k - j, so
//   P_k(M, O) = sum_j Bin(k, j; p1) A_j(M) A_{k-j}(O - M),  A_j = pa^{*j},
// about 1.5 k^3 multiply-adds for 2-bit DAC levels instead of the direct
// convolution's 10 k^3, and only the layers asked for (the same sums to
// rounding, in another order).
class Convolution {
 public:
  // layers: how many of n, n-1, n-2 are read (the direct convolution makes all three).
  Convolution(const std::vector<Key>& keys, int n, const TwoLevel* two, int layers) : n_(n) {
    mmin_ = mmax_ = keys.front().m;
    omin_ = omax_ = keys.front().o;
    for (const Key& k : keys) {
      mmin_ = std::min(mmin_, k.m), mmax_ = std::max(mmax_, k.m);
      omin_ = std::min(omin_, k.o), omax_ = std::max(omax_, k.o);
    }
    rm_ = mmax_ - mmin_, ro_ = omax_ - omin_;
    nm_ = n * rm_ + 1, no_ = n * ro_ + 1;
    layers_ = two ? layers : 3;
    spare_ = two != nullptr;
    for (int b = 0; b < (two ? layers_ : 4); ++b) {
      // factored() zeroes each row's range before adding to it and nothing
      // reads outside the ranges, so its layers take the thread's spare
      // storage as it is (zeroing and mapping ~0.7 MB per class cost more
      // than a tenth of a 96-row class).
      if (spare_) layer_[b].swap(spare()[b]);
      layer_[b].resize(std::max(layer_[b].size(), static_cast<std::size_t>(nm_) * no_));
      lo_[b].assign(no_, nm_), hi_[b].assign(no_, -1);  // every row empty
    }
    if (two) {
      factored(*two);
      return;
    }
    layer_[0][0] = 1.0;  // layer_[0] = latest, [1] = one row fewer, [2] = two fewer
    lo_[0][0] = hi_[0][0] = 0;
    for (int k = 0; k < n; ++k) {
      std::vector<double>& nxt = layer_[3];
      std::vector<int>&lo = lo_[3], &hi = hi_[3];
      const int bo = k * ro_ + 1;
      std::fill_n(lo.begin(), bo + ro_, nm_);
      std::fill_n(hi.begin(), bo + ro_, -1);
      for (const Key& key : keys)
        for (int j = 0; j < bo; ++j)
          if (lo_[0][j] <= hi_[0][j]) {
            const int dm = key.m - mmin_, dof = key.o - omin_;
            lo[j + dof] = std::min(lo[j + dof], lo_[0][j] + dm), hi[j + dof] = std::max(hi[j + dof], hi_[0][j] + dm);
          }
      for (int j = 0; j < bo + ro_; ++j)
        if (lo[j] <= hi[j]) std::fill(nxt.begin() + row(j) + lo[j], nxt.begin() + row(j) + hi[j] + 1, 0.0);
      // One target row at a time (it stays in cache while the keys add to
      // it), the keys in their order: each entry receives the same terms in
      // the same order as key by key over the whole layer, so the same sums.
      for (int r = 0; r < bo + ro_; ++r)
        for (const Key& key : keys) {
          const int j = r - (key.o - omin_);
          if (j < 0 || j >= bo || lo_[0][j] > hi_[0][j]) continue;
          add_scaled(key.p, layer_[0].data() + row(j), nxt.data() + row(r) + (key.m - mmin_), lo_[0][j], hi_[0][j]);
        }
      rotate(layer_), rotate(lo_), rotate(hi_);  // nxt becomes the latest layer
    }
  }
  ~Convolution() {
    if (spare_)
      for (int b = 0; b < layers_; ++b) spare()[b].swap(layer_[b]);
  }
  Convolution(const Convolution&) = delete;
  Convolution& operator=(const Convolution&) = delete;
  int size_m() const { return nm_; }
  int size_o() const { return no_; }
  int m_at(int i) const { return n_ * mmin_ + i; }
  int o_at(int j) const { return n_ * omin_ + j; }
  // The indices i of row j of layer n that may be nonzero (empty: lo > hi).
  int row_lo(int j) const { return lo_[0][j]; }
  int row_hi(int j) const { return hi_[0][j]; }
  // P(statistic = (M, O)) after n - back rows.
  double p(int back, int M, int O) const {
    const int k = n_ - back;
    if (k < 0 || back >= layers_) return 0.0;
    const int i = M - k * mmin_, j = O - k * omin_;
    if (j < 0 || j > k * ro_ || i < lo_[back][j] || i > hi_[back][j]) return 0.0;
    return layer_[back][row(j) + i];
  }

 private:
  std::size_t row(int j) const { return static_cast<std::size_t>(j) * nm_; }
  template <class T>
  static void rotate(T (&b)[4]) {
    std::swap(b[3], b[2]);
    std::swap(b[2], b[1]);
    std::swap(b[1], b[0]);
  }
  // Layers [0, layers_) from the class comment's sum over j. Each output row
  // O receives, term j by term j, A_j(M) w_j times A_{k-j}(O - M) read
  // backwards (rev: A reversed), so the inner loop runs over M in step.
  // Terms with w_j <= delta are left out, and each A_t is cut to the values
  // between its tails of mass <= delta: a layer loses at most (k + 5) delta
  // = kFactorTrim of its mass, so no kept entry (> kTiny) moves by more than
  // kFactorTrim / kTiny = 1e-3 of itself.
  void factored(const TwoLevel& two) {
    const int amax = static_cast<int>(two.pa.size()) - 1;
    int amin = 0;
    while (two.pa[amin] <= 0) ++amin;
    const double delta = kFactorTrim / (n_ + 5);
    std::vector<std::vector<double>> A(n_ + 1), rev(n_ + 1);
    std::vector<int> alo(n_ + 1), ahi(n_ + 1);  // the kept values of A_t
    A[0] = {1.0};
    for (int t = 1; t <= n_; ++t) convolve(A[t - 1], two.pa, A[t]);
    for (int t = 0; t <= n_; ++t) {
      rev[t].assign(A[t].rbegin(), A[t].rend());
      int lo = 0, hi = static_cast<int>(A[t].size()) - 1;
      for (double tail = A[t][lo]; lo < hi && tail <= delta; tail += A[t][lo]) ++lo;
      for (double tail = A[t][hi]; hi > lo && tail <= delta; tail += A[t][hi]) --hi;
      alo[t] = lo, ahi[t] = hi;
    }
    std::vector<std::vector<double>> wa;
    for (int b = 0; b < layers_ && b <= n_; ++b) {
      const int k = n_ - b;
      const std::vector<double> w = binomial_pmf(k, two.p1);
      wa.assign(k + 1, {});
      std::vector<int> terms;  // the j kept
      for (int j = 0; j <= k; ++j)
        if (w[j] > delta) {
          terms.push_back(j);
          wa[j] = A[j];
          for (double& x : wa[j]) x *= w[j];
        }
      for (int O = k * amin; O <= k * amax; ++O) {
        const int r = O - k * omin_;
        int& lo = lo_[b][r];
        int& hi = hi_[b][r];
        auto range = [&](int j, int& m0, int& m1) {  // the M that term j reaches in row O
          m0 = std::max(alo[j], O - ahi[k - j]), m1 = std::min(ahi[j], O - alo[k - j]);
          return m0 <= m1;
        };
        int m0, m1;
        for (int j : terms)
          if (range(j, m0, m1)) lo = std::min(lo, m0 - k * mmin_), hi = std::max(hi, m1 - k * mmin_);
        if (lo > hi) continue;
        double* dst = layer_[b].data() + row(r);
        std::fill(dst + lo, dst + hi + 1, 0.0);
        for (int j : terms)
          if (range(j, m0, m1))
            add_product(wa[j].data() + m0, rev[k - j].data() + ((k - j) * amax - O + m0), dst + (m0 - k * mmin_),
                        m1 - m0 + 1);
      }
    }
  }
  static std::vector<double> (&spare())[3] {
    thread_local std::vector<double> s[3];
    return s;
  }
  int n_, mmin_, mmax_, omin_, omax_, rm_, ro_, nm_, no_, layers_;
  bool spare_ = false;
  std::vector<double> layer_[4];
  std::vector<int> lo_[4], hi_[4];  // per row j: the m indices that may be nonzero
};

double joint_cost(const std::vector<Key>& keys, int n) {
  int mmin = keys.front().m, mmax = mmin, omin = keys.front().o, omax = omin;
  for (const Key& k : keys) {
    mmin = std::min(mmin, k.m), mmax = std::max(mmax, k.m);
    omin = std::min(omin, k.o), omax = std::max(omax, k.o);
  }
  double cost = 0;
  for (int k = 0; k < n; ++k) cost += (k * (mmax - mmin) + 1.0) * (k * (omax - omin) + 1.0);
  return cost * static_cast<double>(keys.size());
}

// Whether an atom reads any conditional row sum: with O kept and no
// programming variation or drift the g_off term is r_off O itself (make_atom), and a
// sum that is zero in every row is zero given any statistic.
bool reads_row_sums(const JobView& v, const std::vector<Key>& keys, bool has_o) {
  const bool e_read = !has_o || has_static_variation(v);
  return std::any_of(keys.begin(), keys.end(), [&](const Key& k) {
    return k.pvp != 0 || k.pvn != 0 || k.pvn2 != 0 || (e_read && (k.pe != 0 || k.pe2 != 0));
  });
}

void from_convolution(const JobView& v, const std::vector<Key>& keys, int n, bool has_o, const TwoLevel* two,
                      ColumnDistribution& cd) {
  // Without row sums the atoms need layer n alone; their Sums stay 0, as the sums would be.
  const bool sums = reads_row_sums(v, keys, has_o);
  const Convolution conv(keys, n, two, sums ? 3 : 1);
  // Two rows' products h_1 h_2 (p-weighted) by the pair's statistic: many key pairs share one.
  std::map<std::pair<int, int>, std::pair<double, double>> by_sum;  // (m, o) -> (e_1 e_2, vn_1 vn_2)
  if (sums)
    for (const Key& k1 : keys)
      for (const Key& k2 : keys) {
        auto& [e12, vn12] = by_sum[{k1.m + k2.m, k1.o + k2.o}];
        e12 += k1.pe * k2.pe, vn12 += k1.pvn * k2.pvn;
      }
  struct Pair {
    int m, o;
    double e12, vn12;
  };
  std::vector<Pair> pairs;
  for (const auto& [mo, h] : by_sum) pairs.push_back({mo.first, mo.second, h.first, h.second});
  std::size_t kept = 0;  // the atoms, so that they are allocated once
  for (int j = 0; j < conv.size_o(); ++j)
    for (int i = std::max(conv.row_lo(j), 0); i <= std::min(conv.row_hi(j), conv.size_m() - 1); ++i)
      kept += conv.p(0, conv.m_at(i), conv.o_at(j)) > kTiny;
  cd.atoms.reserve(cd.atoms.size() + kept);
  for (int j = 0; j < conv.size_o(); ++j)
    for (int i = std::max(conv.row_lo(j), 0); i <= std::min(conv.row_hi(j), conv.size_m() - 1); ++i) {
      const int M = conv.m_at(i), O = conv.o_at(j);
      const double pn = conv.p(0, M, O);
      if (pn <= kTiny) continue;
      Sums s;
      if (!sums) {
        cd.atoms.push_back(make_atom(v, M, O, has_o, pn, s));
        continue;
      }
      double e2 = 0;
      for (const Key& k : keys) {
        const double p1 = conv.p(1, M - k.m, O - k.o);
        s.e += k.pe * p1, s.vp += k.pvp * p1, s.vn += k.pvn * p1, e2 += k.pe2 * p1, s.vn2 += k.pvn2 * p1;
      }
      // Second moments of row sums: E[(sum h)^2 | S] = n E[h_1^2 | S] + n (n-1) E[h_1 h_2 | S].
      double e12 = 0, vn12 = 0;
      for (const Pair& pr : pairs) {
        const double p2 = conv.p(2, M - pr.m, O - pr.o);
        e12 += pr.e12 * p2, vn12 += pr.vn12 * p2;
      }
      const double f = n / pn;
      s.e *= f, s.vp *= f, s.vn *= f;
      s.vn2 = f * (s.vn2 + (n - 1) * vn12);
      if (!has_o) s.e_var = std::max(0.0, f * (e2 + (n - 1) * e12) - s.e * s.e);
      cd.atoms.push_back(make_atom(v, M, O, has_o, pn, s));
    }
}

// Direct convolution's multiply-adds for value_dp (M alone: one row of layers).
double value_cost(const std::vector<Key>& keys, int n) {
  int mmin = keys.front().m, mmax = mmin;
  for (const Key& k : keys) mmin = std::min(mmin, k.m), mmax = std::max(mmax, k.m);
  double cost = 0;
  for (int k = 0; k < n; ++k) cost += k * (mmax - mmin) + 1.0;
  return cost * static_cast<double>(keys.size());
}

// value_dp by FFT: the same atoms as from_convolution(has_o = false), where
// every layer sum becomes a product of spectra on one grid:
//   P_n = p^{*n},  sum_k h_k P_{n-1}(S - m_k) = (h * p^{*(n-1)})(S),
//   sum_pairs h1 h2 P_{n-2}(S - m1 - m2) = (h * h * p^{*(n-2)})(S),
// with p, h the keys' p and p-weighted h placed at m - mmin.
// The grid covers only the window of S outside which Bernstein's inequality
// (rows bounded within b of their mean, variance sigma^2 each) leaves at most
// kWindowTail per side: P(|S - n mu| >= t) <= 2 exp(-t^2 / (2 (n sigma^2 + b t / 3))).
// Each side takes the narrower of that and Chernoff's bound,
//   P(S - n mu >= t) <= exp(n log E[exp(lambda (X - mu))] - lambda t) for every lambda > 0
// (and its mirror below), much the narrower for skewed rows. Any lambda gives
// a valid bound, so a few around the Gaussian optimum are tried and the best
// kept (chernoff_reach).
// The grid is cyclic, so what lies beyond wraps onto it: at most 2 kWindowTail
// of P_n (times max |h / p| for the row sums), e.g. a grid of 2^16 instead of
// 2^19 for 128 rows of 8-bit DAC levels times 16 cell levels (values 0..3825,
// 42% of them 0): the window [2009, 52846] (Bernstein's alone: [0, 119135], 2^17).
// Atoms below kFftFloor are dropped (those above 1e-18 the direct sums would
// keep): at most kFftFloor per value of S, n (mmax - mmin) kFftFloor in all
// (5e-8 for 128 rows of values 0..3825), and in practice far less (the dropped
// values are tails; tests/test_statistical_fft.cpp measures it).
constexpr double kWindowTail = 1e-17;

// The t with P(sign (S - n mu) >= t) <= exp(-log_tail) by Chernoff's bound,
// the least over lambda = lambda0 2^(i/2), |i| <= 4, lambda0 the optimum for
// Gaussian rows of the same variance (infinite where var = 0).
double chernoff_reach(const std::vector<Key>& keys, int n, double mu, double var, double log_tail, int sign) {
  double best = std::numeric_limits<double>::infinity();
  if (!(var > 0)) return best;
  const double lambda0 = std::sqrt(2 * log_tail / (n * var));
  for (int i = -4; i <= 4; ++i) {
    const double lambda = lambda0 * std::exp2(0.5 * i);
    double top = -std::numeric_limits<double>::infinity(), sum = 0;
    for (const Key& k : keys) top = std::max(top, sign * lambda * (k.m - mu));
    for (const Key& k : keys) sum += k.p * std::exp(sign * lambda * (k.m - mu) - top);
    best = std::min(best, (n * (top + std::log(sum)) + log_tail) / lambda);
  }
  return best;
}

void from_spectra(const JobView& v, const std::vector<Key>& keys, int n, ColumnDistribution& cd) {
  int mmin = keys.front().m, mmax = mmin;
  double mu = 0;
  for (const Key& k : keys) mmin = std::min(mmin, k.m), mmax = std::max(mmax, k.m), mu += k.p * k.m;
  double var = 0, b = 0;
  for (const Key& k : keys) var += k.p * (k.m - mu) * (k.m - mu), b = std::max(b, std::fabs(k.m - mu));
  const double log_tail = -std::log(kWindowTail), c = b / 3 * log_tail;
  const double t = c + std::sqrt(c * c + 2 * n * var * log_tail);
  const double t_lo = std::min(t, chernoff_reach(keys, n, mu, var, log_tail, -1));
  const double t_hi = std::min(t, chernoff_reach(keys, n, mu, var, log_tail, 1));
  const long long lo = std::max<long long>(1LL * n * mmin, static_cast<long long>(std::floor(n * mu - t_lo)));
  const long long hi = std::min<long long>(1LL * n * mmax, static_cast<long long>(std::ceil(n * mu + t_hi)));
  const SpectralGrid& grid = spectral_grid(static_cast<std::size_t>(std::max(hi - lo + 1, 1LL * (mmax - mmin) + 1)));
  const std::size_t size = grid.size(), mask = size - 1;

  // The rows' p and p-weighted sums h (e, vp, vn, e^2, vn^2) by m - mmin; a
  // sum that is zero everywhere (no g_off current, no programming variation,
  // no read noise) is left out and read as 0.
  enum { kP, kE, kVp, kVn, kE2, kVn2, kRows };
  std::vector<std::vector<double>> row(kRows, std::vector<double>(mmax - mmin + 1, 0.0));
  for (const Key& k : keys) {
    const int i = k.m - mmin;
    row[kP][i] = k.p, row[kE][i] = k.pe, row[kVp][i] = k.pvp, row[kVn][i] = k.pvn, row[kE2][i] = k.pe2, row[kVn2][i] = k.pvn2;
  }
  for (auto& r : row)
    if (std::all_of(r.begin(), r.end(), [](double y) { return y == 0; })) r.clear();
  // Grid-sized buffers stay with the thread between calls (fresh ones cost
  // page faults comparable to the transforms); absent sequences stay empty.
  thread_local struct {
    std::vector<SpectralGrid::Spectrum> spec;
    SpectralGrid::Spectrum a2, z;
    std::vector<std::vector<double>> seq;
  } ws;
  std::vector<SpectralGrid::Spectrum>& spec = ws.spec;
  spec.resize(kRows);
  for (auto& x : spec) x.clear();
  {
    std::vector<int> present;
    for (int r = 0; r < kRows; ++r)
      if (!row[r].empty()) present.push_back(r);
    for (std::size_t j = 0; j < present.size(); j += 2) {  // two real sequences per transform
      const int r1 = present[j], r2 = j + 1 < present.size() ? present[j + 1] : -1;
      SpectralGrid::Spectrum unused;
      grid.forward(row[r1], r2 < 0 ? std::vector<double>{} : row[r2], spec[r1], r2 < 0 ? unused : spec[r2]);
    }
  }
  // Outputs: P_n, then the row sums against P_{n-1} (kE..kVn2) and the pair sums
  // against P_{n-2} (e, vn): spectra a_back * h (* h), made two at a time into
  // one buffer (as A + iB) and transformed back in place.
  enum { kPn = 0, kE12 = kRows, kVn12, kOut };
  SpectralGrid::Spectrum& a2 = ws.a2;  // P^(n-2) by squaring (std::pow goes through log, undefined at 0)
  a2.resize(size);
  for (std::size_t f = 0; f < size; ++f) {
    std::complex<double> r = 1.0, y = spec[kP][f];
    for (int e = n - 2; e > 0; e >>= 1, y = cmul(y, y))
      if (e & 1) r = cmul(r, y);
    a2[f] = r;
  }
  auto value = [&](int o, std::size_t f) {
    const std::complex<double> x = spec[kP][f], a1 = cmul(a2[f], x);
    if (o == kPn) return cmul(a1, x);
    if (o == kE12) return cmul(a2[f], cmul(spec[kE][f], spec[kE][f]));
    if (o == kVn12) return cmul(a2[f], cmul(spec[kVn][f], spec[kVn][f]));
    return cmul(a1, spec[o][f]);
  };
  std::vector<int> present;
  for (int o = 0; o < kOut; ++o)
    if (o == kPn || !spec[o == kE12 ? kE : o == kVn12 ? kVn : o].empty()) present.push_back(o);
  std::vector<std::vector<double>>& seq = ws.seq;
  seq.resize(kOut);
  for (auto& x : seq) x.clear();
  SpectralGrid::Spectrum& z = ws.z;
  z.resize(size);
  for (std::size_t j = 0; j < present.size(); j += 2) {
    const int o1 = present[j], o2 = j + 1 < present.size() ? present[j + 1] : -1;
    for (std::size_t f = 0; f < size; ++f) z[f] = o2 < 0 ? value(o1, f) : value(o1, f) + cmul({0, 1}, value(o2, f));
    grid.inverse(z, seq[o1], o2 < 0 ? nullptr : &seq[o2]);
  }
  auto at = [&](int o, long long S) {
    return seq[o].empty() ? 0.0 : seq[o][static_cast<std::size_t>(S - 1LL * n * mmin) & mask];
  };
  for (long long S = lo; S <= hi; ++S) {
    const double prob = at(kPn, S);
    if (prob <= kFftFloor) continue;
    Sums s;
    const double f = n / prob;
    s.e = f * at(kE, S), s.vp = f * at(kVp, S), s.vn = f * at(kVn, S);
    s.vn2 = f * (at(kVn2, S) + (n - 1) * at(kVn12, S));
    s.e_var = std::max(0.0, f * (at(kE2, S) + (n - 1) * at(kE12, S)) - s.e * s.e);
    cd.atoms.push_back(make_atom(v, static_cast<int>(S), 0, false, prob, s));
  }
}

// The weighted probability w_max[o] P(S_o = m) below which column_slices
// drops atoms: the largest power of two for which all those below it sum to at
// most kAtomFloor, found from their sums by binary exponent; at least kTiny's
// next power of two, so that nothing column_distribution's other methods drop
// is kept.
double drop_below(const std::vector<double>& level, int n, const std::vector<double>& w_max) {
  constexpr int kLow = -1100, kHigh = 2;  // exponents of frexp over (0, 1]
  std::vector<double> by_exp(kHigh - kLow, 0.0);
  std::vector<double> s{1.0}, next;
  for (int o = 0; o <= n; ++o) {
    for (const double p : s) {
      const double x = w_max[o] * p;
      if (!(x > 0)) continue;
      // frexp's exponent from the bits: x in [2^(e-1), 2^e) (subnormals: e = -1022, x below 2^e too)
      const int e = static_cast<int>(std::bit_cast<std::uint64_t>(x) >> 52) - 1022;
      by_exp[std::clamp(e, kLow, kHigh - 1) - kLow] += x;
    }
    convolve(s, level, next);
    std::swap(s, next);
  }
  int e_min = 0;
  std::frexp(kTiny, &e_min);  // below 2^e_min: every x <= kTiny
  double cut = 0;
  int e = kLow;
  while (e + 1 < kHigh && cut + by_exp[e + 1 - kLow] <= kAtomFloor) cut += by_exp[++e - kLow];
  return std::ldexp(1.0, std::max(e, e_min));
}

}  // namespace

// M | O is the sum of O i.i.d. faulted levels S_O, and E[sum h | O, M] =
// O E[h(l_1) | S_O = M] = O sum_l f(l) h(l) P(S_{O-1} = M - l) / P(S_O = M),
// evaluated for the kept atoms only (a small part of all (O, M)). An active
// row of an array-subtracted pair adds s*l, signed: the levels run from
// lmin = min(0, min s*l), index l - lmin, and S_O from O lmin.
void column_slices(const JobView& v, const std::vector<CellOutcome>& cells, int n, const std::vector<double>& w_max,
                   const std::function<void(std::span<const Atom>)>& f) {
  int lmin = 0;
  for (const CellOutcome& c : cells) lmin = std::min(lmin, c.s * c.l);
  // f(l) (level) and f(l) h(l) for h = e, programming variance, noise variance, its square.
  const int L = v.L - lmin;
  std::vector<double> level(L, 0.0), fe(L, 0.0), fvp(L, 0.0), fvn(L, 0.0), fvn2(L, 0.0);
  for (const CellOutcome& c : cells) {
    const int i = c.s * c.l - lmin;
    level[i] += c.p;
    fe[i] += c.p * c.s * (c.g_mean - c.l);
    fvp[i] += c.p * c.g_var;
    fvn[i] += c.p * c.n2;
    fvn2[i] += c.p * c.n2 * c.n2;
  }
  // E[vn_1 vn_2; l_1 + l_2 = j] for two rows, against layer O - 2.
  std::vector<double> fvn_pair;
  convolve(fvn, fvn, fvn_pair);
  const double floor = drop_below(level, n, w_max);
  std::vector<Atom> slice;
  std::vector<double> prev2, prev, s{1.0}, next;  // P(S_{o-2}), P(S_{o-1}), P(S_o), P(S_{o+1})
  for (int o = 0; o <= n; ++o) {
    slice.clear();
    const int np = static_cast<int>(prev.size()), np2 = static_cast<int>(prev2.size());
    for (int m = 0; m < static_cast<int>(s.size()); ++m) {  // M = m + o lmin
      if (w_max[o] * s[m] < floor) continue;
      Sums sum;
      if (o > 0) {
        for (int l = std::max(0, m - np + 1); l <= std::min(L - 1, m); ++l) {
          const double pl = prev[m - l];
          sum.e += fe[l] * pl, sum.vp += fvp[l] * pl, sum.vn += fvn[l] * pl, sum.vn2 += fvn2[l] * pl;
        }
        double vn12 = 0;
        for (int j = std::max(0, m - np2 + 1); j <= std::min(2 * L - 2, m); ++j) vn12 += fvn_pair[j] * prev2[m - j];
        const double k = o / s[m];
        sum.e *= k, sum.vp *= k, sum.vn *= k;
        sum.vn2 = k * (sum.vn2 + (o - 1) * vn12);
      }
      slice.push_back(make_atom(v, m + o * lmin, o, true, s[m], sum));
    }
    if (!slice.empty()) f(slice);
    convolve(s, level, next);
    std::swap(prev2, prev);
    std::swap(prev, s);
    std::swap(s, next);
  }
}

std::vector<double> binomial_pmf(int n, double p) {
  std::vector<double> b(n + 1, 0.0);
  if (p <= 0 || p >= 1) {
    b[p <= 0 ? 0 : n] = 1.0;
    return b;
  }
  const double lp = std::log(p), lq = std::log1p(-p);
  // log k! from a table built once for the common sizes (lgamma is a sizeable
  // share of the energy-only model); the same values either way.
  constexpr int kTable = 4096;
  static const std::vector<double> table = [] {
    std::vector<double> t(kTable + 1);
    for (int k = 0; k <= kTable; ++k) t[k] = std::lgamma(k + 1.0);
    return t;
  }();
  std::vector<double> own;
  if (n > kTable) {
    own.resize(n + 1);
    for (int k = 0; k <= n; ++k) own[k] = std::lgamma(k + 1.0);
  }
  const double* lf = n > kTable ? own.data() : table.data();
  for (int k = 0; k <= n; ++k) b[k] = std::exp(lf[n] - lf[k] - lf[n - k] + k * lp + (n - k) * lq);
  return b;
}

std::vector<double> active_rows_pmf(const std::vector<double>& pa, int n) {
  return binomial_pmf(n, pa.size() > 1 ? pa[1] : 0.0);
}

ColumnDistribution column_distribution(const JobView& v, const std::vector<double>& pa,
                                       const std::vector<CellOutcome>& cells, int n, double fft_above) {
  ColumnDistribution cd;
  if (bit_serial(v)) {
    cd.method = Method::binomial_mixture;
    const std::vector<double> bo = active_rows_pmf(pa, n);
    column_slices(v, cells, n, bo, [&](std::span<const Atom> slice) {
      for (Atom a : slice) {
        a.p *= bo[a.o];
        cd.atoms.push_back(a);
      }
    });
    return cd;
  }
  const std::vector<RowOutcome> rows = row_outcomes(pa, cells);
  const bool joint = joint_cost(merge(rows, true), n) <= kJointBudget;
  cd.method = joint ? Method::joint_dp : Method::value_dp;
  const std::vector<Key> keys = merge(rows, joint);
  if (!joint && n >= 2 && value_cost(keys, n) > fft_above) {
    cd.method = Method::value_fft;
    from_spectra(v, keys, n, cd);
  } else {
    const std::optional<TwoLevel> two = joint ? two_level(pa, cells) : std::nullopt;
    from_convolution(v, keys, n, joint, two ? &*two : nullptr, cd);
  }
  return cd;
}

}  // namespace cimmc::stat

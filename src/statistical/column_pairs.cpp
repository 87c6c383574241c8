// Joint moments of two columns' conversions in one conversion set (same
// cycle, same row group, not bit-serial): their rows are the same, so each row
// contributes (s*a*l_q1, s*a*l_q2), the weight's (faulted) levels in both
// columns, and (M_q1, M_q2) is a 2-D convolution over the rows like joint_dp's
// (M, O). O is not kept: the analog deviation D (g_off current, programming
// variation) and the programming and noise variances enter through their
// conditional means given the pair, from the previous layer, as in value_dp.
// Given the pair, each column is converted on its own (the columns' cells and
// reads are independent; the g_off spread given the pair, shared, is not
// carried, and the noise is one Gaussian of the mean variance, not the
// two-point mixture of adc_transfer.cpp). Layer entries below kPrune and pair
// atoms below kTiny are dropped. Where no row deviates (no D, no variance),
// the moments come from the law's spectrum instead when that costs less
// (pair_spectrum.cpp: nothing dropped). Jobs assembled from one class table
// repeat pairs, so a memo keeps what was computed.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "statistical/column_pairs.hpp"
#include "statistical/gaussian.hpp"
#include "statistical/model.hpp"

namespace cimmc::stat {
namespace {

constexpr double kTiny = 1e-15;

// Row outcomes merged by (m1, m2): the weights' (sign, state pair in the two
// columns) first, then the DAC levels.
std::vector<PairRow> pair_rows(const OperandModel& om, const std::vector<double>& pa, int q1,
                               int q2) {
  const int S = static_cast<int>(om.states.size());
  std::vector<double> cells(2 * static_cast<std::size_t>(S) * S, 0.0);  // [(s < 0) * S * S + state1 * S + state2]
  for (const WeightValue& w : om.ws)
    for (const Fate& f1 : om.fates[w.l[q1]])
      for (const Fate& f2 : om.fates[w.l[q2]]) cells[(w.s < 0) * S * S + f1.state * S + f2.state] += w.p * f1.p * f2.p;
  std::map<std::pair<int, int>, PairRow> by;
  for (int a = 0; a < static_cast<int>(pa.size()); ++a) {
    if (pa[a] <= 0) continue;
    for (int neg = 0; neg < 2; ++neg)
      for (int i1 = 0; i1 < S; ++i1)
        for (int i2 = 0; i2 < S; ++i2) {
          const double p = pa[a] * cells[(neg * S + i1) * S + i2];
          if (p <= 0) continue;
          const int s = neg ? -1 : 1;
          const CellState &c1 = om.states[i1], &c2 = om.states[i2];
          PairRow& r = by[{s * a * c1.l, s * a * c2.l}];
          r.m1 = s * a * c1.l, r.m2 = s * a * c2.l;
          r.p += p;
          r.d1 += p * s * a * (c1.g_mean - c1.l);
          r.d2 += p * s * a * (c2.g_mean - c2.l);
          r.d12 += p * a * a * (c1.g_mean - c1.l) * (c2.g_mean - c2.l);
          r.vp1 += p * a * a * c1.g_var;
          r.vp2 += p * a * a * c2.g_var;
          r.vn1 += p * a * a * c1.n2;
          r.vn2 += p * a * a * c2.n2;
        }
  }
  std::vector<PairRow> rows;
  for (const auto& [k, r] : by) rows.push_back(r);
  return rows;
}

}  // namespace

// E[delta*code] - M per variant of one column of a pair atom; an ideal ADC
// passes E[Y] = u on in every variant (its noise has mean 0).
void column_errors(const JobView& v, double step, int M, double u, double vp, double vn, double* e) {
  if (v.adc_mode == AdcMode::ideal) {
    e[0] = e[1] = e[2] = u - M;
    return;
  }
  const double inv = 1.0 / step, inf = std::numeric_limits<double>::infinity();
  const Grid free{0.0, step, inv, -inf, inf};
  const Grid clamped{0.0, step, inv, static_cast<double>(v.code_min), static_cast<double>(v.code_max)};
  const double adc_var = static_cast<double>(v.adc_noise) * v.adc_noise * v.adc_delta * v.adc_delta;
  double k0 = 0, k1 = 0;
  const double sp = std::sqrt(vp);
  for_each_cell(free, u, sp, [&](double k, double p0, double, double) {
    k0 += k * p0;
    k1 += std::min(std::max(k, clamped.lo), clamped.hi) * p0;
  });
  e[0] = step * k0 - M;
  e[1] = step * k1 - M;
  const double var = vn + adc_var;
  if (var <= 0) {
    e[2] = e[1];
    return;
  }
  double k2 = 0;
  for_each_cell(clamped, u, std::sqrt(vp + var), [&](double k, double p0, double, double) { k2 += k * p0; });
  e[2] = step * k2 - M;
}

namespace {

// One layer of the convolution: P(M1, M2) on the box [m1, m1 + n1) x [m2, m2 + n2),
// row i at p[i * stride + off, ...), between zeros: off zeros on the left and at
// least the next layer's output width (add_row) from off on, so that add_row
// reads whole rows shifted by up to off without bounds checks.
struct Layer {
  int m1 = 0, m2 = 0, n1 = 1, n2 = 1, off = 0, stride = 1;
  std::vector<double> p{1.0};
  const double* row(int i) const { return p.data() + static_cast<std::size_t>(i) * stride + off; }
  double at(int M1, int M2) const {
    const int i = M1 - m1, j = M2 - m2;
    return i < 0 || i >= n1 || j < 0 || j >= n2 ? 0.0 : row(i)[j];
  }
  // A box of n1 x n2 entries with margin zeros left of each row, rows long
  // enough for add_row with the same margin; the entries are the caller's to write.
  void shape(int rows, int cols, int margin) {
    n1 = rows, n2 = cols, off = margin, stride = margin + (cols + margin + 7) / 8 * 8;
    p.resize(static_cast<std::size_t>(n1) * stride);
  }
  void set_row(int i, const double* src) {
    double* r = p.data() + static_cast<std::size_t>(i) * stride;
    std::fill_n(r, off, 0.0);
    std::copy_n(src, n2, r + off);
    std::fill_n(r + off + n2, stride - off - n2, 0.0);
  }
};

// dst[j] = sum over k in [0, nk) of p[k] * src[k][j], for j in [0, len), len a
// multiple of 8: one output row of the pair convolution from every row kind,
// eight entries at a time held in registers across the kinds, in the widest
// vectors this CPU has. Each entry takes its terms from +0 in the order of k,
// without FMA contraction (-ffp-contract=off), so every copy gives the same bits.
__attribute__((target_clones("avx512f", "avx2", "default"))) void sum_kinds(const double* const* src, const double* p,
                                                                              int nk, double* dst, int len) {
  typedef double V8 __attribute__((vector_size(64)));
  int j = 0;
  for (; j + 32 <= len; j += 32) {  // four independent sums in flight (the adds' latency)
    V8 acc[4] = {};
    for (int k = 0; k < nk; ++k)
      for (int u = 0; u < 4; ++u) {
        V8 x;
        std::memcpy(&x, src[k] + j + 8 * u, sizeof x);
        acc[u] += p[k] * x;
      }
    std::memcpy(dst + j, acc, sizeof acc);
  }
  for (; j < len; j += 8) {
    V8 acc = {};
    for (int k = 0; k < nk; ++k) {
      V8 x;
      std::memcpy(&x, src[k] + j, sizeof x);
      acc += p[k] * x;
    }
    std::memcpy(dst + j, &acc, sizeof acc);
  }
}

// The next layer (one row more) into t, trimmed to the entries above kPrune.
constexpr double kPrune = 1e-18;
// Every row kind adds a whole output row of a width rounded up to 8 values:
// entries outside a's box add p * 0 = +0 to a sum that is >= +0, which leaves
// it as it was, so each entry gets the bits of adding only the terms inside the
// box (the same terms in the order of `rows`). a and t have margin hi2 - lo2.
void add_row(const Layer& a, const std::vector<PairRow>& rows, int lo1, int hi1, int lo2, int hi2, Layer& t) {
  struct {
    int m1, m2, n1, n2;
  } b{a.m1 + lo1, a.m2 + lo2, a.n1 + hi1 - lo1, a.n2 + hi2 - lo2};  // the untrimmed box
  const int width = (b.n2 + 7) / 8 * 8;  // output row length, whole vectors (a.off + width <= a.stride)
  thread_local std::vector<double> full;
  thread_local std::vector<const double*> src;
  thread_local std::vector<double> p;
  full.resize(static_cast<std::size_t>(b.n1) * width);  // every entry is written below
  // Output row by output row, every row kind at once.
  for (int I = 0; I < b.n1; ++I) {
    src.clear(), p.clear();
    for (const PairRow& r : rows) {
      const int i = I - (r.m1 - lo1);
      if (i < 0 || i >= a.n1) continue;
      src.push_back(a.row(i) - (r.m2 - lo2));
      p.push_back(r.p);
    }
    sum_kinds(src.data(), p.data(), static_cast<int>(src.size()), full.data() + static_cast<std::size_t>(I) * width, width);
  }
  int i0 = b.n1, i1 = -1, j0 = b.n2, j1 = -1;
  for (int i = 0; i < b.n1; ++i) {
    const double* row = full.data() + static_cast<std::size_t>(i) * width;
    int lo = 0, hi = b.n2 - 1;
    while (lo <= hi && row[lo] <= kPrune) ++lo;
    if (lo > hi) continue;
    while (row[hi] <= kPrune) --hi;
    i0 = std::min(i0, i), i1 = i, j0 = std::min(j0, lo), j1 = std::max(j1, hi);
  }
  if (i1 < 0) {  // cannot happen: the probabilities sum to 1
    t = a;
    return;
  }
  t.m1 = b.m1 + i0, t.m2 = b.m2 + j0;
  t.shape(i1 - i0 + 1, j1 - j0 + 1, hi2 - lo2);
  for (int i = 0; i < t.n1; ++i) t.set_row(i, full.data() + static_cast<std::size_t>(i + i0) * width + j0);
}

// One row's exact moments of (m, d) in both columns.
void add_row_moments(const std::vector<PairRow>& rows, PairMoments& pm) {
  for (const PairRow& r : rows) {
    const double f1[2] = {r.p * r.m1, r.d1}, f2[2] = {r.p * r.m2, r.d2};  // p-weighted
    pm.row1[0] += f1[0], pm.row1[1] += f1[1], pm.row2[0] += f2[0], pm.row2[1] += f2[1];
    pm.row[0][0] += f1[0] * r.m2, pm.row[0][1] += r.m1 * r.d2, pm.row[1][0] += r.d1 * r.m2, pm.row[1][1] += r.d12;
  }
}

// The moments from the joint law of the pair's sums: by the direct
// convolution over n rows, or from its spectrum (pair_spectrum.cpp).
std::optional<PairMoments> compute(const JobView& v, const std::vector<PairRow>& rows, double step1, double step2,
                                   int n, double budget, PairMethod method, PairMemo* memo) {
  int lo1 = rows.front().m1, hi1 = lo1, lo2 = rows.front().m2, hi2 = lo2;
  for (const PairRow& r : rows) {
    lo1 = std::min(lo1, r.m1), hi1 = std::max(hi1, r.m1);
    lo2 = std::min(lo2, r.m2), hi2 = std::max(hi2, r.m2);
  }
  // Rows without an analog deviation or a variance leave each column's error
  // a function of its own sum: tabulated once per value (the same numbers),
  // or the moments taken from the pair's spectrum, whichever costs less.
  const bool deviates = std::any_of(rows.begin(), rows.end(), [](const PairRow& r) {
    return r.d1 != 0 || r.d2 != 0 || r.vp1 != 0 || r.vp2 != 0 || r.vn1 != 0 || r.vn2 != 0;
  });
  double cost = 0;  // the untrimmed convolution's multiply-adds
  for (int k = 1; k <= n; ++k) cost += (k * (hi1 - lo1) + 1.0) * (k * (hi2 - lo2) + 1.0);
  cost *= static_cast<double>(rows.size());
  PairMoments pm;
  if (!deviates && method != PairMethod::direct) {
    std::vector<int> m1s;
    for (const PairRow& r : rows) m1s.push_back(r.m1);
    const int D = static_cast<int>(std::unique(m1s.begin(), m1s.end()) - m1s.begin());
    const double sc = spectral_cost(n, D, n * (hi1 - lo1) + 1, n * (hi2 - lo2) + 1);
    if (method == PairMethod::spectral || sc < cost) {
      if (sc > budget) return std::nullopt;
      spectral_moments(v, rows, lo1, hi1, lo2, hi2, step1, step2, n, memo, pm);
      add_row_moments(rows, pm);
      return pm;
    }
  }
  if (cost > budget) return std::nullopt;
  Layer prev, cur;
  const double one = 1.0;
  cur.shape(1, 1, hi2 - lo2);
  cur.set_row(0, &one);
  for (int k = 1; k <= n; ++k) {
    std::swap(prev, cur);  // cur's storage is reused
    add_row(prev, rows, lo1, hi1, lo2, hi2, cur);
  }
  std::vector<double> xs, ys;
  if (!deviates) {
    xs.resize(3 * static_cast<std::size_t>(cur.n1)), ys.resize(3 * static_cast<std::size_t>(cur.n2));
    for (int i = 0; i < cur.n1; ++i) column_errors(v, step1, cur.m1 + i, cur.m1 + i, 0.0, 0.0, &xs[3 * i]);
    for (int j = 0; j < cur.n2; ++j) column_errors(v, step2, cur.m2 + j, cur.m2 + j, 0.0, 0.0, &ys[3 * j]);
  }
  for (int i = 0; i < cur.n1; ++i)
    for (int j = 0; j < cur.n2; ++j) {
      const double p = cur.row(i)[j];
      if (p <= kTiny) continue;
      double xd[3], yd[3];
      const double* x = deviates ? xd : &xs[3 * i];
      const double* y = deviates ? yd : &ys[3 * j];
      if (deviates) {
        const int M1 = cur.m1 + i, M2 = cur.m2 + j;
        double d1 = 0, d2 = 0, vp1 = 0, vp2 = 0, vn1 = 0, vn2 = 0;
        for (const PairRow& r : rows) {
          const double pp = prev.at(M1 - r.m1, M2 - r.m2);
          d1 += r.d1 * pp, d2 += r.d2 * pp, vp1 += r.vp1 * pp, vp2 += r.vp2 * pp, vn1 += r.vn1 * pp, vn2 += r.vn2 * pp;
        }
        const double f = n / p;
        d1 *= f, d2 *= f, vp1 *= f, vp2 *= f, vn1 *= f, vn2 *= f;
        column_errors(v, step1, M1, M1 + d1, vp1, vn1, xd);
        column_errors(v, step2, M2, M2 + d2, vp2, vn2, yd);
      }
      pm.p += p;
      for (int c = 0; c < 3; ++c) pm.e1[c] += p * x[c], pm.e2[c] += p * y[c], pm.e12[c] += p * x[c] * y[c];
    }
  add_row_moments(rows, pm);
  return pm;
}

// Everything compute() reads, as bytes: its rows, n, the budget, the two steps
// and the ADC fields column_errors reads.
std::string memo_key(const JobView& v, const std::vector<PairRow>& rows, double step1, double step2, int n,
                     double budget, PairMethod method) {
  std::string k;
  append_key(k, n), append_key(k, budget), append_key(k, method), append_key(k, step1), append_key(k, step2);
  append_adc_key(k, v);
  for (const PairRow& r : rows)
    for (const double x : {r.p, r.d1, r.d2, r.d12, r.vp1, r.vp2, r.vn1, r.vn2, 1.0 * r.m1, 1.0 * r.m2}) append_key(k, x);
  return k;
}

}  // namespace

std::optional<PairMoments> pair_moments(const JobView& v, const OperandModel& om, const std::vector<double>& pa,
                                        int c, int q1, int q2, int n, double budget, PairMemo* memo,
                                        PairMethod method) {
  const std::vector<PairRow> rows = pair_rows(om, pa, q1, q2);
  const double step1 = adc_step(v, c, q1), step2 = adc_step(v, c, q2);
  if (!memo) return compute(v, rows, step1, step2, n, budget, method, memo);
  std::string key = memo_key(v, rows, step1, step2, n, budget, method);
  if (const auto it = memo->by_key.find(key); it != memo->by_key.end()) return it->second;
  return memo->by_key.emplace(std::move(key), compute(v, rows, step1, step2, n, budget, method, memo)).first->second;
}

}  // namespace cimmc::stat

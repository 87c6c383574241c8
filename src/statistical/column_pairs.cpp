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
// atoms below kTiny are dropped.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "statistical/gaussian.hpp"
#include "statistical/model.hpp"

namespace cimmc::stat {
namespace {

constexpr double kTiny = 1e-15;

struct PairRow {
  int m1 = 0, m2 = 0;
  double p = 0, d1 = 0, d2 = 0, d12 = 0, vp1 = 0, vp2 = 0, vn1 = 0, vn2 = 0;  // p-weighted
};

// Row outcomes merged by (m1, m2): the weights' (sign, faulted level pair)
// first, then the DAC levels.
std::vector<PairRow> pair_rows(const JobView& v, const OperandModel& om, const std::vector<double>& pa, int q1,
                               int q2) {
  const double ra2 = static_cast<double>(v.read_abs) * v.read_abs;
  const double rr2 = static_cast<double>(v.read_rel) * v.read_rel;
  const int L = v.L;
  std::vector<double> cells(2 * static_cast<std::size_t>(L) * L, 0.0);  // [(s < 0) * L * L + l1 * L + l2]
  for (const WeightValue& w : om.ws) {
    const int f1[3] = {w.l[q1], 0, L - 1}, f2[3] = {w.l[q2], 0, L - 1};
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) cells[(w.s < 0) * L * L + f1[i] * L + f2[j]] += w.p * om.p_fault[i] * om.p_fault[j];
  }
  std::map<std::pair<int, int>, PairRow> by;
  for (int a = 0; a < static_cast<int>(pa.size()); ++a) {
    if (pa[a] <= 0) continue;
    for (int neg = 0; neg < 2; ++neg)
      for (int l1 = 0; l1 < L; ++l1)
        for (int l2 = 0; l2 < L; ++l2) {
          const double p = pa[a] * cells[neg * L * L + l1 * L + l2];
          if (p <= 0) continue;
          const int s = neg ? -1 : 1;
          PairRow& r = by[{s * a * l1, s * a * l2}];
          r.m1 = s * a * l1, r.m2 = s * a * l2;
          r.p += p;
          r.d1 += p * s * a * (om.g_mean[l1] - l1);
          r.d2 += p * s * a * (om.g_mean[l2] - l2);
          r.d12 += p * a * a * (om.g_mean[l1] - l1) * (om.g_mean[l2] - l2);
          r.vp1 += p * a * a * om.g_var[l1];
          r.vp2 += p * a * a * om.g_var[l2];
          r.vn1 += p * a * a * (ra2 + rr2 * (om.g_mean[l1] * om.g_mean[l1] + om.g_var[l1]));
          r.vn2 += p * a * a * (ra2 + rr2 * (om.g_mean[l2] * om.g_mean[l2] + om.g_var[l2]));
        }
  }
  std::vector<PairRow> rows;
  for (const auto& [k, r] : by) rows.push_back(r);
  return rows;
}

// E[delta*code] - M per variant of one column of a pair atom.
void column_errors(const JobView& v, int M, double u, double vp, double vn, double* e) {
  const double inv = 1.0 / v.adc_delta, inf = std::numeric_limits<double>::infinity();
  const Grid free{0.0, v.adc_delta, inv, -inf, inf};
  const Grid clamped{0.0, v.adc_delta, inv, static_cast<double>(v.code_min), static_cast<double>(v.code_max)};
  const double adc_var = static_cast<double>(v.adc_noise) * v.adc_noise * v.adc_delta * v.adc_delta;
  double k0 = 0, k1 = 0;
  const double sp = std::sqrt(vp);
  for_each_cell(free, u, sp, [&](double k, double p0, double, double) {
    k0 += k * p0;
    k1 += std::min(std::max(k, clamped.lo), clamped.hi) * p0;
  });
  e[0] = v.adc_delta * k0 - M;
  e[1] = v.adc_delta * k1 - M;
  const double var = vn + adc_var;
  if (var <= 0) {
    e[2] = e[1];
    return;
  }
  double k2 = 0;
  for_each_cell(clamped, u, std::sqrt(vp + var), [&](double k, double p0, double, double) { k2 += k * p0; });
  e[2] = v.adc_delta * k2 - M;
}

}  // namespace

namespace {

// One layer of the convolution: P(M1, M2) on the box [m1, m1 + n1) x [m2, m2 + n2).
struct Layer {
  int m1 = 0, m2 = 0, n1 = 1, n2 = 1;
  std::vector<double> p{1.0};
  double at(int M1, int M2) const {
    const int i = M1 - m1, j = M2 - m2;
    return i < 0 || i >= n1 || j < 0 || j >= n2 ? 0.0 : p[static_cast<std::size_t>(i) * n2 + j];
  }
};

// The next layer (one row more), trimmed to the entries above kPrune.
constexpr double kPrune = 1e-18;
Layer add_row(const Layer& a, const std::vector<PairRow>& rows, int lo1, int hi1, int lo2, int hi2) {
  Layer b;
  b.m1 = a.m1 + lo1, b.m2 = a.m2 + lo2, b.n1 = a.n1 + hi1 - lo1, b.n2 = a.n2 + hi2 - lo2;
  std::vector<double> full(static_cast<std::size_t>(b.n1) * b.n2, 0.0);
  // Output row by output row, so one row stays in cache while every row kind
  // adds to it; each entry still receives its terms in the order of `rows`.
  for (int I = 0; I < b.n1; ++I) {
    double* dst = full.data() + static_cast<std::size_t>(I) * b.n2;
    for (const PairRow& r : rows) {
      const int i = I - (r.m1 - lo1);
      if (i < 0 || i >= a.n1) continue;
      add_scaled(r.p, a.p.data() + static_cast<std::size_t>(i) * a.n2, dst + (r.m2 - lo2), 0, a.n2 - 1);
    }
  }
  int i0 = b.n1, i1 = -1, j0 = b.n2, j1 = -1;
  for (int i = 0; i < b.n1; ++i) {
    const double* row = full.data() + static_cast<std::size_t>(i) * b.n2;
    int lo = 0, hi = b.n2 - 1;
    while (lo <= hi && row[lo] <= kPrune) ++lo;
    if (lo > hi) continue;
    while (row[hi] <= kPrune) --hi;
    i0 = std::min(i0, i), i1 = i, j0 = std::min(j0, lo), j1 = std::max(j1, hi);
  }
  if (i1 < 0) return a;  // cannot happen: the probabilities sum to 1
  Layer t;
  t.m1 = b.m1 + i0, t.m2 = b.m2 + j0, t.n1 = i1 - i0 + 1, t.n2 = j1 - j0 + 1;
  t.p.resize(static_cast<std::size_t>(t.n1) * t.n2);
  for (int i = 0; i < t.n1; ++i)
    std::copy_n(full.data() + static_cast<std::size_t>(i + i0) * b.n2 + j0, t.n2, t.p.data() + static_cast<std::size_t>(i) * t.n2);
  return t;
}

}  // namespace

std::optional<PairMoments> pair_moments(const JobView& v, const OperandModel& om, const std::vector<double>& pa,
                                        int q1, int q2, int n, double budget) {
  const std::vector<PairRow> rows = pair_rows(v, om, pa, q1, q2);
  int lo1 = rows.front().m1, hi1 = lo1, lo2 = rows.front().m2, hi2 = lo2;
  for (const PairRow& r : rows) {
    lo1 = std::min(lo1, r.m1), hi1 = std::max(hi1, r.m1);
    lo2 = std::min(lo2, r.m2), hi2 = std::max(hi2, r.m2);
  }
  double cost = 0;  // the untrimmed convolution's multiply-adds
  for (int k = 1; k <= n; ++k) cost += (k * (hi1 - lo1) + 1.0) * (k * (hi2 - lo2) + 1.0);
  if (cost * static_cast<double>(rows.size()) > budget) return std::nullopt;
  Layer prev, cur;
  for (int k = 1; k <= n; ++k) {
    prev = std::move(cur);
    cur = add_row(prev, rows, lo1, hi1, lo2, hi2);
  }
  PairMoments pm;
  // Rows without an analog deviation or a variance leave each column's error
  // a function of its own sum: computed once per value (the same numbers).
  const bool sums = std::any_of(rows.begin(), rows.end(), [](const PairRow& r) {
    return r.d1 != 0 || r.d2 != 0 || r.vp1 != 0 || r.vp2 != 0 || r.vn1 != 0 || r.vn2 != 0;
  });
  if (!sums) {
    std::vector<double> x(3 * static_cast<std::size_t>(cur.n1)), y(3 * static_cast<std::size_t>(cur.n2));
    for (int i = 0; i < cur.n1; ++i) column_errors(v, cur.m1 + i, cur.m1 + i, 0.0, 0.0, &x[3 * i]);
    for (int j = 0; j < cur.n2; ++j) column_errors(v, cur.m2 + j, cur.m2 + j, 0.0, 0.0, &y[3 * j]);
    for (int i = 0; i < cur.n1; ++i)
      for (int j = 0; j < cur.n2; ++j) {
        const double p = cur.p[static_cast<std::size_t>(i) * cur.n2 + j];
        if (p <= kTiny) continue;
        pm.p += p;
        for (int c = 0; c < 3; ++c) {
          const double xc = x[3 * i + c], yc = y[3 * j + c];
          pm.e1[c] += p * xc, pm.e2[c] += p * yc, pm.e12[c] += p * xc * yc;
        }
      }
  }
  for (int i = 0; i < cur.n1 && sums; ++i)
    for (int j = 0; j < cur.n2; ++j) {
      const double p = cur.p[static_cast<std::size_t>(i) * cur.n2 + j];
      if (p <= kTiny) continue;
      const int M1 = cur.m1 + i, M2 = cur.m2 + j;
      double d1 = 0, d2 = 0, vp1 = 0, vp2 = 0, vn1 = 0, vn2 = 0;
      for (const PairRow& r : rows) {
        const double pp = prev.at(M1 - r.m1, M2 - r.m2);
        d1 += r.d1 * pp, d2 += r.d2 * pp, vp1 += r.vp1 * pp, vp2 += r.vp2 * pp, vn1 += r.vn1 * pp, vn2 += r.vn2 * pp;
      }
      const double f = n / p;
      d1 *= f, d2 *= f, vp1 *= f, vp2 *= f, vn1 *= f, vn2 *= f;
      double x[3], y[3];
      column_errors(v, M1, M1 + d1, vp1, vn1, x);
      column_errors(v, M2, M2 + d2, vp2, vn2, y);
      pm.p += p;
      for (int i = 0; i < 3; ++i) pm.e1[i] += p * x[i], pm.e2[i] += p * y[i], pm.e12[i] += p * x[i] * y[i];
    }
  for (const PairRow& r : rows) {
    const double f1[2] = {r.p * r.m1, r.d1}, f2[2] = {r.p * r.m2, r.d2};  // p-weighted
    pm.row1[0] += f1[0], pm.row1[1] += f1[1], pm.row2[0] += f2[0], pm.row2[1] += f2[1];
    pm.row[0][0] += f1[0] * r.m2, pm.row[0][1] += r.m1 * r.d2, pm.row[1][0] += r.d1 * r.m2, pm.row[1][1] += r.d12;
  }
  return pm;
}

}  // namespace cimmc::stat

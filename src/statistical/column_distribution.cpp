// Distribution of one conversion's column value: the sum over n i.i.d. rows of
// s*a*g. Write the row's contribution as m + e with m = s*a*l (an integer: the
// faulted level) and e = s*a*(g - l) (g_off current r_off*s*a, programming
// variation). The integer part and the g_off multiplier O = sum s*a are kept
// exactly as a joint distribution of (M, O) when affordable:
//   binomial_mixture  1-bit DAC, unsigned columns: O = active rows ~ Binomial,
//                     M | O = sum of O i.i.d. levels (n^2 L work, exact)
//   joint_dp          2-D convolution over rows, when it costs < kJointBudget
//   value_dp          1-D convolution of M only
// With r_off = 0 and no programming variation every method is exact, and so
// is the g_off shift r_off*O in the first two. Everything else is a row sum
// sum_j h_j (h: e, programming variance, read-noise variance) and enters
// through its exact conditional mean given the kept statistic S, from the
// convolution's previous layer: E[sum h | S] = n sum_r h_r p_r P_{n-1}(S - s_r)
// / P_n(S). In value_dp the conditional variance of sum e (r_off times O's
// spread given M) comes the same way from layer n-2 and becomes Gaussian
// spread. Approximations: programming variation is Gaussian with the
// clamped-normal variance, at its conditional mean; read noise, a mixture of
// Gaussians whose variance depends on the rows, is two Gaussians matching the
// conditional mean and variance of that variance (adc_transfer.cpp); atoms
// below kTiny are dropped (clip rates below ~1e-18 read as 0).
#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "statistical/model.hpp"

namespace cimmc::stat {
namespace {

constexpr double kJointBudget = 3e7;  // multiply-adds for joint_dp per class
constexpr double kTiny = 1e-18;       // atoms below this probability are dropped

struct RowOutcome {
  int m = 0, o = 0;
  double p = 0, e = 0, vp = 0, vn = 0;
};

std::vector<RowOutcome> row_outcomes(const JobView& v, const std::vector<double>& pa,
                                     const std::vector<CellOutcome>& cells) {
  const double ra2 = static_cast<double>(v.read_abs) * v.read_abs;
  const double rr2 = static_cast<double>(v.read_rel) * v.read_rel;
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
      r.vn = static_cast<double>(a) * a * (ra2 + rr2 * (c.g_mean * c.g_mean + c.g_var));
      rows.push_back(r);
    }
  }
  return rows;
}

// Conditional expectations of the row sums given the kept statistic.
struct Sums {
  double e = 0, vp = 0, vn = 0, e_var = 0, vn2 = 0;  // vn2 = E[(sum vn)^2]
};

Atom make_atom(const JobView& v, int M, int O, bool has_o, double p, const Sums& s) {
  Atom a;
  a.p = p;
  if (has_o && v.prog_abs == 0 && v.prog_rel == 0) {
    a.u = static_cast<double>(M) + static_cast<double>(v.r_off) * O;  // the sampler's own expression
  } else {
    a.u = M + s.e;
  }
  a.d = a.u - M;
  a.m = M;
  a.o = has_o ? O : 0;
  a.vp = s.vp + s.e_var;
  a.vn = s.vn + static_cast<double>(v.adc_noise) * v.adc_noise * v.adc_delta * v.adc_delta;
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

// Layers n, n-1 and n-2 of the n-fold convolution over (m, o). Layer k covers
// [k*mmin, k*mmax] x [k*omin, k*omax], stored from index 0 with row stride nm.
class Convolution {
 public:
  Convolution(const std::vector<Key>& keys, int n) : n_(n) {
    mmin_ = mmax_ = keys.front().m;
    omin_ = omax_ = keys.front().o;
    for (const Key& k : keys) {
      mmin_ = std::min(mmin_, k.m), mmax_ = std::max(mmax_, k.m);
      omin_ = std::min(omin_, k.o), omax_ = std::max(omax_, k.o);
    }
    rm_ = mmax_ - mmin_, ro_ = omax_ - omin_;
    nm_ = n * rm_ + 1, no_ = n * ro_ + 1;
    for (auto& b : layer_) b.assign(static_cast<std::size_t>(nm_) * no_, 0.0);
    layer_[0][0] = 1.0;  // layer_[0] = latest, [1] = one row fewer, [2] = two fewer
    for (int k = 0; k < n; ++k) {
      std::vector<double>& nxt = layer_[3];
      const int bm = k * rm_ + 1, bo = k * ro_ + 1;
      for (int j = 0; j < bo + ro_; ++j) std::fill_n(nxt.begin() + static_cast<std::size_t>(j) * nm_, bm + rm_, 0.0);
      for (const Key& key : keys) {
        const int dm = key.m - mmin_, dof = key.o - omin_;
        for (int j = 0; j < bo; ++j) {
          const double* src = layer_[0].data() + static_cast<std::size_t>(j) * nm_;
          double* dst = nxt.data() + static_cast<std::size_t>(j + dof) * nm_ + dm;
          for (int i = 0; i < bm; ++i) dst[i] += key.p * src[i];
        }
      }
      std::swap(layer_[3], layer_[2]);  // rotate: nxt becomes the latest layer
      std::swap(layer_[2], layer_[1]);
      std::swap(layer_[1], layer_[0]);
    }
  }
  int size_m() const { return nm_; }
  int size_o() const { return no_; }
  int m_at(int i) const { return n_ * mmin_ + i; }
  int o_at(int j) const { return n_ * omin_ + j; }
  // P(statistic = (M, O)) after n - back rows.
  double p(int back, int M, int O) const {
    const int k = n_ - back;
    if (k < 0) return 0.0;
    const int i = M - k * mmin_, j = O - k * omin_;
    if (i < 0 || i > k * rm_ || j < 0 || j > k * ro_) return 0.0;
    return layer_[back][static_cast<std::size_t>(j) * nm_ + i];
  }

 private:
  int n_, mmin_, mmax_, omin_, omax_, rm_, ro_, nm_, no_;
  std::vector<double> layer_[4];
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

void from_convolution(const JobView& v, const std::vector<Key>& keys, int n, bool has_o, ColumnDistribution& cd) {
  const Convolution conv(keys, n);
  for (int j = 0; j < conv.size_o(); ++j)
    for (int i = 0; i < conv.size_m(); ++i) {
      const int M = conv.m_at(i), O = conv.o_at(j);
      const double pn = conv.p(0, M, O);
      if (pn <= kTiny) continue;
      Sums s;
      double e2 = 0;
      for (const Key& k : keys) {
        const double p1 = conv.p(1, M - k.m, O - k.o);
        s.e += k.pe * p1, s.vp += k.pvp * p1, s.vn += k.pvn * p1, e2 += k.pe2 * p1, s.vn2 += k.pvn2 * p1;
      }
      // Second moments of row sums: E[(sum h)^2 | S] = n E[h_1^2 | S] + n (n-1) E[h_1 h_2 | S].
      double e12 = 0, vn12 = 0;
      for (const Key& k1 : keys)
        for (const Key& k2 : keys) {
          const double p2 = conv.p(2, M - k1.m - k2.m, O - k1.o - k2.o);
          e12 += k1.pe * k2.pe * p2, vn12 += k1.pvn * k2.pvn * p2;
        }
      const double f = n / pn;
      s.e *= f, s.vp *= f, s.vn *= f;
      s.vn2 = f * (s.vn2 + (n - 1) * vn12);
      if (!has_o) s.e_var = std::max(0.0, f * (e2 + (n - 1) * e12) - s.e * s.e);
      cd.atoms.push_back(make_atom(v, M, O, has_o, pn, s));
    }
}

// 1-bit DAC, unsigned columns: O ~ Binomial(n, P(a = 1)); M | O is the sum of
// O i.i.d. faulted levels S_O, and E[sum h | O, M] = O E[h(l_1) | S_O = M].
void binomial_mixture(const JobView& v, const std::vector<double>& pa, const std::vector<CellOutcome>& cells, int n,
                      ColumnDistribution& cd) {
  const double ra2 = static_cast<double>(v.read_abs) * v.read_abs;
  const double rr2 = static_cast<double>(v.read_rel) * v.read_rel;
  std::vector<double> f(v.L, 0.0), he(v.L, 0.0), hvp(v.L, 0.0), hvn(v.L, 0.0), pvn(v.L, 0.0);
  for (const CellOutcome& c : cells) {
    f[c.l] += c.p;
    he[c.l] = c.g_mean - c.l;
    hvp[c.l] = c.g_var;
    hvn[c.l] = ra2 + rr2 * (c.g_mean * c.g_mean + c.g_var);
  }
  for (int l = 0; l < v.L; ++l) pvn[l] = f[l] * hvn[l];
  const std::vector<double> bo = binomial_pmf(n, pa.size() > 1 ? pa[1] : 0.0);
  std::vector<double> prev2, prev, s{1.0}, t;  // S_{o-2}, S_{o-1}, S_o
  for (int o = 0; o <= n; ++o) {
    for (int m = 0; m < static_cast<int>(s.size()); ++m) {
      const double p = bo[o] * s[m];
      if (p <= kTiny) continue;
      Sums sum;
      double vn12 = 0;
      for (int l = 0; o > 0 && l < v.L && l <= m; ++l) {
        if (m - l < static_cast<int>(prev.size())) {
          const double w = f[l] * prev[m - l];
          sum.e += he[l] * w, sum.vp += hvp[l] * w, sum.vn += hvn[l] * w, sum.vn2 += hvn[l] * hvn[l] * w;
        }
        for (int l2 = 0; o > 1 && l2 < v.L && l + l2 <= m; ++l2)
          if (m - l - l2 < static_cast<int>(prev2.size())) vn12 += pvn[l] * pvn[l2] * prev2[m - l - l2];
      }
      const double k = o > 0 ? o / s[m] : 0.0;
      sum.e *= k, sum.vp *= k, sum.vn *= k;
      sum.vn2 = k * (sum.vn2 + (o - 1) * vn12);
      cd.atoms.push_back(make_atom(v, m, o, true, p, sum));
    }
    t.assign(s.size() + v.L - 1, 0.0);
    for (int m = 0; m < static_cast<int>(s.size()); ++m)
      for (int l = 0; l < v.L; ++l) t[m + l] += s[m] * f[l];
    prev2 = std::move(prev);
    prev = std::move(s);
    s = std::move(t);
  }
}

}  // namespace

std::vector<double> binomial_pmf(int n, double p) {
  std::vector<double> b(n + 1, 0.0);
  if (p <= 0 || p >= 1) {
    b[p <= 0 ? 0 : n] = 1.0;
    return b;
  }
  const double lp = std::log(p), lq = std::log1p(-p);
  for (int k = 0; k <= n; ++k)
    b[k] = std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) + k * lp + (n - k) * lq);
  return b;
}

ColumnDistribution column_distribution(const JobView& v, const std::vector<double>& pa,
                                       const std::vector<CellOutcome>& cells, int n) {
  ColumnDistribution cd;
  if (v.dac_bits == 1 && !v.signed_cols) {
    cd.method = Method::binomial_mixture;
    binomial_mixture(v, pa, cells, n, cd);
    return cd;
  }
  const std::vector<RowOutcome> rows = row_outcomes(v, pa, cells);
  const bool joint = joint_cost(merge(rows, true), n) <= kJointBudget;
  cd.method = joint ? Method::joint_dp : Method::value_dp;
  from_convolution(v, merge(rows, joint), n, joint, cd);
  return cd;
}

}  // namespace cimmc::stat

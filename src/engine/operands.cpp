#include "engine/operands.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "engine/patches.hpp"

namespace cimmc {

int operand_qmax(const OperandSpec& op) {
  return op.is_signed ? (1 << (op.bits - 1)) - 1 : (1 << op.bits) - 1;
}
int operand_qmin(const OperandSpec& op) { return op.is_signed ? -operand_qmax(op) : 0; }

double QuantizedPmf::mean() const {
  double m = 0;
  for (int k = qmin; k <= qmax; ++k) m += k * p[k - qmin];
  return m;
}

namespace {

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// CiMLoop histogram: 2h+1 bins centred on i/h (in units of clip); the middle
// bin is a point mass at exactly zero, the others are uniform over their width.
// Adds bins lo..hi (probabilities p) of the CDF at t to f, in order.
double add_bins(const std::vector<double>& p, int lo, int hi, double t, double f) {
  const int h = (static_cast<int>(p.size()) - 1) / 2;
  for (int i = lo; i <= hi; ++i) {
    const double pi = p[i];
    if (i == h) {
      if (t >= 0) f += pi;
      continue;
    }
    const double c = static_cast<double>(i - h) / h, half = 0.5 / h;
    f += pi * std::clamp((t - (c - half)) / (2 * half), 0.0, 1.0);
  }
  return f;
}

}  // namespace

HistogramCdf::HistogramCdf(const std::vector<double>& bins) {
  const int nb = static_cast<int>(bins.size());
  double total = 0;
  for (double b : bins) total += b;
  // prefix_[k] is the running sum of the first k bins, each of which adds
  // pi * 1.0 == pi to the CDF of a t above it, in the same order.
  p_.resize(nb);
  prefix_.assign(nb + 1, 0.0);
  bool finite = std::isfinite(total);
  for (int i = 0; i < nb; ++i) {
    p_[i] = bins[i] / total;
    finite = finite && std::isfinite(p_[i]);
    prefix_[i + 1] = prefix_[i] + p_[i];
  }
  // Below 3 bins h is 0 (c would divide by zero), and non-finite masses break
  // the "bins far above t add +0" argument: those take every bin.
  fast_ = nb >= 3 && finite;
}

double HistogramCdf::operator()(double t) const {
  const int nb = static_cast<int>(p_.size());
  if (!fast_ || std::isnan(t)) return add_bins(p_, 0, nb - 1, t, 0.0);
  // Bin i is uniform over [i - 0.5, i + 0.5] in u = t*h + h, so its clamp
  // argument is u - i + 0.5. Bins with i <= m - 3 (m = bin nearest u) have an
  // argument >= 3 and add exactly pi; bins with i >= m + 3 have one <= -2 and
  // add +0, which leaves the sum unchanged (it is never -0). Rounding moves
  // those arguments by far less than a bin. The middle bin (point mass) is
  // also decided there: h <= m - 3 means t > 0, h >= m + 3 means t < 0. The
  // five bins around m are added one by one after the prefix, in order, so
  // the result is the one every bin gives.
  const int h = (nb - 1) / 2;
  const double u = t * h + h;
  const int m = u < -4 ? -4 : u > nb + 4 ? nb + 4 : static_cast<int>(std::floor(u + 0.5));
  const int lo = std::clamp(m - 2, 0, nb), hi = std::min(m + 2, nb - 1);
  return add_bins(p_, lo, hi, t, prefix_[lo]);
}

double dist_cdf(const DistributionSpec& d, double x, double clip) {
  switch (d.kind) {
    case DistKind::normal: return normal_cdf((x - d.mean) / d.std);
    case DistKind::laplace:
      return x < d.mean ? 0.5 * std::exp((x - d.mean) / d.b) : 1.0 - 0.5 * std::exp(-(x - d.mean) / d.b);
    case DistKind::uniform:
      return d.high == d.low ? (x >= d.low ? 1.0 : 0.0) : std::clamp((x - d.low) / (d.high - d.low), 0.0, 1.0);
    case DistKind::constant: return x >= d.value ? 1.0 : 0.0;
    case DistKind::relu_normal:
      return x < 0 ? 0.0 : d.zero_fraction + (1 - d.zero_fraction) * (2 * normal_cdf(x / d.std) - 1);
    case DistKind::relu_laplace:
      return x < 0 ? 0.0 : d.zero_fraction + (1 - d.zero_fraction) * (1 - std::exp(-x / d.b));
    case DistKind::histogram: return HistogramCdf(d.bins)(x / clip);
    case DistKind::patches: return patches_cdf(d, x);
  }
  return 0.0;
}

double dist_clip(const DistributionSpec& d) {
  if (d.clip) return *d.clip;
  switch (d.kind) {
    case DistKind::uniform: return std::max(std::fabs(d.low), std::fabs(d.high));
    case DistKind::constant: return d.value == 0 ? 1.0 : std::fabs(d.value);
    case DistKind::histogram: return 1.0;  // histograms carry shape, not scale
    case DistKind::patches: return 1.0;    // pixel / 255
    default: break;
  }
  // Unbounded: bisect for P(|X| <= c) = 0.9999.
  auto inside = [&](double c) { return dist_cdf(d, c, 1.0) - dist_cdf(d, -c, 1.0); };
  double lo = 0, hi = 1;
  while (inside(hi) < 0.9999) hi *= 2;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (inside(mid) < 0.9999 ? lo : hi) = mid;
  }
  return hi;
}

QuantizedPmf quantize(const OperandSpec& op) {
  // The pooled marginal straight from the pixel counts: one pass over the
  // images instead of one per integer through the CDF.
  if (op.dist.kind == DistKind::patches) return quantize_patches(op);
  QuantizedPmf q;
  q.qmin = operand_qmin(op);
  q.qmax = operand_qmax(op);
  const double clip = dist_clip(op.dist);
  q.scale = clip / q.qmax;
  q.p.assign(q.qmax - q.qmin + 1, 0.0);
  // Histograms: the per-bin masses and their prefix sums once, not one pass
  // over every bin per level (same bits as dist_cdf).
  std::optional<HistogramCdf> hist;
  if (op.dist.kind == DistKind::histogram) hist.emplace(op.dist.bins);
  double prev = 0.0;
  for (int k = q.qmin; k <= q.qmax; ++k) {
    const double x = (k + 0.5) * q.scale;
    const double upper = k == q.qmax ? 1.0 : hist ? (*hist)(x / clip) : dist_cdf(op.dist, x, clip);
    q.p[k - q.qmin] = std::max(0.0, upper - prev);
    prev = std::max(prev, upper);
  }
  return q;
}

AliasTable build_alias(const QuantizedPmf& pmf) {
  const std::size_t n = pmf.p.size();
  AliasTable t;
  t.prob.assign(n, 0);
  t.alias.assign(n, 0);
  t.value.resize(n);
  double total = 0;
  for (double x : pmf.p) total += x;
  if (!(total > 0)) throw std::invalid_argument("operand distribution has no mass");
  std::vector<double> scaled(n);
  std::vector<std::size_t> small, large;
  for (std::size_t i = 0; i < n; ++i) {
    t.value[i] = pmf.qmin + static_cast<int>(i);
    scaled[i] = pmf.p[i] / total * n;
    (scaled[i] < 1.0 ? small : large).push_back(i);
  }
  const double two32 = 4294967296.0;
  while (!small.empty() && !large.empty()) {  // Vose's method
    const std::size_t s = small.back(), l = large.back();
    small.pop_back();
    t.prob[s] = static_cast<std::uint64_t>(std::llround(scaled[s] * two32));
    t.alias[s] = static_cast<std::int32_t>(l);
    scaled[l] -= 1.0 - scaled[s];
    if (scaled[l] < 1.0) { large.pop_back(); small.push_back(l); }
  }
  for (std::size_t i : large) { t.prob[i] = 1ull << 32; t.alias[i] = static_cast<std::int32_t>(i); }
  for (std::size_t i : small) { t.prob[i] = 1ull << 32; t.alias[i] = static_cast<std::int32_t>(i); }
  return t;
}

double normal_quantile(double p) {
  if (!(p > 0)) return -HUGE_VAL;
  if (!(p < 1)) return HUGE_VAL;
  // Acklam's rational approximation (relative error < 1.2e-9).
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double lo = 0.02425;
  double x;
  if (p < lo || p > 1 - lo) {
    const double q = std::sqrt(-2 * std::log(p < lo ? p : 1 - p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    if (p > lo) x = -x;
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  // One Halley step against the exact CDF.
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

std::vector<float> build_normal_scores(const QuantizedPmf& pmf) {
  const std::size_t n = pmf.p.size();
  double total = 0;
  for (double x : pmf.p) total += x;
  if (!(total > 0)) throw std::invalid_argument("operand distribution has no mass");
  // Both tails summed from their own end: 1 - F(k) from a prefix sum would
  // cancel to nothing for the small bins near qmax.
  std::vector<double> below(n), above(n);
  double acc = 0;
  for (std::size_t k = 0; k < n; ++k) below[k] = (acc += pmf.p[k] / total);
  acc = 0;
  for (std::size_t k = n; k-- > 0;) {
    above[k] = acc;  // P(q > qmin + k)
    acc += pmf.p[k] / total;
  }
  std::vector<float> z(n);
  for (std::size_t k = 0; k < n; ++k) {
    const double s = k + 1 == n || above[k] <= 0 ? HUGE_VAL
                     : below[k] <= 0             ? -HUGE_VAL
                     : below[k] <= 0.5           ? normal_quantile(below[k])
                                                 : -normal_quantile(above[k]);
    z[k] = static_cast<float>(s);
  }
  return z;
}

AliasView AliasTable::view() const {
  return AliasView{prob.data(), alias.data(), value.data(), static_cast<std::uint32_t>(prob.size())};
}

}  // namespace cimmc

// Operand quantization (engine/operands). HistogramCdf (the quantizer's fast
// histogram CDF) against an independent copy of the original
// one-pass-over-every-bin loop: the values must be the same bits, since the
// alias tables are built from them by llround(p * 2^32). quantize() and the
// default clips of every kind against closed forms and hand computations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/operands.hpp"

using namespace cimmc;

namespace {

// The original histogram_cdf, kept verbatim as the reference.
double reference_cdf(const std::vector<double>& bins, double t) {
  const int nb = static_cast<int>(bins.size()), h = (nb - 1) / 2;
  double total = 0;
  for (double b : bins) total += b;
  double f = 0;
  for (int i = 0; i < nb; ++i) {
    const double pi = bins[i] / total;
    if (i == h) {
      if (t >= 0) f += pi;
      continue;
    }
    const double c = static_cast<double>(i - h) / h, half = 0.5 / h;
    f += pi * std::clamp((t - (c - half)) / (2 * half), 0.0, 1.0);
  }
  return f;
}

// Bit equality that also accepts NaN == NaN (EXPECT_EQ on doubles is ==).
void expect_same(const std::vector<double>& bins, double t) {
  const double want = reference_cdf(bins, t), got = HistogramCdf(bins)(t);
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << "t=" << t;
  } else {
    EXPECT_EQ(got, want) << "t=" << t << " bins=" << bins.size();
    EXPECT_EQ(std::signbit(got), std::signbit(want)) << "t=" << t;
  }
}

// Every t worth probing for an n-bin histogram: bin edges and centres in the
// reference's own arithmetic, their neighbouring doubles, zeros, the quantizer's
// own thresholds, values beyond +-1, infinities and random points.
std::vector<double> probes(int nb, std::mt19937_64& rng) {
  std::vector<double> t = {0.0, -0.0, 1.0, -1.0, 1.5, -1.5, 2.0, -2.0, 1e300, -1e300, 1e-300, -1e-300,
                           std::numeric_limits<double>::denorm_min(), -std::numeric_limits<double>::denorm_min(),
                           HUGE_VAL, -HUGE_VAL, std::numeric_limits<double>::quiet_NaN()};
  const int h = std::max(1, (nb - 1) / 2);
  for (int i = -3; i < nb + 3; ++i) {
    const double c = static_cast<double>(i - h) / h, half = 0.5 / h;
    for (double x : {c - half, c + half, c, c - half + 1e-12, c + half - 1e-12})
      for (double y : {x, std::nextafter(x, -HUGE_VAL), std::nextafter(x, HUGE_VAL)}) t.push_back(y);
  }
  for (int bits = 2; bits <= 10; ++bits) {  // quantize()'s (k + 0.5) * scale / clip
    const int qmax = (1 << (bits - 1)) - 1;
    const double scale = 1.0 / qmax;
    for (int k = -qmax; k <= qmax; ++k) t.push_back((k + 0.5) * scale / 1.0);
  }
  std::uniform_real_distribution<double> u(-1.2, 1.2);
  for (int i = 0; i < 2000; ++i) t.push_back(u(rng));
  return t;
}

std::vector<double> random_bins(int nb, std::mt19937_64& rng, double zero_share) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> b(nb);
  for (double& x : b) x = u(rng) < zero_share ? 0.0 : std::pow(10.0, -6 * u(rng)) * (1 + u(rng) * 1e3);
  return b;
}

TEST(HistogramCdf, SameBitsAsTheOneLoopPerEvaluation) {
  std::mt19937_64 rng(12345);
  for (int nb : {3, 7, 15, 31, 63, 127, 255, 511})
    for (double zero_share : {0.0, 0.3, 0.9}) {
      const std::vector<double> bins = random_bins(nb, rng, zero_share);
      for (double t : probes(nb, rng)) expect_same(bins, t);
    }
}

TEST(HistogramCdf, PointMassAndOneSidedHistograms) {
  std::mt19937_64 rng(7);
  // All mass in the middle (zero) bin, all at one end, and ReLU-like shapes.
  const std::vector<std::vector<double>> cases = {
      {0, 1, 0}, {1, 0, 0}, {0, 0, 1}, {0, 0, 0, 5, 0, 0, 0}, {0, 0, 0, 0.9, 0.05, 0.03, 0.02},
      {1, 1, 1, 1, 1, 1, 1}, {1e-300, 1, 1e-300}, {0.1, 0.2, 0.3, 0.4, 0.3, 0.2, 0.1, 0.05, 0.01}};
  for (const auto& bins : cases)
    for (double t : probes(static_cast<int>(bins.size()), rng)) expect_same(bins, t);
}

TEST(HistogramCdf, DegenerateHistogramsFallBackToTheReference) {
  std::mt19937_64 rng(3);
  const double inf = HUGE_VAL;
  const std::vector<std::vector<double>> cases = {
      {}, {2.0}, {1, 3}, {0, 0, 0}, {1, inf, 1}, {1, -1, 0}, {1e308, 1e308, 1e308}, {-1, 2, -0.5, 4, 1}};
  for (const auto& bins : cases)
    for (double t : {0.0, -0.0, 0.25, -0.25, 1.0, -1.0, 3.0, -3.0, inf, -inf}) expect_same(bins, t);
  for (double t : probes(5, rng)) expect_same({-1, 2, -0.5, 4, 1}, t);
}

// quantize() of a histogram operand, against the CDF-difference loop run on
// the reference CDF.
TEST(HistogramCdf, QuantizeMatchesTheReferencePmf) {
  std::mt19937_64 rng(99);
  for (int nb : {7, 63, 255})
    for (bool is_signed : {false, true})
      for (int bits : {2, 4, 8}) {
        OperandSpec op;
        op.bits = bits;
        op.is_signed = is_signed;
        op.dist.kind = DistKind::histogram;
        op.dist.bins = random_bins(nb, rng, 0.2);
        op.dist.clip = 0.75;
        const QuantizedPmf q = quantize(op);
        const double clip = *op.dist.clip;
        double prev = 0.0;
        ASSERT_EQ(q.p.size(), static_cast<std::size_t>(q.qmax - q.qmin + 1));
        for (int k = q.qmin; k <= q.qmax; ++k) {
          const double upper = k == q.qmax ? 1.0 : reference_cdf(op.dist.bins, (k + 0.5) * q.scale / clip);
          EXPECT_EQ(q.p[k - q.qmin], std::max(0.0, upper - prev)) << "k=" << k;
          prev = std::max(prev, upper);
        }
      }
}

}  // namespace

// ---- quantize() and the default clips against closed forms.
namespace {

OperandSpec operand(int bits, bool is_signed, DistKind kind) {
  OperandSpec op;
  op.bits = bits;
  op.is_signed = is_signed;
  op.dist.kind = kind;
  return op;
}

double total(const QuantizedPmf& q) {
  double s = 0;
  for (double p : q.p) s += p;
  return s;
}

// Mean and variance of the real value q * scale.
std::pair<double, double> moments(const QuantizedPmf& q) {
  double m = 0, m2 = 0;
  for (int k = q.qmin; k <= q.qmax; ++k) {
    const double x = k * q.scale;
    m += x * q.prob(k);
    m2 += x * x * q.prob(k);
  }
  return {m, m2 - m * m};
}

}  // namespace

TEST(Quantize, RangesAndScale) {
  for (int bits : {2, 4, 8}) {
    OperandSpec u = operand(bits, false, DistKind::uniform), s = operand(bits, true, DistKind::uniform);
    u.dist.low = s.dist.low = -1;
    u.dist.high = s.dist.high = 2;  // default clip max(|low|, |high|) = 2
    const QuantizedPmf qu = quantize(u), qs = quantize(s);
    EXPECT_EQ(qu.qmin, 0);
    EXPECT_EQ(qu.qmax, (1 << bits) - 1);
    EXPECT_EQ(qs.qmin, -((1 << (bits - 1)) - 1));  // symmetric: no -2^(n-1)
    EXPECT_EQ(qs.qmax, (1 << (bits - 1)) - 1);
    EXPECT_DOUBLE_EQ(qu.scale, 2.0 / qu.qmax);
    EXPECT_DOUBLE_EQ(qs.scale, 2.0 / qs.qmax);
    EXPECT_NEAR(total(qu), 1.0, 1e-15);
    EXPECT_NEAR(total(qs), 1.0, 1e-15);
    // Unsigned: everything below x = scale/2 (the negative third included) is 0.
    EXPECT_NEAR(qu.prob(0), (1.0 + 0.5 * qu.scale) / 3.0, 1e-15);
  }
}

TEST(Quantize, UniformOverWholeStepsGivesEqualMassPerInteger) {
  // U((qmin - 1/2) D, (qmax + 1/2) D) with clip = qmax D: each integer owns one step.
  for (bool is_signed : {false, true})
    for (int bits : {2, 3, 5, 8}) {
      OperandSpec op = operand(bits, is_signed, DistKind::uniform);
      const QuantizedPmf r = quantize(op);  // for the range only
      const double d = 0.25;                // a step exact in binary
      op.dist.clip = r.qmax * d;
      op.dist.low = (r.qmin - 0.5) * d;
      op.dist.high = (r.qmax + 0.5) * d;
      const QuantizedPmf q = quantize(op);
      const double levels = r.qmax - r.qmin + 1;
      EXPECT_EQ(q.scale, d);
      for (int k = q.qmin; k <= q.qmax; ++k) EXPECT_NEAR(q.prob(k), 1.0 / levels, 1e-15) << bits << " k=" << k;
    }
}

TEST(Quantize, ConstantRoundsHalfWayDown) {
  OperandSpec op = operand(4, true, DistKind::constant);  // [-7, 7]
  op.dist.clip = 7.0;                                     // step 1
  for (const auto& [value, k] : std::vector<std::pair<double, int>>{
           {2.5, 2}, {2.4, 2}, {2.6, 3}, {-2.5, -3}, {-2.4, -2}, {0.0, 0}, {100.0, 7}, {-100.0, -7}}) {
    op.dist.value = value;
    const QuantizedPmf q = quantize(op);
    EXPECT_EQ(q.prob(k), 1.0) << value;
    EXPECT_EQ(total(q), 1.0) << value;
  }
  // Default clip |value| puts the value on the top level; value 0 uses clip 1.
  op.dist.clip.reset();
  op.dist.value = -0.3;
  EXPECT_EQ(quantize(op).prob(-7), 1.0);
  EXPECT_DOUBLE_EQ(quantize(op).scale, 0.3 / 7);
  op.dist.value = 0.0;
  EXPECT_EQ(quantize(op).prob(0), 1.0);
  EXPECT_DOUBLE_EQ(quantize(op).scale, 1.0 / 7);
  // An unsigned operand clamps a negative constant to 0.
  OperandSpec u = operand(3, false, DistKind::constant);
  u.dist.value = -1.0;
  u.dist.clip = 1.0;
  EXPECT_EQ(quantize(u).prob(0), 1.0);
}

// Default clips of the unbounded kinds: P(|X| > clip) = 1e-4 in closed form.
TEST(Quantize, DefaultClipIsThe9999thPercentileOfAbsX) {
  const double sq2 = std::sqrt(2.0);
  for (double sd : {0.05, 1.0, 3.0}) {
    DistributionSpec d;
    d.kind = DistKind::normal;
    d.std = sd;
    EXPECT_NEAR(std::erfc(dist_clip(d) / (sd * sq2)), 1e-4, 1e-12) << sd;
    d.kind = DistKind::laplace;
    d.b = sd;
    EXPECT_NEAR(dist_clip(d), sd * std::log(1e4), 1e-9 * sd);
    for (double z : {0.0, 0.5, 0.9}) {
      d.zero_fraction = z;
      d.kind = DistKind::relu_normal;
      EXPECT_NEAR((1 - z) * std::erfc(dist_clip(d) / (sd * sq2)), 1e-4, 1e-12) << z;
      d.kind = DistKind::relu_laplace;
      EXPECT_NEAR(dist_clip(d), sd * std::log((1 - z) * 1e4), 1e-9 * sd) << z;
    }
  }
  DistributionSpec u;
  u.kind = DistKind::uniform;
  u.low = -3;
  u.high = 2;
  EXPECT_EQ(dist_clip(u), 3.0);
  u.clip = 0.5;
  EXPECT_EQ(dist_clip(u), 0.5);
  DistributionSpec h;
  h.kind = DistKind::histogram;
  h.bins = {1, 2, 1};
  EXPECT_EQ(dist_clip(h), 1.0);
}

TEST(Quantize, NormalAndLaplaceTailsAndSteps) {
  const double sq2 = std::sqrt(2.0);
  OperandSpec n = operand(5, true, DistKind::normal);  // [-15, 15]
  n.dist.std = 0.7;
  n.dist.clip = 2.0;
  const QuantizedPmf q = quantize(n);
  const double d = q.scale, top = (q.qmax - 0.5) * d;
  // The top level takes everything above (qmax - 1/2) D, the tail beyond the clip included.
  EXPECT_NEAR(q.prob(q.qmax), 0.5 * std::erfc(top / (0.7 * sq2)), 1e-15);
  EXPECT_NEAR(q.prob(q.qmin), 0.5 * std::erfc(top / (0.7 * sq2)), 1e-15);
  EXPECT_NEAR(q.prob(0), std::erf(0.5 * d / (0.7 * sq2)), 1e-15);
  EXPECT_NEAR(q.prob(3), 0.5 * (std::erfc(2.5 * d / (0.7 * sq2)) - std::erfc(3.5 * d / (0.7 * sq2))), 1e-15);
  for (int k = 1; k <= q.qmax; ++k) EXPECT_NEAR(q.prob(k), q.prob(-k), 1e-15);

  OperandSpec l = operand(5, true, DistKind::laplace);
  l.dist.b = 0.4;
  l.dist.clip = 2.0;
  const QuantizedPmf ql = quantize(l);
  EXPECT_NEAR(ql.prob(ql.qmax), 0.5 * std::exp(-top / 0.4), 1e-15);  // Laplace tail e^(-c/b)/2
  EXPECT_NEAR(ql.prob(ql.qmin), 0.5 * std::exp(-top / 0.4), 1e-15);
  EXPECT_NEAR(ql.prob(0), 1.0 - std::exp(-0.5 * d / 0.4), 1e-15);
  EXPECT_NEAR(ql.prob(2), 0.5 * (std::exp(-1.5 * d / 0.4) - std::exp(-2.5 * d / 0.4)), 1e-15);
}

TEST(Quantize, MomentsAreTheDistributionsPlusStepSquaredOverTwelve) {
  // Fine steps, clip far out in the tails: the rounding error is uniform on
  // [-D/2, D/2] and independent of X (Sheppard), so the mean is kept and the
  // variance grows by D^2/12. Exact for the smooth normal far beyond 1e-12;
  // the Laplace's kink at its mean leaves a term of order D^4 / b^2.
  OperandSpec n = operand(10, true, DistKind::normal);
  n.dist.mean = 0.3;
  n.dist.std = 1.1;
  n.dist.clip = 10.0;
  QuantizedPmf q = quantize(n);
  double d2 = q.scale * q.scale;
  auto [m, v] = moments(q);
  EXPECT_NEAR(m, 0.3, 1e-12);
  EXPECT_NEAR(v, 1.1 * 1.1 + d2 / 12, 1e-12);
  EXPECT_GT(d2 / 12, 1e-5);  // the D^2/12 term is resolved

  OperandSpec l = operand(10, true, DistKind::laplace);
  l.dist.mean = -0.2;
  l.dist.b = 0.5;
  l.dist.clip = 12.0;
  q = quantize(l);
  d2 = q.scale * q.scale;
  std::tie(m, v) = moments(q);
  EXPECT_NEAR(m, -0.2, 1e-3 * q.scale);
  EXPECT_NEAR(v, 2 * 0.5 * 0.5 + d2 / 12, 0.02 * d2 / 12);

  // Uniform on [0, 1) with 8-bit unsigned levels and clip 1: the ends get half
  // a step each; the interior mean and variance follow from the sums.
  OperandSpec u = operand(8, false, DistKind::uniform);
  u.dist.low = 0;
  u.dist.high = 1;
  q = quantize(u);
  EXPECT_NEAR(q.prob(0), 0.5 / 255, 1e-15);
  EXPECT_NEAR(q.prob(255), 0.5 / 255, 1e-15);
  EXPECT_NEAR(q.prob(100), 1.0 / 255, 1e-15);
  std::tie(m, v) = moments(q);
  EXPECT_NEAR(m, 0.5, 1e-14);
  // Var = E[(kD)^2] - 1/4 with E = sum_{k=1}^{254} (k/255)^2 / 255 + (1/2)/255.
  const double e2 = (254.0 * 255 * 509 / 6) / (255.0 * 255 * 255) + 0.5 / 255;
  EXPECT_NEAR(v, e2 - 0.25, 1e-14);
  EXPECT_NEAR(v, 1.0 / 12 + 1.0 / (6.0 * 255 * 255), 1e-14);  // the same, in closed form
}

TEST(Quantize, ReluKindsPutTheZeroFractionAtZero) {
  const double sq2 = std::sqrt(2.0);
  for (double z : {0.0, 0.3, 0.75}) {
    for (bool is_signed : {false, true}) {
      OperandSpec r = operand(4, is_signed, DistKind::relu_normal);
      r.dist.std = 0.8;
      r.dist.zero_fraction = z;
      r.dist.clip = 1.5;
      QuantizedPmf q = quantize(r);
      const double d = q.scale, top = (q.qmax - 0.5) * d;
      for (int k = q.qmin; k < 0; ++k) EXPECT_EQ(q.prob(k), 0.0);  // ReLU: nothing negative
      // 0: the zero fraction plus |N| below D/2.
      EXPECT_NEAR(q.prob(0), z + (1 - z) * std::erf(0.5 * d / (0.8 * sq2)), 1e-15);
      EXPECT_NEAR(q.prob(q.qmax), (1 - z) * std::erfc(top / (0.8 * sq2)), 1e-15);
      EXPECT_NEAR(total(q), 1.0, 1e-15);

      r.dist.kind = DistKind::relu_laplace;
      r.dist.b = 0.3;
      q = quantize(r);
      EXPECT_NEAR(q.prob(0), z + (1 - z) * (1 - std::exp(-0.5 * d / 0.3)), 1e-15);
      EXPECT_NEAR(q.prob(1), (1 - z) * (std::exp(-0.5 * d / 0.3) - std::exp(-1.5 * d / 0.3)), 1e-15);
      EXPECT_NEAR(q.prob(q.qmax), (1 - z) * std::exp(-top / 0.3), 1e-15);
    }
  }
  OperandSpec all = operand(4, false, DistKind::relu_normal);
  all.dist.zero_fraction = 1.0;
  EXPECT_EQ(quantize(all).prob(0), 1.0);
}

TEST(Quantize, HistogramBinsMapToIntegers) {
  // As many bins as signed levels (h = qmax): bin i covers exactly the step of
  // integer i - h, so the PMF is the normalized bins.
  const std::vector<double> bins7 = {1, 2, 3, 8, 5, 0, 1};  // sum 20
  OperandSpec op = operand(3, true, DistKind::histogram);   // [-3, 3]
  op.dist.bins = bins7;
  QuantizedPmf q = quantize(op);
  for (int k = -3; k <= 3; ++k) EXPECT_NEAR(q.prob(k), bins7[k + 3] / 20.0, 1e-15) << k;
  op.dist.clip = 5.0;  // the clip scales the bins and the steps alike
  q = quantize(op);
  for (int k = -3; k <= 3; ++k) EXPECT_NEAR(q.prob(k), bins7[k + 3] / 20.0, 1e-15) << k;

  // Twice as fine (h = 2 qmax): integer k != 0 takes bin 2k whole and half of
  // each neighbour; 0 takes the point mass and half of bins +-1.
  std::vector<double> b13(13);
  for (int i = 0; i < 13; ++i) b13[i] = 1.0 + (i * 7) % 5;
  double s13 = 0;
  for (double b : b13) s13 += b;
  op.dist.bins = b13;
  op.dist.clip.reset();
  q = quantize(op);
  auto bin = [&](int j) { return j < -6 || j > 6 ? 0.0 : b13[j + 6] / s13; };
  for (int k = -3; k <= 3; ++k) {
    const double want = k == 0 ? bin(0) + 0.5 * (bin(-1) + bin(1)) : bin(2 * k) + 0.5 * (bin(2 * k - 1) + bin(2 * k + 1));
    EXPECT_NEAR(q.prob(k), want, 1e-15) << k;
  }

  // Coarser (3 bins, h = 1) on [-3, 3]: the outer bins are uniform over
  // [1/2, 3/2] clip = [1.5, 4.5] steps, so 2 gets a third and 3 the rest.
  op.dist.bins = {1, 2, 3};
  q = quantize(op);
  EXPECT_NEAR(q.prob(0), 2.0 / 6, 1e-15);
  EXPECT_NEAR(q.prob(1), 0.0, 1e-15);
  EXPECT_NEAR(q.prob(2), 3.0 / 6 / 3, 1e-15);
  EXPECT_NEAR(q.prob(3), 3.0 / 6 * 2 / 3, 1e-15);
  EXPECT_NEAR(q.prob(-3), 1.0 / 6 * 2 / 3, 1e-15);

  // Unsigned [0, 3] (the same step, 1/3 clip): the negative half falls into 0
  // (config.md, CiMLoop import), the positive bins keep their integers.
  OperandSpec u = operand(2, false, DistKind::histogram);
  u.dist.bins = bins7;
  q = quantize(u);
  EXPECT_NEAR(q.prob(0), (1 + 2 + 3 + 8) / 20.0, 1e-15);
  EXPECT_NEAR(q.prob(1), 5 / 20.0, 1e-15);
  EXPECT_NEAR(q.prob(2), 0.0, 1e-15);
  EXPECT_NEAR(q.prob(3), 1 / 20.0, 1e-15);
}

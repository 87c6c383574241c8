// HistogramCdf (the quantizer's fast histogram CDF) against an independent
// copy of the original one-pass-over-every-bin loop: the values must be the
// same bits, since the alias tables are built from them by llround(p * 2^32).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
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

// Operand distributions -> exact probability mass over quantized integers, and
// the alias tables the kernels sample from. Every distribution kind goes
// through the same CDF-difference quantizer, so the sampler and the
// statistical model see the same integers.
#pragma once
#include <cstdint>
#include <vector>

#include "job_view.hpp"
#include "spec/spec.hpp"

namespace cimmc {

struct QuantizedPmf {
  int qmin = 0, qmax = 0;     // integer range of the operand
  double scale = 1.0;         // real value of one integer step
  std::vector<double> p;      // p[k - qmin] = P(q == k)
  double mean() const;
  double prob(int k) const { return (k < qmin || k > qmax) ? 0.0 : p[k - qmin]; }
};

// Integer range of an n-bit operand: unsigned [0, 2^n-1]; signed is symmetric
// [-(2^(n-1)-1), 2^(n-1)-1], the usual symmetric quantizer (no -2^(n-1)).
int operand_qmax(const OperandSpec& op);
int operand_qmin(const OperandSpec& op);

// P(X <= x) of the real-valued distribution (histograms are scaled to [-clip, clip]).
double dist_cdf(const DistributionSpec& d, double x, double clip);
// P(X <= t) of a CiMLoop histogram (t in units of clip), as dist_cdf gives
// it: the bin masses and their running sums are built once, then each
// evaluation costs a few bins instead of all of them (quantize() makes one per
// integer level).
class HistogramCdf {
 public:
  explicit HistogramCdf(const std::vector<double>& bins);
  double operator()(double t) const;

 private:
  std::vector<double> p_, prefix_;  // bin probabilities and their running sums
  bool fast_ = false;
};
// The quantization clip: spec.clip, else the distribution's max, else the
// 99.99th percentile of |X|.
double dist_clip(const DistributionSpec& d);
// q = clamp(round(x / scale)), scale = clip / qmax, half-way values round down.
QuantizedPmf quantize(const OperandSpec& op);

struct AliasTable {
  std::vector<std::uint64_t> prob;
  std::vector<std::int32_t> alias, value;
  AliasView view() const;
};
AliasTable build_alias(const QuantizedPmf& pmf);

// Standard normal quantile, double precision (Acklam's approximation plus one
// Halley step on erfc, |error| < 1e-13). p in (0, 1); 0 and 1 give -inf/+inf.
double normal_quantile(double p);
// The inverse CDF of the quantized operand in normal-score space, for the
// Gaussian copula of correlated inputs: z[k] = Phi^-1(P(q <= qmin + k)), so
// the operand drawn from a standard normal z is qmin + (smallest k with
// z < z[k]). n entries, the last +inf. Upper-tail entries come from
// -Phi^-1(P(q > qmin + k)) so small tail bins keep their relative precision.
std::vector<float> build_normal_scores(const QuantizedPmf& pmf);

}  // namespace cimmc

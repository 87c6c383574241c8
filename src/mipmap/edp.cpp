// EDP in the log domain (formulation.hpp LogSum). log E = log sum_k exp(z_k)
// with z_k affine in the columns is a log-sum-exp of affine functions, hence
// convex, so its tangent at any point,
//   LSE(z0) + sum_k w_k (z_k - z0_k),  w_k = exp(z0_k - LSE(z0)),
// lies below it everywhere: every cut is valid for every mapping, not only
// near the solution it came from. The same holds for each latency group,
// log(bound_m + serial) <= log T. The objective log E + log T is then a lower
// bound on log EDP of every mapping the program admits, in units where it is
// of order 1 whatever the layer (the earlier E x T product in a poor
// mapping's units was ~1e-6: below CBC's tolerances, solutions stayed
// infeasible by more than the cuts moved them).
#include <algorithm>
#include <cmath>

#include "mipmap/formulation.hpp"

namespace cimmc::mipmap {

namespace {

// Log-sum-exp of the group's terms at r (rounded), and each term's weight.
double log_sum(const Formulation& f, const Formulation::LogSum& g, const std::vector<double>& r,
               std::vector<double>* weights) {
  std::vector<double> z;
  z.reserve(g.terms.size());
  for (int k : g.terms) z.push_back(f.terms[std::size_t(k)].z.value(r));
  const double top = *std::max_element(z.begin(), z.end());
  double s = 0;
  for (double v : z) s += std::exp(v - top);
  const double lse = top + std::log(s);
  if (weights) {
    weights->clear();
    for (double v : z) weights->push_back(std::exp(v - lse));
  }
  return lse;
}

}  // namespace

void add_log_sum_rows(Formulation& f) {
  for (const Formulation::LogSum& g : f.log_sums) {
    // E >= each term; and with equal weights w = 1/n the tangent family's
    // bound LSE(z) >= sum w_k z_k + entropy(w) = mean z + log n.
    LinExpr mean;
    mean.terms.emplace_back(g.col, 1.0);
    const double n = double(g.terms.size());
    for (int k : g.terms) {
      const LinExpr& z = f.terms[std::size_t(k)].z;
      LinExpr e;
      e.terms.emplace_back(g.col, 1.0);
      e -= z;
      f.milp.add_row(e, 'G', 0);
      for (auto [c, v] : z.terms) mean.terms.emplace_back(c, -v / n);
      mean.constant -= z.constant / n;
    }
    if (g.terms.size() > 1) f.milp.add_row(mean, 'G', std::log(n));
  }
}

double edp_value(const Formulation& f, const std::vector<double>& x) {
  const std::vector<double> r = rounded(f, x);
  double log_t = -INFINITY;
  for (std::size_t m = 1; m < f.log_sums.size(); ++m) log_t = std::max(log_t, log_sum(f, f.log_sums[m], r, nullptr));
  return std::exp(log_sum(f, f.log_sums[0], r, nullptr) + log_t);
}

int log_sum_cuts(Formulation& f, const std::vector<double>& x, double tol, bool round) {
  const std::vector<double> r = round ? rounded(f, x) : x;
  std::vector<double> w;
  int added = 0;
  for (const Formulation::LogSum& g : f.log_sums) {
    const double lse = log_sum(f, g, r, &w);
    if (x[std::size_t(g.col)] >= lse - tol) continue;
    LinExpr row;
    row.terms.emplace_back(g.col, 1.0);
    double rhs = lse;
    for (std::size_t k = 0; k < g.terms.size(); ++k) {
      const LinExpr& z = f.terms[std::size_t(g.terms[k])].z;
      for (auto [c, v] : z.terms) row.terms.emplace_back(c, -w[k] * v);
      row.constant -= w[k] * z.constant;
      rhs -= w[k] * z.value(r);
    }
    f.milp.add_row(row, 'G', rhs);
    ++added;
  }
  return added;
}

}  // namespace cimmc::mipmap

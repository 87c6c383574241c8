// First-order IR drop (kernels/ir_drop.hpp) against an exact nodal solve of
// the same small array, written here: a dense linear system of every word-
// and bit-line node, solved by Gaussian elimination.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "engine/job_builder.hpp"
#include "model_test_util.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

// Solves A x = b in place (partial pivoting).
std::vector<double> solve(std::vector<std::vector<double>> A, std::vector<double> b) {
  const int n = static_cast<int>(b.size());
  for (int k = 0; k < n; ++k) {
    int piv = k;
    for (int i = k + 1; i < n; ++i)
      if (std::fabs(A[i][k]) > std::fabs(A[piv][k])) piv = i;
    std::swap(A[k], A[piv]);
    std::swap(b[k], b[piv]);
    for (int i = k + 1; i < n; ++i) {
      const double f = A[i][k] / A[k][k];
      for (int j = k; j < n; ++j) A[i][j] -= f * A[k][j];
      b[i] -= f * b[k];
    }
  }
  std::vector<double> x(n);
  for (int i = n - 1; i >= 0; --i) {
    double s = b[i];
    for (int j = i + 1; j < n; ++j) s -= A[i][j] * x[j];
    x[i] = s / A[i][i];
  }
  return x;
}

// Currents out of every bit line of a K x X array: rows driven at voltage
// a[j] through one wire segment before x = 0, bit lines grounded one segment
// after row K - 1, every segment 1 / w; G[j][x] in physical order.
std::vector<double> nodal_currents(const std::vector<std::vector<double>>& G, const std::vector<double>& a, double w) {
  const int K = static_cast<int>(G.size()), X = static_cast<int>(G[0].size()), n = 2 * K * X;
  auto r = [&](int j, int x) { return j * X + x; };          // word-line node
  auto c = [&](int j, int x) { return K * X + j * X + x; };  // bit-line node
  std::vector<std::vector<double>> A(n, std::vector<double>(n, 0.0));
  std::vector<double> b(n, 0.0);
  auto link = [&](int i, int k, double g) {  // conductance g between nodes i and k (k < 0: a fixed voltage -k - 1)
    A[i][i] += g;
    if (k >= 0) A[i][k] -= g;
  };
  for (int j = 0; j < K; ++j)
    for (int x = 0; x < X; ++x) {
      const int ri = r(j, x), ci = c(j, x);
      if (x == 0) A[ri][ri] += w, b[ri] += w * a[j];
      else link(ri, r(j, x - 1), w);
      if (x + 1 < X) link(ri, r(j, x + 1), w);
      link(ri, ci, G[j][x]);
      if (j > 0) link(ci, c(j - 1, x), w);
      if (j + 1 < K) link(ci, c(j + 1, x), w);
      else A[ci][ci] += w;  // to the grounded sense node
      link(ci, ri, G[j][x]);
    }
  const std::vector<double> v = solve(A, b);
  std::vector<double> out(X);
  for (int x = 0; x < X; ++x) out[x] = v[c(K - 1, x)] * w;
  return out;
}

struct Columns {
  std::vector<double> ideal, first_order, exact;  // per conversion column
};

// One programmed array and one input vector through conductance_columns and
// ir_drop_columns, and the same conductances and inputs through the nodal solve.
Columns run(const Config& c) {
  BuiltJob job;
  build_job(c, {}, job);
  const JobView& v = job.view;
  BoundWorkspace bound(v);
  const Workspace& ws = bound.ws;
  std::vector<std::uint64_t> hist(v.hist_size, 0);
  program_instance(v, ws, 0, OneLane{});
  sample_inputs(v, ws, 3, 3, hist.data(), OneLane{});
  conductance_columns(v, ws, 0, 0, false, OneLane{});
  const std::vector<double> ideal(ws.fval, ws.fval + v.pcell);
  ir_drop_columns(v, ws, 0, 0, OneLane{});
  std::vector<std::vector<double>> G(v.K, std::vector<double>(v.pcell));
  std::vector<double> a(v.K);
  for (int j = 0; j < v.K; ++j) {
    a[j] = ws.af[j];
    for (int x = 0; x < v.pcell; ++x) G[j][x] = ws.gf[static_cast<std::size_t>(j) * v.pcell + cell_at(v, x)];
  }
  const std::vector<double> exact_x = nodal_currents(G, a, 1.0 / v.ir_rho);
  std::vector<double> exact(v.pcell);
  for (int x = 0; x < v.pcell; ++x) exact[cell_at(v, x)] = exact_x[x];
  Columns out;
  for (int p = 0; p < v.P; ++p) {  // a pair's conversion subtracts its negative device
    const int q = v.pair ? p + v.P : -1;
    auto pick = [&](const auto& y) { return q < 0 ? double(y[p]) : double(y[p]) - double(y[q]); };
    out.ideal.push_back(pick(ideal));
    out.first_order.push_back(pick(std::vector<double>(ws.fval, ws.fval + v.pcell)));
    out.exact.push_back(pick(exact));
  }
  return out;
}

Config ir_array(double wire_ohm) {
  Config c = small_config();
  c.macro.rows = 12;
  c.macro.cols = 8;
  c.macro.bits_per_cell = 2;
  c.macro.dac_bits = 2;
  c.macro.g_on_us = 40.0;
  c.macro.g_off_us = 1.0;
  c.macro.wire_ohm = wire_ohm;
  c.tile.weights = uniform_operand(2, false, 0.0, 1.0, 1.0);
  c.tile.inputs = uniform_operand(2, false, 0.0, 1.0, 1.0);
  return c;
}

// Largest |first order - exact| and |ideal - exact| over the columns.
std::pair<double, double> gaps(const Columns& c) {
  double fo = 0, drop = 0;
  for (std::size_t p = 0; p < c.exact.size(); ++p) {
    fo = std::max(fo, std::fabs(c.first_order[p] - c.exact[p]));
    drop = std::max(drop, std::fabs(c.ideal[p] - c.exact[p]));
  }
  return {fo, drop};
}

}  // namespace

// The first-order drop is the exact one to within a few percent of it where
// the drop is a few percent of the current, and its error is of second order:
// doubling the wire resistance about quadruples it.
TEST(IrDrop, FirstOrderAgainstExactNodalSolve) {
  for (const WeightEncoding e : {WeightEncoding::unsigned_plain, WeightEncoding::differential_analog}) {
    Config c = ir_array(10.0);
    if (e == WeightEncoding::differential_analog) {
      c.macro.weight_encoding = e;
      c.tile.weights = uniform_operand(3, true, -1.0, 1.0, 1.0);
    }
    const Columns r1 = run(c);
    double rel_drop = 0;
    for (std::size_t p = 0; p < r1.exact.size(); ++p)
      rel_drop = std::max(rel_drop, std::fabs(r1.ideal[p] - r1.exact[p]) / std::fabs(r1.ideal[p]));
    const auto [fo1, drop1] = gaps(r1);
    EXPECT_GT(rel_drop, 0.002) << static_cast<int>(e);  // a drop to see
    EXPECT_LT(fo1, 0.05 * drop1) << static_cast<int>(e);
    c.macro.wire_ohm = 20.0;
    const auto [fo2, drop2] = gaps(run(c));
    EXPECT_NEAR(drop2 / drop1, 2.0, 0.2) << static_cast<int>(e);
    EXPECT_NEAR(fo2 / fo1, 4.0, 1.0) << static_cast<int>(e);
  }
}

// End to end: a wire resistance lowers the outputs (a negative mean error on
// non-negative operands); without it the ideal ADC is exact.
TEST(IrDrop, SampledOutputsLoseCurrent) {
  Config c = ir_array(10.0);
  c.macro.g_off_us = 0.0;  // unsigned columns: no g_off current to blur the sign
  c.macro.adc.range = AdcRange::ideal;
  c.run.samples = 512;
  const GroupMoments t = run_cpu(c).totals();
  EXPECT_LT(t.sum_err / t.outputs, -1e-3 * t.sum_ref / t.outputs);
  c.macro.wire_ohm = 0;
  EXPECT_EQ(run_cpu(c).totals().sum_err2, 0.0);
}

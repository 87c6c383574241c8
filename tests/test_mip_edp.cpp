// The MIP mapper's EDP objective (src/mipmap/edp.cpp): log E + log T under
// tangents of log-sum-exp. Checked against enumeration, an independent
// method: (1) on every legal factor choice of small layers, the program
// restricted to that choice and cut until exact there bounds the choice's
// best EDP over loop orders from below, in any units (the old E x T program
// in a poor mapping's units was below the solver's tolerances and "proved"
// a bound 2x above a mapping random search found); (2) (disabled: fails) on
// small layers the mapper's proven optimum is the enumeration's best and its
// bound is below every enumerated EDP. No time limits: results do not depend on the machine.
// Skipped without CBC.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <string>

#include "loopnest/mapspace.hpp"
#include "mip_test_util.hpp"
#include "mipmap/formulation.hpp"
#include "mipmap/mapper.hpp"
#include "mipmap/milp.hpp"

namespace {

using namespace mip_test;
namespace mm = cimmc::mipmap;

// A 3x3 conv at stride 1 (sliding windows that overlap) small enough to enumerate.
ConvShape conv3x3() {
  ConvShape s;
  s.C = 2;
  s.M = 2;
  s.P = 2;
  s.R = s.S = 3;
  return s;
}

// The strided 1x1 conv's windows are exact in the program (formulation.cpp rows()).
ConvShape strided() { return strided_1x1(2); }

// GEMMs and the strided 1x1 conv first; the 3x3 convs take many solves (the program's input bound on
// sliding windows is loose, so many factor choices are costed before the
// bound meets the best) and run only with CIMMC_MIP_ALL=1.
std::vector<ConvShape> layers() {
  std::vector<ConvShape> v{kGemm};
  for (auto [m, k, n] : {std::array<int, 3>{6, 8, 4}, {3, 6, 2}}) v.push_back(GemmShape{m, k, n});
  v.push_back(strided());
  v.push_back(GemmShape{9, 4, 4});
  v.push_back(kConv);
  v.push_back(conv3x3());
  return v;
}

// The program with `n`'s factor choice fixed, cut until its bound is exact at
// its solution; the bound in pJ x ns.
double bound_at(const Hierarchy& h, const ConvShape& s, const CostParams& p, const LoopNest& n, mm::Scales sc) {
  mm::Formulation f = mm::formulate(h, s, p, Objective::edp, sc);
  for (const mm::Formulation::Choice& ch : f.choices) {
    const LevelLoops& l = n.levels[std::size_t(ch.level)];
    const std::int64_t v = (ch.spatial ? l.spatial : l.temporal)[std::size_t(ch.dim)];
    for (std::size_t k = 0; k < ch.cols.size(); ++k)
      if (ch.values[k] != v) f.milp.ub[std::size_t(ch.cols[k])] = 0;
  }
  for (int it = 0; it < 1000; ++it) {
    const mm::SolveResult r = mm::solve(f.milp, {});
    EXPECT_EQ(r.status, mm::SolveStatus::optimal);
    if (r.status != mm::SolveStatus::optimal) return 0;
    if (mm::log_sum_cuts(f, r.x, 1e-9) + mm::tighten(f, r.x, 1e-12) == 0)
      return std::exp(r.objective) * sc.energy_pj * sc.latency_ns;
  }
  ADD_FAILURE() << "cuts did not converge";
  return 0;
}

// Key of a nest's factors (orders left out).
std::string factor_key(const LoopNest& n) {
  std::string k;
  for (const LevelLoops& l : n.levels)
    for (int d = 0; d < kDims; ++d)
      k += std::to_string(l.temporal[std::size_t(d)]) + "," + std::to_string(l.spatial[std::size_t(d)]) + ";";
  return k;
}

// Each factor choice's best EDP over loop orders, by enumeration.
std::map<std::string, std::pair<LoopNest, double>> best_per_choice(const Hierarchy& h, const ConvShape& s,
                                                                   const CostParams& p) {
  std::map<std::string, std::pair<LoopNest, double>> best;
  const Mapspace ms(h, s);
  EXPECT_TRUE(ms.enumerate(
      [&](const LoopNest& n) {
        const double e = cost(h, s, n, analyze(h, s, n), p).edp();
        auto [it, fresh] = best.try_emplace(factor_key(n), n, e);
        if (!fresh) it->second.second = std::min(it->second.second, e);
      },
      10'000'000, 100'000'000));
  return best;
}

TEST(MipEdp, ProgramBoundsEveryFactorChoice) {
  if (!mm::solver_available()) GTEST_SKIP() << "built without CBC";
  const JobFiguresFn fig = figures;
  const Hierarchy h = macro_like();
  CostParams p = prices();
  p.job_figures = &fig;
  for (const ConvShape& s : {ConvShape(GemmShape{3, 6, 2}), kConv, conv3x3(), strided()}) {
    const auto best = best_per_choice(h, s, p);
    ASSERT_GT(best.size(), 20u);
    int i = 0;
    for (const auto& [key, nb] : best) {
      // Units 1 and units 10^6 times larger (the old program failed there).
      for (double unit : {1.0, 1e6}) {
        SCOPED_TRACE(testing::Message() << "macs " << s.macs() << " choice " << key << " unit " << unit);
        const double b = bound_at(h, s, p, nb.first, {unit, unit});
        EXPECT_LE(b, nb.second * (1 + 1e-9));
        EXPECT_GT(b, 0);
      }
      if (++i >= 60) break;  // the first 60 choices in key order: about a second
    }
  }
}

// The bound on sliding windows (formulation.cpp footprint(): every instance
// is filled at least once with each input it reads) on every legal factor
// choice, not only the first 60: a 3x3 conv over a 4 x 2 output, whose
// choices include P and Q loops above the buffers (where the tile's own box
// bound credits them away), the same at stride 2 over a 4 x 1 output, and
// the strided 1x1 conv's window choices.
TEST(MipEdp, SlidingWindowBoundHoldsOnEveryFactorChoice) {
  if (!mm::solver_available()) GTEST_SKIP() << "built without CBC";
  const Hierarchy h = macro_like();
  const CostParams p = prices();
  ConvShape k3 = conv3x3();
  k3.P = 4;
  k3.Q = 2;
  k3.S = 1;
  ConvShape k3s2 = k3;  // stride 2: windows of (p - 1) x 2 + r rows that overlap when r = 3
  k3s2.Q = 1;
  k3s2.stride_h = 2;
  for (const ConvShape& s : {k3, k3s2, strided()}) {
    const auto best = best_per_choice(h, s, p);
    ASSERT_GT(best.size(), 20u);
    for (const auto& [key, nb] : best) {
      SCOPED_TRACE(testing::Message() << "macs " << s.macs() << " choice " << key);
      const double b = bound_at(h, s, p, nb.first, {1, 1});
      EXPECT_LE(b, nb.second * (1 + 1e-9));
    }
  }
}

// Enumeration's least EDP of every legal mapping (one per order class) and its nest.
std::pair<double, LoopNest> least_edp(const Hierarchy& h, const ConvShape& s, const CostParams& p) {
  double least = INFINITY;
  LoopNest arg;
  const Mapspace ms(h, s);
  EXPECT_TRUE(ms.enumerate(
      [&](const LoopNest& n) {
        const double e = cost(h, s, n, analyze(h, s, n), p).edp();
        if (e < least) {
          least = e;
          arg = n;
        }
      },
      10'000'000, 100'000'000));
  return {least, arg};
}

// CI runs the first four layers (three GEMMs, the strided 1x1 conv);
// CIMMC_MIP_ALL=1 checks all seven (230 s of CPU before the strided conv, convs included: all pass). This failed while the solver was
// a bare CbcModel::branchAndBound: on GEMM 6x8x4 the mapper reported
// "optimal" at 797299 pJ ns where enumeration finds 743213, because the bare
// search returned non-optimal solutions as optimal (solver_cbc.cpp).
// The mapper's proven EDP optimum (whole program, or one per tile shape)
// against enumeration's best on the CI layers (all with CIMMC_MIP_ALL=1).
void expect_edp_equals_exhaustive(bool decompose) {
  const JobFiguresFn fig = figures;
  const char* all = std::getenv("CIMMC_MIP_ALL");
  std::vector<ConvShape> shapes = layers();
  if (!(all && std::string(all) == "1")) shapes.resize(4);
  for (int hi = 0; hi < 2; ++hi) {
    const Hierarchy h = hi ? small() : macro_like();
    CostParams p = prices();
    if (hi == 0) p.job_figures = &fig;
    for (const ConvShape& s : shapes) {
      SCOPED_TRACE(testing::Message() << "hierarchy " << hi << " layer macs " << s.macs() << " decompose "
                                      << decompose);
      const auto [least, arg] = least_edp(h, s, p);
      // The program bounds the best mapping's factor choice (else no proof can hold).
      EXPECT_LE(bound_at(h, s, p, arg, {1, 1}), least * (1 + 1e-9));
      mm::MipOptions mo;
      mo.objective = Objective::edp;
      mo.max_seconds = 0;
      mo.max_solves = 20000;
      mo.decompose = decompose;
      const mm::MipReport r = mm::map_layer(h, s, p, mo);
      ASSERT_EQ(r.status, "optimal");
      EXPECT_EQ(r.gap, 0);
      EXPECT_NEAR(r.best, least, 1e-9 * least);
      EXPECT_LE(r.bound, least * (1 + 1e-9));
      ASSERT_FALSE(r.best_mappings.empty());
      const LoopNest& n = r.best_mappings[0].nest;
      EXPECT_EQ(mapping_error(h, s, n), "");
      EXPECT_EQ(cost(h, s, n, analyze(h, s, n), p).edp(), r.best);
    }
  }
}

TEST(MipEdp, EqualsExhaustiveOnSmallLayers) {
  if (!mm::solver_available()) GTEST_SKIP() << "built without CBC";
  expect_edp_equals_exhaustive(false);
}

// The decomposition over the macro's tile shape (MipOptions::decompose)
// proves the same optima.
TEST(MipEdp, DecompositionEqualsExhaustiveOnSmallLayers) {
  if (!mm::solver_available()) GTEST_SKIP() << "built without CBC";
  expect_edp_equals_exhaustive(true);
}

// A decomposition stopped after k solves (k = 0, 1, 2, ...: inside the LP
// phase's shapes, between shapes, inside one) reports a bound no mapping
// beats: the least bound of the shapes not closed, never a closed shape's or
// one not yet bounded. Against enumeration, every stop until it is optimal.
TEST(MipEdp, StoppedDecompositionBoundsEveryMapping) {
  if (!mm::solver_available()) GTEST_SKIP() << "built without CBC";
  const JobFiguresFn fig = figures;
  const Hierarchy h = macro_like();
  CostParams p = prices();
  p.job_figures = &fig;
  for (const ConvShape& s : {ConvShape(GemmShape{6, 8, 4}), strided()}) {
    const double least = least_edp(h, s, p).first;
    bool reached = false;
    for (std::int64_t k = 0; k < 200 && !reached; ++k) {
      SCOPED_TRACE(testing::Message() << "layer macs " << s.macs() << " solves " << k);
      mm::MipOptions mo;
      mo.objective = Objective::edp;
      mo.max_seconds = 0;
      mo.max_solves = k;
      mo.decompose = true;
      const mm::MipReport r = mm::map_layer(h, s, p, mo);
      EXPECT_LE(r.bound, least * (1 + 1e-9));
      EXPECT_GE(r.best, least * (1 - 1e-9));
      EXPECT_LE(r.bound, r.best);
      reached = r.status == "optimal";
      if (reached) {
        EXPECT_NEAR(r.best, least, 1e-9 * least);
      }
    }
    EXPECT_TRUE(reached);
  }
}

}  // namespace

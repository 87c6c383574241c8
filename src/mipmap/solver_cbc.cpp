// The MIP solver: COIN-OR CBC's branch and bound (CbcModel over Clp),
// compiled only when CMake finds CBC (pkg-config `cbc`). CbcModel directly,
// not CBC's C interface: that runs the whole stand-alone solver per call
// (preprocessing, root cut loop, heuristics), ~0.2 s of CPU on a program the
// mapper solves dozens of times in a row (measured on the small test layers).
#include <CbcModel.hpp>
#include <CoinError.hpp>
#include <CoinPackedMatrix.hpp>
#include <CoinPackedVector.hpp>
#include <OsiClpSolverInterface.hpp>

#include <cmath>
#include <limits>

#include "mipmap/milp.hpp"

namespace cimmc::mipmap {

bool solver_available() { return true; }

namespace {

SolveResult solve_cbc(const Milp& m, const SolveLimits& limits) {
  const double inf = std::numeric_limits<double>::max();
  CoinPackedMatrix a(false, 0, 0);
  a.setDimensions(0, m.cols());
  std::vector<double> rlo, rhi;
  for (const Milp::Row& r : m.rows) {
    a.appendRow(CoinPackedVector(int(r.cols.size()), r.cols.data(), r.coefs.data()));
    rlo.push_back(r.sense == 'L' ? -inf : r.rhs);
    rhi.push_back(r.sense == 'G' ? inf : r.rhs);
  }
  OsiClpSolverInterface lp;
  lp.messageHandler()->setLogLevel(0);
  lp.loadProblem(a, m.lb.data(), m.ub.data(), m.obj.data(), rlo.data(), rhi.data());
  for (int j = 0; j < m.cols(); ++j)
    if (m.integer[std::size_t(j)]) lp.setInteger(j);

  CbcModel model(lp);
  model.setLogLevel(0);
  model.messageHandler()->setLogLevel(0);
  // Gaps of zero: the mapper proves optimality by comparing the bound with
  // re-evaluated costs (mapper.hpp) and needs the solver's true bound.
  model.setAllowableGap(0.0);
  model.setAllowableFractionGap(0.0);
  model.setAllowablePercentageGap(0.0);
  // CBC's default cutoff increment (1e-5, absolute) prunes every node within
  // 1e-5 of the incumbent: on a program whose optimum is 2.5e-6 (an EDP in
  // units of a poor mapping's) the first solution was reported "optimal" and
  // its value taken as the bound (ResNet-18 conv2_2: 5.06e14 claimed against
  // 2.2e14 found by random search).
  model.setDblParam(CbcModel::CbcCutoffIncrement, 0.0);
  if (limits.max_nodes >= 0) model.setMaximumNodes(int(limits.max_nodes));
  if (limits.max_seconds > 0) model.setMaximumSeconds(limits.max_seconds);
  // CBC's cutoff is on the objective without the program's constant.
  if (std::isfinite(limits.cutoff)) model.setCutoff(limits.cutoff - m.obj_constant);
  model.initialSolve();
  SolveResult out;
  if (model.solver()->isProvenPrimalInfeasible()) {
    out.status = SolveStatus::infeasible;
    return out;
  }
  model.branchAndBound();
  if (model.isProvenOptimal())
    out.status = SolveStatus::optimal;
  else if (model.isProvenInfeasible())
    out.status = SolveStatus::infeasible;
  else if (model.isNodeLimitReached() || model.isSecondsLimitReached())
    out.status = SolveStatus::limit;
  else
    out.status = SolveStatus::error;
  out.nodes = model.getNodeCount();
  if (const double* x = model.bestSolution(); x && out.status != SolveStatus::infeasible) {
    out.x.assign(x, x + m.cols());
    out.has_solution = true;
    out.objective = model.getObjValue() + m.obj_constant;
  }
  out.bound = (out.status == SolveStatus::optimal ? model.getObjValue() : model.getBestPossibleObjValue()) +
              m.obj_constant;
  return out;
}

}  // namespace

SolveResult solve(const Milp& m, const SolveLimits& limits) {
  try {
    return solve_cbc(m, limits);
  } catch (const CoinError& e) {  // not a std::exception
    throw MipError("mip mapper: CBC failed: " + e.className() + "::" + e.methodName() + ": " + e.message());
  }
}

}  // namespace cimmc::mipmap

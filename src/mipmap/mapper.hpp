// The MIP mapper (issue 16): the best mapping of one layer on one hierarchy
// under the analytic model (loopnest/cost.hpp), with a proof.
//
// The program (formulation.hpp) is a lower bound on the model's cost of every
// legal mapping, exact where the model is a product of factors. The mapper
// first tightens its LP relaxation (tangents at the relaxation's solutions,
// MipOptions::root_rounds), then solves it, makes the bound exact at the solution (tangents; Kelley cuts on
// E x T for EDP) and solves again until the solution is exact, then hands the
// solution's factors to the model (after any incumbents the caller found):
// every loop order of them (one per order
// class, loopnest::Mapspace) is costed, the best kept, and the factor choice
// cut off (a no-good cut). It stops when the program's bound reaches the best
// cost the model has found: no mapping left in the program can be cheaper,
// and every mapping cut off has been costed. The model stays the judge; the
// program only decides what to cost next.
//
// OPTIMAL means: no legal mapping (factors x loop orders, the mapspace of
// loopnest::Mapspace) has a lower model cost, up to a relative 1e-9. GAP is
// (best - bound) / best, where bound = the least cost any mapping not yet
// costed could have; 0 when optimal. A run that stops early (time limit,
// solve limit) reports the gap it reached. Deterministic for a given node and
// solve limit; a time limit can stop at a machine-dependent point.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "loopnest/cost.hpp"
#include "loopnest/hierarchy.hpp"
#include "loopnest/problem.hpp"
#include "loopnest/search.hpp"

namespace cimmc::mipmap {

struct MipOptions {
  loopnest::Objective objective = loopnest::Objective::energy;
  double max_seconds = 10;       // CPU seconds for the layer; <= 0: none
  std::int64_t max_nodes = -1;   // per solve; < 0: none
  std::int64_t max_solves = 100000;
  int keep = 1;                  // best K costed mappings returned
  // Loop-order combinations costed per factor choice; above it only the
  // first are costed and the result is not claimed optimal (orders_capped).
  std::int64_t max_orders = 200000;
  // Mappings already found (e.g. by loopnest::search), costed with the same
  // params: the best of them is the incumbent the program must beat, so the
  // solver prunes with it as a cutoff and a proof can come sooner; they are
  // returned if nothing better is found.
  std::vector<loopnest::RankedMapping> incumbents;
  // CBC's strong branching on the first solve; after a solve that ends in an
  // error (CBC's abort, coin-or/Cbc #713) it is off for the rest of the layer.
  bool strong_branching = true;
  // Rounds of cuts at the LP relaxation's solution before the first solve
  // (mapper.cpp; they stop earlier once the relaxation's bound stalls); 0: none.
  int root_rounds = 50;
  // Decomposition over the innermost fan-out's tile shape (MIREDO-style):
  // each shape's LP relaxation is bounded first (up to `shape_rounds` LP
  // solves, each adding tangents at its solution), then the shapes are
  // solved one at a time in the order of those bounds, with the shared best
  // cost as cutoff; a shape whose bound reaches that cost is closed
  // unsolved. False: one program over every shape (as before).
  bool decompose = false;
  // CBC's cut generators on the branch-and-bound solves (`-cuts off` when
  // false). Off by default: on ResNet-18 (EDP, 10 s per layer) more solves
  // fit in the limit, most proofs come sooner and most stopped layers end at
  // smaller gaps (README, MIP mapper); the bound is the solver's either way.
  bool cuts = false;
  // Options passed to CBC's driver on every branch-and-bound solve (SolveLimits::solver_args).
  std::vector<std::string> solver_args;
  int shape_rounds = 1;
  // With decompose: each shape whose LP bound is below the best cost is split
  // further by the spatial factors of the fan-outs above the macro's (e.g.
  // how a loop is spread over the cores), each part bounded and solved alike.
  bool split_outer = false;
};

struct MipReport {
  std::string status;  // optimal, time_limit, solve_limit, no_legal_mapping
  bool optimal = false;
  double best = 0;     // the best mapping's objective (pJ, ns or pJ x ns)
  double bound = 0;    // lower bound on every mapping's objective
  double gap = 0;      // (best - bound) / best
  std::int64_t solves = 0, factor_choices = 0, costed = 0, tangents = 0;
  std::int64_t shapes_solved = 0, pruned = 0;  // decomposition: shapes solved, shapes closed by their bound alone
  std::int64_t retries = 0;  // solves repeated without strong branching after CBC failed (0 or 1)
  bool orders_capped = false;
  double seconds = 0;         // CPU seconds, the solver's child processes included
  double solver_seconds = 0;  // of which in the solver's child processes (solver_cbc.cpp)
  std::vector<loopnest::RankedMapping> best_mappings;  // best first
};

// Throws MipError (milp.hpp) when built without CBC, loopnest::LoopNestError
// on an invalid hierarchy, layer or cost parameters.
MipReport map_layer(const loopnest::Hierarchy& h, const loopnest::ConvShape& shape, const loopnest::CostParams& p,
                    const MipOptions& opt);

}  // namespace cimmc::mipmap

// The mapping of one layer on one hierarchy as a mixed-integer program over
// log-domain tiling factors (MIREDO-style), built so that its optimum is a
// LOWER BOUND on the analytic model's cost (loopnest/cost.hpp) of every legal
// mapping, and equal to it wherever the model is a product of factors.
//
// VARIABLES. For each dimension d of size > 1 and each of its slots
// (loopnest::Mapspace::slot_list: a temporal slot per level, a spatial one per
// fan-out axis admitting d) a one-hot choice among the divisors of d's size;
// per prime p of the size, the exponents over the slots sum to p's exponent.
// log(factor) = sum over the choice of log(divisor): tile extents, instances
// and temporal products are linear in these binaries. The innermost
// fan-out's factors (the tile job's shape) are also one one-hot choice among
// every shape that fits its axes, so the macro's energy and cycles per run
// (any function of the shape) enter exactly.
// Loop orders enter through stationarity (loopnest.hpp: a block operand's
// tile changes once per step of the loops down to the innermost one relevant
// to it): per level and operand a binary "this operand's irrelevant loops are
// innermost here", at most one operand per level where their irrelevant dims
// are disjoint (weights: N P Q, outputs: C R S, box inputs: M), and a binary
// "every loop of this level is irrelevant", which carries the credit to the
// level above. For weights, outputs and inputs whose windows are boxes
// (stride 1 where the filter is 1 wide, or a 1-wide output) or whose filter
// is 1 wide at any stride (a step of P moves the window past its last row,
// so only M keeps it; its (p - 1) x stride + 1 rows are a choice among P's
// divisors per level) this is the model's count exactly; for sliding
// windows the input count is bounded below by the larger of the tile's box
// (window >= max(P extent, R extent)) times the visits of the loops down to
// the innermost G, N or C loop (the model's fills telescope to that when
// every later loop fetches nothing) and the instance's whole footprint
// (each input it reads is filled at least once; its rows at least P's + R's
// extents - 1, a choice among divisor pairs), with the inputs' M, P, Q
// credits and the outputs' C credit at a level not both taken.
//
// COSTS. Every count is a product of factors, c x exp(z) with z linear in the
// columns; each is a column t >= exp(z) bounded below by tangents of exp
// (convex, so every tangent is a valid bound and one at the solution's z is
// exact there). tighten() adds the tangents at a solution. Output words are
// partial sums or final (cost.hpp PRECISION): a binary per transfer says
// "final", allowed only when the transfer's log count is at most that of the
// output tensor, and shifts the term's width. Shared capacities constrain
// the sum of tile terms; per-operand ones a tile's log words.
// Energy is exact on products. Latency bounds each port below by its terms
// (a level's RMW reads + drains by updates x the psum width where its drains
// are partial sums, else x a width between the output and the psum width
// that rises with updates / output words: formulation_costs.cpp rmw(), also
// EDP's energy), takes the max of compute, ports and links and adds the swap
// stalls. A mesh or tree link is bounded below by one link per multicast
// group (a bus is exact). EDP: log E + log T under tangents of log-sum-exp
// (edp.cpp); the mapper first cuts the LP relaxation with those tangents.
#pragma once
#include <cstdint>
#include <vector>

#include "loopnest/cost.hpp"
#include "loopnest/hierarchy.hpp"
#include "loopnest/nest.hpp"
#include "loopnest/problem.hpp"
#include "loopnest/search.hpp"
#include "mipmap/milp.hpp"

namespace cimmc::mipmap {

// Typical costs (a legal mapping's), so the solver sees numbers near 1.
struct Scales {
  double energy_pj = 1, latency_ns = 1;
};

// A column t >= exp(z) (t in the objective's scaled units); col -1: no
// column (EDP's terms enter through cuts on z alone).
struct Term {
  LinExpr z;
  int col = -1;
};

struct Formulation {
  Milp milp;
  // One-hot factor choices: slot (dim, level, spatial) takes values[k] when cols[k] is 1.
  struct Choice {
    int dim = 0, level = 0;
    bool spatial = false;
    std::vector<int> cols;
    std::vector<std::int64_t> values;
  };
  std::vector<Choice> choices;
  // The innermost fan-out's tile shapes, one binary each (one-hot): fixing
  // one to 1 restricts the program to that shape (the mapper's decomposition).
  std::vector<int> shape_cols;
  std::vector<Term> terms;
  // The scaled energy and latency as sums of terms plus a linear part (EDP:
  // no linear part), latency >= max of latency_bounds + latency_serial.
  struct Sum {
    std::vector<int> terms;  // indices into `terms`
    LinExpr linear;
  };
  Sum energy, latency_serial;
  std::vector<Sum> latency_bounds;  // compute, each port, each link
  // EDP only (edp.cpp): the objective is log E + log T, each a column bounded
  // below by tangents of the log of a sum of exp(z) (log-sum-exp, convex):
  // one group for E, one per latency bound for T (that bound's terms and the
  // serial ones: T >= bound + serial for every bound).
  struct LogSum {
    int col = -1;
    std::vector<int> terms;
  };
  std::vector<LogSum> log_sums;
  bool logarithmic() const { return !log_sums.empty(); }
  Scales scales;
};

// Builds the program for `objective`, costs divided by the scales. Throws
// MipError when the innermost fan-out has more tile shapes than kMaxShapes.
inline constexpr std::size_t kMaxShapes = 20000;
Formulation formulate(const loopnest::Hierarchy& h, const loopnest::ConvShape& shape, const loopnest::CostParams& p,
                      loopnest::Objective objective, const Scales& scales);

// The factors of a solution as a nest (orders: the identity, to be chosen by the caller).
loopnest::LoopNest decode(const Formulation& f, const std::vector<double>& x, int levels);

// Adds a tangent at the solution's z to every term whose column is below
// exp(z) by more than `tol`; returns how many were added.
// At x as it is (round false: a point of the LP relaxation) or with its
// integer columns rounded (a solution).
int tighten(Formulation& f, const std::vector<double>& x, double tol, bool round = true);

// Cuts off the solution's factor choice (every order of it).
void exclude(Formulation& f, const std::vector<double>& x);

// The solution with its integer columns rounded (the solver returns them
// within its tolerance).
std::vector<double> rounded(const Formulation& f, const std::vector<double>& x);

// exp(z) of every term and the sums at a solution (for EDP cuts and reports).
double sum_value(const Formulation& f, const Formulation::Sum& s, const std::vector<double>& x);

// EDP (edp.cpp). The program's lower bound on E x T at a solution, in the
// scales' units: exp of the sum over the groups' largest log-sums.
double edp_value(const Formulation& f, const std::vector<double>& x);
// The rows every EDP program starts with (log E >= each term's z, and the
// equal-weights tangent), made by formulate().
void add_log_sum_rows(Formulation& f);
// Adds a tangent to every group whose column is below its log-sum at the
// solution by more than `tol` (log units: relative); returns how many.
int log_sum_cuts(Formulation& f, const std::vector<double>& x, double tol, bool round = true);

}  // namespace cimmc::mipmap

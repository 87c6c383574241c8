// A mixed-integer linear program as plain data (columns, rows, objective) and
// the one call that solves it. The formulation (formulation.hpp) builds it;
// only solver_cbc.cpp sees the solver's API, and a build without COIN-OR CBC
// compiles solver_none.cpp instead, which refuses (solver_available() false).
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cimmc::mipmap {

// Asking for the MIP mapper in a build without CBC, or a solver failure.
struct MipError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A linear expression sum coef x col + constant, with the interval its value
// can take over the columns' bounds where the builder knows a tighter one
// (formulation.cpp keeps it for big-M constants and tangent ranges).
struct LinExpr {
  std::vector<std::pair<int, double>> terms;
  double constant = 0;
  double lo = 0, hi = 0;

  LinExpr& operator+=(const LinExpr& o) {
    terms.insert(terms.end(), o.terms.begin(), o.terms.end());
    constant += o.constant;
    lo += o.lo;
    hi += o.hi;
    return *this;
  }
  LinExpr& operator-=(const LinExpr& o) {
    for (auto [c, v] : o.terms) terms.emplace_back(c, -v);
    constant -= o.constant;
    lo -= o.hi;
    hi -= o.lo;
    return *this;
  }
  friend LinExpr operator+(LinExpr a, const LinExpr& b) { return a += b; }
  friend LinExpr operator-(LinExpr a, const LinExpr& b) { return a -= b; }
  double value(const std::vector<double>& x) const {
    double v = constant;
    for (auto [c, k] : terms) v += k * x[std::size_t(c)];
    return v;
  }
};

struct Milp {
  std::vector<double> lb, ub, obj;
  std::vector<char> integer;
  double obj_constant = 0;
  struct Row {
    std::vector<int> cols;
    std::vector<double> coefs;
    char sense;  // 'L' (<=), 'G' (>=), 'E'
    double rhs;
  };
  std::vector<Row> rows;

  int cols() const { return int(lb.size()); }
  int add_col(double lo, double hi, double cost, bool is_integer) {
    lb.push_back(lo);
    ub.push_back(hi);
    obj.push_back(cost);
    integer.push_back(is_integer ? 1 : 0);
    return cols() - 1;
  }
  int add_binary(double cost = 0) { return add_col(0, 1, cost, true); }
  // expr (sense) rhs, the expression's constant moved to the right and
  // repeated columns merged (the solver takes each column once per row).
  void add_row(const LinExpr& e, char sense, double rhs) {
    std::vector<std::pair<int, double>> t = e.terms;
    std::sort(t.begin(), t.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    Row r{{}, {}, sense, rhs - e.constant};
    for (auto [c, v] : t) {
      if (!r.cols.empty() && r.cols.back() == c)
        r.coefs.back() += v;
      else {
        r.cols.push_back(c);
        r.coefs.push_back(v);
      }
    }
    rows.push_back(std::move(r));
  }
};

enum class SolveStatus : std::uint8_t {
  optimal,     // proven optimal (within the solver's tolerances)
  infeasible,  // proven infeasible
  limit,       // stopped at the node or time limit; `bound` still holds
  error,
};
const char* to_string(SolveStatus s);

struct SolveResult {
  SolveStatus status = SolveStatus::error;
  bool has_solution = false;
  std::vector<double> x;
  double objective = 0;  // the solution's, obj_constant included
  double bound = 0;      // lower bound on the optimum, obj_constant included
  std::int64_t nodes = 0;
  double cpu_seconds = 0;  // CPU time of the solve (it runs in a child process: not the caller's)
};

struct SolveLimits {
  std::int64_t max_nodes = -1;  // < 0: none; a node limit keeps results machine-independent
  double max_seconds = 0;       // <= 0: none
  // Solutions whose objective is not below it are of no use (an incumbent the
  // caller has); none: +inf. Nothing below it: the solve is infeasible.
  double cutoff = std::numeric_limits<double>::infinity();
  // CBC's strong branching (its default: 5 candidates, pseudo costs trusted
  // after 10 tries). Off, CBC branches on pseudo costs alone: CBC 2.10.8 aborts
  // in CbcBranchDynamicDecision::betterBranch when a strong-branching solve
  // stops on its iteration limit (coin-or/Cbc issue #713), which cannot happen
  // without strong branching. The mapper turns it off after an abort.
  bool strong_branching = true;
  // CBC's cut generators at the root and in the tree (its default: on).
  // Off, on ResNet-18's programs, each node is cheaper and more solves fit
  // in a time limit (README, MIP mapper; mipmap::MipOptions::cuts).
  bool cuts = true;
  // More options for CBC's driver, as on its command line (e.g. "-cuts",
  // "off"), given before the solve: for measuring CBC's settings.
  std::vector<std::string> solver_args;
};

// False when cimmc was built without COIN-OR CBC.
bool solver_available();

// One solve from scratch (single-threaded, so deterministic for a given
// model and node limit). The solve runs in a child process, so a solver that
// aborts (an assertion in CBC) gives status error instead of ending cimmc,
// and calls from several threads run in parallel (CBC's driver keeps
// process-wide state, but each child has its own: solver_cbc.cpp). Throws MipError without CBC or when CBC reports an
// error of its own.
SolveResult solve(const Milp& m, const SolveLimits& limits);

}  // namespace cimmc::mipmap

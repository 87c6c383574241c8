#include "mipmap/mapper.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <cmath>
#include <array>
#include <functional>
#include <limits>

#include "loopnest/analysis.hpp"
#include "loopnest/mapspace.hpp"
#include "mipmap/formulation.hpp"

namespace cimmc::mipmap {

namespace ln = loopnest;

namespace {

constexpr double kRelTol = 1e-9;
constexpr double kTangentTol = 1e-12;
// Log-sum cuts (EDP) are added while a solution's log bound is short by more
// than this: above the solver's row tolerance (1e-7), or a cut it already
// has but satisfies only within that tolerance would be added again and again.
constexpr double kLogCutTol = 1e-6;
// The least gain of the LP relaxation's bound (program units: log for EDP)
// for which another round of root cuts is made.
constexpr double kRootGain = 1e-4;
constexpr int kRootPatience = 5;
// The most outer fan-out splits per shape (MipOptions::split_outer); more: not split.
constexpr std::size_t kMaxSplits = 2000;

// CPU time of this thread: the solver's limit counts CPU seconds too, and on
// a shared machine wall time would charge the mapper for other processes.
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// Every order class combination of the nest's factors, costed; the best kept.
struct OrderWalk {
  const ln::Mapspace& ms;
  const ln::CostParams& p;
  ln::Objective objective;
  std::int64_t max_orders;
  std::int64_t costed = 0;
  bool capped = false;
  std::vector<ln::RankedMapping>& out;

  void walk(ln::LoopNest& n, int i) {
    if (capped) return;
    const ln::Hierarchy& h = ms.hierarchy();
    if (i == h.size()) {
      if (costed >= max_orders) {
        capped = true;
        return;
      }
      ++costed;
      const ln::NestCounts c = ln::analyze_unchecked(h, ms.shape(), n);
      const ln::NestCost cost = ln::cost(h, ms.shape(), n, c, p);
      out.push_back({n, cost, ln::objective_value(objective, cost)});
      return;
    }
    std::uint32_t mask = 0;
    for (int d = 0; d < ln::kDims; ++d)
      if (n.levels[std::size_t(i)].temporal[std::size_t(d)] > 1) mask |= 1u << d;
    for (const auto& o : ms.order_classes(i, mask)) {
      n.levels[std::size_t(i)].order = o;
      walk(n, i + 1);
    }
  }
};

// One part of the decomposition (a tile shape, and with split_outer its
// outer fan-outs' spatial factors): the binaries fixed at 1, the least cost
// any mapping in it not yet costed can have, and whether it is done.
struct Shape {
  std::vector<int> cols;
  double bound = 0;
  bool closed = false, solved = false;
};

// The program with the columns `fix` fixed at 1.
Milp restricted(const Milp& m, const std::vector<int>& fix) {
  Milp out = m;
  for (int c : fix) out.lb[std::size_t(c)] = 1;
  return out;
}

// Every combination of the spatial factors of the fan-outs above the
// innermost one that fits their axes, as the choice columns to fix; empty
// when there are more than `cap` (or none to choose).
std::vector<std::vector<int>> outer_splits(const Formulation& f, const ln::Hierarchy& h, std::size_t cap) {
  std::vector<const Formulation::Choice*> slots;
  for (const Formulation::Choice& c : f.choices)
    if (c.spatial && c.level < h.size() - 1) slots.push_back(&c);
  std::vector<std::vector<int>> out;
  if (slots.empty()) return out;
  std::vector<int> cur;
  std::vector<std::array<std::int64_t, 2>> used(std::size_t(h.size()), {1, 1});
  bool over = false;
  std::function<void(std::size_t)> walk = [&](std::size_t k) {
    if (over) return;
    if (k == slots.size()) {
      if (out.size() >= cap) {
        over = true;
        return;
      }
      out.push_back(cur);
      return;
    }
    const Formulation::Choice& c = *slots[k];
    const ln::StorageLevel& lv = h.levels[std::size_t(c.level)];
    const int a = ln::spatial_axis(lv, c.dim);
    std::int64_t& u = used[std::size_t(c.level)][std::size_t(a)];
    for (std::size_t i = 0; i < c.cols.size(); ++i) {
      if (u * c.values[i] > lv.fanout[std::size_t(a)].size) continue;
      u *= c.values[i];
      cur.push_back(c.cols[i]);
      walk(k + 1);
      cur.pop_back();
      u /= c.values[i];
    }
  };
  walk(0);
  if (over) out.clear();
  return out;
}

}  // namespace

MipReport map_layer(const ln::Hierarchy& h, const ln::ConvShape& shape, const ln::CostParams& p, const MipOptions& opt) {
  if (std::string e = ln::cost_params_error(h, p); !e.empty()) throw ln::LoopNestError(e);
  const double start = cpu_seconds();
  const ln::Mapspace ms(h, shape);
  MipReport r;
  std::vector<ln::RankedMapping> seen = opt.incumbents;
  // Sorted, each nest once, the best `keep`: an incumbent the program meets
  // again is costed again and must not take two places.
  const auto trim = [&] {
    std::sort(seen.begin(), seen.end(), ln::ranks_before);
    seen.erase(std::unique(seen.begin(), seen.end(),
                           [](const ln::RankedMapping& a, const ln::RankedMapping& b) { return !ln::ranks_before(a, b); }),
               seen.end());
    if (seen.size() > std::size_t(opt.keep)) seen.resize(std::size_t(opt.keep));
  };
  trim();

  // Scales: the best incumbent's costs, else the mapping with every loop at
  // level 0 (legal whenever every level holds one word of each operand), so
  // the solver sees costs near 1: its tolerances are absolute (1e-7 on rows).
  Scales sc;
  {
    ln::NestCost c;
    if (!seen.empty()) {
      c = seen.front().cost;
    } else {
      ln::LoopNest n;
      n.levels.resize(std::size_t(h.size()));
      for (int d = 0; d < ln::kDims; ++d) n.levels[0].temporal[std::size_t(d)] = shape.size(d);
      if (ms.fits(n)) c = ln::cost(h, shape, n, ln::analyze_unchecked(h, shape, n), p);
    }
    if (c.total_pj > 0) sc.energy_pj = c.total_pj;
    if (c.ns > 0) sc.latency_ns = c.ns;
  }
  const double unit = opt.objective == ln::Objective::energy    ? sc.energy_pj
                      : opt.objective == ln::Objective::latency ? sc.latency_ns
                                                                : sc.energy_pj * sc.latency_ns;
  Formulation f = formulate(h, shape, p, opt.objective, sc);
  // The program's objective is the cost in units (EDP: its log).
  const auto to_cost = [&](double v) { return f.logarithmic() ? std::exp(v) * unit : v * unit; };
  const auto to_program = [&](double c) { return f.logarithmic() ? std::log(c / unit) : c / unit; };

  double best = std::numeric_limits<double>::infinity(), bound = 0;
  for (const ln::RankedMapping& m : seen) best = std::min(best, m.score);
  double solver_seconds = 0;  // solves run in child processes (solver_cbc.cpp): their CPU counts too
  auto elapsed = [&] { return cpu_seconds() - start + solver_seconds; };
  // Kelley's loop on the LP relaxation before any branching: the cuts are
  // tangents of convex functions (exp, log-sum-exp), valid at every point, so
  // cuts at the relaxation's fractional solutions tighten what each node of
  // every later solve starts from; each round is one LP solve.
  if (opt.root_rounds > 0) {
    double last = -std::numeric_limits<double>::infinity();
    int stalled = 0;
    for (int k = 0; k < opt.root_rounds; ++k) {
      if (opt.max_seconds > 0 && elapsed() >= opt.max_seconds) break;
      Milp relaxed = f.milp;
      std::fill(relaxed.integer.begin(), relaxed.integer.end(), 0);
      const SolveResult s = solve(relaxed, {});
      solver_seconds += s.cpu_seconds;
      if (s.status != SolveStatus::optimal || !s.has_solution) break;
      bound = std::max(bound, to_cost(s.bound));  // the program's relaxation bounds every mapping too
      const int added = log_sum_cuts(f, s.x, kLogCutTol, false) + tighten(f, s.x, kTangentTol, false);
      r.tangents += added;
      // Kelley's loop tails off: stop after kRootPatience rounds that moved
      // the bound by less than kRootGain (the first rounds often move nothing).
      if (added == 0) break;
      if (s.bound - last >= kRootGain) {
        last = s.bound;
        stalled = 0;
      } else if (++stalled >= kRootPatience) {
        break;
      }
    }
  }
  // Each shape's LP relaxation (cut, like the root, with tangents at its
  // solutions, which hold for every shape): its bound, +inf where no mapping
  // has that shape. Shapes not reached before the time limit keep the root's.
  const auto lp_bounds = [&](std::vector<Shape>& out) {
    for (Shape& c : out) {
      for (int k = 0; k < opt.shape_rounds; ++k) {
        if (opt.max_seconds > 0 && elapsed() >= opt.max_seconds) return;
        Milp relaxed = restricted(f.milp, c.cols);
        std::fill(relaxed.integer.begin(), relaxed.integer.end(), 0);
        const SolveResult s = solve(relaxed, {});
        solver_seconds += s.cpu_seconds;
        if (s.status == SolveStatus::infeasible) {
          c.bound = std::numeric_limits<double>::infinity();
          break;
        }
        if (s.status != SolveStatus::optimal || !s.has_solution) break;
        c.bound = std::max(c.bound, to_cost(s.bound));
        const int added = log_sum_cuts(f, s.x, kLogCutTol, false) + tighten(f, s.x, kTangentTol, false);
        r.tangents += added;
        if (added == 0) break;
      }
    }
  };
  const auto shape_bounds = [&](double root) {
    std::vector<Shape> out;
    for (int col : f.shape_cols) out.push_back({{col}, root, false});
    lp_bounds(out);
    if (!opt.split_outer) return out;
    // Each shape whose bound is below the best cost, split by the outer
    // fan-outs' spatial factors (the splits partition it too), and bounded.
    const std::vector<std::vector<int>> splits = outer_splits(f, h, kMaxSplits);
    if (splits.empty()) return out;
    std::vector<Shape> split;
    for (const Shape& c : out) {
      if (c.bound >= best * (1 - kRelTol)) {
        split.push_back(c);
        continue;
      }
      for (const std::vector<int>& cols : splits) {
        Shape part{c.cols, c.bound, false};
        part.cols.insert(part.cols.end(), cols.begin(), cols.end());
        split.push_back(std::move(part));
      }
    }
    lp_bounds(split);
    return split;
  };
  const double root = bound;  // the whole program's relaxation: a bound on every mapping
  bool strong_branching = opt.strong_branching;
  // The program restricted to one part (columns `fix` at 1; none: the
  // whole program), solved, its solutions costed and cut off, until nothing
  // in it can beat the best cost found ("closed") or a limit stops it.
  // `sub` is raised to the restricted program's best bound; every cut added
  // on the way (tangents, no-goods of costed choices) holds for all shapes.
  const auto descend = [&](const std::vector<int>& fix, double& sub) -> std::string {
    while (r.solves < opt.max_solves) {
      SolveLimits lim;
      lim.max_nodes = opt.max_nodes;
      lim.strong_branching = strong_branching;
      lim.cuts = opt.cuts;
      lim.solver_args = opt.solver_args;
      // Only a program value below the best cost found can lead anywhere: the
      // program bounds each factor choice's cost from below.
      if (std::isfinite(best)) lim.cutoff = to_program(best * (1 - kRelTol));
      if (opt.max_seconds > 0) {
        lim.max_seconds = opt.max_seconds - elapsed();
        if (lim.max_seconds <= 0) return "time_limit";
      }
      const SolveResult s = fix.empty() ? solve(f.milp, lim) : solve(restricted(f.milp, fix), lim);
      ++r.solves;
      solver_seconds += s.cpu_seconds;
      if (s.status == SolveStatus::infeasible) return "closed";  // every factor choice costed or cut off
      if (s.status == SolveStatus::error && strong_branching) {
        // CBC 2.10.8 aborts where a strong-branching solve stopped on its
        // iteration limit (coin-or/Cbc #713; milp.hpp): the same program again
        // without strong branching, and so every later solve of the layer (its
        // programs only grow, so the abort would likely come back).
        strong_branching = false;
        ++r.retries;
        continue;
      }
      if (s.status == SolveStatus::error) {
        // CBC aborted or gave up (solver_cbc.cpp) without strong branching too:
        // keep what the search found, with the best bound of the solves that finished.
        if (!std::isfinite(best)) throw MipError("mip mapper: the solver failed (CBC aborted or reported an error)");
        return "solver_error";
      }
      // The best bound of any solve so far: each program is the one before
      // with more cuts and more factor choices cut off (all of them costed), so
      // an earlier solve's bound still holds for what is left, and a solve
      // stopped by the time limit often reports a weaker one (its open nodes).
      sub = std::max(sub, to_cost(s.bound));
      if (sub >= best * (1 - kRelTol)) return "closed";
      if (!s.has_solution) return "time_limit";
      // Make the bound exact at the solution before asking the model.
      if (const int added = log_sum_cuts(f, s.x, kLogCutTol) + tighten(f, s.x, kTangentTol)) {
        r.tangents += added;
        continue;
      }
      ln::LoopNest n = decode(f, s.x, h.size());
      ++r.factor_choices;
      if (ms.fits(n)) {
        OrderWalk w{ms, p, opt.objective, opt.max_orders, 0, false, seen};
        w.walk(n, 0);
        r.costed += w.costed;
        r.orders_capped = r.orders_capped || w.capped;
        for (const ln::RankedMapping& m : seen) best = std::min(best, m.score);
      }
      exclude(f, s.x);
      trim();  // only the best `keep` can be returned
    }
    return "solve_limit";
  };
  if (!opt.decompose || f.shape_cols.size() < 2) {
    const std::string st = descend({}, bound);
    r.status = st == "closed" ? (std::isfinite(best) ? "optimal" : "no_legal_mapping") : st;
    if (st == "closed") bound = best;
  } else {
    // One program per tile shape (MIREDO's decomposition over the spatial
    // choice): each shape's LP relaxation bounds every mapping with that
    // shape, the shapes are solved in the order of those bounds with the
    // shared incumbent as cutoff, and a shape whose bound reaches the best
    // cost found is closed unsolved. The layer's bound is the least bound of
    // the shapes not closed (the shapes partition the mapspace).
    std::vector<Shape> shapes = shape_bounds(root);
    std::stable_sort(shapes.begin(), shapes.end(), [](const Shape& a, const Shape& b) { return a.bound < b.bound; });
    r.status = "optimal";
    for (Shape& c : shapes) {
      if (c.bound >= best * (1 - kRelTol)) {
        c.closed = true;
        continue;
      }
      ++r.shapes_solved;
      c.solved = true;
      const std::string st = descend(c.cols, c.bound);
      if (st != "closed") {
        r.status = st;
        break;
      }
      c.closed = true;
    }
    double least = best;
    for (const Shape& c : shapes) {
      if (!c.closed) least = std::min(least, c.bound);
      r.pruned += !c.solved && c.bound >= best * (1 - kRelTol);  // by its LP bound alone
    }
    bound = std::max(root, least);
    if (r.status == "optimal" && !std::isfinite(best)) r.status = "no_legal_mapping";
  }
  r.seconds = elapsed();
  r.solver_seconds = solver_seconds;
  r.best = best;
  r.bound = std::min(bound, best);
  r.optimal = r.status == "optimal" && !r.orders_capped;
  if (r.status == "optimal" && r.orders_capped) r.status = "orders_capped";
  r.gap = std::isfinite(best) && best > 0 ? std::max(0.0, (best - r.bound) / best) : 0.0;
  if (r.optimal) r.gap = 0;
  r.best_mappings = std::move(seen);
  return r;
}

}  // namespace cimmc::mipmap

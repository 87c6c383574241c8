// Mapping search over a layer's mapspace (issue 12 item 3): exhaustive when
// the pruned space fits the budget, else deterministic random draws refined
// by hill climbing. Keeps the best `keep` distinct mappings by the
// objective, ties broken by the nest itself (lexicographic over levels:
// temporal factors, spatial factors, order), so the result is a pure
// function of (hierarchy, layer, cost parameters, options).
//
// Exhaustive: Mapspace::enumerate with at most `budget` visits and
// 16 x budget partial assignments; if it completes, every legal mapping (one
// per order class) was evaluated. Otherwise (or in `sampled` mode) the
// budget is split: refine_fraction of it (rounded down) for refinement moves,
// the rest for draws from a SplitMix64 seeded by (seed, layer sizes, strides,
// dilations). Draws (with replacement): Mapspace::sample (guided),
// sample_filled (filled), sample_uniform, or mixed (the default: even draws
// guided, odd draws filled: filled draws put full tiles on the arrays,
// guided ones keep exploring the rest); each legal draw is evaluated. Then
// the best refine_starts distinct draws are refined (refine.hpp) one after
// another, each with an equal share of the refinement budget still left
// (what a climb leaves at its local optimum goes to the next); every
// legal move's nest is a candidate too. What the last climb leaves goes to
// restarts: a new draw from the same stream, then a climb from it with all
// that is left, until the budget is spent. So a sampled search tries exactly
// `budget` candidates (draws + moves). A budget of fewer than
// kMinRefineBudget draws is all draws. Single-threaded: every figure is
// independent of threads.
#pragma once
#include <cstdint>
#include <vector>

#include "loopnest/cost.hpp"
#include "loopnest/hierarchy.hpp"
#include "loopnest/nest.hpp"
#include "loopnest/problem.hpp"

namespace cimmc::loopnest {

enum class Objective : std::uint8_t { energy, latency, edp };
// SearchMode::exhaustive on a mapspace with more legal mappings than the budget.
struct BudgetExceeded : LoopNestError {
  using LoopNestError::LoopNestError;
};
enum class SearchMode : std::uint8_t { automatic, exhaustive, sampled };
// How sampled mode draws (mapspace.hpp SAMPLING): guided draws are legal far
// more often; uniform is the plain draw over the raw factor space.
// Filled draws fill the fan-out axes first; mixed alternates guided and filled.
enum class Sampler : std::uint8_t { guided, uniform, filled, mixed };

struct SearchOptions {
  Objective objective = Objective::energy;
  SearchMode mode = SearchMode::automatic;  // exhaustive: throw if the space exceeds the budget
  std::int64_t budget = 100'000;            // mappings evaluated (exhaustive) or draws (sampled)
  int keep = 1;                             // best K
  std::uint64_t seed = 1;
  Sampler sampler = Sampler::mixed;
  double refine_fraction = 0.25;  // of the budget, for refinement moves (sampled only); 0 disables
  int refine_starts = 4;          // best draws refined
};
inline constexpr std::int64_t kMinRefineBudget = 100;

struct RankedMapping {
  LoopNest nest;
  NestCost cost;
  double score = 0;  // the objective: pJ, ns or pJ x ns
};

struct SearchReport {
  std::uint64_t size = 0;            // Mapspace::size(): raw closed form (saturating)
  std::uint64_t factorizations = 0;  // Mapspace::factorizations()
  bool exhaustive = false;
  std::int64_t candidates = 0;  // exhaustive: legal mappings enumerated; sampled: draws + moves tried = budget
  std::int64_t legal = 0;       // candidates that fit fan-outs and capacities
  std::int64_t draws = 0;       // sampled: random draws, restarts included (candidates - refine_tried)
  std::int64_t refine_tried = 0, refine_improved = 0;  // refinement moves tried and taken
  std::int64_t evaluated = 0;   // analyzed and costed (= legal)
  std::int64_t kept = 0;        // best.size()
  std::vector<RankedMapping> best;  // best first
};

double objective_value(Objective o, const NestCost& c);

// Strict weak order of the search: lower score first, then the smaller nest.
bool ranks_before(const RankedMapping& a, const RankedMapping& b);

// Throws LoopNestError on an invalid hierarchy, layer, cost parameters or
// options (budget >= 1, keep >= 1, refine_fraction in [0, 1], refine_starts >= 0), or in exhaustive mode when the space
// does not fit the budget.
SearchReport search(const Hierarchy& h, const ConvShape& shape, const CostParams& params, const SearchOptions& opt);

}  // namespace cimmc::loopnest

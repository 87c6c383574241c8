// Mapspace and search (src/loopnest/mapspace.hpp, search.hpp): the closed-form
// size against brute-force counting, the pruned enumeration against an
// independent brute force over every factor split and every loop order (it
// loses no distinct cost and admits nothing illegal), the search's best K
// against the brute force's, sampling against exhaustive, determinism.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "loopnest/loopnest.hpp"
#include "loopnest/mapspace.hpp"
#include "loopnest/search.hpp"

using namespace cimmc::loopnest;

namespace {

StorageLevel lvl(const char* name, double rpj, double wpj, double bw, Capacity cap, std::array<bool, 3> holds) {
  StorageLevel l;
  l.name = name;
  for (PortEnergy& e : l.energy) e = {rpj, wpj};
  l.bandwidth_bits_per_cycle = bw;
  l.capacity = cap;
  l.holds = holds;
  return l;
}

// DRAM -(2 instances, bus)-> GLB (24 words, no weights) -(2x2 mesh: K x N)->
// Reg (2 words per operand) -> compute.
Hierarchy small() {
  Hierarchy h{{lvl("DRAM", 10, 12, 64, Capacity::unbounded(), {true, true, true}),
               lvl("GLB", 1, 1.5, 16, Capacity::shared(24), {true, false, true}),
               lvl("Reg", 0.1, 0.2, 0, Capacity::per_operand(2, 2, 2), {true, true, true})},
              1.0};
  h.levels[0].set_fanout(2);
  h.levels[0].link.hop_pj_per_bit = 0.5;
  h.levels[1].fanout = {FanoutAxis{2, 1u << int(Dim::K)}, FanoutAxis{2, 1u << int(Dim::N)}};
  h.levels[1].link = {Topology::mesh, 2, 2, 0.3, 8};
  h.levels[1].double_buffered = true;
  return h;
}

CostParams prices() {
  CostParams p;
  p.bits = {8, 4, 16, 8};
  p.job_energy_pj = 2;
  return p;
}

const GemmShape kShape{4, 4, 2};

struct Outcome {
  double pj, ns;
  auto operator<=>(const Outcome&) const = default;
};
using Factors = std::vector<std::int64_t>;  // temporal then spatial factors, level by level

Factors factors(const LoopNest& n) {
  Factors f;
  for (const LevelLoops& l : n.levels) {
    f.insert(f.end(), l.temporal.begin(), l.temporal.end());
    f.insert(f.end(), l.spatial.begin(), l.spatial.end());
  }
  return f;
}

// Every split of every dimension into divisors at every (level, temporal or
// spatial) slot, every loop order at every level; mapping_error decides.
void brute_force(const Hierarchy& h, const GemmShape& g, const std::function<void(const LoopNest&)>& legal) {
  const int L = h.size();
  LoopNest n;
  n.levels.resize(std::size_t(L));
  const std::array<Dim, 3> dims{Dim::M, Dim::K, Dim::N};
  std::vector<std::array<Dim, 3>> perms;
  std::array<Dim, 3> p = dims;
  do perms.push_back(p);
  while (std::next_permutation(p.begin(), p.end(), [](Dim a, Dim b) { return int(a) < int(b); }));
  std::function<void(int)> orders = [&](int i) {
    if (i == L) {
      if (mapping_error(h, g, n).empty()) legal(n);
      return;
    }
    for (const auto& o : perms) {
      n.levels[std::size_t(i)].order = o;
      orders(i + 1);
    }
  };
  std::function<void(int, int, std::int64_t)> split = [&](int d, int slot, std::int64_t rest) {
    if (d == 3) return orders(0);
    if (slot == 2 * L) {
      if (rest == 1) split(d + 1, 0, g.size(d + 1 < 3 ? d + 1 : 0));
      return;
    }
    LevelLoops& l = n.levels[std::size_t(slot / 2)];
    std::int64_t& f = (slot % 2 ? l.spatial : l.temporal)[std::size_t(d)];
    for (std::int64_t x = 1; x <= rest; ++x)
      if (rest % x == 0) {
        f = x;
        split(d, slot + 1, rest / x);
      }
    f = 1;
  };
  split(0, 0, g.size(0));
}

Outcome outcome(const Hierarchy& h, const GemmShape& g, const LoopNest& n) {
  const NestCost c = cost(h, g, n, analyze(h, g, n), prices());
  return {c.total_pj, c.ns};
}

}  // namespace

TEST(LoopNestSearch, BinomialMatchesPascal) {
  std::vector<std::vector<std::uint64_t>> t(40);
  for (std::size_t n = 0; n < t.size(); ++n) {
    t[n].assign(n + 1, 1);
    for (std::size_t k = 1; k < n; ++k) t[n][k] = t[n - 1][k - 1] + t[n - 1][k];
    for (std::size_t k = 0; k <= n; ++k) EXPECT_EQ(binomial(n, k), t[n][k]) << n << " " << k;
  }
  EXPECT_EQ(binomial(3, 5), 0u);
  EXPECT_EQ(binomial(200, 100), UINT64_MAX);  // saturates
}

// Ordered factorizations counted one divisor at a time (no primes).
TEST(LoopNestSearch, ClosedFormSizeMatchesCounting) {
  std::function<std::uint64_t(std::int64_t, int)> count = [&](std::int64_t n, int slots) -> std::uint64_t {
    if (slots == 1) return 1;
    std::uint64_t c = 0;
    for (std::int64_t x = 1; x <= n; ++x)
      if (n % x == 0) c += count(n / x, slots - 1);
    return c;
  };
  const Hierarchy h = small();
  for (const GemmShape g : {GemmShape{4, 4, 2}, GemmShape{12, 18, 5}, GemmShape{1, 64, 36}, GemmShape{7, 1, 360}}) {
    const Mapspace ms(h, g);
    // Slots: 3 temporal; spatial at DRAM (any dim) and GLB (K, N only).
    EXPECT_EQ(ms.slots(0), 4);
    EXPECT_EQ(ms.slots(1), 5);
    EXPECT_EQ(ms.slots(2), 5);
    const std::uint64_t f = count(g.M, 4) * count(g.K, 5) * count(g.N, 5);
    EXPECT_EQ(ms.factorizations(), f);
    EXPECT_EQ(ms.size(), f * 6 * 6 * 6);
  }
}

// The pruned enumeration against the brute force: the same legal factor
// splits, the same set of (energy, latency) outcomes for each, and nothing
// mapping_error rejects.
TEST(LoopNestSearch, EnumerationLosesNoOutcome) {
  const Hierarchy h = small();
  std::map<Factors, std::set<Outcome>> brute, pruned;
  std::int64_t brute_legal = 0;
  brute_force(h, kShape, [&](const LoopNest& n) {
    brute[factors(n)].insert(outcome(h, kShape, n));
    ++brute_legal;
  });
  std::int64_t visited = 0;
  const Mapspace ms(h, kShape);
  ASSERT_TRUE(ms.enumerate(
      [&](const LoopNest& n) {
        ASSERT_EQ(mapping_error(h, kShape, n), "");
        pruned[factors(n)].insert(outcome(h, kShape, n));
        ++visited;
      },
      1'000'000, 1'000'000));
  EXPECT_GT(brute.size(), 20u);
  EXPECT_EQ(pruned, brute);
  EXPECT_LT(visited, brute_legal);  // the pruning did remove orders
  // Budgets: one visit short stops it.
  EXPECT_TRUE(ms.enumerate([](const LoopNest&) {}, visited, 1'000'000));
  EXPECT_FALSE(ms.enumerate([](const LoopNest&) {}, visited - 1, 1'000'000));
}

TEST(LoopNestSearch, ExhaustiveBestEqualsBruteForce) {
  const Hierarchy h = small();
  const std::array<Objective, 3> objectives{Objective::energy, Objective::latency, Objective::edp};
  std::array<std::vector<double>, 3> scores;
  brute_force(h, kShape, [&](const LoopNest& n) {
    const NestCost c = cost(h, kShape, n, analyze(h, kShape, n), prices());
    for (std::size_t k = 0; k < 3; ++k) scores[k].push_back(objective_value(objectives[k], c));
  });
  for (std::size_t which = 0; which < 3; ++which) {
    const Objective obj = objectives[which];
    std::vector<double>& all = scores[which];
    std::sort(all.begin(), all.end());
    SearchOptions o;
    o.objective = obj;
    o.mode = SearchMode::exhaustive;
    o.keep = 6;
    const SearchReport r = search(h, kShape, prices(), o);
    ASSERT_TRUE(r.exhaustive);
    ASSERT_EQ(r.kept, 6);
    EXPECT_EQ(r.best[0].score, all[0]);
    EXPECT_EQ(r.legal, r.evaluated);
    EXPECT_EQ(r.candidates, r.evaluated);
    for (std::size_t k = 0; k < r.best.size(); ++k) {
      EXPECT_EQ(mapping_error(h, kShape, r.best[k].nest), "");
      EXPECT_EQ(r.best[k].score, objective_value(obj, cost(h, kShape, r.best[k].nest,
                                                             analyze(h, kShape, r.best[k].nest), prices())));
      if (k > 0) {
        EXPECT_TRUE(ranks_before(r.best[k - 1], r.best[k]));
      }
      // Every kept score is one the brute force found, no better than the k-th best.
      EXPECT_TRUE(std::binary_search(all.begin(), all.end(), r.best[k].score));
      EXPECT_GE(r.best[k].score, all[k]);
    }
  }
}

// Sampling is never better than exhaustive; a budget of the exact pruned
// size makes the automatic mode exhaustive, one less makes it sample.
TEST(LoopNestSearch, SamplingAgainstExhaustive) {
  const Hierarchy h = small();
  SearchOptions o;
  o.mode = SearchMode::exhaustive;
  const SearchReport ex = search(h, kShape, prices(), o);
  o.mode = SearchMode::automatic;
  o.budget = ex.evaluated;
  const SearchReport fit = search(h, kShape, prices(), o);
  EXPECT_TRUE(fit.exhaustive);
  EXPECT_EQ(fit.best[0].score, ex.best[0].score);
  o.budget = ex.evaluated - 1;
  const SearchReport smp = search(h, kShape, prices(), o);
  EXPECT_FALSE(smp.exhaustive);
  EXPECT_EQ(smp.candidates, o.budget);
  EXPECT_GT(smp.legal, 0);
  EXPECT_EQ(smp.evaluated, smp.legal);
  EXPECT_GE(smp.best[0].score, ex.best[0].score);
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    o.mode = SearchMode::sampled;
    o.seed = seed;
    o.budget = 300;
    const SearchReport s = search(h, kShape, prices(), o);
    EXPECT_GE(s.best[0].score, ex.best[0].score);
    EXPECT_EQ(mapping_error(h, kShape, s.best[0].nest), "");
  }
}

TEST(LoopNestSearch, DeterministicAndConsistentAcrossK) {
  const Hierarchy h = small();
  SearchOptions o;
  o.mode = SearchMode::sampled;
  o.budget = 2000;
  o.keep = 8;
  o.objective = Objective::edp;
  const SearchReport a = search(h, kShape, prices(), o), b = search(h, kShape, prices(), o);
  ASSERT_EQ(a.kept, b.kept);
  EXPECT_EQ(a.legal, b.legal);
  for (std::size_t k = 0; k < a.best.size(); ++k) {
    EXPECT_EQ(describe(h, a.best[k].nest), describe(h, b.best[k].nest));
    EXPECT_EQ(a.best[k].score, b.best[k].score);
  }
  o.keep = 3;
  const SearchReport c = search(h, kShape, prices(), o);
  ASSERT_EQ(c.kept, 3);
  for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(describe(h, c.best[k].nest), describe(h, a.best[k].nest));
}

TEST(LoopNestSearch, RejectsBadOptions) {
  const Hierarchy h = small();
  SearchOptions o;
  o.budget = 0;
  EXPECT_THROW(search(h, kShape, prices(), o), LoopNestError);
  o = {};
  o.keep = 0;
  EXPECT_THROW(search(h, kShape, prices(), o), LoopNestError);
  o = {};
  o.mode = SearchMode::exhaustive;
  o.budget = 3;
  try {
    search(h, kShape, prices(), o);
    ADD_FAILURE() << "no throw";
  } catch (const LoopNestError& e) {
    EXPECT_STREQ(e.what(), "search: the mapspace has more legal mappings than the budget allows");
  }
  EXPECT_THROW(Mapspace(h, GemmShape{0, 1, 1}), LoopNestError);
}

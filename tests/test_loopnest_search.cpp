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
#include <string>
#include <tuple>

#include "loopnest/loopnest.hpp"
#include "loopnest/mapspace.hpp"
#include "loopnest/search.hpp"
#include "loopnest_search_util.hpp"

using namespace cimmc::loopnest;
using namespace loopnest_search_test;

namespace {

// What the brute force finds on small(), once per shape (the tests share it).
struct Brute {
  std::map<Factors, std::set<Outcome>> outcomes;  // per legal factor split
  std::array<std::vector<double>, 3> scores;      // by objective (kObjectives), sorted
  std::int64_t legal = 0;
};
constexpr std::array<Objective, 3> kObjectives{Objective::energy, Objective::latency, Objective::edp};

const Brute& brute(const ConvShape& g) {
  static std::map<std::string, Brute> cache;
  std::string key;
  for (int d = 0; d < kDims; ++d) key += std::to_string(g.size(d)) + ",";
  key += std::to_string(g.stride_h) + "," + std::to_string(g.stride_w);
  auto [it, fresh] = cache.try_emplace(key);
  Brute& b = it->second;
  if (!fresh) return b;
  const Hierarchy h = small();
  brute_force(h, g, [&](const LoopNest& n) {
    const NestCost c = cost(h, g, n, analyze(h, g, n), prices());
    b.outcomes[factors(n)].insert({c.total_pj, c.ns});
    for (std::size_t o = 0; o < 3; ++o) b.scores[o].push_back(objective_value(kObjectives[o], c));
    ++b.legal;
  });
  for (auto& v : b.scores) std::sort(v.begin(), v.end());
  return b;
}

std::string name(const ConvShape& g) { return g.R > 1 ? "conv" : "gemm"; }

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
  ConvShape odd = kConv;
  odd.N = 12;
  odd.M = 18;
  odd.Q = 5;
  int saturated = 0;
  for (const ConvShape& g : {kGemm, ConvShape(GemmShape{12, 18, 5}), ConvShape(GemmShape{7, 1, 360}), kConv, odd}) {
    const Mapspace ms(h, g);
    // Slots: 3 temporal and DRAM's spatial (any dim) for every dim; GLB's
    // spatial for C and M only.
    std::uint64_t f = 1;
    for (int d = 0; d < kDims; ++d) {
      const int slots = d == int(Dim::C) || d == int(Dim::M) ? 5 : 4;
      EXPECT_EQ(ms.slots(d), slots) << dim_name(d);
      f *= count(g.size(d), slots);
    }
    EXPECT_EQ(ms.factorizations(), f);
    const unsigned __int128 perms = 40320;  // 8!
    const unsigned __int128 raw = f * perms * perms * perms;
    EXPECT_EQ(ms.size(), raw > UINT64_MAX ? UINT64_MAX : std::uint64_t(raw));  // saturates
    saturated += raw > UINT64_MAX;
  }
  EXPECT_EQ(saturated, 1);  // odd (3.84e6 splits x 40320^3); the other four are exact
}

// The pruned enumeration against the brute force: the same legal factor
// splits, the same set of (energy, latency) outcomes for each, and nothing
// mapping_error rejects.
TEST(LoopNestSearch, EnumerationLosesNoOutcome) {
  const Hierarchy h = small();
  for (const ConvShape& g : kShapes) {
    SCOPED_TRACE(name(g));
    const Brute& b = brute(g);
    std::map<Factors, std::set<Outcome>> pruned;
    std::int64_t visited = 0;
    const Mapspace ms(h, g);
    ASSERT_TRUE(ms.enumerate(
        [&](const LoopNest& n) {
          ASSERT_EQ(mapping_error(h, g, n), "");
          const NestCost c = cost(h, g, n, analyze(h, g, n), prices());
          pruned[factors(n)].insert({c.total_pj, c.ns});
          ++visited;
        },
        10'000'000, 10'000'000));
    EXPECT_GT(b.outcomes.size(), 20u);
    EXPECT_EQ(pruned, b.outcomes);
    EXPECT_LT(visited, b.legal);  // the pruning did remove orders
    // Budgets: one visit short stops it.
    EXPECT_TRUE(ms.enumerate([](const LoopNest&) {}, visited, 10'000'000));
    EXPECT_FALSE(ms.enumerate([](const LoopNest&) {}, visited - 1, 10'000'000));
  }
}

TEST(LoopNestSearch, ExhaustiveBestEqualsBruteForce) {
  const Hierarchy h = small();
  for (const ConvShape& g : kShapes) {
    SCOPED_TRACE(name(g));
    const Brute& b = brute(g);
    for (std::size_t which = 0; which < 3; ++which) {
      const Objective obj = kObjectives[which];
      const std::vector<double>& all = b.scores[which];
      SearchOptions o;
      o.objective = obj;
      o.mode = SearchMode::exhaustive;
      o.budget = 1'000'000;
      o.keep = 6;
      const SearchReport r = search(h, g, prices(), o);
      ASSERT_TRUE(r.exhaustive);
      ASSERT_EQ(r.kept, 6);
      EXPECT_EQ(r.best[0].score, all[0]);
      EXPECT_EQ(r.legal, r.evaluated);
      EXPECT_EQ(r.candidates, r.evaluated);
      for (std::size_t k = 0; k < r.best.size(); ++k) {
        EXPECT_EQ(mapping_error(h, g, r.best[k].nest), "");
        EXPECT_EQ(r.best[k].score,
                  objective_value(obj, cost(h, g, r.best[k].nest, analyze(h, g, r.best[k].nest), prices())));
        if (k > 0) {
          EXPECT_TRUE(ranks_before(r.best[k - 1], r.best[k]));
        }
        // Every kept score is one the brute force found, no better than the k-th best.
        EXPECT_TRUE(std::binary_search(all.begin(), all.end(), r.best[k].score));
        EXPECT_GE(r.best[k].score, all[k]);
      }
    }
  }
}

// Sampling (any sampler, refined) is never better than exhaustive; a budget of the
// exact pruned size makes the automatic mode exhaustive, one less makes it
// sample.
TEST(LoopNestSearch, SamplingAgainstExhaustive) {
  const Hierarchy h = small();
  for (const ConvShape& g : kShapes) {
    SCOPED_TRACE(name(g));
    SearchOptions o;
    o.mode = SearchMode::exhaustive;
    o.budget = 1'000'000;
    const SearchReport ex = search(h, g, prices(), o);
    o.mode = SearchMode::automatic;
    o.budget = ex.evaluated;
    const SearchReport fit = search(h, g, prices(), o);
    EXPECT_TRUE(fit.exhaustive);
    EXPECT_EQ(fit.best[0].score, ex.best[0].score);
    o.budget = ex.evaluated - 1;
    const SearchReport smp = search(h, g, prices(), o);
    EXPECT_FALSE(smp.exhaustive);
    EXPECT_EQ(smp.candidates, o.budget);  // draws + refinement moves spend it all (search.hpp)
    EXPECT_EQ(smp.candidates, smp.draws + smp.refine_tried);
    EXPECT_GT(smp.legal, 0);
    EXPECT_EQ(smp.evaluated, smp.legal);
    EXPECT_GE(smp.best[0].score, ex.best[0].score);
    for (Sampler sampler : {Sampler::guided, Sampler::uniform, Sampler::filled, Sampler::mixed})
      for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        o.mode = SearchMode::sampled;
        o.sampler = sampler;
        o.seed = seed;
        o.budget = 300;
        const SearchReport s = search(h, g, prices(), o);
        ASSERT_GT(s.kept, 0);
        EXPECT_GE(s.best[0].score, ex.best[0].score);
        EXPECT_EQ(mapping_error(h, g, s.best[0].nest), "");
      }
  }
}

TEST(LoopNestSearch, DeterministicAndConsistentAcrossK) {
  const Hierarchy h = small();
  SearchOptions o;
  o.mode = SearchMode::sampled;
  o.budget = 2000;
  o.keep = 8;
  o.objective = Objective::edp;
  const SearchReport a = search(h, kGemm, prices(), o), b = search(h, kGemm, prices(), o);
  ASSERT_EQ(a.kept, b.kept);
  EXPECT_EQ(a.legal, b.legal);
  for (std::size_t k = 0; k < a.best.size(); ++k) {
    EXPECT_EQ(describe(h, a.best[k].nest), describe(h, b.best[k].nest));
    EXPECT_EQ(a.best[k].score, b.best[k].score);
  }
  o.keep = 3;
  const SearchReport c = search(h, kGemm, prices(), o);
  ASSERT_EQ(c.kept, 3);
  for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(describe(h, c.best[k].nest), describe(h, a.best[k].nest));
}

TEST(LoopNestSearch, RejectsBadOptions) {
  const Hierarchy h = small();
  SearchOptions o;
  o.budget = 0;
  EXPECT_THROW(search(h, kGemm, prices(), o), LoopNestError);
  o = {};
  o.keep = 0;
  EXPECT_THROW(search(h, kGemm, prices(), o), LoopNestError);
  o = {};
  o.mode = SearchMode::exhaustive;
  o.budget = 3;
  try {
    search(h, kGemm, prices(), o);
    ADD_FAILURE() << "no throw";
  } catch (const LoopNestError& e) {
    EXPECT_STREQ(e.what(), "search: the mapspace has more legal mappings than the budget allows");
  }
  EXPECT_THROW(Mapspace(h, GemmShape{0, 1, 1}), LoopNestError);
}

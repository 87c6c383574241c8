// Local refinement of a mapping (issue 12 item 3): first-improvement hill
// climbing. Random draws find the right region of a mapspace of ~10^19
// mappings but rarely its bottom; a climb from the best draws walks there
// one small change at a time.
//
// MOVES from a nest, each giving another factor-complete nest:
//  * factor: one prime p of dimension d moves from one of d's slots (a
//    temporal slot of a level, or a spatial slot of a fan-out admitting d;
//    Mapspace::slot_list) whose factor p divides to another of d's slots.
//    This covers temporal <-> spatial at one level, level to level, and
//    fan-out to fan-out;
//  * swap: two loops with bounds > 1 trade places in one level's order.
// Each candidate is checked with Mapspace::fits (fan-outs, capacities);
// legal ones are scored. The climb lists every move from the current nest
// in an order shuffled by `rng`, takes the first that scores strictly lower,
// and starts over from there; it stops at a local optimum (no move improves)
// or when `max_tries` moves have been tried (legal or not). The result is
// never worse than the start and is a pure function of (start, mapspace,
// score, rng state, max_tries).
#pragma once
#include <cstdint>
#include <functional>

#include "loopnest/mapspace.hpp"
#include "loopnest/nest.hpp"

namespace cimmc::loopnest {

struct RefineStats {
  std::int64_t tried = 0;     // moves tried (the budget they count against)
  std::int64_t legal = 0;     // of those, fitting fan-outs and capacities (= scored)
  std::int64_t improved = 0;  // moves taken
  bool local_optimum = false;  // the last climb ended with no improving move
};

// Scores a legal nest (lower is better); the search records it as a candidate too.
using ScoreFn = std::function<double(const LoopNest&)>;

// Climbs from `start` (legal, scoring `start_score`) in place: on return
// `start` holds the best nest reached and the result is its score
// (<= start_score). Adds to `stats`.
double refine(const Mapspace& ms, LoopNest& start, double start_score, const ScoreFn& score, SplitMix64& rng,
              std::int64_t max_tries, RefineStats& stats);

}  // namespace cimmc::loopnest

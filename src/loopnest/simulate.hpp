// Brute-force loop-nest simulator: the reference the analytic model is tested
// against. It walks every time step of the nest and every instance of every
// level, keeps what each instance holds (a window of each operand's tensor, and which
// output elements it has written since the tile arrived), and counts each
// element that moves, under exactly the rules stated in loopnest.hpp. It
// shares no counting code with analysis.cpp: tiles are windows computed from the
// loop indices, reuse (halos included) is whatever the content model finds
// already there.
// Cost ~ time steps x (instances x tile words + MACs): for small layers only.
#pragma once
#include "loopnest/counts.hpp"
#include "loopnest/hierarchy.hpp"
#include "loopnest/nest.hpp"
#include "loopnest/problem.hpp"

namespace cimmc::loopnest {

// Counts as analyze() defines them; tile_words is the most any instance held
// (for outputs: the tile it allocated), so a test can compare it with the
// capacity check. Capacities are not enforced here. Throws LoopNestError when
// the nest does not match the hierarchy, has factors < 1, does not run every
// MAC exactly once, or the layer's MACs or input words exceed `max_macs`.
NestCounts simulate(const Hierarchy& h, const ConvShape& shape, const LoopNest& nest,
                    std::int64_t max_macs = 10'000'000);

}  // namespace cimmc::loopnest

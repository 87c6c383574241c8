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

// The same walk, timed in lockstep: each time step lasts
//   max(cycles_per_run, over levels: the busiest instance's port words this
//       step x word_bits / bandwidth)
//   + over levels below 0 that are not double-buffered: the busiest
//       instance's fills and drains this step x word_bits / bandwidth,
// the final write-back counting in the last step; unlimited bandwidth (0)
// costs nothing. Every word is `word_bits` wide (cost.hpp's widths all equal)
// and links are not timed. It differs from cost.hpp's latency in two places
// only: cost.hpp averages each level's traffic over its instances and over
// the whole run (traffic spread perfectly over time, prefetched into any
// step), the walk takes the busiest instance in each step. So cost.hpp's
// cycles never exceed these (sum of maxima >= maximum of sums, busiest >=
// average), and equal them when a single step runs on balanced instances.
double simulate_cycles(const Hierarchy& h, const ConvShape& shape, const LoopNest& nest, double word_bits,
                       double cycles_per_run, std::int64_t max_macs = 10'000'000);

}  // namespace cimmc::loopnest

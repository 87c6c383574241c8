// The analytic access-count model: closed-form reuse analysis of a loop nest
// (semantics in loopnest.hpp). O(levels^2 x dims) integer arithmetic, no allocation;
// checked against the brute-force simulator (simulate.hpp) by tests.
#pragma once
#include "loopnest/counts.hpp"
#include "loopnest/hierarchy.hpp"
#include "loopnest/nest.hpp"
#include "loopnest/problem.hpp"

namespace cimmc::loopnest {

// Validates first (mapping_error) and throws LoopNestError on an illegal nest.
NestCounts analyze(const Hierarchy& h, const ConvShape& shape, const LoopNest& nest);

// For search loops that have already validated (or generate only legal nests):
// the same counts, undefined for an illegal nest.
NestCounts analyze_unchecked(const Hierarchy& h, const ConvShape& shape, const LoopNest& nest);

}  // namespace cimmc::loopnest

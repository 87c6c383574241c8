// Links a fan-out's interconnect spends per multicast or reduction group
// (the route-tree rules are stated in cost.hpp). Internal to cost.cpp; its
// own header so the tests can check the topologies one by one.
#pragma once
#include <array>
#include <cstdint>

#include "loopnest/hierarchy.hpp"
#include "loopnest/problem.hpp"

namespace cimmc::loopnest {

// Sum over the groups of one parent instance of `op` of the links in each
// group's route tree, for the spatial factors `spatial` (by dimension) used
// below level `lv`. A group = the children sharing op's relevant spatial
// indices. Bus: the number of groups. Precondition: the factors fit the
// fan-out, and mesh/tree fan-outs have at most kMaxRoutedChildren instances.
std::int64_t route_links(const StorageLevel& lv, const std::array<std::int64_t, kDims>& spatial, Operand op);

}  // namespace cimmc::loopnest

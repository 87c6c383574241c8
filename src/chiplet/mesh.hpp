// Mesh geometry of the chiplet system: tiles on a chiplet's NoC and chiplets
// on the package's NoP are numbered row-major on a near-square grid, and a
// packet follows dimension-ordered XY routing (all of x first, then y), so a
// route's hops are the Manhattan distance and its links are fixed.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <functional>

namespace cimmc::chiplet {

struct Point {
  int x = 0, y = 0;
};

inline int manhattan(Point a, Point b) { return std::abs(a.x - b.x) + std::abs(a.y - b.y); }

// n nodes on a width x ceil(n / width) grid, width = ceil(sqrt(n)):
// 16 -> 4 x 4, 8 -> 3 x 3 (one corner empty), 2 -> 2 x 1.
struct Grid {
  int n = 1, width = 1, height = 1;
  explicit Grid(int nodes);
  Point at(int i) const { return {i % width, i / width}; }
};

// Direction of one link leaving a node: +x, -x, +y, -y.
enum class Dir : int { east = 0, west = 1, north = 2, south = 3 };

// Calls link(from, dir) for every link of the XY route from a to b, in order.
void walk_xy(Point a, Point b, const std::function<void(Point from, Dir d)>& link);

}  // namespace cimmc::chiplet

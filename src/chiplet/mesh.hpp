// Mesh geometry of the chiplet system: tiles on a chiplet's NoC and chiplets
// on the package's NoP are numbered along a serpentine over a near-square
// grid (row 0 left to right, row 1 right to left, ...), so consecutive
// numbers, which the placement gives to consecutive layers, are always
// neighbours: row-major numbering would send every row's last layer back
// across the whole row. A packet follows dimension-ordered XY routing (all of
// x first, then y), so a route's hops are the Manhattan distance and its
// links are fixed. The last row may be partial; a route may cross one of its
// empty sites, counted as if a router stood there.
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
  Point at(int i) const {
    const int y = i / width, x = i % width;
    return {y % 2 ? width - 1 - x : x, y};
  }
};

// Direction of one link leaving a node: +x, -x, +y, -y.
enum class Dir : int { east = 0, west = 1, north = 2, south = 3 };

// Calls link(from, dir) for every link of the XY route from a to b, in order.
void walk_xy(Point a, Point b, const std::function<void(Point from, Dir d)>& link);

}  // namespace cimmc::chiplet

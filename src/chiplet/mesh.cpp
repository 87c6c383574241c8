#include "chiplet/mesh.hpp"

#include <cmath>

namespace cimmc::chiplet {

Grid::Grid(int nodes) : n(nodes < 1 ? 1 : nodes) {
  width = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n)) - 1e-9));
  while (width * width < n) ++width;  // guard the sqrt's rounding
  height = (n + width - 1) / width;
}

void walk_xy(Point a, Point b, const std::function<void(Point from, Dir d)>& link) {
  Point p = a;
  while (p.x != b.x) {
    const Dir d = b.x > p.x ? Dir::east : Dir::west;
    link(p, d);
    p.x += b.x > p.x ? 1 : -1;
  }
  while (p.y != b.y) {
    const Dir d = b.y > p.y ? Dir::north : Dir::south;
    link(p, d);
    p.y += b.y > p.y ? 1 : -1;
  }
}

}  // namespace cimmc::chiplet

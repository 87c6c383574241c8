#include "pricing/technology.hpp"

#include "pricing/zigzag.hpp"

namespace cimmc::tech {

double gate_energy(double e28_at_0v9, int node_nm, double vdd_v) {
  const double v = vdd_v / zigzag::kVoltsRef;
  return e28_at_0v9 * cap_scale(node_nm) * v * v;
}

double cell_wire_cap_f(int node_nm) { return zigzag::kCellWireCapF * cap_scale(node_nm); }

}  // namespace cimmc::tech

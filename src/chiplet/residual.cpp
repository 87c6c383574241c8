#include "chiplet/residual.hpp"

#include <algorithm>

namespace cimmc::chiplet {

ResidualAdd residual_add(const LayerShape& from, const LayerShape& to, double full_adder_pj, double buffer_pj_per_bit) {
  ResidualAdd r;
  r.adds = static_cast<double>(std::min(from.out_channels(), to.out_channels())) * static_cast<double>(to.M);
  r.adder_pj = r.adds * std::max(from.x_bits, to.x_bits) * full_adder_pj;
  r.buffer_bits = 2.0 * r.adds * from.x_bits;
  r.buffer_pj = r.buffer_bits * buffer_pj_per_bit;
  return r;
}

}  // namespace cimmc::chiplet

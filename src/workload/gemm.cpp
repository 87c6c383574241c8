#include "workload/gemm.hpp"

#include <stdexcept>
#include <string>

namespace cimmc {

namespace {

[[noreturn]] void invalid(const LayerSpec& l, const std::string& why) {
  throw std::invalid_argument("layer '" + l.name + "': " + why);
}

}  // namespace

Gemm lower(const LayerSpec& l) {
  if (l.batch < 1 || l.repeat < 1) invalid(l, "batch and repeat must be >= 1");
  switch (l.kind) {
    case LayerKind::conv2d:
      if (l.C < 1 || l.M < 1 || l.P < 1 || l.Q < 1 || l.R < 1 || l.S < 1 || l.stride_h < 1 || l.stride_w < 1 ||
          l.groups < 1)
        invalid(l, "conv2d sizes, strides and groups must be >= 1");
      if (l.C % l.groups != 0 || l.M % l.groups != 0) invalid(l, "groups must divide C and M");
      break;
    case LayerKind::linear:
      if (l.C < 1 || l.M < 1 || l.tokens < 1) invalid(l, "linear sizes must be >= 1");
      break;
    case LayerKind::matmul:
      if (l.gemm_m < 1 || l.gemm_k < 1 || l.gemm_n < 1) invalid(l, "matmul sizes must be >= 1");
      break;
  }
  const GemmDims<double> d = gemm_dims<double>(l);
  if (d.M * d.K * d.N * d.groups * l.repeat > kMaxLayerMacs) invalid(l, "more than 2^62 MACs");
  const GemmDims<std::int64_t> g = gemm_dims<std::int64_t>(l);
  return Gemm{g.M, g.K, g.N, static_cast<int>(g.groups)};
}

std::int64_t layer_macs(const LayerSpec& l) { return lower(l).macs() * l.repeat; }

}  // namespace cimmc

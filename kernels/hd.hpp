// Host/device markers: empty unless nvcc is compiling, so model headers are
// ordinary C++ for the CPU launcher and device code for the CUDA launcher.
#pragma once
#if defined(__CUDACC__)
#define CIMMC_HD __host__ __device__ __forceinline__
#define CIMMC_RESTRICT __restrict__
#else
#define CIMMC_HD inline
#define CIMMC_RESTRICT __restrict__
#endif

#include <cstdint>
namespace cimmc {
CIMMC_HD int popc64(std::uint64_t x) {
#if defined(__CUDA_ARCH__)
  return __popcll(x);
#else
  return __builtin_popcountll(x);
#endif
}
}  // namespace cimmc

// Host/device markers: empty unless nvcc is compiling, so model headers are
// ordinary C++ for the CPU launcher and device code for the CUDA launcher.
#pragma once
// CIMMC_HOT marks the small per-column helpers of the conversion loop: GCC
// sometimes declines to inline them into the big loop bodies, and a call
// there stops the loop from vectorizing.
#if defined(__CUDACC__)
#define CIMMC_HD __host__ __device__ __forceinline__
#define CIMMC_HOT CIMMC_HD
#else
#define CIMMC_HD inline
#define CIMMC_HOT inline __attribute__((always_inline))
#endif
#define CIMMC_RESTRICT __restrict__
// Full unrolling of short constant-trip loops (nvcc, else GCC).
#if defined(__CUDACC__)
#define CIMMC_UNROLL _Pragma("unroll")
#else
#define CIMMC_UNROLL _Pragma("GCC unroll 16")
#endif

#include <cstdint>
namespace cimmc {
CIMMC_HOT int popc64(std::uint64_t x) {
#if defined(__CUDA_ARCH__)
  return __popcll(x);
#else
  return __builtin_popcountll(x);
#endif
}
}  // namespace cimmc

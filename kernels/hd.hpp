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

// Model code (every function of the kernels/ headers) lives in an inline
// namespace named after the instruction set it is compiled for. The CPU
// launcher compiles the model once per x86 level (cpu_kernel.inc) and the
// CUDA launcher once more; other translation units get the baseline copy. The
// names keep the copies apart at link time: otherwise the linker would keep one
// copy of each inline function for the whole program, possibly an AVX-512
// one for code that must run on any x86-64. Plain data types shared with the
// host (JobView, NormalBin, the Philox key types) stay outside it.
#ifndef CIMMC_ISA_NS
#define CIMMC_ISA_NS isa_base
#endif

#include <cstdint>
namespace cimmc {
inline namespace CIMMC_ISA_NS {
CIMMC_HOT int popc64(std::uint64_t x) {
#if defined(__CUDA_ARCH__)
  return __popcll(x);
#else
  return __builtin_popcountll(x);
#endif
}
}  // namespace CIMMC_ISA_NS
}  // namespace cimmc

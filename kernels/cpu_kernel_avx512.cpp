// The CPU model for x86-64-v4 processors with AVX512-VPOPCNTDQ (Intel Ice Lake
// and later Xeons, AMD Zen 4 on): 16 popcounts per instruction in the column
// loop, 16 normal deviates per gather pair (normal.hpp).
#if defined(__x86_64__)
#define CIMMC_ISA_NS isa_avx512
#define CIMMC_ISA_TARGET \
  "avx2,fma,bmi,bmi2,popcnt,lzcnt,movbe,f16c,avx512f,avx512bw,avx512cd,avx512dq,avx512vl,avx512vpopcntdq"
#define CIMMC_ISA_AVX512 1
#include "cpu_kernel.inc"
#endif

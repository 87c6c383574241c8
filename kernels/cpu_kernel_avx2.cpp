// The CPU model for x86-64-v3 processors (AVX2, FMA, BMI1/2, LZCNT, MOVBE;
// Intel Haswell and AMD Zen on).
#if defined(__x86_64__)
#define CIMMC_ISA_NS isa_avx2
#define CIMMC_ISA_TARGET "avx2,fma,bmi,bmi2,popcnt,lzcnt,movbe,f16c"
#define CIMMC_ISA_AVX2 1
#include "cpu_kernel.inc"
#endif

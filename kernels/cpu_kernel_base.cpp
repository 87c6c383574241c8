// The CPU model for any x86-64 (or any other) processor: the fallback.
#define CIMMC_ISA_NS isa_base
#include "cpu_kernel.inc"

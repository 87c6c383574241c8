// Philox4x32-10 (Salmon et al., SC'11): a counter-based generator. A value is a
// pure function of (counter, key), so any draw is addressable directly and
// results never depend on how samples are split among threads or blocks.
#pragma once
#include <cstdint>

#include "hd.hpp"
#include "stream_id.hpp"

namespace cimmc::philox {

inline namespace CIMMC_ISA_NS {

CIMMC_HD void mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi, std::uint32_t& lo) {
  const std::uint64_t p = static_cast<std::uint64_t>(a) * b;
  hi = static_cast<std::uint32_t>(p >> 32);
  lo = static_cast<std::uint32_t>(p);
}

template <int Rounds = 10>
CIMMC_HD Counter philox4x32(Counter c, Key k) {
  for (int r = 0; r < Rounds; ++r) {
    if (r > 0) { k.v[0] += kW0; k.v[1] += kW1; }
    std::uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kM0, c.v[0], hi0, lo0);
    mulhilo(kM1, c.v[2], hi1, lo1);
    c = Counter{{hi1 ^ c.v[1] ^ k.v[0], lo1, hi0 ^ c.v[3] ^ k.v[1], lo0}};
  }
  return c;
}

CIMMC_HD StreamKey stream_key(std::uint64_t seed, JobId id) {
  const Counter r = philox4x32<10>(
      Counter{{static_cast<std::uint32_t>(id.lo), static_cast<std::uint32_t>(id.lo >> 32),
               static_cast<std::uint32_t>(id.hi), static_cast<std::uint32_t>(id.hi >> 32)}},
      Key{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}});
  return StreamKey{r.v[0], r.v[1], r.v[2]};
}

CIMMC_HD Counter draw(const StreamKey& k, std::uint32_t index, std::uint32_t slot, std::uint32_t stream) {
  return philox4x32<10>(Counter{{index, slot, stream, k.c3}}, Key{{k.k0, k.k1}});
}

// (0,1] uniform from 32 bits: never 0, so log() is always finite.
CIMMC_HD float u01(std::uint32_t x) { return (static_cast<float>(x) + 1.0f) * 2.3283064e-10f; }

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc::philox

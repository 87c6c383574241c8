// Philox4x32-10 (Salmon et al., SC'11): a counter-based generator. A value is a
// pure function of (counter, key), so any draw is addressable directly and
// results never depend on how samples are split among threads or blocks.
#pragma once
#include <cstdint>

#include "hd.hpp"

namespace cimmc::philox {

struct Counter { std::uint32_t v[4]; };
struct Key { std::uint32_t v[2]; };

constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;

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

// A tile job's identity: 128 bits of XXH3 over its canonical key text
// (src/study/tile_jobs.cpp), or zero for a single run outside a study.
struct JobId {
  std::uint64_t lo = 0, hi = 0;
  friend bool operator==(const JobId&, const JobId&) = default;
};

// What keys a job's random streams. Philox4x32 has 64 key bits and a 128-bit
// counter, of which index, slot and stream take three words, so 96 bits are
// left for the job: the 64-bit key and the counter's fourth word. They are
// the first three words of Philox itself applied to the full 128-bit id under
// the 64-bit seed, so every bit of the id and of the seed moves every stream
// (Philox is a bijection of its counter for a fixed key). 96 bits keep a
// collision among 10^9 jobs at about n^2 / 2^97 = 6e-12; the plan checks
// that no two jobs of a study share one anyway.
struct StreamKey {
  std::uint32_t k0 = 0, k1 = 0, c3 = 0;
  friend bool operator==(const StreamKey&, const StreamKey&) = default;
};

CIMMC_HD StreamKey stream_key(std::uint64_t seed, JobId id) {
  const Counter r = philox4x32<10>(
      Counter{{static_cast<std::uint32_t>(id.lo), static_cast<std::uint32_t>(id.lo >> 32),
               static_cast<std::uint32_t>(id.hi), static_cast<std::uint32_t>(id.hi >> 32)}},
      Key{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}});
  return StreamKey{r.v[0], r.v[1], r.v[2]};
}

// cimmc's stream layout: key = (k0, k1) of the job's stream key; counter =
// (index, slot, stream, c3). `index` is a sample or array-instance number,
// `slot` numbers the 4-word blocks drawn for it, `stream` separates what is drawn.
enum Stream : std::uint32_t { kWeights = 1, kFaults = 2, kProgramming = 3, kInputs = 4,
                              kReadNoise = 5, kAdcNoise = 6, kPilot = 0x100 };

CIMMC_HD Counter draw(const StreamKey& k, std::uint32_t index, std::uint32_t slot, std::uint32_t stream) {
  return philox4x32<10>(Counter{{index, slot, stream, k.c3}}, Key{{k.k0, k.k1}});
}

// (0,1] uniform from 32 bits: never 0, so log() is always finite.
CIMMC_HD float u01(std::uint32_t x) { return (static_cast<float>(x) + 1.0f) * 2.3283064e-10f; }

}  // namespace cimmc::philox

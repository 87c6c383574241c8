// The data that names a random stream: Philox's counter and key, a tile job's
// 128-bit id and the stream key derived from it. Plain types shared with the
// host, so outside the model's ISA namespace (hd.hpp); the functions are in
// philox.hpp.
#pragma once
#include <cstdint>

namespace cimmc::philox {

struct Counter { std::uint32_t v[4]; };
struct Key { std::uint32_t v[2]; };

constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;

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
// the 64-bit seed (stream_key below), so every bit of the id and of the seed
// moves every stream (Philox is a bijection of its counter for a fixed key).
// 96 bits keep a collision among 10^9 jobs at about n^2 / 2^97 = 6e-12; the
// plan checks that no two jobs of a study share one anyway.
struct StreamKey {
  std::uint32_t k0 = 0, k1 = 0, c3 = 0;
  friend bool operator==(const StreamKey&, const StreamKey&) = default;
};

// cimmc's stream layout: key = (k0, k1) of the job's stream key; counter =
// (index, slot, stream, c3). `index` is a sample or array-instance number,
// `slot` numbers the 4-word blocks drawn for it, `stream` separates what is drawn.
enum Stream : std::uint32_t { kWeights = 1, kFaults = 2, kProgramming = 3, kInputs = 4,
                              kReadNoise = 5, kAdcNoise = 6, kDrift = 7, kPolarity = 8, kPilot = 0x100 };

}  // namespace cimmc::philox

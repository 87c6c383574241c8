#include <gtest/gtest.h>

#include "philox.hpp"

using namespace cimmc::philox;

// Known-answer vectors of Random123's kat_vectors for philox4x32 with 10 rounds.
TEST(Philox, KnownAnswerZero) {
  const Counter r = philox4x32<10>(Counter{{0, 0, 0, 0}}, Key{{0, 0}});
  EXPECT_EQ(r.v[0], 0x6627e8d5u);
  EXPECT_EQ(r.v[1], 0xe169c58du);
  EXPECT_EQ(r.v[2], 0xbc57ac4cu);
  EXPECT_EQ(r.v[3], 0x9b00dbd8u);
}

TEST(Philox, KnownAnswerOnes) {
  const Counter r = philox4x32<10>(Counter{{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}},
                                   Key{{0xffffffffu, 0xffffffffu}});
  EXPECT_EQ(r.v[0], 0x408f276du);
  EXPECT_EQ(r.v[1], 0x41c83b0eu);
  EXPECT_EQ(r.v[2], 0xa20bc7c6u);
  EXPECT_EQ(r.v[3], 0x6d5451fdu);
}

TEST(Philox, KnownAnswerPi) {
  const Counter r = philox4x32<10>(Counter{{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}},
                                   Key{{0xa4093822u, 0x299f31d0u}});
  EXPECT_EQ(r.v[0], 0xd16cfe09u);
  EXPECT_EQ(r.v[1], 0x94fdcceb);
  EXPECT_EQ(r.v[2], 0x5001e420u);
  EXPECT_EQ(r.v[3], 0x24126ea1u);
}

TEST(Philox, UniformMomentsAndStreamsDiffer) {
  // Mean of u01 over 4e5 words ~ 0.5 (SE 4.6e-4); different streams give different words.
  double s = 0;
  int same = 0;
  for (std::uint32_t i = 0; i < 100000; ++i) {
    const StreamKey k = stream_key(42, JobId{3, 0});
    const Counter a = draw(k, i, 0, kInputs), b = draw(k, i, 0, kWeights);
    for (int t = 0; t < 4; ++t) {
      s += u01(a.v[t]);
      same += a.v[t] == b.v[t];
    }
  }
  EXPECT_NEAR(s / 400000.0, 0.5, 0.002);
  EXPECT_LT(same, 3);
}

// The stream key is Philox applied to the 128-bit job id (low word first)
// under the 64-bit seed: Random123's known answers give its three words.
TEST(Philox, StreamKeyIsPhiloxOfTheJobId) {
  const StreamKey z = stream_key(0, JobId{0, 0});
  EXPECT_EQ(z.k0, 0x6627e8d5u);
  EXPECT_EQ(z.k1, 0xe169c58du);
  EXPECT_EQ(z.c3, 0xbc57ac4cu);
  const StreamKey pi = stream_key(0x299f31d0a4093822ull, JobId{0x85a308d3243f6a88ull, 0x0370734413198a2eull});
  EXPECT_EQ(pi.k0, 0xd16cfe09u);
  EXPECT_EQ(pi.k1, 0x94fdccebu);
  EXPECT_EQ(pi.c3, 0x5001e420u);
  // Every id word and the seed's high word move the key.
  EXPECT_FALSE(stream_key(0, JobId{0, 1ull << 63}) == z);
  EXPECT_FALSE(stream_key(1ull << 40, JobId{0, 0}) == z);
}

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
    const Counter a = draw(42, 3, i, 0, kInputs), b = draw(42, 3, i, 0, kWeights);
    for (int t = 0; t < 4; ++t) {
      s += u01(a.v[t]);
      same += a.v[t] == b.v[t];
    }
  }
  EXPECT_NEAR(s / 400000.0, 0.5, 0.002);
  EXPECT_LT(same, 3);
}

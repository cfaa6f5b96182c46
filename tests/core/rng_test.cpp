#include "raceit/core/rng.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace raceit {

// Known-answer test from the Random123 distribution (kat_vectors, philox4x32_10).
TEST(Philox, MatchesPublishedKnownAnswers) {
  const auto zero = philox4x32({0, 0, 0, 0}, {0, 0});
  EXPECT_EQ(zero[0], 0x6627e8d5u);
  EXPECT_EQ(zero[1], 0xe169c58du);
  EXPECT_EQ(zero[2], 0xbc57ac4cu);
  EXPECT_EQ(zero[3], 0x9b00dbd8u);
  const auto ones = philox4x32({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                               {0xffffffffu, 0xffffffffu});
  EXPECT_EQ(ones[0], 0x408f276du);
  EXPECT_EQ(ones[1], 0x41c83b0eu);
  EXPECT_EQ(ones[2], 0xa20bc7c6u);
  EXPECT_EQ(ones[3], 0x6d5451fdu);
}

TEST(CounterRng, IsAPureFunctionOfSeedStreamIndex) {
  const CounterRng a(42), b(42), c(43);
  EXPECT_EQ(a.normal(1, 7), b.normal(1, 7));
  EXPECT_NE(a.normal(1, 7), c.normal(1, 7));
  EXPECT_NE(a.normal(1, 7), a.normal(2, 7));
  EXPECT_NE(a.normal(1, 7), a.normal(1, 8));
}

// Moments of 10^6 draws: mean within 5 standard errors, variance within 1%.
TEST(CounterRng, UniformAndNormalHaveTheirMoments) {
  const CounterRng rng(7);
  constexpr int kN = 1'000'000;
  double su = 0, su2 = 0, sn = 0, sn2 = 0, sn4 = 0;
  for (int i = 0; i < kN; ++i) {
    const double u = rng.uniform(5, i);
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    su2 += u * u;
    const double z = rng.normal(6, i);
    sn += z;
    sn2 += z * z;
    sn4 += z * z * z * z;
  }
  const double mu = su / kN, vu = su2 / kN - mu * mu;
  EXPECT_NEAR(mu, 0.5, 5 * std::sqrt(1.0 / 12 / kN));
  EXPECT_NEAR(vu, 1.0 / 12, 0.01 / 12);
  const double mn = sn / kN, vn = sn2 / kN - mn * mn;
  EXPECT_NEAR(mn, 0.0, 5 / std::sqrt(kN));
  EXPECT_NEAR(vn, 1.0, 0.01);
  EXPECT_NEAR(sn4 / kN, 3.0, 0.05);  // Gaussian kurtosis
}

}  // namespace raceit

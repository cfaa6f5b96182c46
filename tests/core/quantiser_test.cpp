#include "raceit/core/quantiser.hpp"

#include <gtest/gtest.h>

#include "raceit/core/error.hpp"

namespace raceit {

TEST(RoundHalfEven, TiesGoToEven) {
  EXPECT_EQ(round_half_even(0.5), 0.0);
  EXPECT_EQ(round_half_even(1.5), 2.0);
  EXPECT_EQ(round_half_even(2.5), 2.0);
  EXPECT_EQ(round_half_even(-0.5), 0.0);
  EXPECT_EQ(round_half_even(-1.5), -2.0);
  EXPECT_EQ(round_half_even(-2.5), -2.0);
  EXPECT_EQ(round_half_even(2.4999999), 2.0);
  EXPECT_EQ(round_half_even(2.5000001), 3.0);
}

TEST(AffineQuantiser, ClampsAndRoundsHalfEven) {
  AffineQuantiser q{0.5, 3, 4};  // codes 0…15, value = (code − 3)·0.5
  EXPECT_EQ(q.quantise(0.0), 3);
  EXPECT_EQ(q.quantise(0.25), 3);   // 0.5 → 0 (even) + 3
  EXPECT_EQ(q.quantise(0.75), 5);   // 1.5 → 2 + 3
  EXPECT_EQ(q.quantise(-0.25), 3);  // −0.5 → 0
  EXPECT_EQ(q.quantise(-100.0), 0);
  EXPECT_EQ(q.quantise(100.0), 15);
  EXPECT_DOUBLE_EQ(q.dequantise(15), 6.0);
  EXPECT_DOUBLE_EQ(q.fake_quantise(1.1), 1.0);
}

TEST(AffineQuantiser, FromRangeRepresentsZeroAndEnds) {
  const auto q = AffineQuantiser::from_range(-1.0, 3.0, 8);
  EXPECT_DOUBLE_EQ(q.scale, 4.0 / 255.0);
  EXPECT_EQ(q.zero, 64);  // round(1/(4/255)) = round(63.75)
  EXPECT_EQ(q.quantise(0.0), q.zero);
  EXPECT_EQ(q.quantise(-1.0), 0);
  EXPECT_EQ(q.quantise(3.0), 255);
  const auto pos = AffineQuantiser::from_range(2.0, 4.0, 8);  // widened to include 0
  EXPECT_EQ(pos.zero, 0);
  EXPECT_THROW(AffineQuantiser::from_range(1.0, 0.0, 8), Error);
  EXPECT_THROW(AffineQuantiser::from_range(0.0, 1.0, 0), Error);
}

TEST(AffineQuantiser, SymmetricIsSignSymmetric) {
  const auto q = AffineQuantiser::symmetric(1.27, 8);
  EXPECT_EQ(q.zero, 128);
  EXPECT_EQ(q.quantise(1.27) - q.zero, 127);
  EXPECT_EQ(q.quantise(-1.27) - q.zero, -127);
  EXPECT_EQ(q.quantise(0.005) - q.zero, 0);   // 0.5 LSB ties to even 0
  EXPECT_EQ(q.quantise(0.015) - q.zero, 2);   // 1.5 LSB ties to even 2
}

}  // namespace raceit

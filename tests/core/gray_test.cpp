#include "raceit/core/gray.hpp"

#include <gtest/gtest.h>

#include <bit>

#include "raceit/core/error.hpp"

namespace raceit {

TEST(Gray, RoundTripsEveryCodeForEveryWidth) {
  for (int bits = 1; bits <= kMaxGrayBits; ++bits) {
    const std::uint32_t n = 1u << bits;
    for (std::uint32_t c = 0; c < n; ++c) {
      const std::uint32_t g = gray_encode(c, bits);
      ASSERT_LT(g, n);
      ASSERT_EQ(gray_decode(g, bits), c) << "bits=" << bits << " code=" << c;
      if (c + 1 < n) {
        ASSERT_EQ(std::popcount(g ^ gray_encode(c + 1, bits)), 1);
      }
    }
  }
}

TEST(Gray, KnownValues) {
  EXPECT_EQ(gray_encode(0b0110, 4), 0b0101u);
  EXPECT_EQ(gray_encode(255, 8), 128u);
  EXPECT_EQ(gray_decode(128, 8), 255u);
}

TEST(Gray, RejectsBadWidthOrValue) {
  EXPECT_THROW(gray_encode(0, 0), Error);
  EXPECT_THROW(gray_encode(0, 17), Error);
  EXPECT_THROW(gray_encode(256, 8), Error);
  EXPECT_THROW(gray_decode(16, 4), Error);
}

}  // namespace raceit

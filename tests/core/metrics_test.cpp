#include "raceit/core/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "raceit/core/error.hpp"

namespace raceit {

TEST(Metrics, HandDerivedValues) {
  const std::vector<double> ref{1, 2, 3, 4}, y{1, 2, 3, 6};
  const ErrorStats s = compare(std::span<const double>(y), std::span<const double>(ref));
  EXPECT_DOUBLE_EQ(s.nmse, 4.0 / 30.0);
  EXPECT_DOUBLE_EQ(s.snr_db, -10 * std::log10(4.0 / 30.0));
  EXPECT_DOUBLE_EQ(s.max_abs, 2.0);
  EXPECT_DOUBLE_EQ(s.rms, 1.0);
  EXPECT_DOUBLE_EQ(s.wrong_fraction, 0.25);
  const ErrorStats exact = compare(std::span<const double>(ref), std::span<const double>(ref));
  EXPECT_EQ(exact.nmse, 0.0);
  EXPECT_TRUE(std::isinf(exact.snr_db));
  const std::vector<double> three{1, 2, 3};
  EXPECT_THROW(compare(std::span<const double>(three), std::span<const double>(ref)), Error);
}

}  // namespace raceit

namespace raceit {

TEST(Metrics, AccumulatedPiecesEqualOneComparison) {
  const std::vector<double> ref{1, 2, 3, 4}, y{1, 2, 3, 6};
  ErrorAccumulator first, second;
  first.add(std::span<const double>(y).first(2), std::span<const double>(ref).first(2));
  second.add(std::span<const double>(y).last(2), std::span<const double>(ref).last(2));
  first.merge(second);
  const ErrorStats whole = compare(std::span<const double>(y), std::span<const double>(ref));
  const ErrorStats pieces = first.stats();
  EXPECT_EQ(first.count(), 4u);
  EXPECT_DOUBLE_EQ(pieces.nmse, whole.nmse);
  EXPECT_DOUBLE_EQ(pieces.max_abs, whole.max_abs);
  EXPECT_DOUBLE_EQ(pieces.rms, whole.rms);
  EXPECT_DOUBLE_EQ(pieces.wrong_fraction, whole.wrong_fraction);
  EXPECT_EQ(ErrorAccumulator().stats().nmse, 0.0);
}

}  // namespace raceit

namespace raceit {

// A NaN in the output is not an exact match: max_abs and NMSE are NaN, in one comparison and
// after merging (std::max dropped the NaN before, and "exact yes" was printed for NaN outputs).
TEST(Metrics, NaNIsNeverExact) {
  const std::vector<double> ref{1, 2, 3}, y{1, std::nan(""), 3};
  const ErrorStats s = compare(std::span<const double>(y), std::span<const double>(ref));
  EXPECT_TRUE(std::isnan(s.max_abs));
  EXPECT_TRUE(std::isnan(s.nmse));
  ErrorAccumulator a, b;
  a.add(std::span<const double>(y), std::span<const double>(ref));
  b.add(std::span<const double>(ref), std::span<const double>(ref));
  b.merge(a);
  EXPECT_TRUE(std::isnan(b.stats().max_abs));
}

}  // namespace raceit

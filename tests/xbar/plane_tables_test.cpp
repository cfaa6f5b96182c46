// The lookup-table column values of bit-plane inputs (src/xbar/plane_tables.hpp) against their
// documented summation order, written out sum by sum, and against a double-precision product.
#include "plane_tables.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "raceit/core/rng.hpp"
#include "documented_order.hpp"

namespace raceit::xbar::detail {

// 37 input rows (a partial last group, and more groups than one pass holds), 23 of a tile's 32
// columns, an odd number of plane rows; 6-bit signed inputs, so patterns come from two's
// complement codes.
TEST(PlaneTables, FloatTileEqualsDocumentedOrderAndBoundsTheRounding) {
  const int k = 37, columns = 23, ld = 29, batch = 9, planes = 6;
  const int rows = planes * batch;
  static_assert(planes * 9 <= kTileRows, "one tile");
  ASSERT_GT((k + kGroupRows - 1) / kGroupRows, kPassGroups);
  const CounterRng rng(3);
  std::vector<float> level(static_cast<std::size_t>(k) * ld);
  for (std::size_t i = 0; i < level.size(); ++i) level[i] = static_cast<float>(rng.normal(streams::kData, i) * 100);
  std::vector<std::int32_t> codes(static_cast<std::size_t>(batch) * k);
  for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<std::int32_t>(rng.bits64(streams::kData, 1000 + i) % 64) - 32;

  const int groups = (k + kGroupRows - 1) / kGroupRows;
  const std::vector<std::uint8_t> patterns = input_patterns(codes, batch, k, k, planes, groups, 1);
  std::vector<float> tables;
  build_tables(level.data(), ld, k, columns, kFloatTile, tables);
  std::vector<const std::uint8_t*> row_patterns;
  for (int p = 0; p < planes; ++p)
    for (int b = 0; b < batch; ++b) row_patterns.push_back(patterns.data() + (static_cast<std::size_t>(b) * planes + p) * groups);
  std::vector<float> tile(static_cast<std::size_t>(kTileRows) * kFloatTile, std::numeric_limits<float>::quiet_NaN());
  float_table_tile(tables.data(), groups, rows, row_patterns.data(), tile.data());

  for (int p = 0; p < planes; ++p)
    for (int b = 0; b < batch; ++b) {
      std::vector<int> bits(k);
      for (int i = 0; i < k; ++i) bits[i] = (static_cast<std::uint32_t>(codes[static_cast<std::size_t>(b) * k + i]) >> p) & 1u;
      const std::size_t row = static_cast<std::size_t>(p) * batch + b;
      for (int c = 0; c < columns; ++c) {
        const float u = tile[row * kFloatTile + c];
        ASSERT_EQ(u, documented_column_value(bits, level.data(), ld, k, c)) << "plane " << p << " vector " << b << " column " << c;
        // Any order of k float additions is within k·ε·Σ|terms| of the exact sum.
        double exact = 0, magnitude = 0;
        for (int i = 0; i < k; ++i)
          if (bits[i]) {
            exact += level[static_cast<std::size_t>(i) * ld + c];
            magnitude += std::abs(level[static_cast<std::size_t>(i) * ld + c]);
          }
        EXPECT_LE(std::abs(u - exact), k * std::numeric_limits<float>::epsilon() * magnitude);
      }
    }
}

// Patterns: bit p of the inputs on rows 4q…4q+3 in bits 0…3, per row block, for codes of up to
// 16 bits (negative ones as two's complement).
TEST(PlaneTables, InputPatternsHoldEachPlanesBits) {
  const int batch = 3, in = 21, rows = 10, planes = 16, row_blocks = 3, groups_per_block = 3;
  std::vector<std::int32_t> codes(static_cast<std::size_t>(batch) * in);
  for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<std::int32_t>(i * 2654435761u % 65536) - 32768;
  const std::vector<std::uint8_t> patterns = input_patterns(codes, batch, in, rows, planes, groups_per_block, row_blocks);
  const std::size_t groups_total = static_cast<std::size_t>(row_blocks) * groups_per_block;
  for (int b = 0; b < batch; ++b)
    for (int p = 0; p < planes; ++p)
      for (int rb = 0; rb < row_blocks; ++rb)
        for (int q = 0; q < groups_per_block; ++q) {
          unsigned expected = 0;
          for (int r = 0; r < kGroupRows; ++r) {
            const int i = rb * rows + q * kGroupRows + r;
            if (q * kGroupRows + r < rows && i < in)
              expected |= ((static_cast<std::uint32_t>(codes[static_cast<std::size_t>(b) * in + i]) >> p) & 1u) << r;
          }
          EXPECT_EQ(patterns[(static_cast<std::size_t>(b) * planes + p) * groups_total + static_cast<std::size_t>(rb) * groups_per_block + q],
                    expected);
        }
}

}  // namespace raceit::xbar::detail

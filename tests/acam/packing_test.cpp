#include "raceit/acam/packing.hpp"

#include <gtest/gtest.h>

#include "raceit/core/error.hpp"

namespace raceit::acam {
namespace {

TEST(Packing, IdentityOnTheDefaultRaceArray) {
  const auto f = resolve_function("identity");
  const auto gray = pack(compile_1var(f, {8, {0, 1}}, {8, {}, OutputEncoding::Gray}));
  EXPECT_EQ(gray.segments_per_bit, (std::vector<int>{1, 1, 1, 1, 1, 1, 1, 2}));
  EXPECT_EQ(gray.arrays, 2);
  EXPECT_EQ(gray.spill, 64 - 50);
  EXPECT_DOUBLE_EQ(gray.utilisation, 128.0 / 800);
  const auto binary = compile_1var(f, {8, {0, 1}}, {8, {}, OutputEncoding::Binary});
  const auto packed = pack(binary);
  EXPECT_EQ(packed.arrays, 3);
  EXPECT_EQ(packed.spill, (64 - 50) + (128 - 50));
  EXPECT_EQ(readout_columns(binary), 2);  // 255 ranges in 130-cell columns
  EXPECT_EQ(readout_columns(binary, 255), 1);
}

TEST(Packing, MoreBitsThanRowsSplitIntoGroups) {
  // Rows 2: groups {60, 10} → 2 arrays and {120, 0} → 3 arrays.
  const auto p = pack({60, 10, 120, 0}, {2, 50});
  EXPECT_EQ(p.segments_per_bit, (std::vector<int>{2, 1, 3, 0}));
  EXPECT_EQ(p.arrays, 5);
  EXPECT_EQ(p.spill, 10 + 70);
  EXPECT_EQ(pack(std::vector<int>{0, 0}, {8, 50}).arrays, 0);
}

TEST(Packing, ParsesShapes) {
  EXPECT_EQ(parse_array_shape("8x50").rows, 8);
  EXPECT_EQ(parse_array_shape("8x50").cells, 50);
  EXPECT_EQ(parse_array_shape("16X128").cells, 128);
  EXPECT_EQ(to_string(parse_array_shape("4x12")), "4x12");
  for (const char* bad : {"8", "x50", "8x", "0x5", "8x-1", "8x50x2", "a x b", ""})
    EXPECT_THROW(parse_array_shape(bad), Error) << bad;
}

}  // namespace
}  // namespace raceit::acam

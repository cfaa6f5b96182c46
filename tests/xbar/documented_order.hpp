#pragma once
// The summation order of a bit plane's column value (src/xbar/plane_tables.hpp), written out sum
// by sum: per group of four input rows the selected levels from zero, highest row first; the
// groups' sums added in group order, from zero.
#include <cstddef>
#include <vector>

namespace raceit::xbar {

// Σ over rows i < k with bits[i] set of level[i·ld + column], in that order.
inline float documented_column_value(const std::vector<int>& bits, const float* level, std::size_t ld, int k, int column) {
  constexpr int kGroupRows = 4;
  float u = 0;
  for (int q = 0; q * kGroupRows < k; ++q) {
    float group = 0;
    for (int r = kGroupRows - 1; r >= 0; --r) {
      const int row = q * kGroupRows + r;
      if (row < k && bits[row]) group += level[static_cast<std::size_t>(row) * ld + column];
    }
    u += group;
  }
  return u;
}

}  // namespace raceit::xbar

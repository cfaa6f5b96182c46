// Input patterns and the float tables' kernel (plane_tables.hpp).
#include "plane_tables.hpp"

#include <array>

#include "mvm_integer.hpp"

namespace raceit::xbar::detail {

namespace {

// Bit p of each byte value moved to bit 4p: four inputs' spread bits, shifted by their row in
// the group, interleave into all their planes' 4-bit patterns at once.
struct SpreadBits {
  std::array<std::uint32_t, 256> of{};
  constexpr SpreadBits() {
    for (std::uint32_t v = 0; v < 256; ++v)
      for (int p = 0; p < 8; ++p) of[v] |= ((v >> p) & 1u) << (4 * p);
  }
};
constexpr SpreadBits kSpread;

}  // namespace

std::vector<std::uint8_t> input_patterns(const std::vector<std::int32_t>& levels, int batch, int in, int rows, int planes,
                                         int groups_per_block, int row_blocks) {
  const std::size_t groups_total = static_cast<std::size_t>(row_blocks) * groups_per_block;
  std::vector<std::uint8_t> nibble(static_cast<std::size_t>(batch) * planes * groups_total, 0);
  for (int b = 0; b < batch; ++b) {
    const std::int32_t* vector = levels.data() + static_cast<std::size_t>(b) * in;
    std::uint8_t* out = nibble.data() + static_cast<std::size_t>(b) * planes * groups_total;
    for (int rb = 0; rb < row_blocks; ++rb) {
      const int i0 = rb * rows, i1 = std::min(in, i0 + rows);
      for (int i = i0; i < i1; i += kGroupRows) {
        std::uint64_t spread = 0;
        for (int r = 0; r < kGroupRows && i + r < i1; ++r) {
          const auto v = static_cast<std::uint32_t>(vector[i + r]);
          spread |= (kSpread.of[v & 0xffu] | static_cast<std::uint64_t>(kSpread.of[(v >> 8) & 0xffu]) << 32) << r;
        }
        const std::size_t group = static_cast<std::size_t>(rb) * groups_per_block + static_cast<std::size_t>((i - i0) / kGroupRows);
        for (int p = 0; p < planes; ++p) out[static_cast<std::size_t>(p) * groups_total + group] = static_cast<std::uint8_t>((spread >> (4 * p)) & 0xfu);
      }
    }
  }
  return nibble;
}

// Eight float lanes (one AVX2 register; two SSE registers in the baseline clone), loaded unaligned.
using FloatLanes = float __attribute__((vector_size(32), aligned(4)));
static_assert(kFloatTile == 4 * 8, "float_table_tile() holds a row's sums in four FloatLanes");

// Two rows at a time (eight independent sums hide the adds' latency), one pass of up to
// kPassGroups groups over the tile at a time, all in one call: the sums stay in registers.
RACEIT_XBAR_VECTOR_CLONES void float_table_tile(const float* tables, int groups, int rows, const std::uint8_t* const* pattern, float* tile) {
  for (int q0 = 0; q0 < groups; q0 += kPassGroups) {
    const int q1 = std::min(groups, q0 + kPassGroups);
    for (int r = 0; r < rows; r += 2) {
      const int r_b = std::min(r + 1, rows - 1);  // an odd last row twice
      auto* u_a = reinterpret_cast<FloatLanes*>(tile + static_cast<std::size_t>(r) * kFloatTile);
      auto* u_b = reinterpret_cast<FloatLanes*>(tile + static_cast<std::size_t>(r_b) * kFloatTile);
      FloatLanes a0 = {}, a1 = {}, a2 = {}, a3 = {}, b0 = {}, b1 = {}, b2 = {}, b3 = {};
      if (q0 > 0) {
        a0 = u_a[0], a1 = u_a[1], a2 = u_a[2], a3 = u_a[3];
        b0 = u_b[0], b1 = u_b[1], b2 = u_b[2], b3 = u_b[3];
      }
      const std::uint8_t *pattern_a = pattern[r], *pattern_b = pattern[r_b];
      for (int q = q0; q < q1; ++q) {
        const float* group = tables + static_cast<std::size_t>(q) * kPatterns * kFloatTile;
        const auto* e_a = reinterpret_cast<const FloatLanes*>(group + static_cast<std::size_t>(pattern_a[q]) * kFloatTile);
        const auto* e_b = reinterpret_cast<const FloatLanes*>(group + static_cast<std::size_t>(pattern_b[q]) * kFloatTile);
        a0 += e_a[0], a1 += e_a[1], a2 += e_a[2], a3 += e_a[3];
        b0 += e_b[0], b1 += e_b[1], b2 += e_b[2], b3 += e_b[3];
      }
      u_a[0] = a0, u_a[1] = a1, u_a[2] = a2, u_a[3] = a3;
      u_b[0] = b0, u_b[1] = b1, u_b[2] = b2, u_b[3] = b3;
    }
  }
}

}  // namespace raceit::xbar::detail

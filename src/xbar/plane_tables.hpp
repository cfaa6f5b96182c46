#pragma once
// Column values of bit-plane inputs by lookup tables (private to src/xbar). Input rows go in
// groups of four: per group and column tile a table holds the 16 sums of the group's levels that
// a 4-bit input pattern selects, so one plane of one vector costs a quarter of a GEMM's adds. The
// exact integer path sums int16 levels; the float paths sum float levels, in one fixed order:
//   table[q][pattern][c] = Σ over the set bits r of pattern, highest r first, of level[4q + r][c]
//   u[c] = Σ over the groups q in order, from zero, of table[q][pattern_q][c]
// so a column value is the same float whatever the CPU, the BLAS library or the thread count.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace raceit::xbar::detail {

constexpr int kGroupRows = 4;               // input rows per lookup-table group
constexpr int kPatterns = 1 << kGroupRows;  // table entries per group

// Groups of four that cover `rows` input rows (the last may be partial).
constexpr int groups_of(int rows) { return (rows + kGroupRows - 1) / kGroupRows; }

// Input patterns: nibble[(b·planes + p)·groups_total + rb·groups_per_block + q] = bits p of the
// inputs on rows 4q…4q+3 of row block rb, row 4q + r in bit r (planes <= 16).
std::vector<std::uint8_t> input_patterns(const std::vector<std::int32_t>& levels, int batch, int in, int rows, int planes,
                                         int groups_per_block, int row_blocks);

// tables[(q·kPatterns + pattern)·tile + c] as above for the kb rows of `level` (row stride ld)
// and its first nt ≤ tile columns; the other columns are zero.
template <class Level>
void build_tables(const Level* level, std::size_t ld, int kb, int nt, int tile, std::vector<Level>& tables) {
  const int groups = groups_of(kb);
  const auto T = static_cast<std::size_t>(tile);
  tables.assign(static_cast<std::size_t>(groups) * kPatterns * T, Level{0});
  for (int q = 0; q < groups; ++q) {
    Level* group = tables.data() + static_cast<std::size_t>(q) * kPatterns * T;
    for (int pattern = 1; pattern < kPatterns; ++pattern) {
      const int row = q * kGroupRows + std::countr_zero(static_cast<unsigned>(pattern));
      Level* entry = group + static_cast<std::size_t>(pattern) * T;
      const Level* rest = group + static_cast<std::size_t>(pattern & (pattern - 1)) * T;
      if (row >= kb) {
        std::copy(rest, rest + T, entry);
        continue;
      }
      const Level* from = level + static_cast<std::size_t>(row) * ld;
      for (int c = 0; c < nt; ++c) entry[c] = static_cast<Level>(rest[c] + from[c]);
      std::copy(rest + nt, rest + T, entry + nt);
    }
  }
}

// Columns per float table tile: 32 sums of two rows fill eight AVX2 registers.
constexpr int kFloatTile = 32;
// Plane rows per tile of sums, and groups per pass over it: a pass's tables (16 kB) and the
// tile (8 kB) stay in L1. Each pass adds its groups to the tile's sums in group order, so the
// passes keep the order above.
constexpr int kTileRows = 64, kPassGroups = 8;

// tile[r·kFloatTile + c] = the column values of plane rows r < rows ≤ kTileRows, whose patterns
// are at pattern[r], from the tables of build_tables(…, kFloatTile, …).
void float_table_tile(const float* tables, int groups, int rows, const std::uint8_t* const* pattern, float* tile);

}  // namespace raceit::xbar::detail

#pragma once
// Packing a program's cells onto physical ACAM arrays (DESIGN §2.2; race-it.md §1.4 and Q1/Q2).
//
// RACE array, shape R×C ("8x50" by default, a RACE unit holds four): one row per output bit with
// C cells, one cell per range (1-var) or rectangle (2-var); a row's match line gives the OR of its
// cells. A bit with n_b cells needs ceil(n_b / C) row segments; segment s of every bit sits in
// array s, and the rows of one bit in different arrays are ORed digitally.
//   out_bits <= R:  arrays = max_b ceil(n_b / C)
//   out_bits >  R:  the bits (MSB first) are split into groups of R, each with its own arrays:
//                   arrays = Σ_groups max_{b in group} ceil(n_b / C)
//   spill = cells beyond the first array of their group = Σ_b max(0, n_b − C)
// A bit that is never 1 needs no row.
//
// Readout column: a Compute-ACAM column replacing a crossbar's ADC stacks cells of every bit in
// one column of N cells (NL-DPE: 130 = 2^7 Gray ranges of the 8-bit identity plus slack), so it
// needs ceil(total cells / N) columns.
#include <string>
#include <string_view>
#include <vector>

#include "raceit/acam/program.hpp"

namespace raceit::acam {

struct ArrayShape {
  int rows = 8;    // output bits per array
  int cells = 50;  // cells (ranges or rectangles) per row
};
// "RxC" (also "R×C" or "RXC"), both positive integers; otherwise Error(InvalidArgument).
ArrayShape parse_array_shape(std::string_view text);
std::string to_string(const ArrayShape& shape);

struct ArrayPacking {
  ArrayShape shape;
  int arrays = 0;
  int spill = 0;
  std::vector<int> segments_per_bit;  // MSB first
  double utilisation = 0.0;           // cells used / cells in the arrays (0 when no arrays)
};

ArrayPacking pack(const std::vector<int>& cells_per_bit, const ArrayShape& shape = {});
ArrayPacking pack(const AcamProgram& program, const ArrayShape& shape = {});

constexpr int kReadoutColumnCells = 130;
int readout_columns(const AcamProgram& program, int column_cells = kReadoutColumnCells);

}  // namespace raceit::acam

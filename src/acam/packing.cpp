#include "raceit/acam/packing.hpp"

#include <algorithm>
#include <charconv>

#include "raceit/core/error.hpp"

namespace raceit::acam {

namespace {
[[noreturn]] void bad_shape(std::string_view text) {
  throw Error(ErrorKind::InvalidArgument,
              "array shape must be ROWSxCELLS with positive integers (e.g. 8x50), got '" +
                  std::string(text) + "'");
}

int positive_int(std::string_view text, std::string_view whole) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1) bad_shape(whole);
  return value;
}

int ceil_div(int a, int b) { return (a + b - 1) / b; }
}  // namespace

ArrayShape parse_array_shape(std::string_view text) {
  for (std::string_view sep : {"x", "X", "×"}) {
    const auto at = text.find(sep);
    if (at != std::string_view::npos)
      return {.rows = positive_int(text.substr(0, at), text),
              .cells = positive_int(text.substr(at + sep.size()), text)};
  }
  bad_shape(text);
}

std::string to_string(const ArrayShape& shape) {
  return std::to_string(shape.rows) + "x" + std::to_string(shape.cells);
}

ArrayPacking pack(const std::vector<int>& cells_per_bit, const ArrayShape& shape) {
  if (shape.rows < 1 || shape.cells < 1)
    throw Error(ErrorKind::InvalidArgument, "array shape must be positive, got " + to_string(shape));
  ArrayPacking p;
  p.shape = shape;
  int used = 0;
  for (std::size_t group = 0; group < cells_per_bit.size(); group += shape.rows) {
    int group_arrays = 0;
    const std::size_t group_end = std::min(cells_per_bit.size(), group + shape.rows);
    for (std::size_t b = group; b < group_end; ++b) {
      const int n = cells_per_bit[b];
      p.segments_per_bit.push_back(ceil_div(n, shape.cells));
      group_arrays = std::max(group_arrays, p.segments_per_bit.back());
      p.spill += std::max(0, n - shape.cells);
      used += n;
    }
    p.arrays += group_arrays;
  }
  const double capacity = static_cast<double>(p.arrays) * shape.rows * shape.cells;
  p.utilisation = capacity > 0 ? used / capacity : 0.0;
  return p;
}

ArrayPacking pack(const AcamProgram& program, const ArrayShape& shape) {
  return pack(program.cells.count_per_bit(), shape);
}

int readout_columns(const AcamProgram& program, int column_cells) {
  if (column_cells < 1)
    throw Error(ErrorKind::InvalidArgument, "a readout column needs at least one cell");
  return ceil_div(program.cells.total(), column_cells);
}

}  // namespace raceit::acam

#pragma once
// ACAM programs and the function compiler (DESIGN §2.2 and §3; race-it.md §4.2 and §4.4).
// A program is plain data: per output bit (MSB first) the ranges (1-var) or rectangles (2-var)
// programmed into ACAM cells, plus the quantised table they must reproduce.
//
// Thresholds are in input-code units: input code i of an n-bit axis stands for
// x_i = lo + i·(hi − lo)/(2^n − 1), and a run of codes [s, e] becomes the open interval
// (s − 0.5, e + 0.5). A bound on code 0 or 2^n − 1 is ±infinity ("don't care" on that side), so
// an analog input beyond the grid is treated as the nearest end code, which is what clamping
// would give.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "raceit/acam/functions.hpp"
#include "raceit/core/enum_names.hpp"
#include "raceit/core/quantiser.hpp"

namespace raceit::acam {

enum class OutputEncoding { Gray, Binary };
inline constexpr EnumNames<OutputEncoding, 2> kOutputEncodingNames{
    {{{OutputEncoding::Gray, "gray"}, {OutputEncoding::Binary, "binary"}}}};
const char* to_string(OutputEncoding encoding);
// "gray" or "binary"; anything else is an Error(InvalidArgument).
OutputEncoding parse_output_encoding(std::string_view text);

// One cell's interval; it matches when lo < x < hi (strictly). ±infinity means "don't care".
struct AcamRange {
  double lo = 0.0;
  double hi = 0.0;
  bool contains(double x) const { return lo < x && x < hi; }
  bool operator==(const AcamRange&) const = default;
};

// A 2-var cell: it matches when x lies in the x range and y in the y range.
struct AcamRect {
  AcamRange x, y;
  bool contains(double px, double py) const { return x.contains(px) && y.contains(py); }
  bool operator==(const AcamRect&) const = default;
};

// What is programmed into the cells, one list per output bit, MSB first: ranges for a 1-var
// program, rectangles for a 2-var one (the other list is empty). A bit is 1 when any of its
// cells matches; a bit that is never 1 has no cells.
struct AcamCells {
  std::vector<std::vector<AcamRange>> ranges_per_bit;
  std::vector<std::vector<AcamRect>> rects_per_bit;

  std::vector<int> count_per_bit() const;
  int total() const;
  bool operator==(const AcamCells&) const = default;
};

struct InputAxis {
  int bits = 8;
  ValueRange range;

  std::uint32_t codes() const { return std::uint32_t{1} << bits; }
  // x_i = lo + i·(hi − lo)/(2^bits − 1).
  double value(std::uint32_t code) const;
  // The grid code a digital value is driven as: clamp(round_half_even((x − lo)·(2^bits − 1)/(hi − lo)),
  // 0, 2^bits − 1); NaN reads as code 0.
  std::uint32_t quantise(double x) const {
    const double top = static_cast<double>(codes() - 1);
    const double code = round_half_even((x - range.lo) * top / (range.hi - range.lo));
    return code > 0 ? static_cast<std::uint32_t>(code < top ? code : top) : 0;
  }
  bool operator==(const InputAxis&) const = default;
};

struct OutputSpec {
  int bits = 8;
  std::optional<ValueRange> range;  // default: min and max of f over the input grid
  OutputEncoding encoding = OutputEncoding::Gray;
};

struct AcamProgram {
  std::string function;    // the built-in name or the expression as given
  std::string expression;  // what was evaluated
  int vars = 1;
  InputAxis x;
  InputAxis y;  // bits == 0 for a 1-var program
  int out_bits = 8;
  OutputEncoding encoding = OutputEncoding::Gray;
  ValueRange out_range;   // output code c stands for out_range.lo + c·out_step
  double out_step = 0.0;  // Δ = (hi − lo)/(2^out_bits − 1); 0 when f is constant (all codes 0)
  AcamCells cells;
  // Per input (index i·2^y.bits + j for 2-var): the expected output code (not encoded), and f
  // evaluated in double.
  std::vector<std::uint32_t> table;
  std::vector<double> reference;

  std::size_t input_count() const { return table.size(); }
  double dequantise(std::uint32_t code) const { return out_range.lo + code * out_step; }
  // Output code ↔ the bits the rows hold (Gray or binary; bit out_bits−1 is row 0 of `cells`).
  std::uint32_t encode(std::uint32_t code) const;
  std::uint32_t decode(std::uint32_t encoded) const;
  bool operator==(const AcamProgram&) const = default;
};

// 1-var compile: x with 1–12 bits, 1–12 output bits. Throws Error(InvalidArgument) for bad
// bits or ranges, for a 2-var function, and when f is not finite at a grid point.
AcamProgram compile_1var(const AcamFunction& f, const InputAxis& x, const OutputSpec& out = {});

// 2-var compile: x and y with 1–6 bits each. Each output bit's table is covered greedily with
// axis-aligned rectangles: each step takes the rectangle of 1s (it may overlap 1s already
// covered, never a 0) that covers the most still-uncovered 1s, the larger area on a tie. The
// cover is verified to be exact (Error(Internal) otherwise). The 4b×4b Gray product needs 265
// rectangles (race-it.md §4.4 reports 266 for this greedy; ties are broken differently).
AcamProgram compile_2var(const AcamFunction& f, const InputAxis& x, const InputAxis& y,
                         const OutputSpec& out = {});

}  // namespace raceit::acam

// Configuration parsing, tile layout, readout groups and readout ranges.
#include <cmath>
#include <fmt/format.h>

#include "raceit/core/error.hpp"
#include "raceit/xbar/crossbar.hpp"

namespace raceit::xbar {

namespace {
[[noreturn]] void invalid(const std::string& why) { throw Error(ErrorKind::InvalidArgument, why); }

int parse_int_suffix(const std::string& text, std::size_t colon, const std::string& what) {
  const std::string digits = text.substr(colon + 1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
    invalid(fmt::format("{} '{}': expected a whole number after ':'", what, text));
  return std::stoi(digits);
}
}  // namespace

void parse_encoding(const std::string& text, CrossbarConfig& c) {
  if (text == "single") {
    c.encoding = WeightEncoding::Single;
  } else if (text == "analog-slice") {
    c.encoding = WeightEncoding::AnalogSlice;
  } else if (text.starts_with("bit-slice:")) {
    c.encoding = WeightEncoding::BitSlice;
    c.slice_bits = parse_int_suffix(text, text.find(':'), "encoding");
  } else {
    invalid(fmt::format("unknown weight encoding '{}' (expected single, analog-slice or bit-slice:K)", text));
  }
}

void parse_readout(const std::string& text, CrossbarConfig& c) {
  if (text.starts_with("adc:")) {
    c.readout = ReadoutKind::Adc;
    c.readout_bits = parse_int_suffix(text, text.find(':'), "readout");
  } else if (text == "acam") {
    c.readout = ReadoutKind::Acam;
  } else if (text.starts_with("acam:")) {
    c.readout = ReadoutKind::Acam;
    c.readout_bits = parse_int_suffix(text, text.find(':'), "readout");
  } else {
    invalid(fmt::format("unknown readout '{}' (expected adc:BITS, acam or acam:BITS)", text));
  }
}

std::string encoding_name(const CrossbarConfig& c) {
  switch (c.encoding) {
    case WeightEncoding::Single: return "single";
    case WeightEncoding::AnalogSlice: return "analog-slice";
    case WeightEncoding::BitSlice: return fmt::format("bit-slice:{}", c.slice_bits);
  }
  return "?";
}

std::string readout_name(const CrossbarConfig& c) {
  return fmt::format("{}:{}", c.readout == ReadoutKind::Adc ? "adc" : "acam", c.readout_bits);
}

void CrossbarConfig::validate() const {
  if (rows < 1 || cols < 1) invalid(fmt::format("tile size {}x{} must be at least 1x1", rows, cols));
  if (w_bits < 2 || w_bits > 16) invalid(fmt::format("w_bits must be 2…16, got {}", w_bits));
  if (a_bits < 1 || a_bits > 16) invalid(fmt::format("a_bits must be 1…16, got {}", a_bits));
  if (signed_inputs && a_bits < 2) invalid("signed inputs need a_bits >= 2");
  if (encoding == WeightEncoding::BitSlice && (slice_bits < 1 || slice_bits > w_bits - 1))
    invalid(fmt::format("bit-slice:K needs 1 <= K <= w_bits-1 = {}, got {}", w_bits - 1, slice_bits));
  const int max_bits = readout == ReadoutKind::Acam ? 12 : 24;
  if (readout_bits < 2 || readout_bits > max_bits)
    invalid(fmt::format("readout bits must be 2…{} for {}, got {}", max_bits,
                        readout == ReadoutKind::Acam ? "an ACAM" : "an ADC", readout_bits));
  if (acam_instances < 1) invalid(fmt::format("acam_instances must be >= 1, got {}", acam_instances));
  if (!(full_scale > 0 && full_scale <= 1))
    invalid(fmt::format("readout full scale must be in (0, 1], got {}", full_scale));
}

TileLayout tile_layout(const CrossbarConfig& c, int in, int out) {
  c.validate();
  if (in < 1 || out < 1) invalid(fmt::format("matrix {}x{} is empty", out, in));
  TileLayout t;
  const int magnitude_bits = c.w_bits - 1;
  if (c.encoding == WeightEncoding::BitSlice) {
    t.magnitude_slices = (magnitude_bits + c.slice_bits - 1) / c.slice_bits;
    t.level_max = (1 << c.slice_bits) - 1;
  } else {
    t.magnitude_slices = 1;
    t.level_max = (1 << magnitude_bits) - 1;
  }
  t.delta_g_us = (c.device.g_max_us - c.device.g_min_us) / t.level_max;
  const int cells_per_side = t.magnitude_slices * (c.encoding == WeightEncoding::AnalogSlice ? 2 : 1);
  const bool separate = c.sign == SignScheme::SeparateArrays;
  t.groups = c.analog_combine ? t.magnitude_slices : cells_per_side * (separate ? 2 : 1);
  t.columns_per_output = cells_per_side * (separate ? 1 : 2);
  t.outputs_per_tile = c.cols / t.columns_per_output;
  if (t.outputs_per_tile < 1)
    invalid(fmt::format("a tile of {} columns cannot hold one output, which needs {} columns",
                        c.cols, t.columns_per_output));
  t.row_blocks = (in + c.rows - 1) / c.rows;
  t.col_blocks = (out + t.outputs_per_tile - 1) / t.outputs_per_tile;
  t.arrays = t.row_blocks * t.col_blocks * (separate ? 2 : 1);
  t.cells_per_weight = static_cast<std::int64_t>(cells_per_side) * 2;
  return t;
}

namespace {
// analog_combine: one signed conversion per slice of both sides' main and error cells.
std::vector<ReadoutGroup> combined_groups(const CrossbarConfig& c, const TileLayout& t) {
  std::vector<ReadoutGroup> groups;
  for (int s = 0; s < t.magnitude_slices; ++s)
    groups.push_back({s, false, 0, c.encoding == WeightEncoding::BitSlice ? std::ldexp(1.0, c.slice_bits * s) : 1.0});
  return groups;
}
}  // namespace

std::vector<ReadoutGroup> readout_groups(const CrossbarConfig& c) {
  const TileLayout t = tile_layout(c, 1, 1);
  if (c.analog_combine) return combined_groups(c, t);
  std::vector<ReadoutGroup> groups;
  const std::vector<int> sides = c.sign == SignScheme::SeparateArrays ? std::vector<int>{+1, -1}
                                                                       : std::vector<int>{0};
  for (int side : sides)
    for (int s = 0; s < t.magnitude_slices; ++s)
      for (bool err : c.encoding == WeightEncoding::AnalogSlice ? std::vector<bool>{false, true}
                                                                : std::vector<bool>{false}) {
        const double shift = c.encoding == WeightEncoding::BitSlice ? std::ldexp(1.0, c.slice_bits * s) : 1.0;
        groups.push_back({s, err, side, side < 0 ? -shift : shift});
      }
  return groups;
}

double largest_column_value(const CrossbarConfig& c, const TileLayout& t) {
  const double vmax = c.inputs == InputScheme::BitSerial
                          ? 1.0
                          : (c.signed_inputs ? std::ldexp(1.0, c.a_bits - 1) : std::ldexp(1.0, c.a_bits) - 1);
  return static_cast<double>(c.rows) * vmax * t.level_max;
}

ReadoutScale readout_scale(const CrossbarConfig& c, const TileLayout& t) {
  const double largest = largest_column_value(c, t);
  const bool signed_values = c.sign == SignScheme::DifferentialPairs || c.analog_combine ||
                             (c.inputs == InputScheme::MultiLevel && c.signed_inputs);
  ReadoutScale s;
  s.cmin = signed_values ? -(std::int64_t{1} << (c.readout_bits - 1)) : 0;
  s.cmax = signed_values ? (std::int64_t{1} << (c.readout_bits - 1)) - 1
                         : (std::int64_t{1} << c.readout_bits) - 1;
  // A power-of-two step keeps ideal conversions exact integer arithmetic.
  s.step = std::ldexp(1.0, static_cast<int>(std::ceil(std::log2(c.full_scale * largest / s.cmax))));
  return s;
}

}  // namespace raceit::xbar

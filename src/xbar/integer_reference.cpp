// Integer-only models of the crossbar MVM. They re-derive slicing, planes and readout from the
// configuration with integer operations and share no code with the crossbar paths, so the
// equality tests mean something.
#include "raceit/xbar/integer_reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "raceit/core/error.hpp"
#include "raceit/core/gray.hpp"

namespace raceit::xbar {

namespace {

std::vector<std::int64_t> input_values(const Matrix& x, const AffineQuantiser& xq, bool signed_inputs) {
  std::vector<std::int64_t> v(x.data.size());
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = xq.quantise(x.data[k]) - (signed_inputs ? xq.zero : 0);
  return v;
}

// round_half_even(n / 2^e) for integer n and e >= 0, in integers.
std::int64_t shift_round_half_even(std::int64_t n, int e) {
  if (e <= 0) return n * (std::int64_t{1} << -e);
  const std::int64_t d = std::int64_t{1} << e;
  std::int64_t q = n >= 0 ? n / d : -((-n + d - 1) / d);  // floor
  const std::int64_t r = n - q * d;                        // 0 <= r < d
  if (2 * r > d || (2 * r == d && (q & 1))) ++q;
  return q;
}

Matrix dequantise_integer(const ProgrammedCrossbar& x, const std::vector<double>& acc, const AffineQuantiser& xq,
                          int batch, bool subtract_zero) {
  Matrix y(batch, x.out);
  for (int j = 0; j < x.out; ++j) {
    std::int64_t rowsum = 0;
    for (int i = 0; i < x.in; ++i) rowsum += x.q[static_cast<std::size_t>(j) * x.in + i];
    const double zero_term = subtract_zero ? static_cast<double>(xq.zero) * static_cast<double>(rowsum) : 0.0;
    for (int b = 0; b < batch; ++b)
      y.at(b, j) = static_cast<float>(xq.scale * x.w_scale[j] * (acc[static_cast<std::size_t>(b) * x.out + j] - zero_term));
  }
  return y;
}

}  // namespace

Matrix quantised_product(const ProgrammedCrossbar& x, const Matrix& inputs, const AffineQuantiser& xq) {
  const auto v = input_values(inputs, xq, x.config.signed_inputs);
  const std::int64_t zero = x.config.signed_inputs ? 0 : xq.zero;
  std::vector<double> acc(static_cast<std::size_t>(inputs.rows) * x.out);
  for (int b = 0; b < inputs.rows; ++b)
    for (int j = 0; j < x.out; ++j) {
      std::int64_t s = 0;
      for (int i = 0; i < x.in; ++i)
        s += static_cast<std::int64_t>(x.q[static_cast<std::size_t>(j) * x.in + i]) * (v[static_cast<std::size_t>(b) * x.in + i] - zero);
      acc[static_cast<std::size_t>(b) * x.out + j] = static_cast<double>(s);
    }
  return dequantise_integer(x, acc, xq, inputs.rows, false);
}

Matrix ideal_pipeline(const ProgrammedCrossbar& x, const Matrix& inputs, const AffineQuantiser& xq) {
  const CrossbarConfig& c = x.config;
  if (!c.fused_function.empty())
    throw Error(ErrorKind::Unsupported, "the integer pipeline models identity readouts only, not a fused function");
  const auto v = input_values(inputs, xq, c.signed_inputs);
  const int magnitude_bits = c.w_bits - 1;
  const int k = c.encoding == WeightEncoding::BitSlice ? c.slice_bits : magnitude_bits;
  const int slices = (magnitude_bits + k - 1) / k;
  const std::int64_t level_mask = (std::int64_t{1} << k) - 1;
  const bool bit_serial = c.inputs == InputScheme::BitSerial;
  const int planes = bit_serial ? c.a_bits : 1;
  // analog_combine sums both sides (and the error cells) before one conversion, as a pair does.
  const bool differential = c.sign == SignScheme::DifferentialPairs || c.analog_combine;
  // Readout range, from its definition: codes for a full-scale column of R rows.
  const std::int64_t vmax = bit_serial ? 1 : (c.signed_inputs ? (std::int64_t{1} << (c.a_bits - 1)) : (std::int64_t{1} << c.a_bits) - 1);
  const bool signed_codes = differential || (!bit_serial && c.signed_inputs);
  const std::int64_t cmax = signed_codes ? (std::int64_t{1} << (c.readout_bits - 1)) - 1 : (std::int64_t{1} << c.readout_bits) - 1;
  const std::int64_t cmin = signed_codes ? -(std::int64_t{1} << (c.readout_bits - 1)) : 0;
  int e = -64;  // smallest e with cmax·2^e >= full_scale·largest
  const double target = c.full_scale * static_cast<double>(c.rows * vmax * level_mask);
  while (std::ldexp(static_cast<double>(cmax), e) < target) ++e;
  // A Compute-ACAM readout matches open intervals around each code: exactly half-way between
  // codes k and k+1 only the bits both codes share stay set (decode(enc(k) & enc(k+1))).
  const bool acam = c.readout == ReadoutKind::Acam;
  const bool gray = c.acam_encoding == acam::OutputEncoding::Gray;
  auto enc = [&](std::int64_t k) { return gray ? gray_encode(static_cast<std::uint32_t>(k), c.readout_bits) : static_cast<std::uint32_t>(k); };
  auto dec = [&](std::uint32_t g) { return static_cast<std::int64_t>(gray ? gray_decode(g, c.readout_bits) : g); };
  auto read = [&](std::int64_t column) {
    std::int64_t code = std::clamp(shift_round_half_even(column, e), cmin, cmax);
    if (acam && e > 0) {
      const std::int64_t d = std::int64_t{1} << e;
      const std::int64_t floor_k = column >= 0 ? column / d : -((-column + d - 1) / d);
      const bool tie = 2 * (column - floor_k * d) == d;
      if (tie && floor_k >= cmin && floor_k < cmax)
        code = dec(enc(floor_k - cmin) & enc(floor_k + 1 - cmin)) + cmin;
    }
    return std::ldexp(static_cast<double>(code), e);
  };

  const int batch = inputs.rows;
  std::vector<double> acc(static_cast<std::size_t>(batch) * x.out, 0.0);
  const int row_blocks = (x.in + c.rows - 1) / c.rows;
  for (int b = 0; b < batch; ++b)
    for (int j = 0; j < x.out; ++j) {
      double total = 0;
      for (int rb = 0; rb < row_blocks; ++rb) {
        const int i0 = rb * c.rows, i1 = std::min(x.in, i0 + c.rows);
        for (int p = 0; p < planes; ++p) {
          const double plane_weight = !bit_serial ? 1.0 : (c.signed_inputs && p == c.a_bits - 1 ? -std::ldexp(1.0, p) : std::ldexp(1.0, p));
          // Per slice: positive and negative column sums of integer levels.
          for (int side = 0; side < (differential ? 1 : 2); ++side)
            for (int s = 0; s < slices; ++s) {
              std::int64_t column = 0;
              for (int i = i0; i < i1; ++i) {
                const std::int64_t in_level = bit_serial ? ((static_cast<std::uint64_t>(v[static_cast<std::size_t>(b) * x.in + i]) >> p) & 1)
                                                         : v[static_cast<std::size_t>(b) * x.in + i];
                const std::int32_t q = x.q[static_cast<std::size_t>(j) * x.in + i];
                const std::int64_t level = (std::abs(q) >> (k * s)) & level_mask;
                const std::int64_t pos = q > 0 ? level : 0, neg = q < 0 ? level : 0;
                column += in_level * (differential ? pos - neg : (side == 0 ? pos : neg));
              }
              const double shift = std::ldexp(1.0, k * s) * (side == 1 ? -1.0 : 1.0);
              total += plane_weight * shift * read(column);
              // An analog-slice error column holds nothing in ideal mode and reads 0.
              if (c.encoding == WeightEncoding::AnalogSlice && !c.analog_combine) total += plane_weight * shift * read(0);
            }
        }
      }
      acc[static_cast<std::size_t>(b) * x.out + j] = total;
    }
  return dequantise_integer(x, acc, xq, batch, !c.signed_inputs);
}

}  // namespace raceit::xbar

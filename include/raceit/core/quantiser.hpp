#pragma once
// The affine quantiser of DESIGN §3:
//   code  = clamp(round_half_even(x / scale) + zero, 0, 2^bits - 1)
//   value = (code - zero) * scale
#include <cmath>
#include <cstdint>

namespace raceit {

// Rounds to the nearest integer, ties to even: the IEEE default rounding mode, which raceit never
// changes. Inline because readout loops call it per conversion. Below 2^51 in magnitude, adding
// and subtracting 1.5·2^52 rounds in that mode without a libm call (nearbyint is one on
// baseline x86-64); larger values, infinities and NaN go to nearbyint.
inline double round_half_even(double x) {
  constexpr double kRound = 0x1.8p52;
  return std::abs(x) < 0x1p51 ? (x + kRound) - kRound : std::nearbyint(x);
}

struct AffineQuantiser {
  double scale = 1.0;
  std::int64_t zero = 0;
  int bits = 8;

  std::int64_t max_code() const { return (std::int64_t{1} << bits) - 1; }
  std::int64_t quantise(double x) const {
    const double q = round_half_even(x / scale) + static_cast<double>(zero);
    const double top = static_cast<double>(max_code());
    return static_cast<std::int64_t>(q > 0 ? (q < top ? q : top) : 0.0);  // NaN reads as code 0
  }
  double dequantise(std::int64_t code) const { return static_cast<double>(code - zero) * scale; }
  double fake_quantise(double x) const { return dequantise(quantise(x)); }

  // Asymmetric (unsigned, with zero point) quantiser covering [lo, hi], as calibrated activations
  // use: lo is widened to 0 or below and hi to 0 or above so that 0 is exactly representable.
  static AffineQuantiser from_range(double lo, double hi, int bits);
  // Symmetric signed quantiser: codes -(2^(bits-1)-1) … 2^(bits-1)-1 mapped by scale = max_abs/…,
  // stored with zero = 2^(bits-1) so codes stay non-negative in [1, 2^bits - 1].
  static AffineQuantiser symmetric(double max_abs, int bits);
  bool operator==(const AffineQuantiser&) const = default;
};

}  // namespace raceit

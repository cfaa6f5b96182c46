#include "raceit/core/quantiser.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "raceit/core/error.hpp"

namespace raceit {

namespace {
void check_bits(int bits) {
  if (bits < 1 || bits > 31)
    throw Error(ErrorKind::InvalidArgument,
                "quantiser bits must be 1…31, got " + std::to_string(bits));
}
}  // namespace

AffineQuantiser AffineQuantiser::from_range(double lo, double hi, int bits) {
  check_bits(bits);
  if (!(std::isfinite(lo) && std::isfinite(hi)) || lo > hi)
    throw Error(ErrorKind::InvalidArgument, "quantiser range must be finite with lo <= hi");
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  AffineQuantiser q;
  q.bits = bits;
  const double levels = static_cast<double>(q.max_code());
  q.scale = hi > lo ? (hi - lo) / levels : 1.0;
  q.zero = static_cast<std::int64_t>(std::clamp(round_half_even(-lo / q.scale), 0.0, levels));
  return q;
}

AffineQuantiser AffineQuantiser::symmetric(double max_abs, int bits) {
  check_bits(bits);
  if (bits < 2) throw Error(ErrorKind::InvalidArgument, "symmetric quantiser needs >= 2 bits");
  AffineQuantiser q;
  q.bits = bits;
  const double half = static_cast<double>((std::int64_t{1} << (bits - 1)) - 1);
  q.scale = max_abs > 0 ? max_abs / half : 1.0;
  q.zero = std::int64_t{1} << (bits - 1);
  return q;
}

}  // namespace raceit

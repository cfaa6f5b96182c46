#include "raceit/core/metrics.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "raceit/core/error.hpp"

namespace raceit {

namespace {
template <class T>
ErrorStats compare_impl(std::span<const T> y, std::span<const T> ref) {
  if (y.size() != ref.size())
    throw Error(ErrorKind::InvalidArgument, "cannot compare " + std::to_string(y.size()) + " values with " +
                                                std::to_string(ref.size()) + " reference values");
  ErrorStats s;
  double err2 = 0, ref2 = 0;
  std::size_t wrong = 0;
  for (std::size_t k = 0; k < y.size(); ++k) {
    const double d = static_cast<double>(y[k]) - static_cast<double>(ref[k]);
    err2 += d * d;
    ref2 += static_cast<double>(ref[k]) * ref[k];
    s.max_abs = std::max(s.max_abs, std::abs(d));
    wrong += y[k] != ref[k];
  }
  const double inf = std::numeric_limits<double>::infinity();
  s.nmse = err2 == 0 ? 0.0 : (ref2 == 0 ? inf : err2 / ref2);
  s.snr_db = s.nmse == 0 ? inf : -10.0 * std::log10(s.nmse);
  s.rms = y.empty() ? 0.0 : std::sqrt(err2 / y.size());
  s.wrong_fraction = y.empty() ? 0.0 : static_cast<double>(wrong) / y.size();
  return s;
}
}  // namespace

ErrorStats compare(std::span<const float> y, std::span<const float> ref) { return compare_impl(y, ref); }
ErrorStats compare(std::span<const double> y, std::span<const double> ref) { return compare_impl(y, ref); }

}  // namespace raceit

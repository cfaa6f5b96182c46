#include "raceit/core/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "raceit/core/error.hpp"

namespace raceit {

template <class T>
void ErrorAccumulator::add_impl(std::span<const T> y, std::span<const T> ref) {
  if (y.size() != ref.size())
    throw Error(ErrorKind::InvalidArgument, "cannot compare " + std::to_string(y.size()) + " values with " +
                                                std::to_string(ref.size()) + " reference values");
  for (std::size_t k = 0; k < y.size(); ++k) {
    const double d = static_cast<double>(y[k]) - static_cast<double>(ref[k]);
    err2_ += d * d;
    ref2_ += static_cast<double>(ref[k]) * ref[k];
    // A NaN difference sticks: it is not an exact match (std::max would drop it).
    if (!std::isnan(max_abs_)) max_abs_ = std::isnan(d) ? d : std::max(max_abs_, std::abs(d));
    wrong_ += y[k] != ref[k];
  }
  n_ += y.size();
}

void ErrorAccumulator::add(std::span<const float> y, std::span<const float> ref) { add_impl(y, ref); }
void ErrorAccumulator::add(std::span<const double> y, std::span<const double> ref) { add_impl(y, ref); }

void ErrorAccumulator::merge(const ErrorAccumulator& o) {
  err2_ += o.err2_;
  ref2_ += o.ref2_;
  max_abs_ = std::isnan(max_abs_) || std::isnan(o.max_abs_) ? std::numeric_limits<double>::quiet_NaN()
                                                             : std::max(max_abs_, o.max_abs_);
  n_ += o.n_;
  wrong_ += o.wrong_;
}

ErrorStats ErrorAccumulator::stats() const {
  ErrorStats s;
  const double inf = std::numeric_limits<double>::infinity();
  s.max_abs = max_abs_;
  s.nmse = err2_ == 0 ? 0.0 : (ref2_ == 0 ? inf : err2_ / ref2_);
  s.snr_db = s.nmse == 0 ? inf : -10.0 * std::log10(s.nmse);
  s.rms = n_ == 0 ? 0.0 : std::sqrt(err2_ / static_cast<double>(n_));
  s.wrong_fraction = n_ == 0 ? 0.0 : static_cast<double>(wrong_) / static_cast<double>(n_);
  return s;
}

ErrorStats compare(std::span<const float> y, std::span<const float> ref) {
  ErrorAccumulator a;
  a.add(y, ref);
  return a.stats();
}

ErrorStats compare(std::span<const double> y, std::span<const double> ref) {
  ErrorAccumulator a;
  a.add(y, ref);
  return a.stats();
}

}  // namespace raceit

#pragma once
// Error statistics of an approximation y against a reference.
#include <cstddef>
#include <span>

namespace raceit {

struct ErrorStats {
  double nmse = 0;         // Σ(y − ref)² / Σ ref²  (0 when both are zero, ∞ when only ref is)
  double snr_db = 0;       // −10·log10(nmse); +∞ for an exact match
  double max_abs = 0;      // max |y − ref|
  double rms = 0;          // sqrt(mean (y − ref)²)
  double wrong_fraction = 0;  // fraction of elements with y != ref
};

ErrorStats compare(std::span<const float> y, std::span<const float> ref);
ErrorStats compare(std::span<const double> y, std::span<const double> ref);

// The sums behind ErrorStats, for errors gathered piece by piece (per chunk of a batch): add the
// pieces, merge accumulators in a fixed order, then read stats(). compare() is one add().
class ErrorAccumulator {
 public:
  // Throws Error(InvalidArgument) when the sizes differ.
  void add(std::span<const float> y, std::span<const float> ref);
  void add(std::span<const double> y, std::span<const double> ref);
  void merge(const ErrorAccumulator& other);
  ErrorStats stats() const;
  std::size_t count() const { return n_; }

 private:
  template <class T>
  void add_impl(std::span<const T> y, std::span<const T> ref);
  double err2_ = 0, ref2_ = 0, max_abs_ = 0;
  std::size_t n_ = 0, wrong_ = 0;
};

}  // namespace raceit

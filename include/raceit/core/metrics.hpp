#pragma once
// Error statistics of an approximation y against a reference.
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

}  // namespace raceit

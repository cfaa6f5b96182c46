#pragma once
// Signed 8×8-bit multiplication on a 2-var ACAM (DESIGN §2.2; race-it.md §1.4): the magnitudes
// are split into 4-bit nibbles, four nibble products are looked up (hi·hi, hi·lo, lo·hi, lo·lo)
// and recombined as (hh << 8) + (hl << 4) + (lh << 4) + ll; the sign is handled digitally
// (sign-magnitude). Operands are −255…255, so int8 values and 8-bit magnitudes both fit.
#include <cstdint>

#include "raceit/acam/frozen.hpp"
#include "raceit/acam/program.hpp"

namespace raceit::acam {

// x·y with x, y ∈ [0, 15] on 4 bits each and 8 output bits over [0, 255], so code = x·y exactly.
AcamProgram compile_nibble_product(OutputEncoding encoding = OutputEncoding::Gray);

class NibbleMultiplier {
 public:
  // `nibble_product` must compute x·y on 4-bit codes (as compile_nibble_product does); otherwise
  // Error(InvalidArgument). The first form is ideal, the second looks up a noisy realisation.
  explicit NibbleMultiplier(const AcamProgram& nibble_product);
  NibbleMultiplier(const AcamProgram& nibble_product, const AcamCells& realised);

  // Error(InvalidArgument) when |a| or |b| exceeds 255.
  std::int32_t multiply(std::int32_t a, std::int32_t b) const;

 private:
  FrozenAcam2Var nibble_products_;
};

}  // namespace raceit::acam

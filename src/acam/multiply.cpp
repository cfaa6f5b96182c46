#include "raceit/acam/multiply.hpp"

#include <cstdlib>
#include <string>

#include "raceit/core/error.hpp"

namespace raceit::acam {

namespace {
constexpr std::int32_t kMaxMagnitude = 255;

const AcamProgram& checked(const AcamProgram& p) {
  bool products = p.vars == 2 && p.x.bits == 4 && p.y.bits == 4;
  for (std::uint32_t i = 0; products && i < 16; ++i)
    for (std::uint32_t j = 0; products && j < 16; ++j) products = p.table[i * 16 + j] == i * j;
  if (!products)
    throw Error(ErrorKind::InvalidArgument,
                "program '" + p.function +
                    "' does not compute 4-bit nibble products (see compile_nibble_product)");
  return p;
}
}  // namespace

AcamProgram compile_nibble_product(OutputEncoding encoding) {
  const InputAxis nibble{.bits = 4, .range = {.lo = 0, .hi = 15}};
  return compile_2var(resolve_function("mul"), nibble, nibble,
                      {.bits = 8, .range = ValueRange{.lo = 0, .hi = 255}, .encoding = encoding});
}

NibbleMultiplier::NibbleMultiplier(const AcamProgram& nibble_product)
    : nibble_products_(checked(nibble_product)) {}

NibbleMultiplier::NibbleMultiplier(const AcamProgram& nibble_product, const AcamCells& realised)
    : nibble_products_(checked(nibble_product), realised) {}

std::int32_t NibbleMultiplier::multiply(std::int32_t a, std::int32_t b) const {
  if (std::abs(a) > kMaxMagnitude || std::abs(b) > kMaxMagnitude)
    throw Error(ErrorKind::InvalidArgument, "multiply operands must be within ±255, got " +
                                                std::to_string(a) + " and " + std::to_string(b));
  const auto ma = static_cast<std::uint32_t>(std::abs(a)), mb = static_cast<std::uint32_t>(std::abs(b));
  const std::uint32_t hh = nibble_products_.lookup(ma >> 4, mb >> 4);
  const std::uint32_t hl = nibble_products_.lookup(ma >> 4, mb & 15u);
  const std::uint32_t lh = nibble_products_.lookup(ma & 15u, mb >> 4);
  const std::uint32_t ll = nibble_products_.lookup(ma & 15u, mb & 15u);
  const auto magnitude = static_cast<std::int32_t>((hh << 8) + (hl << 4) + (lh << 4) + ll);
  return (a < 0) != (b < 0) ? -magnitude : magnitude;
}

}  // namespace raceit::acam

#pragma once
// Reflected binary Gray code for 1–16 bit codes.
#include <cstdint>

namespace raceit {

constexpr int kMaxGrayBits = 16;

// g = c XOR (c >> 1); bits selects the width (1…16) and c must fit in it.
std::uint32_t gray_encode(std::uint32_t code, int bits);
// Inverse of gray_encode: n−1 XOR steps for n bits, as the hardware decoder does.
std::uint32_t gray_decode(std::uint32_t gray, int bits);

}  // namespace raceit

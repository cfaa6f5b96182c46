#include "raceit/core/gray.hpp"

#include <string>

#include "raceit/core/error.hpp"

namespace raceit {

namespace {
void check(std::uint32_t value, int bits) {
  if (bits < 1 || bits > kMaxGrayBits)
    throw Error(ErrorKind::InvalidArgument, "Gray code width must be 1…16 bits, got " +
                                                std::to_string(bits));
  if (value >> bits)
    throw Error(ErrorKind::InvalidArgument,
                "value " + std::to_string(value) + " does not fit in " + std::to_string(bits) +
                    " bits");
}
}  // namespace

std::uint32_t gray_encode(std::uint32_t code, int bits) {
  check(code, bits);
  return code ^ (code >> 1);
}

std::uint32_t gray_decode(std::uint32_t gray, int bits) {
  check(gray, bits);
  // Binary bit i is the XOR of Gray bits i…n−1: one XOR per bit below the MSB.
  std::uint32_t code = gray;
  for (int i = bits - 2; i >= 0; --i) code ^= ((code >> (i + 1)) & 1u) << i;
  return code;
}

}  // namespace raceit

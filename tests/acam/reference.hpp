#pragma once
// Independent references for the acam tests: plain arithmetic, written without the library's
// quantiser, Gray coder or range logic.
#include <algorithm>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

namespace raceit::acam::reference {

// Expected output codes of f on an nx × ny grid (ny = 1 for 1-var), DESIGN §3, with the output
// range from min/max of f unless given. std::nearbyint in the default rounding mode rounds
// half to even.
inline std::vector<std::uint32_t> quantised_table(const std::function<double(double, double)>& f,
                                                  double xlo, double xhi, int xbits, double ylo,
                                                  double yhi, int ybits, int out_bits,
                                                  const double* out_lo = nullptr,
                                                  const double* out_hi = nullptr) {
  const int nx = 1 << xbits, ny = ybits > 0 ? 1 << ybits : 1;
  std::vector<double> v;
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j)
      v.push_back(f(xlo + i * (xhi - xlo) / (nx - 1), ybits > 0 ? ylo + j * (yhi - ylo) / (ny - 1) : 0.0));
  const double lo = out_lo ? *out_lo : *std::min_element(v.begin(), v.end());
  const double hi = out_hi ? *out_hi : *std::max_element(v.begin(), v.end());
  const double top = (1 << out_bits) - 1;
  const double step = (hi - lo) / top;
  std::vector<std::uint32_t> codes;
  for (double y : v) {
    const double c = step > 0 ? std::nearbyint((y - lo) / step) : 0.0;
    codes.push_back(static_cast<std::uint32_t>(std::min(std::max(c, 0.0), top)));
  }
  return codes;
}

inline std::uint32_t gray(std::uint32_t c) { return c ^ (c >> 1); }

// Binary from Gray by the bit-serial definition: b_k = XOR of g_j for j >= k.
inline std::uint32_t from_gray(std::uint32_t g, int bits) {
  std::uint32_t b = 0, parity = 0;
  for (int k = bits - 1; k >= 0; --k) {
    parity ^= (g >> k) & 1u;
    b |= parity << k;
  }
  return b;
}

}  // namespace raceit::acam::reference

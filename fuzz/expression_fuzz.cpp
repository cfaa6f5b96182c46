// Function expressions (--fn, fused functions): parsing, then evaluation at a few points.
#include "harness.hpp"
#include "raceit/acam/expression.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return raceit::fuzz::run_reader(data, size, [](std::string_view bytes) {
    const auto f = raceit::acam::Expression::parse(bytes);
    for (double x : {-2.0, 0.0, 0.5, 3.0}) static_cast<void>(f(x, x / 2));
  });
}

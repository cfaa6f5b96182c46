#include "raceit/acam/functions.hpp"

#include <algorithm>
#include <cctype>

#include "raceit/core/error.hpp"

namespace raceit::acam {

// Default input ranges are where the operator's inputs usually fall in a Transformer:
// exp after the softmax max-subtraction and clamp at -10; GELU/SiLU/tanh/sigmoid over their
// non-linear region; reciprocal, rsqrt and log over the positive sums and variances they see
// (1…256, as race-it.md §4.2 tabulates); mul over two 4-bit nibbles with an exact 8-bit product.
const std::vector<BuiltinFunction>& builtin_functions() {
  // clang-format off: one function per line reads as a table
  static const std::vector<BuiltinFunction> functions{
      {.name = "identity", .expression = "x", .description = "y = x (the ACAM as an ADC)", .range = {.lo = 0, .hi = 1}},
      {.name = "exp", .expression = "exp(x)", .description = "softmax numerator", .range = {.lo = -10, .hi = 0}},
      {.name = "gelu", .expression = "0.5*x*(1+erf(x/sqrt(2)))", .description = "GELU, erf form", .range = {.lo = -4, .hi = 4}},
      {.name = "gelu_tanh", .expression = "0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3)))",
       .description = "GELU, tanh approximation", .range = {.lo = -4, .hi = 4}},
      {.name = "silu", .expression = "x*sigmoid(x)", .description = "SiLU / swish", .range = {.lo = -8, .hi = 8}},
      {.name = "sigmoid", .expression = "sigmoid(x)", .description = "logistic 1/(1+exp(-x))", .range = {.lo = -8, .hi = 8}},
      {.name = "tanh", .expression = "tanh(x)", .description = "hyperbolic tangent", .range = {.lo = -4, .hi = 4}},
      {.name = "relu", .expression = "max(x,0)", .description = "rectifier", .range = {.lo = -4, .hi = 4}},
      {.name = "reciprocal", .expression = "1/x", .description = "softmax denominator", .range = {.lo = 1, .hi = 256}},
      {.name = "rsqrt", .expression = "1/sqrt(x)", .description = "LayerNorm 1/sqrt(var)", .range = {.lo = 1, .hi = 256}},
      {.name = "sqrt", .expression = "sqrt(x)", .description = "square root", .range = {.lo = 0, .hi = 256}},
      {.name = "log", .expression = "log(x)", .description = "natural logarithm", .range = {.lo = 1, .hi = 256}},
      {.name = "square", .expression = "x^2", .description = "square (variance)", .range = {.lo = -4, .hi = 4}},
      {.name = "mul", .expression = "x*y", .description = "product of two 4-bit nibbles", .range = {.lo = 0, .hi = 15},
       .range2 = {.lo = 0, .hi = 15}, .out_range = ValueRange{.lo = 0, .hi = 255}},
  };
  // clang-format on
  return functions;
}

const BuiltinFunction* find_builtin(std::string_view name) {
  for (const auto& f : builtin_functions())
    if (f.name == name) return &f;
  return nullptr;
}

namespace {
bool is_identifier(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  }) && !std::isdigit(static_cast<unsigned char>(s.front()));
}
}  // namespace

AcamFunction resolve_function(std::string_view text) {
  if (const auto* builtin = find_builtin(text))
    return {.name = std::string(text), .expression = Expression::parse(builtin->expression)};
  try {
    return {.name = std::string(text), .expression = Expression::parse(text)};
  } catch (const Error&) {
    if (!is_identifier(text)) throw;
    std::string names;
    for (const auto& f : builtin_functions()) names += (names.empty() ? "" : " ") + std::string(f.name);
    throw Error(ErrorKind::InvalidArgument,
                "unknown function '" + std::string(text) + "'; built-ins: " + names +
                    "; or give an expression in x (and y), e.g. 'x*sigmoid(1.702*x)'");
  }
}

}  // namespace raceit::acam

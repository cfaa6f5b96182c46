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
  static const std::vector<BuiltinFunction> functions{
      {"identity", "x", "y = x (the ACAM as an ADC)", {0, 1}, {}, {}},
      {"exp", "exp(x)", "softmax numerator", {-10, 0}, {}, {}},
      {"gelu", "0.5*x*(1+erf(x/sqrt(2)))", "GELU, erf form", {-4, 4}, {}, {}},
      {"gelu_tanh", "0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3)))", "GELU, tanh approximation",
       {-4, 4}, {}, {}},
      {"silu", "x*sigmoid(x)", "SiLU / swish", {-8, 8}, {}, {}},
      {"sigmoid", "sigmoid(x)", "logistic 1/(1+exp(-x))", {-8, 8}, {}, {}},
      {"tanh", "tanh(x)", "hyperbolic tangent", {-4, 4}, {}, {}},
      {"relu", "max(x,0)", "rectifier", {-4, 4}, {}, {}},
      {"reciprocal", "1/x", "softmax denominator", {1, 256}, {}, {}},
      {"rsqrt", "1/sqrt(x)", "LayerNorm 1/sqrt(var)", {1, 256}, {}, {}},
      {"sqrt", "sqrt(x)", "square root", {0, 256}, {}, {}},
      {"log", "log(x)", "natural logarithm", {1, 256}, {}, {}},
      {"square", "x^2", "square (variance)", {-4, 4}, {}, {}},
      {"mul", "x*y", "product of two 4-bit nibbles", {0, 15}, {0, 15}, ValueRange{0, 255}},
  };
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
    return {std::string(text), Expression::parse(builtin->expression)};
  try {
    return {std::string(text), Expression::parse(text)};
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

#pragma once
// The functions an ACAM can be programmed for: the built-in library (each defined by an
// expression, with the default input range the tour and the CLI use) and user expressions.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "raceit/acam/expression.hpp"

namespace raceit::acam {

// A closed interval of real values (an input or output range).
struct ValueRange {
  double lo = 0.0;
  double hi = 1.0;
  bool operator==(const ValueRange&) const = default;
};

// The largest magnitude of a value an ACAM program holds (input and output ranges, function
// values), checked by the compiler and the program-file reader: squared errors of values near
// 1e300 overflowed to inf and NaN in the error metrics; 1e30 is far beyond any activation a
// Transformer computes.
inline constexpr double kMaxValueMagnitude = 1e30;

struct BuiltinFunction {
  std::string_view name;
  std::string_view expression;  // in the expression language; "x*y" for mul
  std::string_view description;
  ValueRange range;              // default range of x
  ValueRange range2 = {};        // default range of y (2-var only)
  std::optional<ValueRange> out_range = {};  // default output range, if not min/max of f
};

// identity exp gelu gelu_tanh silu sigmoid tanh relu reciprocal rsqrt sqrt log square (1-var)
// and mul (2-var), in that order.
const std::vector<BuiltinFunction>& builtin_functions();
// nullptr when `name` is not a built-in.
const BuiltinFunction* find_builtin(std::string_view name);

struct AcamFunction {
  std::string name;  // the built-in's name, or the expression text
  Expression expression;

  int vars() const { return expression.uses_y() ? 2 : 1; }
  double operator()(double x, double y = 0.0) const { return expression(x, y); }
};

// A built-in name or an expression in x (and y). A bare unknown name is an
// Error(InvalidArgument) listing the built-ins; a malformed expression is an Error(Parse).
AcamFunction resolve_function(std::string_view name_or_expression);

}  // namespace raceit::acam

#pragma once
// The expression language for user-defined ACAM functions of x (1-var) or of x and y (2-var).
// An expression is parsed once into a small tree and evaluated in double.
//
// Grammar, lowest precedence first:
//   expr    := term (('+' | '-') term)*
//   term    := unary (('*' | '/') unary)*
//   unary   := ('-' | '+') unary | power
//   power   := primary ('^' unary)?        right-associative: 2^3^2 = 2^9
//   primary := number | 'x' | 'y' | 'pi' | 'e' | name '(' expr (',' expr)* ')' | '(' expr ')'
// Unary minus binds looser than '^', as in mathematics: -x^2 = -(x^2); 2^-1 = 0.5.
// Functions: exp log sqrt tanh erf sigmoid abs (one argument), min max (two arguments).
// Numbers: 3, 0.5, .5, 1e-3, 2.5E+2. Whitespace is ignored.
#include <string>
#include <string_view>
#include <vector>

namespace raceit::acam {

class Expression {
 public:
  // Throws Error(Parse) for malformed text and unknown identifiers; the message quotes the
  // expression with a caret under the offending column (1-based).
  static Expression parse(std::string_view text);
  // Parse and evaluation recurse; deeper nesting (of parentheses and signs while parsing, of
  // operations in the tree) is a parse error rather than a stack overflow.
  static constexpr int kMaxDepth = 256;

  double operator()(double x, double y = 0.0) const { return eval(root_, x, y); }
  // An expression that mentions y is a function of two variables.
  bool uses_y() const { return uses_y_; }
  const std::string& text() const { return text_; }

  enum class Op {
    Number, X, Y, Add, Sub, Mul, Div, Pow, Neg,
    Exp, Log, Sqrt, Tanh, Erf, Sigmoid, Abs, Min, Max,
  };
  struct Node {
    Op op;
    double value = 0.0;  // Number only
    int lhs = -1, rhs = -1;
  };

 private:
  friend class ExpressionParser;
  double eval(int node, double x, double y) const;

  std::vector<Node> nodes_;
  int root_ = -1;
  std::string text_;
  bool uses_y_ = false;
};

}  // namespace raceit::acam

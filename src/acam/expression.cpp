#include "raceit/acam/expression.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <numbers>

#include "raceit/core/error.hpp"

namespace raceit::acam {

namespace {
struct FunctionName {
  std::string_view name;
  Expression::Op op;
  int arity;
};
constexpr std::array kFunctions{
    FunctionName{.name = "exp", .op = Expression::Op::Exp, .arity = 1},
    FunctionName{.name = "log", .op = Expression::Op::Log, .arity = 1},
    FunctionName{.name = "sqrt", .op = Expression::Op::Sqrt, .arity = 1},
    FunctionName{.name = "tanh", .op = Expression::Op::Tanh, .arity = 1},
    FunctionName{.name = "erf", .op = Expression::Op::Erf, .arity = 1},
    FunctionName{.name = "sigmoid", .op = Expression::Op::Sigmoid, .arity = 1},
    FunctionName{.name = "abs", .op = Expression::Op::Abs, .arity = 1},
    FunctionName{.name = "min", .op = Expression::Op::Min, .arity = 2},
    FunctionName{.name = "max", .op = Expression::Op::Max, .arity = 2},
};
}  // namespace

// Recursive descent over the characters; every method leaves pos_ on the next non-space.
// Nesting is bounded twice, so that neither parsing nor evaluation can exhaust the stack: the
// parser's own recursion (parentheses, unary signs) and the depth of the tree it builds (a long
// chain like 1+1+…+1 nests without recursing).
class ExpressionParser {
 public:
  explicit ExpressionParser(std::string_view text) : text_(text) { expr_.text_ = std::string(text); }

  Expression run() {
    skip_space();
    if (pos_ == text_.size()) fail("empty expression");
    expr_.root_ = parse_sum();
    if (pos_ != text_.size()) fail(std::string("unexpected '") + text_[pos_] + "'");
    return std::move(expr_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { fail_at(pos_, what); }
  [[noreturn]] void fail_at(std::size_t column, const std::string& what) const {
    throw Error(ErrorKind::Parse, "in expression at column " + std::to_string(column + 1) + ": " +
                                      what + "\n  " + std::string(text_) + "\n  " +
                                      std::string(column, ' ') + "^");
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool accept(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      skip_space();
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!accept(c)) fail(std::string("expected '") + c + "'");
  }
  int add(Expression::Op op, int lhs = -1, int rhs = -1, double value = 0.0) {
    const int depth = 1 + std::max(lhs < 0 ? 0 : depth_[static_cast<std::size_t>(lhs)],
                                   rhs < 0 ? 0 : depth_[static_cast<std::size_t>(rhs)]);
    if (depth > Expression::kMaxDepth)
      fail("the expression nests deeper than " + std::to_string(Expression::kMaxDepth) + " operations");
    expr_.nodes_.push_back({op, value, lhs, rhs});
    depth_.push_back(depth);
    return static_cast<int>(expr_.nodes_.size()) - 1;
  }
  // Counts the parser's recursion while a nested construct is parsed.
  class Nesting {
   public:
    explicit Nesting(ExpressionParser& p) : p_(p) {
      if (++p_.nesting_ > Expression::kMaxDepth)
        p_.fail("more than " + std::to_string(Expression::kMaxDepth) + " nested parentheses or signs");
    }
    ~Nesting() { --p_.nesting_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;

   private:
    ExpressionParser& p_;
  };

  // operand ((a | b) operand)*, left-associative.
  int parse_chain(int (ExpressionParser::*operand)(), char a, Expression::Op op_a, char b,
                  Expression::Op op_b) {
    int lhs = (this->*operand)();
    for (;;) {
      if (accept(a)) lhs = add(op_a, lhs, (this->*operand)());
      else if (accept(b)) lhs = add(op_b, lhs, (this->*operand)());
      else return lhs;
    }
  }
  int parse_sum() {
    const Nesting nested(*this);
    return parse_chain(&ExpressionParser::parse_product, '+', Expression::Op::Add, '-',
                       Expression::Op::Sub);
  }
  int parse_product() {
    return parse_chain(&ExpressionParser::parse_unary, '*', Expression::Op::Mul, '/',
                       Expression::Op::Div);
  }
  int parse_unary() {
    const Nesting nested(*this);
    if (accept('-')) return add(Expression::Op::Neg, parse_unary());
    if (accept('+')) return parse_unary();
    return parse_power();
  }
  int parse_power() {
    const int base = parse_primary();
    // The exponent is a unary, so 2^-x works and 2^3^2 recurses to the right.
    if (accept('^')) return add(Expression::Op::Pow, base, parse_unary());
    return base;
  }
  int parse_primary() {
    if (pos_ == text_.size()) fail("unexpected end of expression");
    const char c = text_[pos_];
    if (accept('(')) {
      const int inner = parse_sum();
      expect(')');
      return inner;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return parse_number();
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return parse_name();
    fail(std::string("unexpected '") + c + "'");
  }
  int parse_number() {
    const std::size_t start = pos_;
    auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      return pos_ > from;
    };
    bool mantissa = digits();
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      mantissa = digits() || mantissa;
    }
    if (!mantissa) fail_at(start, "malformed number");
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digits()) fail("malformed exponent in number");
    }
    double value = 0.0;
    const auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, value);
    if (ec != std::errc() || end != text_.data() + pos_) fail_at(start, "malformed number");
    skip_space();
    return add(Expression::Op::Number, -1, -1, value);
  }
  int parse_name() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      ++pos_;
    const std::string_view name = text_.substr(start, pos_ - start);
    skip_space();
    if (name == "x") return add(Expression::Op::X);
    if (name == "y") {
      expr_.uses_y_ = true;
      return add(Expression::Op::Y);
    }
    if (name == "pi") return add(Expression::Op::Number, -1, -1, std::numbers::pi);
    if (name == "e") return add(Expression::Op::Number, -1, -1, std::numbers::e);
    for (const auto& f : kFunctions) {
      if (f.name != name) continue;
      if (!accept('(')) fail("expected '(' after function '" + std::string(name) + "'");
      const int arg0 = parse_sum();
      int arg1 = -1;
      if (f.arity == 2) {
        if (!accept(',')) fail("'" + std::string(name) + "' takes 2 arguments; expected ','");
        arg1 = parse_sum();
      }
      if (pos_ < text_.size() && text_[pos_] == ',')
        fail("'" + std::string(name) + "' takes " + std::to_string(f.arity) + " argument" +
             (f.arity == 1 ? "" : "s"));
      expect(')');
      return add(f.op, arg0, arg1);
    }
    fail_at(start, "unknown identifier '" + std::string(name) +
                       "' (variables: x y; constants: pi e; functions: exp log sqrt tanh erf "
                       "sigmoid abs min max)");
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  Expression expr_;
  std::vector<int> depth_;  // the depth of the tree under each node
  int nesting_ = 0;
};

Expression Expression::parse(std::string_view text) { return ExpressionParser(text).run(); }

double Expression::eval(int node, double x, double y) const {
  const Node& n = nodes_[static_cast<std::size_t>(node)];
  auto a = [&] { return eval(n.lhs, x, y); };
  auto b = [&] { return eval(n.rhs, x, y); };
  switch (n.op) {
    case Op::Number: return n.value;
    case Op::X: return x;
    case Op::Y: return y;
    case Op::Add: return a() + b();
    case Op::Sub: return a() - b();
    case Op::Mul: return a() * b();
    case Op::Div: return a() / b();
    case Op::Pow: return std::pow(a(), b());
    case Op::Neg: return -a();
    case Op::Exp: return std::exp(a());
    case Op::Log: return std::log(a());
    case Op::Sqrt: return std::sqrt(a());
    case Op::Tanh: return std::tanh(a());
    case Op::Erf: return std::erf(a());
    case Op::Sigmoid: return 1.0 / (1.0 + std::exp(-a()));
    case Op::Abs: return std::abs(a());
    case Op::Min: return std::min(a(), b());
    case Op::Max: return std::max(a(), b());
  }
  throw Error(ErrorKind::Internal, "expression node with an unknown operation");
}

}  // namespace raceit::acam

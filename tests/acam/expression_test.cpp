#include "raceit/acam/expression.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "raceit/acam/functions.hpp"
#include "raceit/core/error.hpp"

namespace raceit::acam {
namespace {

double eval(const char* text, double x = 0.0, double y = 0.0) {
  return Expression::parse(text)(x, y);
}

// The message of the Error(Parse) thrown for `text`; fails the test if none is thrown.
std::string parse_error(const char* text) {
  try {
    Expression::parse(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Parse) << text;
    return e.what();
  }
  ADD_FAILURE() << "no error for '" << text << "'";
  return {};
}

TEST(Expression, PrecedenceAndAssociativity) {
  EXPECT_EQ(eval("2+3*4^2"), 50.0);
  EXPECT_EQ(eval("2^3^2"), 512.0);  // right-associative
  EXPECT_EQ(eval("(2^3)^2"), 64.0);
  EXPECT_EQ(eval("-x^2", 3.0), -9.0);  // unary minus binds looser than ^
  EXPECT_EQ(eval("-2^2"), -4.0);
  EXPECT_EQ(eval("2^-1"), 0.5);
  EXPECT_EQ(eval("8/4/2"), 1.0);  // left-associative
  EXPECT_EQ(eval("10-4-3"), 3.0);
  EXPECT_EQ(eval("--x", 2.0), 2.0);
  EXPECT_EQ(eval("+x*-y", 2.0, 3.0), -6.0);
}

TEST(Expression, NumbersConstantsAndFunctions) {
  EXPECT_EQ(eval("1e-3"), 1e-3);
  EXPECT_EQ(eval("2.5E+2"), 250.0);
  EXPECT_EQ(eval(".5"), 0.5);
  EXPECT_EQ(eval("pi"), std::numbers::pi);
  EXPECT_EQ(eval("e"), std::numbers::e);
  EXPECT_EQ(eval(" exp( x ) ", 1.5), std::exp(1.5));
  EXPECT_EQ(eval("log(x)", 7.0), std::log(7.0));
  EXPECT_EQ(eval("sqrt(x)", 2.0), std::sqrt(2.0));
  EXPECT_EQ(eval("tanh(x)", 0.3), std::tanh(0.3));
  EXPECT_EQ(eval("erf(x)", 0.3), std::erf(0.3));
  EXPECT_EQ(eval("sigmoid(x)", 0.7), 1.0 / (1.0 + std::exp(-0.7)));
  EXPECT_EQ(eval("abs(x)", -2.0), 2.0);
  EXPECT_EQ(eval("min(x, y)", 2.0, -1.0), -1.0);
  EXPECT_EQ(eval("max(x, y)", 2.0, -1.0), 2.0);
  EXPECT_EQ(eval("max(min(x,1),-1)", 5.0), 1.0);
}

TEST(Expression, UsingYMakesATwoVariableFunction) {
  EXPECT_FALSE(Expression::parse("x^2+1").uses_y());
  EXPECT_TRUE(Expression::parse("x*y").uses_y());
  EXPECT_EQ(resolve_function("mul").vars(), 2);
  EXPECT_EQ(resolve_function("(x-y)^2").vars(), 2);
  EXPECT_EQ(resolve_function("gelu").vars(), 1);
}

TEST(Expression, ErrorsPointAtTheColumn) {
  const std::string e = parse_error("2+*3");
  EXPECT_NE(e.find("column 3"), std::string::npos) << e;
  EXPECT_NE(e.find("\n  2+*3\n    ^"), std::string::npos) << e;
  EXPECT_NE(parse_error("x + foo(x)").find("column 5: unknown identifier 'foo'"), std::string::npos);
  EXPECT_NE(parse_error("(x+1").find("column 5: expected ')'"), std::string::npos);
  EXPECT_NE(parse_error("min(x)").find("column 6"), std::string::npos);
  EXPECT_NE(parse_error("exp(x, 1)").find("takes 1 argument"), std::string::npos);
  EXPECT_NE(parse_error("exp x").find("expected '('"), std::string::npos);
  EXPECT_NE(parse_error("1e+").find("exponent"), std::string::npos);
  EXPECT_NE(parse_error("x y").find("column 3: unexpected 'y'"), std::string::npos);
  EXPECT_NE(parse_error("").find("empty"), std::string::npos);
  EXPECT_NE(parse_error("x+").find("column 3: unexpected end"), std::string::npos);
}

// Parsing and evaluation recurse: nesting beyond Expression::kMaxDepth is a parse error, not a
// stack overflow (25,000 parentheses in --fn crashed before), while deep but sane nesting works.
TEST(Expression, NestingIsBoundedInParsingAndInTheTree) {
  const auto nested = [](int n, const std::string& open, const std::string& close) {
    std::string s;
    for (int i = 0; i < n; ++i) s += open;
    s += "x";
    for (int i = 0; i < n; ++i) s += close;
    return s;
  };
  EXPECT_DOUBLE_EQ(Expression::parse(nested(100, "(", ")"))(2.0), 2.0);
  EXPECT_DOUBLE_EQ(Expression::parse(nested(100, "abs(", ")"))(-2.0), 2.0);
  for (const auto& text : {nested(25'000, "(", ")"), nested(25'000, "-", ""), nested(25'000, "abs(", ")")}) {
    try {
      Expression::parse(text);
      FAIL() << "no error for " << text.size() << " characters";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Parse);
      EXPECT_NE(std::string(e.what()).find("nest"), std::string::npos) << std::string(e.what()).substr(0, 200);
    }
  }
  // A long flat chain nests only in the tree it builds: 1+1+…+1 with 100,000 terms.
  std::string chain = "x";
  for (int i = 0; i < 100'000; ++i) chain += "+1";
  EXPECT_THROW(Expression::parse(chain), Error);
  std::string short_chain = "x";
  for (int i = 0; i < 200; ++i) short_chain += "+1";
  EXPECT_DOUBLE_EQ(Expression::parse(short_chain)(1.0), 201.0);
}

TEST(Functions, UnknownNamesAreRejectedWithTheBuiltinList) {
  try {
    resolve_function("gleu");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("gelu_tanh"), std::string::npos) << e.what();
  }
  EXPECT_THROW(resolve_function("x*z"), Error);
}

}  // namespace
}  // namespace raceit::acam

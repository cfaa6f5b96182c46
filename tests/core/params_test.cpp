#include "raceit/core/params.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "raceit/core/error.hpp"

namespace raceit {

namespace {
std::vector<ParamSpec> specs() {
  return {{"g_max", Dimension::Conductance, "150uS", "top of the window"},
          {"noise.exponent", Dimension::Dimensionless, "0.95", "slope"},
          {"encoding", Dimension::Dimensionless, "gray", "output code", {"gray", "binary"}}};
}
std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}
std::string error_of(const std::string& text) {
  try {
    load_params(specs(), write_temp("raceit_params_test.yaml", text));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Params, DefaultsFileAndOverride) {
  ParamSet d(specs());
  EXPECT_DOUBLE_EQ(d.number("g_max"), 150e-6);
  EXPECT_EQ(d.value("g_max").source, "default");
  const auto path = write_temp("raceit_params_ok.yaml", "g_max: 100uS\nnoise:\n  exponent: 0.9\n");
  ParamSet p = load_params(specs(), path);
  EXPECT_DOUBLE_EQ(p.number("g_max"), 100e-6);
  EXPECT_DOUBLE_EQ(p.number("noise.exponent"), 0.9);
  EXPECT_EQ(p.value("noise.exponent").source, path + ":3");
  p.set_override("encoding=binary");
  EXPECT_EQ(p.word("encoding"), "binary");
  EXPECT_THROW(p.set_override("encoding=ternary"), Error);
  EXPECT_THROW(p.set_override("nokey=1"), Error);
  EXPECT_THROW(p.set_override("g_max"), Error);
}

TEST(Params, ErrorsNameFileLineAndKey) {
  const std::string unknown = error_of("g_max: 100uS\nbogus: 3\n");
  EXPECT_NE(unknown.find(":2: unknown key 'bogus'"), std::string::npos) << unknown;
  const std::string unit = error_of("g_max: 100uV\n");
  EXPECT_NE(unit.find(":1: key 'g_max'"), std::string::npos) << unit;
  const std::string badunit = error_of("noise:\n  exponent: 3furlongs\n");
  EXPECT_NE(badunit.find(":2: key 'noise.exponent'"), std::string::npos) << badunit;
  const std::string malformed = error_of("g_max: [1, 2\n");
  EXPECT_NE(malformed.find("malformed YAML"), std::string::npos) << malformed;
  EXPECT_THROW(load_params(specs(), "/nonexistent/raceit.yaml"), Error);
}

}  // namespace raceit

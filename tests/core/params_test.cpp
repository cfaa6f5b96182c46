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

TEST(Params, KeysWithoutDefaultMustBeSet) {
  auto with_required = specs();
  with_required.push_back({"tech.node", Dimension::Length, "", "technology node"});
  ParamSet p(with_required);
  EXPECT_FALSE(p.has("tech.node"));
  EXPECT_TRUE(p.has("g_max"));
  EXPECT_THROW(p.has("bogus"), Error);
  try {
    p.number("tech.node");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'tech.node' (technology node) has no default"),
              std::string::npos) << e.what();
  }
  p.set_override("tech.node=22nm");
  EXPECT_DOUBLE_EQ(p.number("tech.node"), 22e-9);
}

TEST(Params, IncludedFileIsOverridden) {
  const std::string base = write_temp("raceit_params_base.yaml", "g_max: 100uS\nencoding: binary\n");
  const std::string top = write_temp("raceit_params_top.yaml",
                                     "include: raceit_params_base.yaml\ng_max: 50uS\n");
  ParamSet p = load_params(specs(), top);
  EXPECT_DOUBLE_EQ(p.number("g_max"), 50e-6);
  EXPECT_EQ(p.word("encoding"), "binary");
  EXPECT_EQ(p.value("encoding").source, base + ":2");
  const std::string missing = error_of("include: raceit_params_nowhere.yaml\n");
  EXPECT_NE(missing.find(":1: included file "), std::string::npos) << missing;
  EXPECT_NE(missing.find("raceit_params_nowhere.yaml: no such configuration file"), std::string::npos)
      << missing;
  const std::string self = error_of("include: raceit_params_test.yaml\n");
  EXPECT_NE(self.find("deeper than 8"), std::string::npos) << self;
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

TEST(Params, NonFiniteNumbersAreErrors) {  // infinite noise gave NMSE nan and "exact yes" before
  for (const char* value : {".inf", "-.inf", ".nan", "1e999", "inf"}) {
    const std::string e = error_of(std::string("noise:\n  exponent: ") + value + "\n");
    EXPECT_NE(e.find("noise.exponent"), std::string::npos) << value << ": " << e;
  }
  EXPECT_NE(error_of("? [a, b]\n: 1\n").find("a key must be a plain name"), std::string::npos);
}

TEST(Params, ParsesTextInMemoryNamingTheSource) {
  EXPECT_DOUBLE_EQ(parse_params(specs(), "g_max: 20uS\n", "text.yaml").number("g_max"), 20e-6);
  try {
    parse_params(specs(), "g_max: [\n", "text.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("text.yaml:"), std::string::npos) << e.what();
  }
}

}  // namespace raceit

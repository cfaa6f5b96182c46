#include "raceit/core/params.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include <fstream>

#include "raceit/core/error.hpp"
#include "raceit/core/param_rules.hpp"

namespace raceit {

namespace {
std::vector<ParamSpec> specs() {
  return {{"g_max", Dimension::Conductance, "150uS", "top of the window"},
          {"noise.exponent", Dimension::Dimensionless, "0.95", "slope"},
          {"encoding", Dimension::Dimensionless, "gray", "output code", {"gray", "binary"}}};
}
// ctest runs each test in its own process, in parallel: a folder per process keeps their files
// apart (includes name their files relative to it).
std::string write_temp(const std::string& name, const std::string& text) {
  const auto folder = std::filesystem::temp_directory_path() / ("raceit_params_" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  const auto path = folder / name;
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

// yaml-cpp keeps both entries of a repeated key and lookups see the first: one value was lost silently.
TEST(Params, AKeyGivenTwiceInOneFileIsAnError) {
  const std::string twice = error_of("g_max: 20uS\nnoise:\n  exponent: 1\ng_max: 30uS\n");
  EXPECT_NE(twice.find("raceit_params_test.yaml:4: key 'g_max' is given twice (first at line 1)"), std::string::npos) << twice;
  const std::string dotted = error_of("noise:\n  exponent: 1\nnoise.exponent: 2\n");
  EXPECT_NE(dotted.find(":3: key 'noise.exponent' is given twice (first at line 2)"), std::string::npos) << dotted;
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

namespace {
enum class Shade { Light, Dark };
constexpr EnumNames<Shade, 2> kShadeNames{{{{Shade::Light, "light"}, {Shade::Dark, "dark"}}}};
struct Panel {
  int tiles = 0;
  double width_um = 0;
  double gain = 0;
  Shade shade = Shade::Light;
  bool fast = false;
};
std::vector<ParamField<Panel>> panel_fields() {
  return {
      {{.key = "tiles", .dimension = Dimension::Dimensionless, .default_text = "4", .description = "tiles",
        .bounds = Bounds::whole(1, 64)},
       bind(&Panel::tiles)},
      {{.key = "width", .dimension = Dimension::Length, .default_text = "2um", .description = "width",
        .bounds = Bounds::positive()},
       bind(&Panel::width_um, 1e6)},
      {{.key = "gain", .dimension = Dimension::Dimensionless, .default_text = "0.5", .description = "gain",
        .bounds = Bounds::fraction()},
       bind(&Panel::gain)},
      {{.key = "shade", .dimension = Dimension::Dimensionless, .default_text = "dark", .description = "shade"},
       bind(&Panel::shade, kShadeNames)},
      {{.key = "fast", .dimension = Dimension::Dimensionless, .default_text = "off", .description = "fast"},
       bind(&Panel::fast, kOffOn)},
  };
}
std::string set_error(const std::string& key, const std::string& text) {
  try {
    ParamSet(specs_of(panel_fields())).set(key, text, "panel.yaml:7");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Params, BoundsAreCheckedWhereTheValueIsSet) {
  EXPECT_EQ(set_error("tiles", "64"), "");
  EXPECT_EQ(set_error("tiles", "1"), "");
  EXPECT_NE(set_error("tiles", "65").find("panel.yaml:7: key 'tiles': must be a whole number 1…64, got 65"),
            std::string::npos);
  EXPECT_NE(set_error("tiles", "2.5").find("a whole number 1…64, got 2.5"), std::string::npos);
  EXPECT_NE(set_error("tiles", "0").find("got 0"), std::string::npos);
  EXPECT_NE(set_error("width", "0um").find("key 'width': must be > 0, got 0um"), std::string::npos);
  EXPECT_EQ(set_error("gain", "1"), "");
  EXPECT_NE(set_error("gain", "0").find("must be in (0, 1], got 0"), std::string::npos);
  EXPECT_NE(set_error("gain", "1.01").find("must be in (0, 1]"), std::string::npos);
  EXPECT_NE(set_error("shade", "grey").find("'grey' is not one of light, dark"), std::string::npos);
  EXPECT_NE(set_error("fast", "yes").find("'yes' is not one of off, on"), std::string::npos);
  EXPECT_EQ(Bounds::whole(0).text(), "a whole number 0…1000000000");  // admits() caps at 1e9
  EXPECT_EQ(Bounds::negative().text(), "< 0");
  EXPECT_EQ(Bounds::closed(0, 100).text(), "in [0, 100]");
  EXPECT_TRUE(Bounds{}.unbounded());
  EXPECT_FALSE(Bounds::whole(1).admits(2e9));  // an integer key fits an int
}

TEST(Params, RowsBindKeysToMembers) {
  const auto specs = specs_of(panel_fields());
  // The member's type completes the spec: an int is a whole number, an enum or bool its words.
  EXPECT_TRUE(specs[0].bounds.integer);
  EXPECT_FALSE(specs[1].bounds.integer);
  EXPECT_EQ(specs[3].choices, (std::vector<std::string>{"light", "dark"}));
  EXPECT_EQ(specs[4].choices, (std::vector<std::string>{"off", "on"}));
  Panel defaults;
  read_fields(ParamSet(specs), panel_fields(), defaults);
  EXPECT_EQ(defaults.tiles, 4);
  EXPECT_DOUBLE_EQ(defaults.width_um, 2.0);
  EXPECT_DOUBLE_EQ(defaults.gain, 0.5);
  EXPECT_EQ(defaults.shade, Shade::Dark);
  EXPECT_FALSE(defaults.fast);
  const ParamSet p = parse_params(specs, "tiles: 9\nwidth: 3mm\nshade: light\nfast: on\n", "panel.yaml");
  Panel set;
  read_fields(p, panel_fields(), set);
  EXPECT_EQ(set.tiles, 9);
  EXPECT_DOUBLE_EQ(set.width_um, 3000.0);
  EXPECT_EQ(set.shade, Shade::Light);
  EXPECT_TRUE(set.fast);
  EXPECT_STREQ(kShadeNames.name(Shade::Dark), "dark");
  EXPECT_THROW(kShadeNames.parse("grey"), Error);
}

}  // namespace raceit

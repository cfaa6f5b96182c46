#include "raceit/core/yaml_keys.hpp"

#include <gtest/gtest.h>

namespace raceit {
namespace {

TEST(YamlKeys, FindsTheFirstRepeatWithBothLines) {
  const auto repeat = find_repeated_key(YAML::Load("a: 1\nb:\n  c: 2\n  d: 3\n  c: 4\na: 5\n"));
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->key, "c");
  EXPECT_EQ(repeat->path, "b.c");
  EXPECT_EQ(repeat->line, 5);
  EXPECT_EQ(repeat->first_line, 3);
}

TEST(YamlKeys, ADottedKeyRepeatsANestedOne) {
  const auto repeat = find_repeated_key(YAML::Load("noise:\n  exponent: 1\nnoise.exponent: 2\n"));
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->key, "noise.exponent");
  EXPECT_EQ(repeat->line, 3);
  EXPECT_EQ(repeat->first_line, 2);
}

TEST(YamlKeys, ListElementsAreApart) {
  EXPECT_FALSE(find_repeated_key(YAML::Load("points:\n  - {a: 1, b: 2}\n  - {a: 3}\n")).has_value());
  const auto repeat = find_repeated_key(YAML::Load("points:\n  - {a: 1}\n  - {a: 2, a: 3}\n"));
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->path, "points[1].a");
  EXPECT_EQ(repeat->line, 3);
  EXPECT_EQ(repeat->first_line, 3);
}

}  // namespace
}  // namespace raceit

#include "raceit/report/sensitivity.hpp"

#include <gtest/gtest.h>

#include "raceit/core/error.hpp"
#include "raceit/arch/arch.hpp"
#include "raceit/compiler/options.hpp"

namespace raceit::report {

namespace {

const CostStudy& bert_base() {
  static const CostStudy study("bert-base", {});
  return study;
}

}  // namespace

// Each varied value is the ppa estimate with that one key set, and the ratios are the other
// design's figures over these; keys rank by the larger of their latency and energy ranges.
TEST(Sensitivity, OneKeyAtATimeAgainstDirectEstimates) {
  const CostStudy& study = bert_base();
  const Sensitivity s = sensitivity(study, "raceit", {}, 1, "h100",
                                    {{.key = "tile.race_units", .values = {"2", "4"}},
                                     {.key = "crossbar.rows", .values = {"64", "256"}},
                                     {.key = "components.acam.latency", .values = {"0.5ns", "2ns"}}});
  const Ppa base = study.estimate("raceit", {}, 1), h100 = study.estimate("h100", {}, 1);
  EXPECT_EQ(s.base.latency, base.latency);
  ASSERT_TRUE(s.vs.has_value());
  EXPECT_EQ(s.vs->energy, h100.energy);
  ASSERT_EQ(s.keys.size(), 3u);
  for (const SensitivityKey& k : s.keys) {
    double lo = INFINITY, hi = -INFINITY;
    for (const SensitivityValue& v : k.values) {
      ASSERT_TRUE(v.ok) << v.error;
      const Ppa direct = study.estimate("raceit", {k.key + "=" + v.text}, 1);
      EXPECT_EQ(v.latency, direct.latency) << k.key << "=" << v.text;
      EXPECT_EQ(v.energy, direct.energy) << k.key << "=" << v.text;
      lo = std::min(lo, direct.latency / base.latency - 1);
      hi = std::max(hi, direct.latency / base.latency - 1);
    }
    EXPECT_DOUBLE_EQ(k.latency_low, lo);
    EXPECT_DOUBLE_EQ(k.latency_high, hi);
  }
  for (std::size_t i = 1; i < s.keys.size(); ++i) EXPECT_GE(s.keys[i - 1].swing(), s.keys[i].swing());
  const nlohmann::json j = to_json(s);
  const auto& v0 = j["keys"][0]["values"][0];
  EXPECT_DOUBLE_EQ(v0["speedup_vs"].get<double>(), h100.latency / v0["latency_s"].get<double>());
  EXPECT_DOUBLE_EQ(v0["energy_gain_vs"].get<double>(), h100.energy / v0["energy_j"].get<double>());
  // A slower ACAM search never makes the design faster.
  for (const SensitivityKey& k : s.keys) {
    if (k.key == "components.acam.latency") {
      EXPECT_GT(k.latency_high, 0);
    }
  }
  const std::string html = sensitivity_html(s);
  EXPECT_NE(html.find("id=\"tornado-latency\""), std::string::npos);
  EXPECT_NE(html.find("data-key=\"crossbar.rows\""), std::string::npos);
}

// The default variations come from the assumptions: whole numbers halve and double and stay
// whole, quantities keep their unit, words take every other choice; `kind` is not varied.
TEST(Sensitivity, DefaultVariations) {
  const arch::ArchSpec spec = compiler::load_arch(arch::arch_path("raceit"));
  const Ppa base = bert_base().estimate("raceit", {}, 1);
  const std::vector<VaryKey> vary = default_variations(base, spec);
  auto values_of = [&](const std::string& key) {
    for (const VaryKey& v : vary)
      if (v.key == key) return v.values;
    return std::vector<std::string>{};
  };
  EXPECT_EQ(values_of("crossbar.rows"), (std::vector<std::string>{"64", "256"}));
  EXPECT_EQ(values_of("tile.race_units"), (std::vector<std::string>{"2"}));  // half of 1 is still 1
  // (the Compute-ACAM conversion sets raceit's read time; softmax cannot go digital on a design
  // without SFUs, so it is not among the assumptions)
  EXPECT_EQ(values_of("components.acam.latency"), (std::vector<std::string>{"500 ps", "2 ns"}));
  EXPECT_EQ(values_of("mapping.acam_encoding"), (std::vector<std::string>{"binary"}));
  EXPECT_TRUE(values_of("kind").empty());
  EXPECT_GT(vary.size(), 20u);
  EXPECT_THROW(sensitivity(bert_base(), "raceit", {}, 1, "", {{.key = "crossbar.rowz", .values = {"1"}}}), Error);
}

TEST(Sensitivity, QuantityText) {
  EXPECT_EQ(quantity_text(5e-8, Dimension::Time), "50 ns");
  EXPECT_EQ(quantity_text(1.1e-8, Dimension::Length), "11 nm");
  EXPECT_EQ(quantity_text(0.25, Dimension::Dimensionless), "0.25");
  EXPECT_EQ(parse_quantity(quantity_text(3.3e-13, Dimension::Energy), Dimension::Energy).value, 3.3e-13);
}

}  // namespace raceit::report

// Built-in architectures against their published parameter counts, and a small synthetic
// configuration that runs end to end.
#include "raceit/model/architectures.hpp"

#include <gtest/gtest.h>

#include "raceit/core/error.hpp"
#include "raceit/model/statistics.hpp"

namespace raceit::model {
namespace {

// Hugging Face parameter counts (tied embeddings counted once; BERT with its pooler).
TEST(Architectures, ParameterCountsMatchPublishedModels) {
  const std::pair<const char*, std::int64_t> expected[] = {
      {"bert-base", 109482240}, {"bert-large", 335141888}, {"vit-b16", 86567656},
      {"gpt2", 124439808},      {"llama-3.2-1b", 1235814400}, {"llama-3.2-3b", 3212749824},
  };
  for (const auto& [name, count] : expected) EXPECT_EQ(build_architecture(architecture_config(name)).parameter_count(), count) << name;
}

// BERT-base at 128 tokens: 12 layers × (4·768² + 2·768·3072) weight MACs per token, plus the
// attention products 2·128·768 per token per layer, plus the pooler.
TEST(Architectures, BertBaseMacs) {
  const auto stats = graph_statistics(build_architecture(architecture_config("bert-base")));
  const std::int64_t t = 128, d = 768, f = 3072, layers = 12;
  EXPECT_EQ(stats.tokens, t);
  EXPECT_EQ(stats.by_class.at(OpClass::WeightMatMul).macs, layers * t * (4 * d * d + 2 * d * f) + d * d);
  EXPECT_EQ(stats.by_class.at(OpClass::DataMatMul).macs, layers * 2 * t * t * d);
  EXPECT_EQ(stats.by_operator.at(OpType::Gelu).count, layers);
  EXPECT_EQ(stats.by_operator.at(OpType::Softmax).count, layers);
}

TEST(Architectures, ShapeOnlyByDefault) {
  const Graph g = build_architecture(architecture_config("llama-3.2-1b"));
  EXPECT_FALSE(g.has_weight_data());
  EXPECT_EQ(g.values.at(g.outputs[0]).shape, (Shape{-1, 128256}));
}

TEST(Architectures, UnknownNameListsKnownOnes) {
  try {
    architecture_config("bert-huge");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bert-base"), std::string::npos);
  }
}

}  // namespace
}  // namespace raceit::model

// Small configurations of every built-in family, with synthetic weights, run on the executor:
// outputs are finite, have the declared shape, and each sample's output does not depend on the
// rest of the batch (the executor's chunking assumption).
#include <gtest/gtest.h>

#include <cmath>

#include "raceit/core/rng.hpp"
#include "raceit/exec/executor.hpp"
#include "raceit/model/architectures.hpp"

namespace raceit::exec {
namespace {

Tensor random_input(const model::Graph& g, std::int64_t batch, std::int64_t vocab) {
  Shape shape = g.values.at(g.inputs[0]).shape;
  shape[0] = batch;
  const CounterRng rng(7);
  if (g.values.at(g.inputs[0]).dtype == DType::Int64) {
    Tensor t(DType::Int64, shape);
    for (std::int64_t i = 0; i < t.size(); ++i) t.ints()[i] = static_cast<std::int64_t>(rng.uniform(streams::kData, i) * vocab);
    return t;
  }
  Tensor t(DType::Float32, shape);
  for (std::int64_t i = 0; i < t.size(); ++i) t.floats()[i] = static_cast<float>(rng.normal(streams::kData, i));
  return t;
}

model::ArchitectureConfig tiny(const std::string& family) {
  auto c = model::architecture_config(family);
  c.layers = 2;
  c.hidden = 32;
  c.heads = 4;
  c.kv_heads = family.rfind("llama", 0) == 0 ? 2 : 4;
  c.head_dim = 8;
  c.ffn = 64;
  c.vocab = 100;
  c.max_positions = 32;
  c.seq_len = 16;
  c.image = 16;
  c.patch = 4;
  c.classes = 10;
  if (family == "vit-b16") c.seq_len = 17;
  return c;
}

TEST(ArchitecturesRun, TinyConfigurationsOfEveryFamilyExecute) {
  for (const char* family : {"bert-base", "vit-b16", "gpt2", "llama-3.2-1b"}) {
    const auto config = tiny(family);
    const auto graph = model::build_architecture(config, true, 1);
    ASSERT_TRUE(graph.has_weight_data());
    const Tensor input = random_input(graph, 3, config.vocab);
    const auto batch = Executor(graph, OpTable::fp32(), {1, 3}).run(input).at(0);
    const auto single = Executor(graph, OpTable::fp32(), {1, 1}).run(input).at(0);
    ASSERT_EQ(batch.dim(0), 3) << family;
    for (std::int64_t i = 0; i < batch.size(); ++i) {
      ASSERT_TRUE(std::isfinite(batch.floats()[i])) << family;
      ASSERT_NEAR(batch.floats()[i], single.floats()[i], 1e-5f * (1 + std::abs(single.floats()[i]))) << family;
    }
  }
}

}  // namespace
}  // namespace raceit::exec

// The FP32 executor against PyTorch: every shipped model's golden logits (produced by the
// training scripts with torch 1.13) must be reproduced to a relative max error of 1e-4.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>

#include "raceit/core/npy.hpp"
#include "raceit/core/source_dir.hpp"
#include "raceit/exec/executor.hpp"
#include "raceit/model/kernels.hpp"
#include "raceit/model/onnx_import.hpp"

namespace raceit::exec {
namespace {

const std::string kModels = raceit::source_dir() + "/models/";

// max |a − b| / max |b|
double relative_max_error(const Tensor& a, const Tensor& b) {
  double diff = 0, scale = 0;
  for (std::int64_t i = 0; i < b.size(); ++i) {
    diff = std::max(diff, std::abs(a.number(i) - b.number(i)));
    scale = std::max(scale, std::abs(b.number(i)));
  }
  return diff / scale;
}

void expect_golden(const std::string& model_file, const std::string& dir, int threads = 0) {
  const auto graph = model::import_onnx(kModels + dir + "/" + model_file);
  const Tensor input = read_npy(kModels + dir + "/golden_input.npy");
  const Tensor expected = read_npy(kModels + dir + "/golden_output.npy");
  const Executor executor(graph, OpTable::fp32(), {threads, 3});
  const auto out = executor.run(input);
  ASSERT_EQ(out.at(0).shape(), expected.shape());
  EXPECT_LE(relative_max_error(out[0], expected), 1e-4) << dir << "/" << model_file;
}

TEST(Golden, VitDigitsMatchesPyTorch) { expect_golden("model.onnx", "vit-digits"); }
// The same network exported at opset 13, where LayerNorm is decomposed into primitive ops.
TEST(Golden, VitDigitsDecomposedLayerNormMatchesPyTorch) { expect_golden("model-opset13.onnx", "vit-digits"); }

// Token ids in, with padding masks, masked mean-pool, ReduceSum/Clip/Not/Where in the graph.
TEST(Golden, SpamTransformerMatchesPyTorch) { expect_golden("model.onnx", "spam-transformer"); }

TEST(Golden, VitFashionMnistMatchesPyTorch) {
  if (!std::filesystem::exists(kModels + "vit-fmnist/model.onnx")) GTEST_SKIP() << "vit-fmnist not trained yet";
  expect_golden("model.onnx", "vit-fmnist");
}

TEST(Executor, ResultsDoNotDependOnThreadCount) {
  const auto graph = model::import_onnx(kModels + "vit-digits/model.onnx");
  const Tensor input = read_npy(kModels + "vit-digits/golden_input.npy");
  const auto one = Executor(graph, OpTable::fp32(), {1, 2}).run(input).at(0);
  const auto two = Executor(graph, OpTable::fp32(), {2, 2}).run(input).at(0);
  ASSERT_EQ(one.shape(), two.shape());
  for (std::int64_t i = 0; i < one.size(); ++i) EXPECT_EQ(one.floats()[i], two.floats()[i]);
}

// The hook the RACE-IT functional executor uses: a substituted operator implementation runs for
// every node of its type, and the observer sees every node of every chunk.
TEST(Executor, SubstitutedOperatorsAndObserver) {
  const auto graph = model::import_onnx(kModels + "vit-digits/model.onnx");
  const Tensor input = read_npy(kModels + "vit-digits/golden_input.npy");
  std::atomic<int> gelu_calls = 0, observed = 0;
  OpTable table = OpTable::fp32();
  table.set(model::OpType::Gelu, [&](const model::Node& node, std::span<const Tensor* const> in, const OpContext&) {
    ++gelu_calls;
    return model::evaluate_node(node, in);
  });
  const NodeObserver observer = [&](std::size_t, const model::Node&, std::span<const Tensor* const>,
                                    std::span<const Tensor>) { ++observed; };
  const auto out = Executor(graph, table, {2, 4}).run({{graph.inputs[0], input}}, observer).at(0);
  const auto chunks = 2;  // 8 samples in chunks of 4
  EXPECT_EQ(gelu_calls, 2 * chunks);
  EXPECT_EQ(observed, static_cast<int>(graph.nodes.size()) * chunks);
  EXPECT_LE(relative_max_error(out, read_npy(kModels + "vit-digits/golden_output.npy")), 1e-4);
}

}  // namespace
}  // namespace raceit::exec

// ONNX import: semantic-operator recognition on the shipped models, and errors on bad files.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>

#include "raceit/core/error.hpp"
#include "raceit/model/onnx_import.hpp"

namespace raceit::model {
namespace {

const std::string kModels = std::string(RACEIT_SOURCE_DIR) + "/models/";

std::map<OpType, int> count_ops(const Graph& g) {
  std::map<OpType, int> n;
  for (const auto& node : g.nodes) ++n[node.op];
  return n;
}

// Every matmul with weights becomes a WeightMatMul with its bias fused, attention's two
// activation products are data-dependent matmuls, and GELU and LayerNorm are single operators.
void expect_vit_digits_semantics(const Graph& g) {
  auto ops = count_ops(g);
  // Per block: QKV, output, FFN1, FFN2; plus the patch embedding and the head.
  EXPECT_EQ(ops[OpType::WeightMatMul], 2 * 4 + 2);
  EXPECT_EQ(ops[OpType::DataMatMul], 2 * 2);
  EXPECT_EQ(ops[OpType::Gelu], 2);
  EXPECT_EQ(ops[OpType::LayerNorm], 2 * 2 + 1);
  EXPECT_EQ(ops[OpType::Softmax], 2);
  EXPECT_EQ(ops[OpType::Erf], 0);
  EXPECT_EQ(ops[OpType::ReduceMean], 0);
  for (const auto& node : g.nodes)
    if (node.op == OpType::WeightMatMul) EXPECT_EQ(node.inputs.size(), 3u) << node.name << " has no fused bias";
  EXPECT_EQ(g.parameter_count(), 18218);  // PyTorch's count for the network
}

TEST(OnnxImport, RecognisesSemanticOperatorsInVitDigits) {
  const Graph g = import_onnx(kModels + "vit-digits/model.onnx");
  expect_vit_digits_semantics(g);
  EXPECT_EQ(g.values.at(g.inputs[0]).shape, (Shape{-1, 1, 8, 8}));
  EXPECT_EQ(g.values.at(g.outputs[0]).shape, (Shape{-1, 10}));
}

TEST(OnnxImport, RecognisesDecomposedLayerNorm) {
  expect_vit_digits_semantics(import_onnx(kModels + "vit-digits/model-opset13.onnx"));
}

TEST(OnnxImport, PrintsTheGraph) {
  const std::string text = import_onnx(kModels + "vit-digits/model.onnx").to_text();
  EXPECT_NE(text.find("WeightMatMul"), std::string::npos);
  EXPECT_NE(text.find("Gelu"), std::string::npos);
  std::cout << text;
}

}  // namespace
}  // namespace raceit::model

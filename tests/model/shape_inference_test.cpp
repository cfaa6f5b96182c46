// Shape inference by rules against the reference kernels: for every node of the shipped models
// and of small versions of every built-in architecture, the rules' shapes and dtypes equal those
// of running the node's kernel (on the real weights, and zero-filled stand-ins for activations).
#include "raceit/model/shape_inference.hpp"

#include <gtest/gtest.h>

#include "raceit/core/error.hpp"
#include "raceit/model/architectures.hpp"
#include "raceit/model/kernels.hpp"
#include "raceit/model/zoo.hpp"

namespace raceit::model {
namespace {

// Every value's tensor by running the reference kernels, as shape inference did before it had rules.
std::map<std::string, Tensor> run_kernels(const Graph& graph, const std::map<std::string, Shape>& inputs) {
  std::map<std::string, Tensor> env;
  for (const auto& name : graph.weight_names) {
    const auto it = graph.initializers.find(name);
    env[name] = it != graph.initializers.end() ? it->second : Tensor(graph.values.at(name).dtype, graph.values.at(name).shape);
  }
  for (const auto& [name, shape] : inputs) env[name] = Tensor(graph.values.at(name).dtype, shape);
  for (const auto& node : graph.nodes) {
    std::vector<const Tensor*> args;
    for (const auto& name : node.inputs) args.push_back(name.empty() ? nullptr : &env.at(name));
    auto out = evaluate_node(node, args);
    for (std::size_t i = 0; i < node.outputs.size(); ++i) env[node.outputs[i]] = std::move(out[i]);
  }
  return env;
}

void expect_rules_match_kernels(const Graph& graph) {
  const auto inputs = concrete_input_shapes(graph, 2);
  const auto resolved = resolve_shapes(graph, inputs);
  const auto reference = run_kernels(graph, inputs);
  for (const auto& node : graph.nodes)
    for (const auto& name : node.outputs) {
      EXPECT_EQ(resolved.at(name).shape, reference.at(name).shape()) << graph.name << " " << node.name;
      EXPECT_EQ(resolved.at(name).dtype, reference.at(name).dtype()) << graph.name << " " << node.name;
    }
}

TEST(ShapeInference, RulesMatchKernelsOnShippedModels) {
  for (const char* name : {"vit-digits", "vit-fmnist", "spam-transformer", "use-lite"}) {
    SCOPED_TRACE(name);
    expect_rules_match_kernels(load_model(name, true));
  }
}

// One small layer of each built-in family (every operator its builder emits), weights drawn.
TEST(ShapeInference, RulesMatchKernelsOnBuiltInArchitectures) {
  for (const auto& name : architecture_names()) {
    ArchitectureConfig c = architecture_config(name);
    c.layers = 1;
    c.hidden = 32;
    c.heads = 4;
    c.kv_heads = c.kv_heads == c.heads ? 4 : 2;
    c.head_dim = 8;
    c.ffn = 64;
    c.seq_len = c.family == Family::VisionTransformer ? c.seq_len : 12;
    if (c.vocab) c.vocab = 50;
    if (c.max_positions) c.max_positions = 16;
    SCOPED_TRACE(name);
    expect_rules_match_kernels(build_architecture(c, true, 1));
  }
}

// At 8192 tokens one attention score tensor alone would be 6 GB: shapes come without data.
TEST(ShapeInference, LongContextShapesNeedNoData) {
  ArchitectureConfig c = architecture_config("llama-3.2-3b");
  c.seq_len = 8192;
  const Graph g = build_architecture(c);
  const auto shapes = resolve_sample_shapes(g, c.seq_len);
  EXPECT_EQ(shapes.at("layer0.attn.scores").shape, (Shape{1, 24, 8192, 8192}));
  EXPECT_FALSE(shapes.at("layer0.attn.scores").value.has_value());
  EXPECT_EQ(shapes.at(g.outputs[0]).shape, (Shape{1, 128256}));
}

TEST(ShapeInference, ErrorsNameTheNode) {
  Graph g;
  g.name = "bad";
  g.inputs = {"x"};
  g.values["x"] = ValueInfo{DType::Float32, {2, 6}};
  g.values["target"] = ValueInfo{DType::Int64, {2}};
  g.weight_names = {"target"};
  g.initializers["target"] = Tensor::from_ints({2}, {4, 4});
  g.nodes.push_back(Node{"squash", OpType::Reshape, {"x", "target"}, {"y"}, {}, ""});
  try {
    resolve_shapes(g, {{"x", {2, 6}}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("squash"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cannot reshape"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace raceit::model

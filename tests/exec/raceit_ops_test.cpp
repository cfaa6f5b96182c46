// Operator harness in the style of ggml's test-backend-ops: every lowered operator, alone in a
// graph (or with the one operator its engine spans: a folded scale, a fused function), compiled
// (calibrated on its own inputs) and run by the RACE-IT executor in ideal mode, against the FP32
// kernel on the same inputs, with a tolerance stated per operator, and bit for bit against the
// integer reference (raceit_reference.hpp). HarnessIsComplete fails when an engine or an operator
// class has no case here. The
// tolerances are what 8-bit activations allow: an ACAM output is within half an output LSB of f
// at the nearest input grid point, so a function is off by at most max|f'|·Δx/2 + Δy/2, with
// Δx, Δy the input and output steps (for GELU on the ±7.5 range of these inputs: 1.13·0.059/2 +
// 7.7/255/2 = 0.048).
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <set>

#include "raceit/core/metrics.hpp"
#include "raceit/core/rng.hpp"
#include "raceit/exec/compile.hpp"
#include "raceit/exec/raceit_executor.hpp"
#include "raceit/model/passes.hpp"
#include "raceit/model/shape_inference.hpp"
#include "raceit/arch/arch.hpp"
#include "raceit_reference.hpp"

namespace raceit::exec {

namespace {

using model::OpType;

constexpr std::int64_t kBatch = 8;

// Seeded values: normal(0, sigma) + mean, or uniform on [lo, hi] when uniform.
Tensor random(Shape shape, std::uint64_t stream, double sigma, double mean = 0, bool uniform = false, double lo = 0,
              double hi = 1) {
  const CounterRng rng(42);
  std::vector<float> v(static_cast<std::size_t>(element_count(shape)));
  for (std::size_t k = 0; k < v.size(); ++k)
    v[k] = static_cast<float>(uniform ? lo + (hi - lo) * rng.uniform(stream, k) : mean + sigma * rng.normal(stream, k));
  return Tensor::from_floats(std::move(shape), std::move(v));
}

// A second node reading the first one's output `h`, for the engines that span two operators.
struct NextOp {
  OpType op;
  std::vector<std::pair<std::string, Tensor>> weights;
  model::Attributes attributes;
};

struct OpCase {
  std::string name;
  OpType op;
  std::vector<std::pair<std::string, Tensor>> inputs;   // activations, batch first
  std::vector<std::pair<std::string, Tensor>> weights = {};  // initializers
  model::Attributes attributes = {};
  compiler::Engine engine;                  // where the mapping must put it
  double max_nmse, max_abs;                 // tolerance against FP32
  std::vector<std::string> overrides = {};  // mapping options
  std::string arch = "raceit";
  std::optional<NextOp> next = {};
  std::size_t checked = 0;                  // the node whose engine is `engine`
};

void PrintTo(const OpCase& c, std::ostream* os) { *os << c.name; }

model::Graph single_op_graph(const OpCase& c) {
  model::Graph g;
  g.name = g.source = "op " + c.name;
  std::vector<std::string> inputs;
  for (const auto& [name, t] : c.inputs) {
    g.inputs.push_back(name);
    Shape shape = t.shape();
    shape[0] = -1;
    g.values[name] = {DType::Float32, shape};
    inputs.push_back(name);
  }
  for (const auto& [name, t] : c.weights) {
    model::add_constant(g, name, t, true);
    inputs.push_back(name);
  }
  g.nodes.push_back({"op", c.op, inputs, {c.next ? "h" : "y"}, c.attributes, "test"});
  if (c.next) {
    std::vector<std::string> next_inputs{"h"};
    for (const auto& [name, t] : c.next->weights) {
      model::add_constant(g, name, t, true);
      next_inputs.push_back(name);
    }
    g.nodes.push_back({"next", c.next->op, next_inputs, {"y"}, c.next->attributes, "test"});
  }
  g.outputs = {"y"};
  model::infer_value_info(g);
  g.validate();
  return g;
}

std::vector<OpCase> cases() {
  model::Attributes last_axis;
  last_axis.set("axis", std::int64_t{-1});
  model::Attributes norm = last_axis;
  norm.set("epsilon", 1e-5);
  model::Attributes permutation;
  permutation.set("perm", std::vector<std::int64_t>{0, 2, 1});
  model::Attributes clip;
  clip.set("min", -1.0);
  clip.set("max", 1.5);
  const Tensor x = random({kBatch, 6, 40}, 1, 1.5);
  auto unary = [&](std::string name, OpType op, Tensor in, double nmse, double abs) {
    return OpCase{std::move(name), op, {{"x", std::move(in)}}, {}, {}, compiler::Engine::AcamFunction, nmse, abs};
  };
  return {
      // Crossbar: 8-bit inputs and weights, bit-serial planes through calibrated 8-bit ACAM readouts.
      {"weight_matmul", OpType::WeightMatMul, {{"x", x}}, {{"w", random({40, 24}, 2, 0.2)}, {"b", random({24}, 3, 0.1)}}, {},
       compiler::Engine::Crossbar, 2e-3, 0.2},
      {"weight_matmul_adc", OpType::WeightMatMul, {{"x", x}}, {{"w", random({40, 24}, 2, 0.2)}}, {}, compiler::Engine::Crossbar,
       2e-3, 0.2, {}, "raceit-adc"},
      // 1-var functions over the calibrated input range: half an input step times the slope plus
      // half an output step.
      unary("gelu", OpType::Gelu, x, 2e-4, 0.05),
      // mapping.function_bits=4: 16 output codes over GELU's calibrated range, about [-0.17, 6]: half an
      // output step (0.2) plus half an input step times the slope (0.03).
      [&] {
        OpCase c = unary("gelu_4bit_output", OpType::Gelu, x, 1.5e-2, 0.23);
        c.overrides = {"mapping.function_bits=4"};
        return c;
      }(),
      unary("silu", OpType::Silu, x, 2e-4, 0.05),
      unary("tanh", OpType::Tanh, x, 2e-4, 0.03),
      unary("sigmoid", OpType::Sigmoid, x, 2e-4, 0.02),
      unary("exp", OpType::Exp, x, 1e-3, 4.0),
      unary("erf", OpType::Erf, x, 2e-4, 0.03),
      unary("relu", OpType::Relu, x, 2e-4, 0.03),
      unary("sqrt", OpType::Sqrt, random({kBatch, 6, 40}, 4, 0, 0, true, 0.01, 4), 2e-4, 0.05),
      unary("reciprocal", OpType::Reciprocal, random({kBatch, 6, 40}, 5, 0, 0, true, 0.5, 4), 1e-3, 0.1),
      {"pow", OpType::Pow, {{"x", x}}, {{"p", Tensor::scalar(2.0f)}}, {}, compiler::Engine::AcamFunction, 2e-4, 0.2},
      {"clip", OpType::Clip, {{"x", x}}, {}, clip, compiler::Engine::AcamFunction, 2e-4, 0.04},
      // Softmax: 8-bit exp codes, an 8-bit reciprocal of their sum, 16-bit products.
      {"softmax", OpType::Softmax, {{"x", random({kBatch, 4, 12, 12}, 6, 2.0)}}, {}, last_axis, compiler::Engine::AcamSoftmax,
       2e-3, 0.05},
      // Norms: 8-bit sign-magnitude stages (input, centred, normalised, γ).
      {"layer_norm", OpType::LayerNorm, {{"x", random({kBatch, 10, 32}, 7, 2.0, 0.5)}},
       {{"gamma", random({32}, 8, 0.2, 1.0)}, {"beta", random({32}, 9, 0.1)}}, norm, compiler::Engine::AcamNorm, 2e-3, 0.2},
      {"rms_norm", OpType::RmsNorm, {{"x", random({kBatch, 10, 32}, 7, 2.0, 0.5)}}, {{"gamma", random({32}, 8, 0.2, 1.0)}},
       norm, compiler::Engine::AcamNorm, 2e-3, 0.2},
      // Data matmul: 8-bit sign-magnitude operands, exact products and sums.
      {"data_matmul", OpType::DataMatMul, {{"a", random({kBatch, 4, 10, 16}, 10, 1.0)}, {"b", random({kBatch, 4, 16, 12}, 11, 1.0)}},
       {}, {}, compiler::Engine::AcamDataMatMul, 1e-3, 0.3},
      // Crossbar writes: each written matrix is quantised on its own maximum, but the readout range
      // covers the largest column of all of them, so small matrices lose resolution.
      {"data_matmul_crossbar_write", OpType::DataMatMul,
       {{"a", random({kBatch, 4, 10, 16}, 10, 1.0)}, {"b", random({kBatch, 4, 16, 12}, 11, 1.0)}}, {}, {},
       compiler::Engine::CrossbarWrite, 5e-3, 1.0, {"mapping.data_matmul=crossbar-write"}},
      // Digital mappings compute the FP32 kernel itself.
      {"softmax_digital", OpType::Softmax, {{"x", random({kBatch, 4, 12, 12}, 6, 2.0)}}, {}, last_axis, compiler::Engine::Digital,
       0, 0, {"mapping.softmax=digital"}},
      {"layer_norm_digital", OpType::LayerNorm, {{"x", random({kBatch, 10, 32}, 7, 2.0)}}, {{"gamma", random({32}, 8, 0.2, 1.0)}},
       norm, compiler::Engine::Digital, 0, 0, {"mapping.layernorm=digital"}},
      unary("gelu_digital", OpType::Gelu, x, 0, 0),
      // Element-wise arithmetic runs digitally.
      {.name = "add", .op = OpType::Add, .inputs = {{"x", x}}, .weights = {{"c", random({40}, 13, 1.0)}},
       .engine = compiler::Engine::Digital, .max_nmse = 0, .max_abs = 0},
      // Data movement computes nothing.
      {.name = "transpose", .op = OpType::Transpose, .inputs = {{"x", x}}, .attributes = permutation,
       .engine = compiler::Engine::None, .max_nmse = 0, .max_abs = 0},
      // 1/√d_k before a softmax folds into its exp input scale.
      {.name = "div_folded_into_softmax", .op = OpType::Div, .inputs = {{"x", random({kBatch, 4, 12, 12}, 6, 6.0)}},
       .weights = {{"scale", Tensor::scalar(4.0f)}}, .engine = compiler::Engine::Folded, .max_nmse = 2e-3,
       .max_abs = 0.05, .next = NextOp{.op = OpType::Softmax, .weights = {}, .attributes = last_axis}},
      // GELU computed by the Compute-ACAM readout of the weight matmul before it: multi-level inputs
      // on single cells in differential pairs make one conversion per output.
      {.name = "gelu_fused_into_crossbar", .op = OpType::WeightMatMul, .inputs = {{"x", x}},
       .weights = {{"w", random({40, 24}, 2, 0.2)}, {"b", random({24}, 3, 0.1)}}, .engine = compiler::Engine::Fused,
       .max_nmse = 5e-3, .max_abs = 0.2,
       .overrides = {"crossbar.dac_bits=8", "mapping.weight_encoding=single", "mapping.weight_sign=differential"},
       .next = NextOp{.op = OpType::Gelu, .weights = {}, .attributes = {}}, .checked = 1},
  };
}

class LoweredOperator : public ::testing::TestWithParam<OpCase> {};

TEST_P(LoweredOperator, MatchesFp32WithinTolerance) {
  OpCase c = GetParam();
  if (c.name == "gelu_digital") {
    c.overrides = {"mapping.function=digital"};
    c.engine = compiler::Engine::Digital;
  }
  const model::Graph graph = single_op_graph(c);
  std::map<std::string, Tensor> inputs;
  for (const auto& [name, t] : c.inputs) inputs[name] = t;
  const arch::ArchSpec arch = compiler::load_arch(arch::arch_path(c.arch), c.overrides);
  compiler::ModelRef ref;
  ref.name = graph.name;
  const compiler::Program program = compiler::compile(graph, ref, arch, fp32_runs(graph, inputs, 1), {"random", "test", kBatch, "", 0});
  ASSERT_EQ(program.ops.at(c.checked).engine(), c.engine) << program.ops[c.checked].note;
  const Tensor expected = Executor(graph).run(inputs).at(0);
  const Tensor y = RaceitExecutor(program, graph, {}).run(inputs).at(0);
  ASSERT_EQ(y.shape(), expected.shape());
  const ErrorStats e = compare(y.floats(), expected.floats());
  EXPECT_LE(e.nmse, c.max_nmse) << c.name;
  EXPECT_LE(e.max_abs, c.max_abs) << c.name;
  // Ideal mode is the integer reference, bit for bit.
  const Tensor reference = Executor(graph, testing::integer_reference(program, graph)).run(inputs).at(0);
  ASSERT_EQ(reference.shape(), y.shape());
  for (std::size_t k = 0; k < y.floats().size(); ++k)
    ASSERT_EQ(y.floats()[k], reference.floats()[k]) << c.name << " element " << k;
  // A noisy realisation runs and stays finite.
  const Tensor noisy = RaceitExecutor(program, graph, {device::NoiseMode::Frozen, 3, {}, {}}).run(inputs).at(0);
  for (float v : noisy.floats()) ASSERT_TRUE(std::isfinite(v));
}

INSTANTIATE_TEST_SUITE_P(Harness, LoweredOperator, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

// Every engine (every alternative of compiler::EngineOp) and every operator class (of every
// OpType in the IR) has a case above: a new engine or operator class without one fails here.
TEST(LoweredOperator, HarnessIsComplete) {
  std::set<compiler::Engine> engines;
  std::set<model::OpClass> classes;
  for (OpCase c : cases()) {
    engines.insert(c.name == "gelu_digital" ? compiler::Engine::Digital : c.engine);
    classes.insert(model::op_class(c.op));
  }
  for (std::size_t k = 0; k < compiler::kEngines; ++k) {
    const auto engine = static_cast<compiler::Engine>(k);
    EXPECT_TRUE(engines.count(engine)) << "no harness case for engine " << compiler::to_string(engine);
  }
  std::set<model::OpClass> ir_classes;
  for (int k = 0; std::string(model::to_string(static_cast<OpType>(k))) != "?"; ++k)
    ir_classes.insert(model::op_class(static_cast<OpType>(k)));
  EXPECT_GE(ir_classes.size(), 5u);  // weight and data matmuls, functions, arithmetic, data movement
  for (model::OpClass c : ir_classes)
    EXPECT_TRUE(classes.count(c)) << "no harness case for operator class " << model::to_string(c);
}

// A constant scalar Div before a softmax folds into its exp input scale (1/√d_k) and costs nothing.
TEST(LoweredOperator, ScaleFoldsIntoSoftmax) {
  model::Attributes last_axis;
  last_axis.set("axis", std::int64_t{-1});
  model::Graph g;
  g.name = g.source = "scaled softmax";
  g.inputs = {"x"};
  g.values["x"] = {DType::Float32, {-1, 12, 12}};
  model::add_constant(g, "scale", Tensor::scalar(4.0f));
  g.nodes.push_back({"div", OpType::Div, {"x", "scale"}, {"scaled"}, {}, "test"});
  g.nodes.push_back({"softmax", OpType::Softmax, {"scaled"}, {"y"}, last_axis, "test"});
  g.outputs = {"y"};
  model::infer_value_info(g);
  const std::map<std::string, Tensor> inputs{{"x", random({kBatch, 12, 12}, 12, 6.0)}};
  compiler::ModelRef ref;
  ref.name = g.name;
  const auto program = compiler::compile(g, ref, compiler::load_arch(arch::arch_path("raceit")), fp32_runs(g, inputs, 1),
                                         {"random", "test", kBatch, "", 0});
  EXPECT_EQ(program.ops[0].engine(), compiler::Engine::Folded);
  EXPECT_EQ(program.ops[0].partner, 1);
  EXPECT_EQ(program.ops[0].events, EventCounts{});
  EXPECT_DOUBLE_EQ(std::get<compiler::SoftmaxOp>(program.ops[1].detail).input_scale, 0.25);
  const ErrorStats e = compare(RaceitExecutor(program, g, {}).run(inputs).at(0).floats(), Executor(g).run(inputs).at(0).floats());
  EXPECT_LE(e.max_abs, 0.05);
}

}  // namespace

}  // namespace raceit::exec

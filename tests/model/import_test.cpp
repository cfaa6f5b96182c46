// ONNX import: semantic-operator recognition on the shipped models, and errors on bad files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "raceit/core/error.hpp"
#include "raceit/core/source_dir.hpp"
#include "raceit/model/onnx_import.hpp"

namespace raceit::model {
namespace {

const std::string kModels = raceit::source_dir() + "/models/";

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
  for (const auto& node : g.nodes) {
    if (node.op == OpType::WeightMatMul) {
      EXPECT_EQ(node.inputs.size(), 3u) << node.name << " has no fused bias";
    }
  }
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
}

std::string temp_file(const std::string& name, const std::string& bytes) {
  const auto path = (std::filesystem::temp_directory_path() / ("raceit_import_" + name)).string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// The message must name the file and contain each of `parts`.
void expect_import_error(const std::string& path, ErrorKind kind, const std::vector<std::string>& parts) {
  try {
    import_onnx(path);
    FAIL() << "no error importing " << path;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    for (const auto& p : parts) EXPECT_NE(what.find(p), std::string::npos) << "'" << p << "' missing in: " << what;
  }
}

std::string model_bytes() {
  std::ifstream in(kModels + "vit-digits/model.onnx", std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(OnnxImportErrors, TruncatedFile) {
  const std::string bytes = model_bytes();
  expect_import_error(temp_file("truncated.onnx", bytes.substr(0, bytes.size() / 2)), ErrorKind::Parse, {"not a valid ONNX model"});
}

TEST(OnnxImportErrors, NotAnOnnxFile) {
  expect_import_error(temp_file("text.onnx", "this is not a protobuf message\n"), ErrorKind::Parse, {"not a valid ONNX model"});
  expect_import_error(temp_file("empty.onnx", ""), ErrorKind::Parse, {"not a valid ONNX model"});
}

TEST(OnnxImportErrors, MissingFile) {
  expect_import_error("/nonexistent/model.onnx", ErrorKind::Io, {"cannot open"});
}

TEST(OnnxImportErrors, UnsupportedOperatorNamesNodeAndType) {
  const std::string path = "/usr/share/libonnx-testdata/data/node/test_mod_mixed_sign_float32/model.onnx";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " missing: install libonnx-testdata (make setup)";
  expect_import_error(path, ErrorKind::Unsupported, {"Mod ×1", "does not support"});
}

TEST(OnnxImportErrors, CorruptedNodeIsRejectedNamingTheFile) {
  // Flip the first "MatMul" operator type into an unknown one: the checker rejects the model.
  std::string bytes = model_bytes();
  bytes.replace(bytes.find("MatMul"), 6, "MatMuX");
  expect_import_error(temp_file("corrupted.onnx", bytes), ErrorKind::Parse, {"MatMuX"});
}

// Every one of libonnx-testdata's 900+ single-operator models either imports or is rejected with
// a raceit::Error naming the file: never another exception, never a crash.
TEST(OnnxImportErrors, EveryOnnxTestModelImportsOrIsAnError) {
  const std::filesystem::path root = "/usr/share/libonnx-testdata/data/node";
  if (!std::filesystem::exists(root)) GTEST_SKIP() << root << " missing: install libonnx-testdata (make setup)";
  int imported = 0, rejected = 0;
  for (const auto& dir : std::filesystem::directory_iterator(root)) {
    const std::string path = (dir.path() / "model.onnx").string();
    try {
      import_onnx(path);
      ++imported;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      ++rejected;
    } catch (const std::exception& e) {
      ADD_FAILURE() << path << ": not a raceit::Error: " << e.what();
    }
  }
  EXPECT_GT(imported, 150);
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace raceit::model

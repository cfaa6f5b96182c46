// Accuracy through the C++ data loaders, tokenizer and executor equals what PyTorch measured
// at training time on the same split (models/*/metrics.json).
#include "raceit/core/source_dir.hpp"
#include "raceit/exec/evaluate.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "raceit/core/error.hpp"
#include "raceit/core/npy.hpp"
#include "raceit/model/datasets.hpp"

namespace raceit::exec {
namespace {

const std::string kModels = raceit::source_dir() + "/models/";

double trained_accuracy(const std::string& model) {
  std::ifstream in(kModels + model + "/metrics.json");
  return nlohmann::json::parse(in).at("test_accuracy").get<double>();
}

TEST(Evaluate, VitDigitsAccuracyEqualsPyTorchs) {
  const auto e = evaluate("vit-digits", "digits");
  EXPECT_EQ(e.n, 450);
  EXPECT_NEAR(e.accuracy, trained_accuracy("vit-digits"), 1e-9);
}

TEST(Evaluate, VitFashionMnistAccuracyEqualsPyTorchs) {
  if (!std::filesystem::exists(kModels + "vit-fmnist/model.onnx")) GTEST_SKIP() << "vit-fmnist not trained yet";
  const auto e = evaluate("vit-fmnist", "fashion-mnist");
  EXPECT_EQ(e.n, 10000);
  EXPECT_NEAR(e.accuracy, trained_accuracy("vit-fmnist"), 1e-9);
}

// The probe's accuracy through the C++ tokenizer and executor equals the independent numpy
// reference's (tools/use_lite_reference.py score) up to one email decided differently by float
// rounding.
TEST(Evaluate, UseLiteSpamProbeMatchesReference) {
  if (!std::filesystem::exists(model::default_data_paths().use_lite_dir()))
    GTEST_SKIP() << "USE-lite package missing: run 'make setup'";
  const auto e = evaluate("use-lite", "spamassassin");
  EXPECT_EQ(e.n, 1209);
  EXPECT_NEAR(e.accuracy, trained_accuracy("use-lite"), 1.0 / 1209 + 1e-9);
}

TEST(Evaluate, SpamTransformerAccuracyEqualsPyTorchs) {
  if (!std::filesystem::exists(model::default_data_paths().spamassassin_dir()))
    GTEST_SKIP() << "SpamAssassin corpus missing: run 'make setup'";
  const auto e = evaluate("spam-transformer", "spamassassin");
  EXPECT_EQ(e.n, 1209);
  EXPECT_NEAR(e.accuracy, trained_accuracy("spam-transformer"), 1e-9);
}

// The C++ word tokenizer reproduces the Python one: the golden inputs are the token ids the
// training script computed for the first test emails.
TEST(WordTokenizer, MatchesTheTrainingScript) {
  const auto paths = model::default_data_paths();
  if (!std::filesystem::exists(paths.spamassassin_dir())) GTEST_SKIP() << "SpamAssassin corpus missing: run 'make setup'";
  const auto data = model::load_spamassassin_test(paths);
  const model::WordTokenizer tokenizer(kModels + "spam-transformer/vocab.txt", 128);
  const Tensor expected = read_npy(kModels + "spam-transformer/golden_input.npy");
  const std::vector<std::string> first(data.texts.begin(), data.texts.begin() + expected.dim(0));
  const Tensor ids = tokenizer.encode_batch(first);
  ASSERT_EQ(ids.shape(), expected.shape());
  for (std::int64_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids.ints()[i], expected.ints()[i]) << "element " << i;
}

TEST(Datasets, FashionMnistTestSplit) {
  const auto paths = model::default_data_paths();
  if (!std::filesystem::exists(paths.fashion_mnist_dir)) GTEST_SKIP() << "dataset-fashion-mnist missing: run 'make setup'";
  const auto d = model::load_fashion_mnist_test(paths);
  EXPECT_EQ(d.images.shape(), (Shape{10000, 1, 28, 28}));
  ASSERT_EQ(d.labels.size(), 10000u);
  // The t10k labels are balanced: 1,000 per class.
  std::vector<int> per_class(10, 0);
  for (auto l : d.labels) ++per_class.at(static_cast<std::size_t>(l));
  for (int c : per_class) EXPECT_EQ(c, 1000);
}

TEST(Evaluate, UnknownDatasetIsAnError) { EXPECT_THROW(evaluate("vit-digits", "cifar-10"), Error); }

}  // namespace
}  // namespace raceit::exec

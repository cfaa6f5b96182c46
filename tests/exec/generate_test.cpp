// Generation with the shipped causal LM (models/char-lm, trained by tools/train_lm.py): its
// tokenizer by hand, its FP32 logits and greedy continuation against PyTorch's goldens, and the
// KV cache: every decode step's logits equal the whole prefix run at once, bit for bit through
// RACE-IT in ideal mode, to float rounding on the FP32 executor (include/raceit/exec/generate.hpp
// says why).
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "raceit/compiler/program.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/file_io.hpp"
#include "raceit/core/npy.hpp"
#include "raceit/core/source_dir.hpp"
#include "raceit/exec/compile.hpp"
#include "raceit/exec/generate.hpp"
#include "raceit/exec/raceit_evaluate.hpp"

namespace raceit::exec {
namespace {

using model::CharTokenizer;

const std::string kLm = raceit::source_dir() + "/models/char-lm/";

const model::CausalLm& lm() {
  static const model::CausalLm m = model::load_causal_lm("char-lm");
  return m;
}

// The first `t` golden tokens of sample `row`, [1, t].
Tensor golden_prefix(std::int64_t row, std::int64_t t) {
  const Tensor ids = read_npy(kLm + "golden_ids.npy");
  const auto v = ids.ints().subspan(static_cast<std::size_t>(row * ids.dim(1)), static_cast<std::size_t>(t));
  return Tensor::from_ints({1, t}, {v.begin(), v.end()});
}

// Row `row` of logits [1, T, vocab].
std::vector<float> position(const Tensor& logits, std::int64_t row) {
  const std::int64_t v = logits.dim(-1);
  const auto f = logits.floats().subspan(static_cast<std::size_t>(row * v), static_cast<std::size_t>(v));
  return {f.begin(), f.end()};
}

// max |a − b| / max |b| over one position's logits.
double relative_max_error(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::abs(static_cast<double>(b[i])));
  }
  return diff / scale;
}

// A prefill of `prompt` tokens, then one token per step (the golden sample's own next tokens):
// the prefill's positions and every step's logits must equal the whole prefix run at once — bit
// for bit when `tolerance` is 0, else to that relative max error.
void expect_cache_exact(const GraphRunner& runner, std::int64_t prompt, std::int64_t steps, double tolerance = 0) {
  auto expect_equal = [tolerance](const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
    if (tolerance == 0) ASSERT_EQ(a, b) << what;
    else ASSERT_LE(relative_max_error(a, b), tolerance) << what;
  };
  const Tensor ids = golden_prefix(0, prompt + steps);
  IncrementalDecoder decoder(lm(), runner);
  const Tensor prefill = decoder.feed(golden_prefix(0, prompt));
  const Tensor whole_prompt = run_sequence(lm(), runner, golden_prefix(0, prompt));
  for (std::int64_t p = 0; p < prompt; ++p)
    expect_equal(position(prefill, p), position(whole_prompt, p), "prefill position " + std::to_string(p));
  for (std::int64_t s = 0; s < steps; ++s) {
    const std::int64_t t = prompt + s;
    const Tensor step = decoder.feed(Tensor::from_ints({1, 1}, {ids.ints()[static_cast<std::size_t>(t)]}));
    const Tensor whole = run_sequence(lm(), runner, golden_prefix(0, t + 1));
    expect_equal(position(step, 0), position(whole, t), "decode step " + std::to_string(s) + " (position " + std::to_string(t) + ")");
  }
  EXPECT_EQ(decoder.cache().tokens(), prompt + steps);
  // Keys and values of 2 layers × 2 KV heads × 32 dimensions, float32, per token.
  EXPECT_EQ(decoder.cache().bytes(), (prompt + steps) * 2 * 2 * 2 * 32 * 4);
}

const CompiledModel& compiled() {
  static const CompiledModel c = compile_model({.model = "char-lm", .calibration_samples = 16});
  return c;
}

TEST(CharTokenizer, EncodesAndDecodesByHand) {
  // Whitespace runs are one space, leading whitespace goes; 'A' = 65 → 34, '!' = 33 → 2, '~' → 95.
  EXPECT_EQ(CharTokenizer::encode(" \n\tA  b!\r\n~\xc3\xa9"), (std::vector<std::int64_t>{34, 1, 67, 2, 1, 95, 0, 0}));
  EXPECT_EQ(CharTokenizer::decode(std::vector<std::int64_t>{34, 1, 67, 0}), "A b\xef\xbf\xbd");
  EXPECT_THROW(CharTokenizer::encode_prompt("caf\xc3\xa9"), Error);
  EXPECT_THROW(CharTokenizer::decode(std::vector<std::int64_t>{96}), Error);
}

TEST(CausalLm, Fp32LogitsAndPerplexityMatchPyTorch) {
  const Tensor ids = read_npy(kLm + "golden_ids.npy");
  const Tensor expected = read_npy(kLm + "golden_logits.npy");
  const Tensor logits = run_sequence(lm(), fp32_runner(), ids);
  ASSERT_EQ(logits.shape(), expected.shape());
  double diff = 0, scale = 0;
  for (std::int64_t i = 0; i < expected.size(); ++i) {
    diff = std::max(diff, std::abs(logits.number(i) - expected.number(i)));
    scale = std::max(scale, std::abs(expected.number(i)));
  }
  EXPECT_LE(diff / scale, 1e-4);
  std::vector<std::int64_t> targets(static_cast<std::size_t>(ids.size()), -1);
  for (std::int64_t i = 0; i < ids.size(); ++i)
    if ((i + 1) % ids.dim(1) != 0) targets[static_cast<std::size_t>(i)] = ids.ints()[static_cast<std::size_t>(i + 1)];
  const auto metrics = nlohmann::json::parse(read_file(kLm + "metrics.json"));
  EXPECT_NEAR(perplexity(logits, targets), metrics.at("golden_perplexity").get<double>(), 1e-4);
}

TEST(CausalLm, GreedyContinuationWithCacheMatchesPyTorch) {
  const auto golden = nlohmann::json::parse(read_file(kLm + "golden_generation.json"));
  const auto prompt = CharTokenizer::encode_prompt(golden.at("prompt").get<std::string>());
  const auto expected = golden.at("tokens").get<std::vector<std::int64_t>>();
  EXPECT_EQ(generate_greedy(lm(), fp32_runner(), prompt, static_cast<std::int64_t>(expected.size())), expected);
}

// FP32 is exact up to the BLAS's summation order, which OpenBLAS's sgemm chooses by the row count
// (a 1-token step against a 12-token prefix differs in the last bits).
TEST(KvCache, Fp32StepsEqualWholePrefixToRounding) { expect_cache_exact(fp32_runner(), 9, 6, 1e-5); }

TEST(KvCache, IdealRaceitStepsEqualWholePrefixBitForBit) {
  const RaceitExecutor executor(compiled().program, compiled().graph, {.mode = device::NoiseMode::Ideal});
  expect_cache_exact(raceit_runner(executor), 9, 6);
}

// A variant graph runs on the executor's own programmed chip: the whole-context graph given as a
// variant reproduces run() bit for bit under frozen noise.
TEST(KvCache, VariantRunsOnTheSameFrozenChip) {
  const RaceitExecutor executor(compiled().program, compiled().graph, {.mode = device::NoiseMode::Frozen, .seed = 3});
  const Tensor ids = slice_batch(read_npy(kLm + "golden_ids.npy"), 0, 2);
  const auto direct = executor.run({{"ids", ids}}).at(0);
  const auto variant = executor.run_variant(lm().sequence_graph(lm().context()), {{"ids", ids}}).at(0);
  ASSERT_EQ(direct.shape(), variant.shape());
  for (std::int64_t i = 0; i < direct.size(); ++i) ASSERT_EQ(direct.floats()[i], variant.floats()[i]) << i;
}

TEST(KvCache, RefusesWhatDoesNotFit) {
  EXPECT_THROW(lm().step_graph(lm().context(), 1), Error);  // beyond the context
  auto weights = lm().weights;
  weights.erase("layer1.ffn.up.weight");
  try {
    model::build_architecture(lm().config, weights);
    ADD_FAILURE() << "a missing weight was not reported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("weight 'layer1.ffn.up.weight' [128, 256] not given"), std::string::npos) << e.what();
  }
  IncrementalDecoder decoder(lm(), fp32_runner());
  EXPECT_THROW(decoder.feed(Tensor::from_ints({1, 2}, {5, 96})), Error);  // outside the vocabulary
  EXPECT_THROW(generate_greedy(lm(), fp32_runner(), std::vector<std::int64_t>{5}, lm().context() + 1), Error);
  // A graph with a node the program does not have is not a variant of its model.
  const RaceitExecutor executor(compiled().program, compiled().graph, {.mode = device::NoiseMode::Ideal});
  model::Graph other = lm().sequence_graph(4);
  other.nodes.back().name = "not_in_the_program";
  EXPECT_THROW(executor.run_variant(other, {{"ids", Tensor::from_ints({1, 4}, {5, 6, 7, 8})}}), Error);
}

}  // namespace
}  // namespace raceit::exec

// A user's own ONNX models and .npy data end to end (models/encoder-classifier and
// models/tiny-lm, exported from PyTorch by tools/export_examples.py with reference outputs):
// calibrate from the user's files, compile, run, and the fidelity, accuracy and perplexity that
// evaluate_raceit reports, each recounted here with plain loops from the runs' outputs and from
// PyTorch's logits.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

#include "raceit/core/error.hpp"
#include "raceit/core/npy.hpp"
#include "raceit/core/source_dir.hpp"
#include "raceit/exec/compile.hpp"
#include "raceit/exec/raceit_evaluate.hpp"
#include "raceit/exec/raceit_executor.hpp"
#include "raceit/model/zoo.hpp"

namespace raceit::exec {
namespace {

const std::string kModels = raceit::source_dir() + "/models/";
const std::string kClassifier = kModels + "encoder-classifier/";
const std::string kLm = kModels + "tiny-lm/";

std::vector<Tensor> run_fp32(const model::Graph& graph, const std::map<std::string, Tensor>& inputs) {
  return Executor(graph).run(inputs);
}

std::vector<Tensor> run_raceit(const CompiledModel& c, const std::map<std::string, Tensor>& inputs, device::NoiseMode mode,
                               std::uint64_t seed) {
  return RaceitExecutor(c.program, c.graph, {.mode = mode, .seed = seed, .device = device::RramModel{}}).run(inputs);
}

// Independent recounts of the metrics: plain sums in double.
double nmse(const Tensor& y, const Tensor& ref) {
  double e = 0, r = 0;
  for (std::int64_t i = 0; i < y.size(); ++i) {
    e += (y.floats()[i] - ref.floats()[i]) * static_cast<double>(y.floats()[i] - ref.floats()[i]);
    r += static_cast<double>(ref.floats()[i]) * ref.floats()[i];
  }
  return e / r;
}

double cosine(const Tensor& y, const Tensor& ref) {
  double d = 0, a = 0, b = 0;
  for (std::int64_t i = 0; i < y.size(); ++i) {
    d += static_cast<double>(y.floats()[i]) * ref.floats()[i];
    a += static_cast<double>(y.floats()[i]) * y.floats()[i];
    b += static_cast<double>(ref.floats()[i]) * ref.floats()[i];
  }
  return d / std::sqrt(a * b);
}

std::int64_t argmax_row(const Tensor& t, std::int64_t row) {
  const std::int64_t w = t.dim(-1);
  std::int64_t best = 0;
  for (std::int64_t c = 1; c < w; ++c)
    if (t.floats()[row * w + c] > t.floats()[row * w + best]) best = c;
  return best;
}

double top1_agreement(const Tensor& y, const Tensor& ref) {
  const std::int64_t rows = y.size() / y.dim(-1);
  std::int64_t agree = 0;
  for (std::int64_t r = 0; r < rows; ++r) agree += argmax_row(y, r) == argmax_row(ref, r);
  return static_cast<double>(agree) / static_cast<double>(rows);
}

// exp of the mean negative log-likelihood of the next token, from logits [N, T, V] and ids [N, T].
double next_token_perplexity(const Tensor& logits, const Tensor& ids) {
  const std::int64_t n = ids.dim(0), t = ids.dim(1), v = logits.dim(2);
  double nll = 0;
  for (std::int64_t s = 0; s < n; ++s)
    for (std::int64_t p = 0; p + 1 < t; ++p) {
      const float* row = logits.floats().data() + (s * t + p) * v;
      double sum = 0;
      for (std::int64_t k = 0; k < v; ++k) sum += std::exp(static_cast<double>(row[k]));
      nll += std::log(sum) - row[ids.ints()[s * t + p + 1]];
    }
  return std::exp(nll / static_cast<double>(n * (t - 1)));
}

TEST(UserModel, EncoderClassifierImportMatchesPyTorch) {
  const model::Graph graph = model::load_model(kClassifier + "model.onnx");
  ASSERT_EQ(graph.inputs, (std::vector<std::string>{"values", "mask"}));
  const Tensor reference = read_npy(kClassifier + "reference_logits.npy");
  const auto out = run_fp32(graph, {{"values", read_npy(kClassifier + "values.npy")}, {"mask", read_npy(kClassifier + "mask.npy")}});
  ASSERT_EQ(out.at(0).shape(), reference.shape());
  for (std::int64_t i = 0; i < reference.size(); ++i) EXPECT_NEAR(out[0].floats()[i], reference.floats()[i], 1e-4);
}

TEST(UserModel, FidelityAndAccuracyOnTheUsersDataMatchARecount) {
  const std::string spec = kClassifier + "data.yaml";
  const CompiledModel c = compile_model({.model = kClassifier + "model.onnx", .dataset = spec, .calibration_samples = 32});
  EXPECT_EQ(c.program.calibration.dataset, spec);
  EXPECT_EQ(c.program.calibration.samples, 32);
  RaceitEvalOptions options{.dataset = spec, .mode = device::NoiseMode::Frozen, .seeds = 2, .base_seed = 5};
  const RaceitEvaluation r = evaluate_raceit(c.program, c.graph, options);

  const std::map<std::string, Tensor> inputs{{"values", read_npy(kClassifier + "values.npy")},
                                             {"mask", read_npy(kClassifier + "mask.npy")}};
  const Tensor fp32 = run_fp32(c.graph, inputs).at(0);
  const Tensor ideal = run_raceit(c, inputs, device::NoiseMode::Ideal, 5).at(0);
  ASSERT_EQ(r.fidelity.size(), 1u);
  EXPECT_EQ(r.fidelity[0].output, "logits");
  // compare() sums the float differences its own way: equal to ~1e-8 relative.
  EXPECT_NEAR(r.fidelity[0].ideal.nmse, nmse(ideal, fp32), 1e-6 * nmse(ideal, fp32));
  EXPECT_NEAR(r.fidelity[0].ideal.snr_db, -10 * std::log10(nmse(ideal, fp32)), 1e-6);
  EXPECT_NEAR(r.fidelity[0].ideal.cosine, cosine(ideal, fp32), 1e-9);
  EXPECT_DOUBLE_EQ(r.fidelity[0].ideal.top1_agreement, top1_agreement(ideal, fp32));
  double nmse_sum = 0, top1_sum = 0;
  for (std::uint64_t seed : {5, 6}) {
    const Tensor noisy = run_raceit(c, inputs, device::NoiseMode::Frozen, seed).at(0);
    nmse_sum += nmse(noisy, fp32);
    top1_sum += top1_agreement(noisy, fp32);
  }
  EXPECT_NEAR(r.fidelity[0].mean.nmse, nmse_sum / 2, 1e-6 * nmse_sum);
  EXPECT_NEAR(r.fidelity[0].mean.top1_agreement, top1_sum / 2, 1e-12);
  EXPECT_GT(r.fidelity[0].ideal.cosine, 0.9);  // quantisation alone keeps the logits' direction

  // Accuracy against the labels, recounted from PyTorch's logits.
  const Tensor reference = read_npy(kClassifier + "reference_logits.npy"), labels = read_npy(kClassifier + "labels.npy");
  std::int64_t correct = 0;
  for (std::int64_t s = 0; s < labels.size(); ++s) correct += argmax_row(reference, s) == labels.ints()[s];
  ASSERT_TRUE(r.has_accuracy);
  EXPECT_EQ(r.labelled, labels.size());
  EXPECT_DOUBLE_EQ(r.accuracy_fp32, static_cast<double>(correct) / static_cast<double>(labels.size()));
  EXPECT_FALSE(r.has_perplexity);
}

TEST(UserModel, PerplexityOfACausalLmMatchesPyTorchAndARecount) {
  const Tensor ids = read_npy(kLm + "ids.npy");
  const CompiledModel c = compile_model({.model = kLm + "model.onnx", .dataset = kLm + "ids.npy", .calibration_samples = 16});
  const RaceitEvaluation r =
      evaluate_raceit(c.program, c.graph, {.dataset = kLm + "ids.npy", .lm = true, .mode = device::NoiseMode::Ideal});
  ASSERT_TRUE(r.has_perplexity);
  EXPECT_FALSE(r.has_accuracy);
  // FP32: PyTorch's own number (its cross-entropy) and a recount from PyTorch's logits.
  std::ifstream in(kLm + "reference_perplexity.json");
  const double pytorch = nlohmann::json::parse(in).at("perplexity").get<double>();
  EXPECT_NEAR(r.perplexity_fp32, pytorch, 1e-4 * pytorch);
  EXPECT_NEAR(r.perplexity_fp32, next_token_perplexity(read_npy(kLm + "reference_logits.npy"), ids), 1e-4 * pytorch);
  const double ideal = next_token_perplexity(run_raceit(c, {{"ids", ids}}, device::NoiseMode::Ideal, 1).at(0), ids);
  EXPECT_NEAR(r.perplexity_ideal, ideal, 1e-9 * ideal);
  EXPECT_EQ(r.perplexity_mean, r.perplexity_ideal);  // no noisy runs
  EXPECT_LT(pytorch, 8.0);                          // it learned the counting (32 tokens: 32 at chance)
}

TEST(UserModel, CompilesWithoutDataAtNominalRangesWithNamedDimensions) {
  const LoadedModel m = load_for_compile({.model = kLm + "model.onnx", .dims = {{"seq", 8}}});
  EXPECT_TRUE(m.shape_only);
  EXPECT_EQ(m.sample_shapes.at("logits").shape, (Shape{1, 8, 32}));
  const LoadedModel d = load_for_compile({.model = kLm + "model.onnx", .sequence_length = 12});
  EXPECT_EQ(d.sample_shapes.at("logits").shape, (Shape{1, 12, 32}));
  const CompiledModel c = compile_model({.model = kClassifier + "model.onnx", .arch = "isaac"});
  EXPECT_EQ(c.program.calibration.samples, 0);

  auto error_of = [](const CompileRequest& request) -> std::string {
    try {
      load_for_compile(request);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_NE(error_of({.model = kLm + "model.onnx", .dims = {{"sequence", 8}}}).find("no input dimension of that name (named: batch, seq)"),
            std::string::npos);
  EXPECT_NE(error_of({.model = kLm + "model.onnx", .dims = {{"batch", 8}}}).find("set it with --batch"), std::string::npos);
  EXPECT_NE(error_of({.model = kLm + "model.onnx", .dataset = kLm + "ids.npy", .dims = {{"seq", 8}}})
                .find("sequence length comes from its data set"),
            std::string::npos);
}

}  // namespace
}  // namespace raceit::exec

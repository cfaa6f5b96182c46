#include "raceit/exec/evaluate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>

#include "raceit/core/error.hpp"
#include "raceit/model/use_lite.hpp"
#include "raceit/model/zoo.hpp"

namespace raceit::exec {

model::Graph task_graph(const std::string& model_name, const std::string& dataset, const model::DataPaths& paths) {
  // USE-lite is scored through its logistic-regression spam probe (models/use-lite/probe_*.npy).
  return model_name == "use-lite" && dataset == "spamassassin"
             ? model::build_use_lite(paths.use_lite_dir(), paths.models_dir + "/use-lite")
             : model::load_model(model_name, false, paths);
}

std::vector<std::int64_t> argmax_last_axis(const Tensor& values) {
  if (!values.is_float() || values.rank() == 0)
    throw Error(ErrorKind::InvalidArgument, "expected float values of rank ≥ 1, got " + to_string(values.shape()));
  const std::int64_t width = values.dim(-1), rows = width ? values.size() / width : 0;
  std::vector<std::int64_t> best(static_cast<std::size_t>(rows), 0);
  const auto v = values.floats();
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 1; c < width; ++c)
      if (v[r * width + c] > v[r * width + best[static_cast<std::size_t>(r)]]) best[static_cast<std::size_t>(r)] = c;
  return best;
}

NodeObserver with_progress(const model::Graph& graph, NodeObserver observer, const ProgressFn& progress, std::string stage,
                           std::int64_t samples, std::int64_t chunk_samples) {
  if (!progress || graph.nodes.empty()) return observer;
  const model::Node* last = &graph.nodes.back();
  const std::int64_t chunk = chunk_samples > 0 ? chunk_samples : std::max<std::int64_t>(samples, 1);
  auto chunks_done = std::make_shared<std::atomic<std::int64_t>>(0);
  progress(stage, 0, samples);
  return [=, stage = std::move(stage)](std::size_t c, const model::Node& node, std::span<const Tensor* const> in,
                                       std::span<const Tensor> out) {
    if (observer) observer(c, node, in, out);
    if (&node == last) progress(stage, std::min(samples, ++*chunks_done * chunk), samples);
  };
}

std::vector<std::int64_t> argmax_rows(const Tensor& logits) {
  if (logits.rank() != 2 || !logits.is_float())
    throw Error(ErrorKind::InvalidArgument, "expected float logits of shape [samples, classes], got " + to_string(logits.shape()));
  return argmax_last_axis(logits);
}

LabelScore score_labels(const Tensor& logits, const std::vector<std::int64_t>& labels, const Shape& label_shape) {
  Shape expected = label_shape;
  if (logits.is_float() && logits.rank() > 0) expected.push_back(logits.dim(-1));
  if (!logits.is_float() || logits.shape() != expected)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("labels of shape {} need logits of shape [{}, classes]; the model's first output is {}{}",
                            to_string(label_shape), fmt::join(label_shape, ", "), to_string(logits.dtype()),
                            to_string(logits.shape())));
  const auto predicted = argmax_last_axis(logits);
  LabelScore score;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) continue;
    ++score.total;
    score.correct += predicted[i] == labels[i];
  }
  return score;
}

Evaluation evaluate(const std::string& model_name, const std::string& dataset, std::int64_t limit,
                    const ExecOptions& options, const model::DataPaths& paths, const std::string& labels) {
  const model::Graph graph = task_graph(model_name, dataset, paths);
  const Samples samples = load_samples(graph, dataset, Split::Test, limit, paths, labels);
  if (samples.labels.empty())
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("{}: no labels, so no accuracy to score (give --labels FILE.npy; without --fp32, eval reports "
                            "the fidelity of RACE-IT's outputs against FP32 without labels)",
                            dataset));
  const Executor executor(graph, OpTable::fp32(), options);
  const auto start = std::chrono::steady_clock::now();
  const auto outputs = executor.run(samples.inputs);
  Evaluation e;
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const LabelScore score = score_labels(outputs.at(0), samples.labels, samples.label_shape);
  e.model = model_name;
  e.dataset = dataset;
  e.data_source = samples.source;
  e.n = score.total;
  e.correct = score.correct;
  e.accuracy = score.accuracy();
  return e;
}

}  // namespace raceit::exec

#pragma once
// Task accuracy of a model on the test split of a built-in data set (FP32 executor).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "raceit/core/progress.hpp"
#include "raceit/exec/executor.hpp"
#include "raceit/model/dataset_registry.hpp"

namespace raceit::exec {

struct Evaluation {
  std::string model;
  std::string dataset;
  std::string data_source;  // files and split the samples came from
  std::int64_t n = 0;
  std::int64_t correct = 0;
  double accuracy = 0;
  double seconds = 0;  // inference time only
};

// The graph scored on `dataset`: the model (a built-in name or an ONNX path), or for use-lite on
// spamassassin the encoder with its spam probe.
model::Graph task_graph(const std::string& model, const std::string& dataset,
                        const model::DataPaths& paths = model::default_data_paths());

// Data sets and user data (model/dataset_registry.hpp), scored here.
using model::dataset_names;
using model::load_samples;
using model::Samples;
using model::Split;

// `model` is a built-in name or an ONNX path whose inputs match the data (a registered data set,
// or user files with labels: `labels` for a .npy). limit > 0 scores the first `limit` samples.
Evaluation evaluate(const std::string& model, const std::string& dataset, std::int64_t limit = 0,
                    const ExecOptions& options = {}, const model::DataPaths& paths = model::default_data_paths(),
                    const std::string& labels = "");

// `observer` (may be empty) that also reports a run's progress: samples done, counting a chunk
// when the graph's last node has run on it. `samples` and `chunk_samples` as given to the run.
NodeObserver with_progress(const model::Graph& graph, NodeObserver observer, const ProgressFn& progress, std::string stage,
                           std::int64_t samples, std::int64_t chunk_samples);

// Index of the largest logit of each row of a [N, classes] tensor.
std::vector<std::int64_t> argmax_rows(const Tensor& logits);

// Index of the largest value along the last axis, for every other position (row-major).
std::vector<std::int64_t> argmax_last_axis(const Tensor& values);

struct LabelScore {
  std::int64_t correct = 0, total = 0;  // total: labels that count (negative labels are ignored)
  double accuracy() const { return total ? static_cast<double>(correct) / static_cast<double>(total) : 0.0; }
};

// Argmax over the last axis of `logits` against labels of shape [N] (logits [N, C]) or [N, T]
// (logits [N, T, C], per-token targets). Error(InvalidArgument) when the shapes do not fit.
LabelScore score_labels(const Tensor& logits, const std::vector<std::int64_t>& labels, const Shape& label_shape);

}  // namespace raceit::exec

#pragma once
// Task accuracy of a model on the test split of a built-in data set (FP32 executor).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "raceit/exec/executor.hpp"
#include "raceit/model/datasets.hpp"

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

// Names accepted for `dataset`.
std::vector<std::string> dataset_names();

// The graph scored on `dataset`: the model (a built-in name or an ONNX path), or for use-lite on
// spamassassin the encoder with its spam probe.
model::Graph task_graph(const std::string& model, const std::string& dataset,
                        const model::DataPaths& paths = model::default_data_paths());

enum class Split { Test, Train };

struct Samples {
  std::map<std::string, Tensor> inputs;  // by graph input name, batch first
  std::vector<std::int64_t> labels;
  std::string source;                    // files and split the samples came from
};

// Inputs for `graph` from a data set split: images as they are; emails through the tokenizer of
// the model (USE-lite's unigram pieces, or the SpamAssassin Transformer's words). limit > 0: the
// first `limit` test samples, or `limit` training samples evenly spaced over the split.
Samples load_samples(const model::Graph& graph, const std::string& dataset, Split split, std::int64_t limit = 0,
                     const model::DataPaths& paths = model::default_data_paths());

// `model` is a built-in name or an ONNX path whose input matches the data set (images, or
// token ids from the SpamAssassin word tokenizer). limit > 0 scores the first `limit` samples.
Evaluation evaluate(const std::string& model, const std::string& dataset, std::int64_t limit = 0,
                    const ExecOptions& options = {}, const model::DataPaths& paths = model::default_data_paths());

// Index of the largest logit of each row of a [N, classes] tensor.
std::vector<std::int64_t> argmax_rows(const Tensor& logits);

}  // namespace raceit::exec

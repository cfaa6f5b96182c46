#include "raceit/exec/evaluate.hpp"

#include <fmt/format.h>

#include <chrono>

#include "raceit/core/error.hpp"
#include "raceit/model/zoo.hpp"

namespace raceit::exec {

namespace {

struct Samples {
  Tensor inputs;
  std::vector<std::int64_t> labels;
  std::string source;
};

Samples load_samples(const std::string& dataset, std::int64_t limit, const model::DataPaths& paths) {
  Samples s;
  if (dataset == "digits" || dataset == "fashion-mnist") {
    auto d = dataset == "digits" ? model::load_digits_test(paths) : model::load_fashion_mnist_test(paths);
    s.inputs = std::move(d.images);
    s.labels = std::move(d.labels);
    s.source = d.source;
  } else if (dataset == "spamassassin") {
    auto d = model::load_spamassassin_test(paths);
    const model::WordTokenizer tokenizer(paths.models_dir + "/spam-transformer/vocab.txt", 128);
    s.inputs = tokenizer.encode_batch(d.texts);
    s.labels = std::move(d.labels);
    s.source = d.source + ", tokens: models/spam-transformer/vocab.txt";
  } else {
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("unknown data set '{}'; known: {}", dataset, fmt::join(dataset_names(), ", ")));
  }
  const auto n = static_cast<std::int64_t>(s.labels.size());
  if (limit > 0 && limit < n) {
    s.inputs = slice_batch(s.inputs, 0, limit);
    s.labels.resize(static_cast<std::size_t>(limit));
  }
  return s;
}

}  // namespace

std::vector<std::string> dataset_names() { return {"digits", "fashion-mnist", "spamassassin"}; }

std::vector<std::int64_t> argmax_rows(const Tensor& logits) {
  if (logits.rank() != 2 || !logits.is_float())
    throw Error(ErrorKind::InvalidArgument, "expected float logits of shape [samples, classes], got " + to_string(logits.shape()));
  const auto rows = logits.dim(0), cols = logits.dim(1);
  std::vector<std::int64_t> best(static_cast<std::size_t>(rows), 0);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 1; c < cols; ++c)
      if (logits.floats()[r * cols + c] > logits.floats()[r * cols + best[static_cast<std::size_t>(r)]])
        best[static_cast<std::size_t>(r)] = c;
  return best;
}

Evaluation evaluate(const std::string& model_name, const std::string& dataset, std::int64_t limit,
                    const ExecOptions& options, const model::DataPaths& paths) {
  const model::Graph graph = model::load_model(model_name, false, paths);
  const Samples samples = load_samples(dataset, limit, paths);
  const Executor executor(graph, OpTable::fp32(), options);
  const auto start = std::chrono::steady_clock::now();
  const auto outputs = executor.run(samples.inputs);
  Evaluation e;
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto predicted = argmax_rows(outputs.at(0));
  e.model = model_name;
  e.dataset = dataset;
  e.data_source = samples.source;
  e.n = static_cast<std::int64_t>(samples.labels.size());
  for (std::size_t i = 0; i < samples.labels.size(); ++i) e.correct += predicted[i] == samples.labels[i];
  e.accuracy = e.n ? static_cast<double>(e.correct) / static_cast<double>(e.n) : 0.0;
  return e;
}

}  // namespace raceit::exec

#include "raceit/exec/evaluate.hpp"

#include <fmt/format.h>

#include <chrono>

#include "raceit/core/error.hpp"
#include "raceit/model/use_lite.hpp"
#include "raceit/model/zoo.hpp"

namespace raceit::exec {

std::vector<std::string> dataset_names() { return {"digits", "fashion-mnist", "spamassassin"}; }

model::Graph task_graph(const std::string& model_name, const std::string& dataset, const model::DataPaths& paths) {
  // USE-lite is scored through its logistic-regression spam probe (models/use-lite/probe_*.npy).
  return model_name == "use-lite" && dataset == "spamassassin"
             ? model::build_use_lite(paths.use_lite_dir(), paths.models_dir + "/use-lite")
             : model::load_model(model_name, false, paths);
}

Samples load_samples(const model::Graph& graph, const std::string& dataset, Split split, std::int64_t limit,
                     const model::DataPaths& paths) {
  Samples s;
  const bool train = split == Split::Train;
  if (dataset == "digits" || dataset == "fashion-mnist") {
    auto d = dataset == "digits" ? (train ? model::load_digits_train(paths, limit) : model::load_digits_test(paths))
                                 : (train ? model::load_fashion_mnist_train(paths, limit) : model::load_fashion_mnist_test(paths));
    if (limit > 0 && limit < d.images.dim(0)) d.images = slice_batch(d.images, 0, limit);
    s.inputs[graph.inputs.at(0)] = std::move(d.images);
    s.labels = std::move(d.labels);
    s.source = d.source;
  } else if (dataset == "spamassassin") {
    auto d = train ? model::load_spamassassin_train(paths, limit) : model::load_spamassassin_test(paths);
    if (limit > 0 && limit < static_cast<std::int64_t>(d.texts.size())) d.texts.resize(static_cast<std::size_t>(limit));
    if (graph.inputs == std::vector<std::string>{"ids", "mask"}) {
      std::vector<std::string> texts;
      for (const auto& raw : d.texts) texts.push_back(model::email_text(raw));
      auto [ids, mask] = model::UseLiteTokenizer(paths.use_lite_dir() + "/vocab.json").encode_batch(texts);
      s.inputs = {{"ids", std::move(ids)}, {"mask", std::move(mask)}};
      s.source = d.source + ", tokens: USE-lite vocab.json";
    } else {
      const model::WordTokenizer tokenizer(paths.models_dir + "/spam-transformer/vocab.txt", 128);
      s.inputs[graph.inputs.at(0)] = tokenizer.encode_batch(d.texts);
      s.source = d.source + ", tokens: models/spam-transformer/vocab.txt";
    }
    s.labels = std::move(d.labels);
  } else {
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("unknown data set '{}'; known: {}", dataset, fmt::join(dataset_names(), ", ")));
  }
  if (limit > 0 && limit < static_cast<std::int64_t>(s.labels.size())) s.labels.resize(static_cast<std::size_t>(limit));
  return s;
}

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
  const model::Graph graph = task_graph(model_name, dataset, paths);
  const Samples samples = load_samples(graph, dataset, Split::Test, limit, paths);
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

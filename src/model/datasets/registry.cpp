#include <fmt/format.h>

#include <algorithm>

#include "entries.hpp"
#include "raceit/core/error.hpp"

namespace raceit::model {

const std::vector<DatasetEntry>& dataset_registry() {
  // One line per data set.
  static const std::vector<DatasetEntry> entries{
      digits_dataset(),
      fashion_mnist_dataset(),
      spamassassin_dataset(),
      spamassassin_text_dataset(),
  };
  return entries;
}

std::vector<std::string> dataset_names() {
  std::vector<std::string> names;
  for (const auto& e : dataset_registry()) names.push_back(e.name);
  return names;
}

std::string datasets_help() {
  std::string s;
  for (const auto& e : dataset_registry()) s += fmt::format("  {:<18} {}\n", e.name, e.description);
  s += fmt::format("  {:<18} {}\n", "FILE.npy", "your inputs, batch first (labels: --labels FILE.npy)");
  s += fmt::format("  {:<18} {}\n", "SPEC.yaml", "your .npy files per graph input, labels and splits (README)");
  return s;
}

bool is_user_data(const std::string& data) {
  for (const char* ext : {".npy", ".yaml", ".yml"}) {
    const std::string e = ext;
    if (data.size() > e.size() && data.compare(data.size() - e.size(), e.size(), e) == 0) return true;
  }
  return false;
}

Samples load_samples(const Graph& graph, const std::string& data, Split split, std::int64_t limit, const DataPaths& paths,
                     const std::string& labels) {
  if (is_user_data(data)) return load_user_samples(graph, data, split, limit, labels);
  if (!labels.empty())
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("labels {}: data set '{}' has its own labels; --labels goes with a .npy of inputs", labels, data));
  for (const auto& e : dataset_registry())
    if (e.name == data) return e.load(graph, split, limit, paths);
  throw Error(ErrorKind::InvalidArgument,
              fmt::format("unknown data set '{}'; known: {}, or a .npy/.yaml file of your own", data,
                          fmt::join(dataset_names(), ", ")));
}

std::int64_t sample_count(const Samples& samples) {
  if (samples.inputs.empty()) return 0;
  const Tensor& first = samples.inputs.begin()->second;
  return first.rank() > 0 ? first.dim(0) : 0;
}

Tensor take_rows(const Tensor& t, const std::vector<std::int64_t>& rows) {
  Shape shape = t.shape();
  const std::int64_t row = shape.at(0) ? t.size() / shape[0] : 0;
  shape[0] = static_cast<std::int64_t>(rows.size());
  Tensor out(t.dtype(), shape);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const std::int64_t from = rows[k] * row, to = static_cast<std::int64_t>(k) * row;
    if (t.is_float())
      std::copy_n(t.floats().begin() + from, row, out.floats().begin() + to);
    else
      std::copy_n(t.ints().begin() + from, row, out.ints().begin() + to);
  }
  return out;
}

Samples image_samples(ImageDataset data, const Graph& graph, Split split, std::int64_t limit) {
  if (split == Split::Test && limit > 0 && limit < data.images.dim(0)) {
    std::vector<std::int64_t> first(static_cast<std::size_t>(limit));
    for (std::int64_t k = 0; k < limit; ++k) first[static_cast<std::size_t>(k)] = k;
    data.images = take_rows(data.images, first);
    data.labels.resize(static_cast<std::size_t>(limit));
  }
  Samples s;
  s.inputs[graph.inputs.at(0)] = std::move(data.images);
  s.label_shape = {static_cast<std::int64_t>(data.labels.size())};
  s.labels = std::move(data.labels);
  s.source = std::move(data.source);
  return s;
}

}  // namespace raceit::model

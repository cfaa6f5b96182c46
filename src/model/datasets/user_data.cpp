// The user's own data: a .npy of inputs (with an optional labels .npy), or a spec.yaml naming
// the .npy of every graph input, the labels and optional train/test splits.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "entries.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/npy.hpp"
#include "raceit/core/yaml_keys.hpp"

namespace raceit::model {

namespace {

// One split's files: graph input → .npy, and the labels .npy ("" for none).
struct SplitFiles {
  std::map<std::string, std::string> inputs;
  std::map<std::string, std::string> where;  // graph input → "spec.yaml:LINE" (or the .npy itself)
  std::string labels;
};

struct Spec {
  std::string path;
  SplitFiles all, train, test;
  bool has_all = false, has_train = false, has_test = false;
};

std::string line_of(const std::string& path, const YAML::Node& node) {
  return fmt::format("{}:{}", path, node.Mark().line + 1);
}

std::string relative_to(const std::string& spec, const std::string& file) {
  const std::filesystem::path p(file);
  return p.is_absolute() ? file : (std::filesystem::path(spec).parent_path() / p).string();
}

// `inputs:` and `labels:` of a mapping; `allowed` lists every key the mapping may hold.
void read_section(const Spec& spec, const YAML::Node& node, SplitFiles& files, const std::vector<std::string>& allowed,
                  const std::string& what) {
  if (!node.IsMap()) throw Error(ErrorKind::Config, fmt::format("{}: {} must be a mapping", line_of(spec.path, node), what));
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      throw Error(ErrorKind::Config, fmt::format("{}: unknown key '{}' in {} (known: {})", line_of(spec.path, item.first), key,
                                                 what, fmt::join(allowed, ", ")));
  }
  if (const YAML::Node inputs = node["inputs"]) {
    if (!inputs.IsMap())
      throw Error(ErrorKind::Config,
                  fmt::format("{}: 'inputs' must map each graph input to a .npy file", line_of(spec.path, inputs)));
    for (const auto& item : inputs) {
      if (!item.second.IsScalar())
        throw Error(ErrorKind::Config, fmt::format("{}: input '{}' must name one .npy file", line_of(spec.path, item.second),
                                                   item.first.as<std::string>()));
      const std::string name = item.first.as<std::string>();
      files.inputs[name] = relative_to(spec.path, item.second.as<std::string>());
      files.where[name] = line_of(spec.path, item.first);
    }
  }
  if (const YAML::Node labels = node["labels"]) {
    if (!labels.IsScalar())
      throw Error(ErrorKind::Config, fmt::format("{}: 'labels' must name one .npy file", line_of(spec.path, labels)));
    files.labels = relative_to(spec.path, labels.as<std::string>());
  }
}

Spec read_spec(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw Error(ErrorKind::Io, fmt::format("{}: no such data spec", path));
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::Config, fmt::format("{}:{}: malformed YAML: {}", path, e.mark.line + 1, e.msg));
  }
  Spec spec;
  spec.path = path;
  if (!root.IsMap())
    throw Error(ErrorKind::Config, fmt::format("{}: expected a mapping with inputs, labels, train, test", path));
  reject_repeated_keys(root, path);
  read_section(spec, root, spec.all, {"inputs", "labels", "train", "test"}, "the data spec");
  spec.has_all = !spec.all.inputs.empty();
  if (const YAML::Node train = root["train"]) {
    read_section(spec, train, spec.train, {"inputs", "labels"}, "'train'");
    spec.has_train = true;
  }
  if (const YAML::Node test = root["test"]) {
    read_section(spec, test, spec.test, {"inputs", "labels"}, "'test'");
    spec.has_test = true;
  }
  if (!spec.has_all && !spec.has_train && !spec.has_test)
    throw Error(ErrorKind::Config, fmt::format("{}: no 'inputs' (graph input: file.npy), nor a train or test split", path));
  for (const auto* s : {&spec.train, &spec.test})
    if ((s == &spec.train ? spec.has_train : spec.has_test) && s->inputs.empty())
      throw Error(ErrorKind::Config, fmt::format("{}: the {} split names no inputs", path, s == &spec.train ? "train" : "test"));
  return spec;
}

// The split a run reads: its own section, else the top-level files, else the other split.
const SplitFiles& split_files(const Spec& spec, Split split, std::string& name) {
  const bool train = split == Split::Train;
  if (train ? spec.has_train : spec.has_test) {
    name = train ? "train" : "test";
    return train ? spec.train : spec.test;
  }
  if (spec.has_all) {
    name = "";
    return spec.all;
  }
  name = train ? "test" : "train";
  return train ? spec.test : spec.train;
}

bool integer_dtype(DType d) { return d != DType::Float32; }

// Checks one input against the graph's declaration and converts int64 ↔ bool as the graph asks.
Tensor checked_input(const Graph& graph, const std::string& name, Tensor t, const std::string& file, const std::string& where) {
  const ValueInfo& info = graph.values.at(name);
  bool fits = integer_dtype(info.dtype) == integer_dtype(t.dtype()) && t.rank() == static_cast<std::int64_t>(info.shape.size()) &&
              t.rank() > 0 && t.shape()[0] > 0;
  for (std::size_t d = 1; fits && d < info.shape.size(); ++d) fits = info.shape[d] < 0 || info.shape[d] == t.shape()[d];
  if (!fits)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("{}: graph input '{}' expects {}{} (batch first; ? = any size), {} holds {}{}", where, name,
                            to_string(info.dtype), to_string(info.shape), file, to_string(t.dtype()), to_string(t.shape())));
  if (t.is_float()) {
    const auto values = t.floats();
    const auto bad = std::find_if(values.begin(), values.end(), [](float v) { return !std::isfinite(v); });
    if (bad != values.end()) {
      const std::int64_t index = bad - values.begin(), per_sample = t.size() / t.dim(0);
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("{}: graph input '{}': {} holds {} at sample {} (element {} of it); inputs must be finite",
                              where, name, file, *bad, index / per_sample, index % per_sample));
    }
  }
  return t.dtype() == info.dtype ? t : t.cast(info.dtype);
}

// Labels name a class of the first output's last axis, or are negative (a sample or token left unscored).
void check_label_range(const Graph& graph, const Tensor& labels, const std::string& file) {
  const Shape& out = graph.values.at(graph.outputs.at(0)).shape;
  const std::int64_t classes = out.empty() ? -1 : out.back();
  if (classes <= 0) return;  // a dynamic class axis: score_labels checks the logits' shape
  const auto values = labels.ints();
  const auto bad = std::find_if(values.begin(), values.end(), [&](std::int64_t v) { return v >= classes; });
  if (bad != values.end())
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("{}: label {} at position {} is not a class of output '{}' {}: labels are 0…{}, or negative "
                            "to leave a sample unscored",
                            file, *bad, bad - values.begin(), graph.outputs[0], to_string(out), classes - 1));
}

std::vector<std::int64_t> chosen_rows(std::int64_t n, Split split, std::int64_t limit) {
  const std::int64_t count = limit > 0 && limit < n ? limit : n;
  std::vector<std::int64_t> rows;
  for (std::int64_t k = 0; k < count; ++k) rows.push_back(split == Split::Train ? k * n / count : k);
  return rows;
}

Samples read_files(const Graph& graph, const SplitFiles& files, Split split, std::int64_t limit, const std::string& what) {
  for (const auto& [name, file] : files.inputs)
    if (std::find(graph.inputs.begin(), graph.inputs.end(), name) == graph.inputs.end())
      throw Error(ErrorKind::InvalidArgument, fmt::format("{}: '{}' is not an input of model {} (inputs: {})",
                                                          files.where.at(name), name, graph.source, fmt::join(graph.inputs, ", ")));
  Samples s;
  std::int64_t n = -1;
  std::string first_file;
  for (const auto& name : graph.inputs) {
    const auto it = files.inputs.find(name);
    if (it == files.inputs.end())
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("{}: no file for graph input '{}' ({}{})", what, name, to_string(graph.values.at(name).dtype),
                              to_string(graph.values.at(name).shape)));
    Tensor t = checked_input(graph, name, read_npy(it->second), it->second, files.where.at(name));
    if (n >= 0 && t.dim(0) != n)
      throw Error(ErrorKind::InvalidArgument, fmt::format("{}: graph input '{}': {} holds {} samples, {} holds {}",
                                                          files.where.at(name), name, it->second, t.dim(0), first_file, n));
    n = t.dim(0);
    first_file = it->second;
    s.inputs[name] = std::move(t);
  }
  if (!files.labels.empty()) {
    const Tensor labels = read_npy(files.labels);
    if (labels.is_float() || labels.rank() < 1 || labels.rank() > 2 || labels.dim(0) != n)
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("{}: labels must be integers [N] or [N, T] with N = {} samples of {}; it holds {}{}",
                              files.labels, n, first_file, to_string(labels.dtype()), to_string(labels.shape())));
    check_label_range(graph, labels, files.labels);
    const Tensor chosen = take_rows(labels, chosen_rows(n, split, limit));
    s.labels.assign(chosen.ints().begin(), chosen.ints().end());
    s.label_shape = chosen.shape();
  }
  const auto rows = chosen_rows(n, split, limit);
  if (static_cast<std::int64_t>(rows.size()) != n)
    for (auto& [name, t] : s.inputs) t = take_rows(t, rows);
  s.source = fmt::format("{}: {} of {} samples{}", what, rows.size(), n,
                         files.labels.empty() ? "" : fmt::format(", labels {}", files.labels));
  return s;
}

}  // namespace

std::map<std::string, Tensor> read_inputs(const Graph& graph, const std::map<std::string, std::string>& files) {
  SplitFiles split;
  split.inputs = files;
  for (const auto& [name, file] : files) split.where[name] = file;
  return read_files(graph, split, Split::Test, 0, "--input").inputs;
}

Samples load_user_samples(const Graph& graph, const std::string& data, Split split, std::int64_t limit,
                          const std::string& labels) {
  const bool npy = data.size() > 4 && data.compare(data.size() - 4, 4, ".npy") == 0;
  if (!npy) {
    if (!labels.empty())
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("labels {}: a data spec names its labels itself ({})", labels, data));
    const Spec spec = read_spec(data);
    std::string split_name;
    const SplitFiles& files = split_files(spec, split, split_name);
    return read_files(graph, files, split, limit, split_name.empty() ? data : fmt::format("{} ({} split)", data, split_name));
  }
  if (graph.inputs.size() != 1)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("{}: model {} has {} inputs ({}): give a spec.yaml naming the .npy of each", data, graph.source,
                            graph.inputs.size(), fmt::join(graph.inputs, ", ")));
  const SplitFiles files{.inputs = {{graph.inputs[0], data}}, .where = {{graph.inputs[0], data}}, .labels = labels};
  return read_files(graph, files, split, limit, data);
}

}  // namespace raceit::model

#pragma once
// Where a model's inputs come from: a registered data set by name (one file per data set under
// src/model/datasets/, one line in registry.cpp adds it), or the user's own files by path:
//   X.npy      batch-first inputs of a single-input model (float32, or int64 token ids), with an
//              optional labels .npy (int64 [N], or [N, T] for per-token targets);
//   spec.yaml  which .npy feeds which graph input, the labels, and optional train/test splits:
//                inputs: {values: x.npy, mask: mask.npy}   # graph input -> file (relative paths
//                labels: y.npy                              # are relative to the spec)
//                train: {inputs: {...}, labels: ...}       # optional; calibration reads it
//                test: {inputs: {...}, labels: ...}         # optional; evaluation reads it
// Every input is checked against the graph (name, dtype, rank, fixed dimensions, one batch size)
// before anything runs; errors name the graph input, the expected and given shape and the file.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "raceit/core/tensor.hpp"
#include "raceit/model/datasets.hpp"
#include "raceit/model/graph.hpp"

namespace raceit::model {

enum class Split { Test, Train };

struct Samples {
  std::map<std::string, Tensor> inputs;  // by graph input name, batch first
  std::vector<std::int64_t> labels;      // row-major [N] or [N, T]; empty: no labels
  Shape label_shape;                     // [N] or [N, T]; empty without labels
  std::string source;                    // files and split the samples came from
};

struct DatasetEntry {
  std::string name;
  std::string description;  // one line, for help texts
  // Inputs for `graph` from a split; limit > 0: the first `limit` test samples, or `limit`
  // training samples evenly spaced over the split.
  std::function<Samples(const Graph& graph, Split split, std::int64_t limit, const DataPaths& paths)> load;
};

// The registered data sets, in a stable order.
const std::vector<DatasetEntry>& dataset_registry();
std::vector<std::string> dataset_names();
// "  name   description" lines for help texts.
std::string datasets_help();

// Whether `data` names user files (.npy, .yaml, .yml) rather than a registered data set.
bool is_user_data(const std::string& data);

// Samples of a registered data set or of user files (see above); `labels` is a labels .npy for a
// user .npy ("" for none; a spec names its own). Error(InvalidArgument) for an unknown name,
// Error(Parse)/Error(Config) for bad files, Error(InvalidArgument) for data that does not fit.
Samples load_samples(const Graph& graph, const std::string& data, Split split, std::int64_t limit = 0,
                     const DataPaths& paths = default_data_paths(), const std::string& labels = "");

// The graph inputs from .npy files (graph input → file), every graph input given, checked as above.
std::map<std::string, Tensor> read_inputs(const Graph& graph, const std::map<std::string, std::string>& files);

// Number of samples (the batch size of the inputs).
std::int64_t sample_count(const Samples& samples);

}  // namespace raceit::model

#pragma once
// The registered data sets, one per file; registry.cpp lists them.
#include "raceit/model/dataset_registry.hpp"

namespace raceit::model {

DatasetEntry digits_dataset();
DatasetEntry fashion_mnist_dataset();
DatasetEntry spamassassin_dataset();
DatasetEntry spamassassin_text_dataset();

// The given rows (first axis) of a batch-first tensor, in that order.
Tensor take_rows(const Tensor& t, const std::vector<std::int64_t>& rows);

// Samples of an image data set: its images feed the graph's first input.
Samples image_samples(ImageDataset data, const Graph& graph, Split split, std::int64_t limit);

// User files (.npy or spec.yaml): user_data.cpp.
Samples load_user_samples(const Graph& graph, const std::string& data, Split split, std::int64_t limit,
                          const std::string& labels);

}  // namespace raceit::model

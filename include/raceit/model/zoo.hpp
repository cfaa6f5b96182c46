#pragma once
// Models by name: the trained ONNX models shipped under models/, the trained causal language
// models (model/causal_lm.hpp), the built-in architectures and the pretrained USE-lite encoder;
// anything else is read as an ONNX file path.
#include <map>
#include <string>
#include <vector>

#include "raceit/model/datasets.hpp"
#include "raceit/model/graph.hpp"

namespace raceit::model {

struct ZooEntry {
  std::string name;
  std::string description;
};

std::vector<ZooEntry> model_zoo();

// A built-in name or an ONNX file path. Architectures are shape-only unless with_weights; a
// text architecture's sequence length is `sequence_length` when > 0 (else its default, 128; a
// causal language model's: its context). An ONNX file's dynamic input dimensions after the batch
// are fixed at import: by name from `dims`, the others to `sequence_length` when > 0
// (onnx_import.hpp ImportOptions).
Graph load_model(const std::string& name_or_path, bool with_weights = false, const DataPaths& paths = default_data_paths(),
                 std::int64_t sequence_length = 0, const std::map<std::string, std::int64_t>& dims = {});

}  // namespace raceit::model

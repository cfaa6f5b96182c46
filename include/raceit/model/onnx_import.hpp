#pragma once
// ONNX import (libonnx protobuf definitions). Parses and checks the model, converts every
// supported operator, folds constants and shape arithmetic, and recognises semantic operators
// (weight matmul, data-dependent matmul, GELU, LayerNorm; see passes.hpp).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "raceit/model/graph.hpp"

namespace raceit::model {

// Input dimensions fixed before the nodes are converted, so that shape arithmetic on them folds at
// import (an `If` on a sequence length takes its branch). Dimensions fixed later (exec's
// set_input_dims) fold too, but an `If` cannot wait for them.
struct ImportOptions {
  std::map<std::string, std::int64_t> dims = {};  // a dynamic input dimension by its name (dim_param)
  std::int64_t sequence_length = 0;           // every other dynamic dimension after the batch; 0: none
};

// Errors name the file and, for a bad or unsupported node, its name and operator type.
Graph import_onnx(const std::string& path, const ImportOptions& options = {});
// The same from a serialised ModelProto; `source` names it in errors.
Graph import_onnx_bytes(std::string_view bytes, const std::string& source, const ImportOptions& options = {});
// Reads a serialised TensorProto file (ONNX test data's input_*.pb / output_*.pb).
Tensor read_onnx_tensor(const std::string& path);

}  // namespace raceit::model

#pragma once
// ONNX import (libonnx protobuf definitions). Parses and checks the model, converts every
// supported operator, folds constants and shape arithmetic, and recognises semantic operators
// (weight matmul, data-dependent matmul, GELU, LayerNorm; see passes.hpp).
#include <string>
#include <string_view>

#include "raceit/model/graph.hpp"

namespace raceit::model {

// Errors name the file and, for a bad or unsupported node, its name and operator type.
Graph import_onnx(const std::string& path);
// The same from a serialised ModelProto; `source` names it in errors.
Graph import_onnx_bytes(std::string_view bytes, const std::string& source);
// Reads a serialised TensorProto file (ONNX test data's input_*.pb / output_*.pb).
Tensor read_onnx_tensor(const std::string& path);

}  // namespace raceit::model

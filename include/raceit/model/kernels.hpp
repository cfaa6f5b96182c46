#pragma once
// Reference semantics of every IR operator (ONNX semantics for the ONNX-named ones), single
// threaded and unoptimised. The importer folds constants with them; the FP32 executor uses them
// for everything it does not replace with a faster implementation.
#include <span>
#include <vector>

#include "raceit/core/tensor.hpp"
#include "raceit/model/graph.hpp"

namespace raceit::model {

// Evaluates `node` on `inputs` (one pointer per node input, nullptr for an omitted optional
// one). Throws Error(InvalidArgument) naming the node on shapes or types the operator rejects.
std::vector<Tensor> evaluate_node(const Node& node, std::span<const Tensor* const> inputs);

// Output shape of a matrix product in numpy matmul semantics (broadcast batch dimensions).
Shape matmul_shape(const Shape& a, const Shape& b, const Node& node);
// Output shape of numpy broadcasting of a and b.
Shape broadcast_shape(const Shape& a, const Shape& b, const Node& node);

// The dimensions the Shape operator returns (its start/end attributes applied to `shape`).
std::vector<std::int64_t> shape_operator_dims(const Node& node, const Shape& shape);

// Exact GELU, 0.5·x·(1 + erf(x/√2)).
float gelu(float x);

}  // namespace raceit::model

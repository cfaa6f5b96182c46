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

// Shape rules, shared by the kernels and shape inference (model/shape_inference.hpp). Each throws
// Error(InvalidArgument) naming the node when the operator rejects its input shapes or attributes.
std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank, const Node& node);
DType cast_target(const Node& node);                                // Cast's `to`
bool reduce_is_noop(const Node& node);                              // no axes and noop_with_empty_axes
std::vector<bool> reduced_axes(const Node& node, const Shape& x);   // per axis of x
Shape reduce_shape(const Node& node, const Shape& x);               // keepdims applied
std::vector<std::int64_t> transpose_perm(const Node& node, std::int64_t rank);  // normalised, checked
Shape gather_shape(const Node& node, const Shape& data, const Shape& indices);
Shape concat_shape(const Node& node, std::span<const Shape* const> inputs);
std::vector<std::int64_t> split_sizes(const Node& node, const Shape& x);  // one per output
// Slice's output shape; inputs[1…4] (starts, ends, axes, steps) must hold data.
Shape slice_shape(const Node& node, const Shape& x, std::span<const Tensor* const> inputs);
Shape reshape_shape(const Node& node, const Shape& x, std::vector<std::int64_t> target);
Shape unsqueeze_shape(const Node& node, const Shape& x);
Shape squeeze_shape(const Node& node, const Shape& x);
Shape conv_shape(const Node& node, const Shape& x, const Shape& w);

// MaxPool/AveragePool output [N, C, OH, OW]; Im2Col output [N, OH·OW, C·kh·kw] (the window
// attributes checked); Range's element count.
Shape pool_shape(const Node& node, const Shape& x);
Shape im2col_shape(const Node& node, const Shape& x);
std::int64_t range_length(const Node& node, const Tensor& start, const Tensor& limit, const Tensor& delta);

// The dimensions the Shape operator returns (its start/end attributes applied to `shape`).
std::vector<std::int64_t> shape_operator_dims(const Node& node, const Shape& shape);

// Exact GELU, 0.5·x·(1 + erf(x/√2)).
float gelu(float x);

}  // namespace raceit::model

#pragma once
// Shapes of every value, by abstract interpretation: every operator has a shape rule (the same
// functions the reference kernels use, model/kernels.hpp), so no kernel runs on stand-in data and
// the cost is linear in the number of operators whatever the sequence length. Nodes whose inputs
// are all known (weights, constants, shape arithmetic) and whose outputs are small are also
// evaluated, so shape arguments computed from constants are known. Shape-only graphs need no
// weight data.
#include <map>
#include <optional>
#include <string>

#include "raceit/model/graph.hpp"

namespace raceit::model {

struct ResolvedValue {
  DType dtype = DType::Float32;
  Shape shape;
  std::optional<Tensor> value;  // set when the value does not depend on the graph inputs' data
};

// Concrete shapes for the given input shapes (dynamic input dims must be given concretely).
// Errors name the node whose shapes do not fit.
std::map<std::string, ResolvedValue> resolve_shapes(const Graph& graph, const std::map<std::string, Shape>& input_shapes);

// Shapes of every value for one sample: each input's dynamic first dimension is 1 (the batch),
// any other dynamic dimension `sequence_length`.
std::map<std::string, ResolvedValue> resolve_sample_shapes(const Graph& graph, std::int64_t sequence_length);

// Input shapes with every dynamic dimension set to `dynamic_size`.
std::map<std::string, Shape> concrete_input_shapes(const Graph& graph, std::int64_t dynamic_size);

// Fills graph.values for every node output. A dimension is dynamic (-1) when it changes with the
// inputs' dynamic dimensions (found by resolving with two different sizes).
void infer_value_info(Graph& graph);

}  // namespace raceit::model

#pragma once
// Shapes of every value, by abstract interpretation: nodes whose inputs are all known (weights,
// constants, shape arithmetic) are evaluated; the others get only a shape, from a shape rule
// (matmuls, Conv, Gather) or by running the reference kernel on zero-filled stand-ins (every
// other operator is cheap next to a matmul). Shape-only graphs need no weight data.
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

#pragma once
// Graph rewrites run by the importers: constant folding, semantic-operator recognition and dead
// node removal. Each keeps the graph valid and topologically ordered.
#include <string>

#include "raceit/model/graph.hpp"

namespace raceit::model {

// Adds (or replaces) a constant weight.
void add_constant(Graph& graph, const std::string& name, Tensor value);

// Evaluates every node whose inputs are all constants and turns its outputs into constants.
// With value info present, also folds Shape of statically shaped values and Gather of static
// dimensions out of a Shape (the shape arithmetic exporters emit around a dynamic batch).
void fold_constants(Graph& graph);

// Rewrites exported subgraphs into semantic operators:
//   MatMul/Gemm with a constant 2-D right operand (+ a following Add of a constant bias) → WeightMatMul
//   x·0.5·(1 + erf(x/√2)) in its exported forms → Gelu
//   ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div (·γ + β) over trailing axes → LayerNorm
// Needs value info (run infer_value_info first).
void recognise_semantic_operators(Graph& graph);

// Drops nodes whose outputs nothing reads and weights no node reads.
void remove_dead_nodes(Graph& graph);

// The importers' pipeline after building the raw graph: fold, infer shapes, fold static shape
// arithmetic, recognise semantic operators, remove dead nodes, infer shapes, validate.
void simplify(Graph& graph);

}  // namespace raceit::model

#pragma once
// Graph rewrites run by the importers: constant folding, semantic-operator recognition and dead
// node removal. Each keeps the graph valid and topologically ordered.
#include <string>

#include "raceit/model/graph.hpp"

namespace raceit::model {

// Adds a weight, as a learned parameter or as a constant of the computation; replacing an
// existing weight's value keeps its kind.
void add_constant(Graph& graph, const std::string& name, Tensor value, bool parameter = false);

// Evaluates every node whose inputs are all constants and turns its outputs into constants.
// With value info present, also folds Shape of statically shaped values and Gather of static
// dimensions out of a Shape (the shape arithmetic exporters emit around a dynamic batch).
void fold_constants(Graph& graph);

// Needs value info: Softmax/LogSoftmax of opset < 13 over the last axis become the last-axis
// operators; a Cast to the type its input has is bypassed.
void canonicalise(Graph& graph);

// Needs value info: Conv with weights (with data or shape-only) becomes Im2Col, a WeightMatMul
// with the weight as a [C·kh·kw, M] matrix, and a Transpose/Reshape back to NCHW, so that
// convolutions run on crossbars. A grouped (or depthwise) Conv packs as many groups as fit 128
// crossbar rows into one block-diagonal matrix (zeros off the blocks); each block is its own
// WeightMatMul on its slice of the patches (Split), joined by a Concat.
void lower_convolutions(Graph& graph);

// Rewrites exported subgraphs into semantic operators:
//   MatMul/Gemm with a constant 2-D right operand (+ a following Add of a constant bias) → WeightMatMul
//   x·0.5·(1 + erf(x/√2)) in its exported forms → Gelu
//   0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) → Gelu{approximate="tanh"}
//   x·sigmoid(x) → Silu
//   ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div (·γ + β) over trailing axes → LayerNorm
//   x·1/√(mean(x²) + ε) (·γ) over trailing axes → RmsNorm
//   BatchNorm after a Conv or 2-D WeightMatMul → folded into its weights and bias
// Needs value info (run infer_value_info first).
void recognise_semantic_operators(Graph& graph);

// Drops nodes whose outputs nothing reads and weights no node reads.
void remove_dead_nodes(Graph& graph);

// The importers' pipeline after building the raw graph: fold, infer shapes, fold static shape
// arithmetic, canonicalise, recognise semantic operators, lower convolutions, remove dead nodes,
// infer shapes, validate.
void simplify(Graph& graph);

}  // namespace raceit::model

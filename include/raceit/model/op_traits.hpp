#pragma once
// Every IR operator's traits in one table, indexed by OpType: its name, how the RACE-IT compiler
// classes it, its arity, whether it is element-wise, its FP32 reference kernel, its GPU cost rule
// and its lowering. op_traits.cpp checks at compile time that every operator has a complete row,
// so adding an operator means adding its row (and, for an ONNX operator, its importer entry).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "raceit/model/graph.hpp"

namespace raceit::model {

// The FP32 reference semantics (ONNX semantics for the ONNX-named operators): one pointer per
// node input (nullptr for an omitted optional one) → the outputs.
using Kernel = std::vector<Tensor> (*)(const Node& node, std::span<const Tensor* const> inputs);

// Operations a GPU spends per output element (matmuls: 2 per multiply-accumulate).
enum class GpuCost : std::uint8_t {
  Free,            // data movement: no kernel
  MatMul,          // 2 per MAC
  Simple,          // 1: add, multiply, compare, select
  Transcendental,  // 8: an SFU evaluation plus a few FMAs
  Softmax,         // 5: max, subtract, exp, sum, scale
  Norm,            // 8: mean, variance, rsqrt, scale, shift
};
double gpu_ops_per_output(GpuCost cost);

// What the RACE-IT compiler maps an operator onto (before mapping options move it to FP32).
enum class Lowering : std::uint8_t {
  None,          // data movement: no hardware
  Crossbar,      // weights in RRAM crossbars
  DataMatMul,    // 2-variable ACAM products (or crossbar writes)
  AcamFunction,  // a 1-variable Compute-ACAM evaluating the node's function expression
  AcamSoftmax,   // exp and reciprocal ACAMs plus products
  AcamNorm,      // rsqrt ACAM plus products
  Digital,       // digital adders / FP32 units
};

// The 1-variable function an AcamFunction node computes, as an acam expression in x ("gelu",
// "x^(2)", "max(x,0)"), or "" when its parameters are not constants of the graph.
using FunctionExpression = std::string (*)(const Node& node, const Graph& graph);

struct OpTraits {
  OpType op;
  const char* name;
  OpClass op_class;
  std::uint8_t min_inputs, max_inputs;  // kVariadic: any number
  bool elementwise;                     // each output element depends on the same-index input elements
  Kernel kernel;
  GpuCost gpu_cost;
  Lowering lowering;
  FunctionExpression function;  // set exactly for Lowering::AcamFunction
};
inline constexpr std::uint8_t kVariadic = 255;

inline constexpr std::size_t kOpTypeCount = static_cast<std::size_t>(OpType::OpTypeCount);

// The row of `op`; every OpType below OpTypeCount has one.
const OpTraits& op_traits(OpType op);
// All rows, in OpType order (completeness harnesses iterate them).
std::span<const OpTraits> all_op_traits();

}  // namespace raceit::model

#include "raceit/model/op_traits.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <string_view>

#include "op_kernels.hpp"
#include "raceit/core/error.hpp"

namespace raceit::model {

namespace {

// A scalar float constant's value, or NaN.
double scalar_constant(const Graph& graph, const std::string& name) {
  const auto it = graph.initializers.find(name);
  return it != graph.initializers.end() && it->second.is_float() && it->second.size() == 1 ? it->second.number(0)
                                                                                          : std::nan("");
}

std::string number(double v) { return fmt::format("{:.17g}", v); }

template <std::size_t N>
struct Fixed {  // a function without parameters, by its acam library name or expression
  char text[N];
  constexpr Fixed(const char (&s)[N]) {  // NOLINT: implicit, for template arguments
    for (std::size_t i = 0; i < N; ++i) text[i] = s[i];
  }
};
template <Fixed F>
std::string fixed(const Node&, const Graph&) {
  return F.text;
}

std::string gelu_expression(const Node& node, const Graph&) {
  const bool tanh = node.attributes.has("approximate") &&
                    node.attributes.all().at("approximate") == AttributeValue(std::string("tanh"));
  return tanh ? "0.5*x*(1+tanh(0.79788456080286536*(x+0.044715*x*x*x)))" : "gelu";
}

std::string pow_expression(const Node& node, const Graph& graph) {
  const double p = node.inputs.size() == 2 ? scalar_constant(graph, node.inputs[1]) : std::nan("");
  return std::isfinite(p) ? fmt::format("x^({})", number(p)) : "";
}

// Bounds as attributes (opset < 11) or constant inputs; absent ones are open.
std::string clip_expression(const Node& node, const Graph& graph) {
  auto bound = [&](const char* attribute, std::size_t input) {
    if (node.attributes.has(attribute)) return node.attributes.get_float(attribute, 0);
    if (node.inputs.size() > input && !node.inputs[input].empty()) return scalar_constant(graph, node.inputs[input]);
    return std::numeric_limits<double>::infinity() * (input == 1 ? -1 : 1);
  };
  const double lo = bound("min", 1), hi = bound("max", 2);
  if (std::isnan(lo) || std::isnan(hi)) return "";
  std::string f = "x";
  if (std::isfinite(lo)) f = fmt::format("max({},{})", f, number(lo));
  if (std::isfinite(hi)) f = fmt::format("min({},{})", f, number(hi));
  return f;
}

std::string hard_sigmoid_expression(const Node& node, const Graph&) {
  return fmt::format("max(0,min(1,{}*x+{}))", number(node.attributes.get_float("alpha", 0.2)),
                     number(node.attributes.get_float("beta", 0.5)));
}

using C = OpClass;
using G = GpuCost;
using L = Lowering;
constexpr std::uint8_t V = kVariadic;

constexpr std::array<OpTraits, kOpTypeCount> kTable{{
    // op, name, class, inputs min/max, element-wise, kernel, GPU cost, lowering, ACAM function
    {OpType::WeightMatMul, "WeightMatMul", C::WeightMatMul, 2, 3, false, kernels::weight_matmul, G::MatMul, L::Crossbar, nullptr},
    {OpType::DataMatMul, "DataMatMul", C::DataMatMul, 2, 2, false, kernels::data_matmul, G::MatMul, L::DataMatMul, nullptr},
    {OpType::Gelu, "Gelu", C::Function, 1, 1, true, kernels::gelu, G::Transcendental, L::AcamFunction, gelu_expression},
    {OpType::Silu, "Silu", C::Function, 1, 1, true, kernels::silu, G::Transcendental, L::AcamFunction, fixed<"silu">},
    {OpType::LayerNorm, "LayerNorm", C::Function, 2, 3, false, kernels::norm, G::Norm, L::AcamNorm, nullptr},
    {OpType::RmsNorm, "RmsNorm", C::Function, 2, 3, false, kernels::norm, G::Norm, L::AcamNorm, nullptr},
    {OpType::Softmax, "Softmax", C::Function, 1, 1, false, kernels::softmax, G::Softmax, L::AcamSoftmax, nullptr},
    {OpType::Add, "Add", C::Arithmetic, 2, 2, true, kernels::add, G::Simple, L::Digital, nullptr},
    {OpType::Sub, "Sub", C::Arithmetic, 2, 2, true, kernels::sub, G::Simple, L::Digital, nullptr},
    {OpType::Mul, "Mul", C::Arithmetic, 2, 2, true, kernels::mul, G::Simple, L::Digital, nullptr},
    {OpType::Div, "Div", C::Arithmetic, 2, 2, true, kernels::div, G::Simple, L::Digital, nullptr},
    {OpType::Pow, "Pow", C::Function, 2, 2, true, kernels::pow, G::Simple, L::AcamFunction, pow_expression},
    {OpType::Equal, "Equal", C::Arithmetic, 2, 2, true, kernels::equal, G::Simple, L::Digital, nullptr},
    {OpType::Less, "Less", C::Arithmetic, 2, 2, true, kernels::less, G::Simple, L::Digital, nullptr},
    {OpType::Greater, "Greater", C::Arithmetic, 2, 2, true, kernels::greater, G::Simple, L::Digital, nullptr},
    {OpType::Where, "Where", C::Arithmetic, 3, 3, true, kernels::where, G::Simple, L::Digital, nullptr},
    {OpType::Sqrt, "Sqrt", C::Function, 1, 1, true, kernels::sqrt, G::Simple, L::AcamFunction, fixed<"sqrt">},
    {OpType::Reciprocal, "Reciprocal", C::Function, 1, 1, true, kernels::reciprocal, G::Simple, L::AcamFunction, fixed<"reciprocal">},
    {OpType::Exp, "Exp", C::Function, 1, 1, true, kernels::exp, G::Transcendental, L::AcamFunction, fixed<"exp">},
    {OpType::Erf, "Erf", C::Function, 1, 1, true, kernels::erf, G::Transcendental, L::AcamFunction, fixed<"erf(x)">},
    {OpType::Relu, "Relu", C::Function, 1, 1, true, kernels::relu, G::Simple, L::AcamFunction, fixed<"relu">},
    {OpType::Tanh, "Tanh", C::Function, 1, 1, true, kernels::tanh, G::Transcendental, L::AcamFunction, fixed<"tanh">},
    {OpType::Sigmoid, "Sigmoid", C::Function, 1, 1, true, kernels::sigmoid, G::Transcendental, L::AcamFunction, fixed<"sigmoid">},
    {OpType::Neg, "Neg", C::Arithmetic, 1, 1, true, kernels::neg, G::Simple, L::Digital, nullptr},
    {OpType::Not, "Not", C::Arithmetic, 1, 1, true, kernels::logical_not, G::Simple, L::Digital, nullptr},
    {OpType::Cast, "Cast", C::DataMovement, 1, 1, true, kernels::cast, G::Free, L::None, nullptr},
    {OpType::Clip, "Clip", C::Function, 1, 3, true, kernels::clip, G::Simple, L::AcamFunction, clip_expression},
    {OpType::ReduceMean, "ReduceMean", C::Arithmetic, 1, 1, false, kernels::reduce, G::Simple, L::Digital, nullptr},
    {OpType::ReduceSum, "ReduceSum", C::Arithmetic, 1, 1, false, kernels::reduce, G::Simple, L::Digital, nullptr},
    {OpType::ReduceMax, "ReduceMax", C::Arithmetic, 1, 1, false, kernels::reduce, G::Simple, L::Digital, nullptr},
    {OpType::Reshape, "Reshape", C::DataMovement, 2, 2, false, kernels::reshape, G::Free, L::None, nullptr},
    {OpType::Transpose, "Transpose", C::DataMovement, 1, 1, false, kernels::transpose, G::Free, L::None, nullptr},
    {OpType::Split, "Split", C::DataMovement, 1, 1, false, kernels::split, G::Free, L::None, nullptr},
    {OpType::Concat, "Concat", C::DataMovement, 1, V, false, kernels::concat, G::Free, L::None, nullptr},
    {OpType::Gather, "Gather", C::DataMovement, 2, 2, false, kernels::gather, G::Free, L::None, nullptr},
    {OpType::Unsqueeze, "Unsqueeze", C::DataMovement, 1, 1, false, kernels::unsqueeze, G::Free, L::None, nullptr},
    {OpType::Squeeze, "Squeeze", C::DataMovement, 1, 1, false, kernels::squeeze, G::Free, L::None, nullptr},
    {OpType::Shape, "Shape", C::DataMovement, 1, 1, false, kernels::shape, G::Free, L::None, nullptr},
    {OpType::ConstantOfShape, "ConstantOfShape", C::DataMovement, 1, 1, false, kernels::constant_of_shape, G::Free, L::None, nullptr},
    {OpType::Expand, "Expand", C::DataMovement, 2, 2, false, kernels::expand, G::Free, L::None, nullptr},
    {OpType::Slice, "Slice", C::DataMovement, 3, 5, false, kernels::slice, G::Free, L::None, nullptr},
    {OpType::Identity, "Identity", C::DataMovement, 1, 1, true, kernels::identity, G::Free, L::None, nullptr},
    {OpType::Conv, "Conv", C::WeightMatMul, 2, 3, false, kernels::conv, G::MatMul, L::Digital, nullptr},
    {OpType::HardSigmoid, "HardSigmoid", C::Function, 1, 1, true, kernels::hard_sigmoid, G::Simple, L::AcamFunction, hard_sigmoid_expression},
    {OpType::HardSwish, "HardSwish", C::Function, 1, 1, true, kernels::hard_swish, G::Simple, L::AcamFunction, fixed<"x*max(0,min(1,x/6+0.5))">},
    {OpType::Softplus, "Softplus", C::Function, 1, 1, true, kernels::softplus, G::Transcendental, L::AcamFunction, fixed<"log(1+exp(x))">},
    {OpType::LogSoftmax, "LogSoftmax", C::Function, 1, 1, false, kernels::log_softmax, G::Softmax, L::Digital, nullptr},
    {OpType::Cos, "Cos", C::Function, 1, 1, true, kernels::cos, G::Transcendental, L::Digital, nullptr},
    {OpType::Sin, "Sin", C::Function, 1, 1, true, kernels::sin, G::Transcendental, L::Digital, nullptr},
    {OpType::BatchNorm, "BatchNorm", C::Arithmetic, 5, 5, true, kernels::batch_norm, G::Simple, L::Digital, nullptr},
    {OpType::MaxPool, "MaxPool", C::Arithmetic, 1, 1, false, kernels::pool, G::Simple, L::Digital, nullptr},
    {OpType::AveragePool, "AveragePool", C::Arithmetic, 1, 1, false, kernels::pool, G::Simple, L::Digital, nullptr},
    {OpType::Range, "Range", C::DataMovement, 3, 3, false, kernels::range, G::Free, L::None, nullptr},
    {OpType::Trilu, "Trilu", C::DataMovement, 1, 2, false, kernels::trilu, G::Free, L::None, nullptr},
    {OpType::Im2Col, "Im2Col", C::DataMovement, 1, 1, false, kernels::im2col, G::Free, L::None, nullptr},
}};

// Every row sits at its operator's index and is complete: a name, an arity, and a GPU cost and
// lowering consistent with the class. The kernel and the ACAM function expression (function
// pointers) are checked by the OpTraits test instead: GCC's sanitizer builds cannot compare a
// function's address with null in a constant expression.
constexpr bool complete(const OpTraits& t, std::size_t index) {
  const bool movement = t.op_class == OpClass::DataMovement;
  const bool matmul = t.op_class == OpClass::WeightMatMul || t.op_class == OpClass::DataMatMul;
  return static_cast<std::size_t>(t.op) == index && t.name != nullptr && std::string_view(t.name).size() > 0 &&
         t.min_inputs >= 1 && t.min_inputs <= t.max_inputs &&
         (movement == (t.gpu_cost == GpuCost::Free)) && (movement == (t.lowering == Lowering::None)) &&
         (matmul == (t.gpu_cost == GpuCost::MatMul));
}

constexpr bool all_complete() {
  for (std::size_t i = 0; i < kTable.size(); ++i)
    if (!complete(kTable[i], i)) return false;
  return true;
}
static_assert(all_complete(), "every OpType needs a complete row in kTable, at its own index");

}  // namespace

double gpu_ops_per_output(GpuCost cost) {
  switch (cost) {
    case GpuCost::Free: return 0;
    case GpuCost::MatMul: return 2;
    case GpuCost::Simple: return 1;
    case GpuCost::Transcendental: return 8;  // a transcendental evaluated in the SFU plus a few FMAs
    case GpuCost::Softmax: return 5;         // max, subtract, exp, sum, scale
    case GpuCost::Norm: return 8;            // mean, variance, rsqrt, scale, shift
  }
  return 1;
}

const OpTraits& op_traits(OpType op) {
  const auto i = static_cast<std::size_t>(op);
  if (i >= kTable.size()) throw Error(ErrorKind::Internal, fmt::format("operator type {} has no traits", i));
  return kTable[i];
}

std::span<const OpTraits> all_op_traits() { return kTable; }

}  // namespace raceit::model

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

// clang-format off: one operator per two lines reads as a table
constexpr std::array<OpTraits, kOpTypeCount> kTable{{
    {.op = OpType::WeightMatMul, .name = "WeightMatMul", .op_class = C::WeightMatMul, .min_inputs = 2, .max_inputs = 3, .elementwise = false,
     .kernel = kernels::weight_matmul, .gpu_cost = G::MatMul, .lowering = L::Crossbar, .function = nullptr},
    {.op = OpType::DataMatMul, .name = "DataMatMul", .op_class = C::DataMatMul, .min_inputs = 2, .max_inputs = 2, .elementwise = false,
     .kernel = kernels::data_matmul, .gpu_cost = G::MatMul, .lowering = L::DataMatMul, .function = nullptr},
    {.op = OpType::Gelu, .name = "Gelu", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::gelu, .gpu_cost = G::Transcendental, .lowering = L::AcamFunction, .function = gelu_expression},
    {.op = OpType::Silu, .name = "Silu", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::silu, .gpu_cost = G::Transcendental, .lowering = L::AcamFunction, .function = fixed<"silu">},
    {.op = OpType::LayerNorm, .name = "LayerNorm", .op_class = C::Function, .min_inputs = 2, .max_inputs = 3, .elementwise = false,
     .kernel = kernels::norm, .gpu_cost = G::Norm, .lowering = L::AcamNorm, .function = nullptr},
    {.op = OpType::RmsNorm, .name = "RmsNorm", .op_class = C::Function, .min_inputs = 2, .max_inputs = 3, .elementwise = false,
     .kernel = kernels::norm, .gpu_cost = G::Norm, .lowering = L::AcamNorm, .function = nullptr},
    {.op = OpType::Softmax, .name = "Softmax", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = false,
     .kernel = kernels::softmax, .gpu_cost = G::Softmax, .lowering = L::AcamSoftmax, .function = nullptr},
    {.op = OpType::Add, .name = "Add", .op_class = C::Arithmetic, .min_inputs = 2, .max_inputs = 2, .elementwise = true,
     .kernel = kernels::add, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::Sub, .name = "Sub", .op_class = C::Arithmetic, .min_inputs = 2, .max_inputs = 2, .elementwise = true,
     .kernel = kernels::sub, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::Mul, .name = "Mul", .op_class = C::Arithmetic, .min_inputs = 2, .max_inputs = 2, .elementwise = true,
     .kernel = kernels::mul, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::Div, .name = "Div", .op_class = C::Arithmetic, .min_inputs = 2, .max_inputs = 2, .elementwise = true,
     .kernel = kernels::div, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::Pow, .name = "Pow", .op_class = C::Function, .min_inputs = 2, .max_inputs = 2, .elementwise = true,
     .kernel = kernels::pow, .gpu_cost = G::Simple, .lowering = L::AcamFunction, .function = pow_expression},
    {.op = OpType::Equal, .name = "Equal", .op_class = C::Arithmetic, .min_inputs = 2, .max_inputs = 2, .elementwise = true,
     .kernel = kernels::equal, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::Less, .name = "Less", .op_class = C::Arithmetic, .min_inputs = 2, .max_inputs = 2, .elementwise = true,
     .kernel = kernels::less, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::Greater, .name = "Greater", .op_class = C::Arithmetic, .min_inputs = 2, .max_inputs = 2, .elementwise = true,
     .kernel = kernels::greater, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::Where, .name = "Where", .op_class = C::Arithmetic, .min_inputs = 3, .max_inputs = 3, .elementwise = true,
     .kernel = kernels::where, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::Sqrt, .name = "Sqrt", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::sqrt, .gpu_cost = G::Simple, .lowering = L::AcamFunction, .function = fixed<"sqrt">},
    {.op = OpType::Reciprocal, .name = "Reciprocal", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::reciprocal, .gpu_cost = G::Simple, .lowering = L::AcamFunction, .function = fixed<"reciprocal">},
    {.op = OpType::Exp, .name = "Exp", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::exp, .gpu_cost = G::Transcendental, .lowering = L::AcamFunction, .function = fixed<"exp">},
    {.op = OpType::Erf, .name = "Erf", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::erf, .gpu_cost = G::Transcendental, .lowering = L::AcamFunction, .function = fixed<"erf(x)">},
    {.op = OpType::Relu, .name = "Relu", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::relu, .gpu_cost = G::Simple, .lowering = L::AcamFunction, .function = fixed<"relu">},
    {.op = OpType::Tanh, .name = "Tanh", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::tanh, .gpu_cost = G::Transcendental, .lowering = L::AcamFunction, .function = fixed<"tanh">},
    {.op = OpType::Sigmoid, .name = "Sigmoid", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::sigmoid, .gpu_cost = G::Transcendental, .lowering = L::AcamFunction, .function = fixed<"sigmoid">},
    {.op = OpType::Neg, .name = "Neg", .op_class = C::Arithmetic, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::neg, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::Not, .name = "Not", .op_class = C::Arithmetic, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::logical_not, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::Cast, .name = "Cast", .op_class = C::DataMovement, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::cast, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
    {.op = OpType::Clip, .name = "Clip", .op_class = C::Function, .min_inputs = 1, .max_inputs = 3, .elementwise = true,
     .kernel = kernels::clip, .gpu_cost = G::Simple, .lowering = L::AcamFunction, .function = clip_expression},
    {.op = OpType::ReduceMean, .name = "ReduceMean", .op_class = C::Arithmetic, .min_inputs = 1, .max_inputs = 1, .elementwise = false,
     .kernel = kernels::reduce, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::ReduceSum, .name = "ReduceSum", .op_class = C::Arithmetic, .min_inputs = 1, .max_inputs = 1, .elementwise = false,
     .kernel = kernels::reduce, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::ReduceMax, .name = "ReduceMax", .op_class = C::Arithmetic, .min_inputs = 1, .max_inputs = 1, .elementwise = false,
     .kernel = kernels::reduce, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::Reshape, .name = "Reshape", .op_class = C::DataMovement, .min_inputs = 2, .max_inputs = 2, .elementwise = false,
     .kernel = kernels::reshape, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
    {.op = OpType::Transpose, .name = "Transpose", .op_class = C::DataMovement, .min_inputs = 1, .max_inputs = 1, .elementwise = false,
     .kernel = kernels::transpose, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
    {.op = OpType::Split, .name = "Split", .op_class = C::DataMovement, .min_inputs = 1, .max_inputs = 1, .elementwise = false,
     .kernel = kernels::split, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
    {.op = OpType::Concat, .name = "Concat", .op_class = C::DataMovement, .min_inputs = 1, .max_inputs = V, .elementwise = false,
     .kernel = kernels::concat, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
    {.op = OpType::Gather, .name = "Gather", .op_class = C::DataMovement, .min_inputs = 2, .max_inputs = 2, .elementwise = false,
     .kernel = kernels::gather, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
    {.op = OpType::Unsqueeze, .name = "Unsqueeze", .op_class = C::DataMovement, .min_inputs = 1, .max_inputs = 1, .elementwise = false,
     .kernel = kernels::unsqueeze, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
    {.op = OpType::Squeeze, .name = "Squeeze", .op_class = C::DataMovement, .min_inputs = 1, .max_inputs = 1, .elementwise = false,
     .kernel = kernels::squeeze, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
    {.op = OpType::Shape, .name = "Shape", .op_class = C::DataMovement, .min_inputs = 1, .max_inputs = 1, .elementwise = false,
     .kernel = kernels::shape, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
    {.op = OpType::ConstantOfShape, .name = "ConstantOfShape", .op_class = C::DataMovement, .min_inputs = 1, .max_inputs = 1, .elementwise = false,
     .kernel = kernels::constant_of_shape, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
    {.op = OpType::Expand, .name = "Expand", .op_class = C::DataMovement, .min_inputs = 2, .max_inputs = 2, .elementwise = false,
     .kernel = kernels::expand, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
    {.op = OpType::Slice, .name = "Slice", .op_class = C::DataMovement, .min_inputs = 3, .max_inputs = 5, .elementwise = false,
     .kernel = kernels::slice, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
    {.op = OpType::Identity, .name = "Identity", .op_class = C::DataMovement, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::identity, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
    {.op = OpType::Conv, .name = "Conv", .op_class = C::WeightMatMul, .min_inputs = 2, .max_inputs = 3, .elementwise = false,
     .kernel = kernels::conv, .gpu_cost = G::MatMul, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::HardSigmoid, .name = "HardSigmoid", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::hard_sigmoid, .gpu_cost = G::Simple, .lowering = L::AcamFunction, .function = hard_sigmoid_expression},
    {.op = OpType::HardSwish, .name = "HardSwish", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::hard_swish, .gpu_cost = G::Simple, .lowering = L::AcamFunction, .function = fixed<"x*max(0,min(1,x/6+0.5))">},
    {.op = OpType::Softplus, .name = "Softplus", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::softplus, .gpu_cost = G::Transcendental, .lowering = L::AcamFunction, .function = fixed<"log(1+exp(x))">},
    {.op = OpType::LogSoftmax, .name = "LogSoftmax", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = false,
     .kernel = kernels::log_softmax, .gpu_cost = G::Softmax, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::Cos, .name = "Cos", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::cos, .gpu_cost = G::Transcendental, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::Sin, .name = "Sin", .op_class = C::Function, .min_inputs = 1, .max_inputs = 1, .elementwise = true,
     .kernel = kernels::sin, .gpu_cost = G::Transcendental, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::BatchNorm, .name = "BatchNorm", .op_class = C::Arithmetic, .min_inputs = 5, .max_inputs = 5, .elementwise = true,
     .kernel = kernels::batch_norm, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::MaxPool, .name = "MaxPool", .op_class = C::Arithmetic, .min_inputs = 1, .max_inputs = 1, .elementwise = false,
     .kernel = kernels::pool, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::AveragePool, .name = "AveragePool", .op_class = C::Arithmetic, .min_inputs = 1, .max_inputs = 1, .elementwise = false,
     .kernel = kernels::pool, .gpu_cost = G::Simple, .lowering = L::Digital, .function = nullptr},
    {.op = OpType::Range, .name = "Range", .op_class = C::DataMovement, .min_inputs = 3, .max_inputs = 3, .elementwise = false,
     .kernel = kernels::range, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
    {.op = OpType::Trilu, .name = "Trilu", .op_class = C::DataMovement, .min_inputs = 1, .max_inputs = 2, .elementwise = false,
     .kernel = kernels::trilu, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
    {.op = OpType::Im2Col, .name = "Im2Col", .op_class = C::DataMovement, .min_inputs = 1, .max_inputs = 1, .elementwise = false,
     .kernel = kernels::im2col, .gpu_cost = G::Free, .lowering = L::None, .function = nullptr},
}};
// clang-format on

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

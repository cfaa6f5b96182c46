#include "raceit/compiler/lower.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "raceit/acam/multiply.hpp"
#include "engines/support.hpp"
#include "raceit/compiler/events.hpp"
#include "raceit/core/error.hpp"
#include "raceit/model/op_traits.hpp"

namespace raceit::compiler {

namespace {

using model::OpClass;
using model::OpType;

bool is_data_matmul(Engine e) { return e == Engine::AcamDataMatMul || e == Engine::CrossbarWrite; }

// The engine a node's class and the mapping options ask for.
EngineOp wanted_engine(const model::Node& node, const MappingOptions& options) {
  switch (model::op_class(node.op)) {
    case OpClass::WeightMatMul: return CrossbarOp{};
    case OpClass::DataMatMul:
      if (options.data_matmul == DataMatMulEngine::CrossbarWrite) return CrossbarWriteOp{};
      return DataMatMulOp{};
    case OpClass::Function:
      if (node.op == OpType::Softmax) return SoftmaxOp{};
      if (node.op == OpType::LayerNorm || node.op == OpType::RmsNorm) return NormOp{};
      return FunctionOp{};
    case OpClass::Arithmetic: return DigitalOp{};
    case OpClass::DataMovement: return NoneOp{};
  }
  return DigitalOp{};
}

}  // namespace

const Tensor* constant(const model::Graph& graph, const std::string& name) {
  const auto it = graph.initializers.find(name);
  return it == graph.initializers.end() ? nullptr : &it->second;
}

bool float_activation(const model::Graph& graph, const std::string& name) {
  if (name.empty() || graph.is_weight(name)) return false;
  const auto it = graph.values.find(name);
  return it != graph.values.end() && it->second.dtype == DType::Float32;
}

// A scalar float constant's value, or NaN.
double scalar_constant(const model::Graph& graph, const std::string& name) {
  const Tensor* t = constant(graph, name);
  return t && t->is_float() && t->size() == 1 ? t->number(0) : std::nan("");
}

std::string number(double v) { return fmt::format("{:.17g}", v); }

// An ACAM input axis must have positive width; a tensor that calibration saw constant gets a
// small one around its value.
ValueRange widened(ValueRange r) {
  if (r.hi > r.lo) return r;
  const double d = std::max(std::abs(r.lo), 1.0) * 1e-3;
  return {.lo = r.lo - d, .hi = r.hi + d};
}

// Shapes of weights come from the graph's value info: shape-only graphs have no initializers for them.
const Shape& weight_shape(const model::Graph& graph, const std::string& name) { return graph.values.at(name).shape; }

double max_abs(ValueRange r) { return std::max(std::abs(r.lo), std::abs(r.hi)); }

bool last_axis(const model::Node& node, const NodeShapes& shapes, std::int64_t fallback) {
  const auto rank = static_cast<std::int64_t>(shapes.inputs.at(0).size());
  const std::int64_t axis = node.attributes.get_int("axis", fallback);
  return rank > 0 && (axis == -1 || axis == rank - 1);
}

ValueRange Lowering::range(const std::string& name) const {
  const auto it = calibration.ranges.find(name);
  if (it == calibration.ranges.end())
    throw Error(ErrorKind::Internal, fmt::format("calibration has no range for '{}'", name));
  return it->second;
}

std::string Lowering::received(const std::string& name) const {
  const auto it = producer.find(name);
  if (it == producer.end() || ops[it->second].engine() != Engine::Folded) return name;
  return activation_input(graph.nodes[it->second]);
}

double Lowering::factor(const std::string& name) const {
  const auto it = producer.find(name);
  if (it == producer.end()) return 1.0;
  const auto* folded = std::get_if<FoldedOp>(&ops[it->second].detail);
  return folded ? folded->factor : 1.0;
}

std::string Lowering::activation_input(const model::Node& node) const {
  for (const auto& in : node.inputs)
    if (float_activation(graph, in)) return in;
  return "";
}

acam::AcamProgram Lowering::compile_function(const std::string& f, ValueRange in, std::optional<ValueRange> out) const {
  return acam::compile_1var(acam::resolve_function(f), acam::InputAxis{.bits = bits(), .range = widened(in)},
                            acam::OutputSpec{.bits = bits(), .range = out, .encoding = options.acam_encoding});
}

// Pass 1: the engine of every node: the one its class and the mapping options ask for, or FP32
// with the reason when that engine cannot take the node.
EngineOp Lowering::choose_engine(std::size_t i, std::string& note) const {
  const model::Node& node = graph.nodes[i];
  const bool float_out = !node.outputs.empty() && graph.values.count(node.outputs[0]) &&
                         graph.values.at(node.outputs[0]).dtype == DType::Float32;
  if (!float_out || model::op_class(node.op) == OpClass::DataMovement) return NoneOp{};
  const EngineOp wanted = wanted_engine(node, options);
  note = std::visit([&](const auto& d) { return unmapped_reason(Tag<std::decay_t<decltype(d)>>{}, *this, i); }, wanted);
  if (!note.empty()) return DigitalOp{};
  return wanted;
}

// Pass 2: a Mul/Div by a constant scalar whose readers all quantise it folds into them.
void Lowering::fold(std::size_t i) {
  const model::Node& node = graph.nodes[i];
  if (!options.scale_fold || ops[i].engine() != Engine::Digital || node.inputs.size() != 2) return;
  double c = std::nan("");
  if (node.op == OpType::Mul) {
    c = std::isnan(scalar_constant(graph, node.inputs[1])) ? scalar_constant(graph, node.inputs[0])
                                                           : scalar_constant(graph, node.inputs[1]);
  } else if (node.op == OpType::Div) {
    c = 1.0 / scalar_constant(graph, node.inputs[1]);
  }
  const std::string x = activation_input(node);
  if (!std::isfinite(c) || c == 0 || x.empty() || graph_outputs.count(node.outputs[0])) return;
  const auto it = readers.find(node.outputs[0]);
  if (it == readers.end()) return;
  bool into_readers = true;
  for (std::size_t j : it->second) {
    const Engine e = ops[j].engine();
    into_readers = into_readers && ((e == Engine::AcamSoftmax && c > 0) || is_data_matmul(e));
  }
  // Otherwise into the output scale of a data matmul whose result only this op reads.
  const auto p = producer.find(x);
  const bool into_producer = !into_readers && p != producer.end() && is_data_matmul(ops[p->second].engine()) &&
                             readers.at(x).size() == 1 && !graph_outputs.count(x);
  if (!into_readers && !into_producer) return;
  const std::size_t partner = into_readers ? it->second.front() : p->second;
  ops[i].detail = FoldedOp{.factor = c};
  ops[i].partner = static_cast<std::int64_t>(partner);
  ops[i].note = fmt::format("x{} folded into the {} of '{}'", number(c), into_readers ? "input quantiser" : "output scale",
                            graph.nodes[partner].name);
}

// Pass 2b: an element-wise function that alone reads a weight matmul's result moves into that
// crossbar's Compute-ACAM readout when one conversion makes one output (docs/xbar.md, Fusion).
void Lowering::fuse(std::size_t i) {
  const model::Node& node = graph.nodes[i];
  if (!options.fuse || ops[i].engine() != Engine::Crossbar || graph_outputs.count(node.outputs[0])) return;
  const auto it = readers.find(node.outputs[0]);
  if (it == readers.end() || it->second.size() != 1 || ops[it->second[0]].engine() != Engine::AcamFunction) return;
  const xbar::CrossbarConfig& c = options.crossbar;
  const Shape& weight = weight_shape(graph, node.inputs.at(1));
  const auto in = weight.at(node.attributes.get_int("transpose_weight", 0) != 0 ? 1 : 0);
  if (c.readout != xbar::ReadoutKind::Acam || c.inputs != xbar::InputScheme::MultiLevel ||
      c.encoding != xbar::WeightEncoding::Single || c.sign != xbar::SignScheme::DifferentialPairs || in > c.rows)
    return;
  const std::size_t f = it->second[0];
  ops[i].partner = static_cast<std::int64_t>(f);
  ops[f].detail = FusedOp{};
  ops[f].partner = static_cast<std::int64_t>(i);
  ops[f].note = fmt::format("computed by the Compute-ACAM readout of '{}'", node.name);
}

// A constant folded into an op's output scale, by the Folded op that reads it.
double Lowering::output_factor(std::size_t i) const {
  double f = 1.0;
  for (std::size_t j : readers.count(graph.nodes[i].outputs[0]) ? readers.at(graph.nodes[i].outputs[0]) : std::vector<std::size_t>{})
    if (const auto* folded = std::get_if<FoldedOp>(&ops[j].detail); folded && ops[j].partner == static_cast<std::int64_t>(i))
      f *= folded->factor;
  return f;
}

// Pass 3: quantisation and ACAM programs, by each engine; one that cannot (a function not finite
// on its calibrated range) leaves FP32 and says why.
void Lowering::detail(std::size_t i) {
  LoweredOp& op = ops[i];
  const bool lowered = std::visit([&](auto& d) { return lower_detail(d, *this, i, op); }, op.detail);
  if (!lowered) op.detail = DigitalOp{};
}

std::string elementwise_function(const model::Node& node, const model::Graph& graph) {
  const model::OpTraits& traits = model::op_traits(node.op);
  return traits.function ? traits.function(node, graph) : "";
}

std::vector<LoweredOp> lower(const model::Graph& graph, const Calibration& calibration, const MappingOptions& options) {
  if (!graph.has_weight_data() && calibration.samples > 0)
    throw Error(ErrorKind::InvalidArgument, fmt::format("graph '{}' is shape-only: it has no weights to calibrate with "
                                                        "(use nominal_calibration)",
                                                        graph.name));
  if (calibration.shapes.size() != graph.nodes.size())
    throw Error(ErrorKind::InvalidArgument, "the calibration is not of this graph");
  Lowering l{.graph = graph,
             .calibration = calibration,
             .options = options,
             .ops = std::vector<LoweredOp>(graph.nodes.size()),
             .readers = {},
             .producer = {},
             .graph_outputs = {},
             .multiply = {}};
  l.graph_outputs.insert(graph.outputs.begin(), graph.outputs.end());
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const auto& in : graph.nodes[i].inputs) l.readers[in].push_back(i);
    for (const auto& out : graph.nodes[i].outputs) l.producer[out] = i;
  }
  const bool needs_multiply = options.softmax == FunctionEngine::Acam || options.layernorm == FunctionEngine::Acam ||
                              options.data_matmul == DataMatMulEngine::Acam;
  if (needs_multiply) l.multiply = acam::compile_nibble_product(options.acam_encoding);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    l.ops[i].node = graph.nodes[i].name;
    l.ops[i].op = graph.nodes[i].op;
    l.ops[i].detail = l.choose_engine(i, l.ops[i].note);
  }
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) l.fold(i);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) l.fuse(i);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) l.detail(i);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const auto& outputs = calibration.shapes[i].outputs;
    l.ops[i].output_elements = outputs.empty() ? 0 : element_count(outputs[0]);
    l.ops[i].events = op_events(l.ops[i], calibration.shapes[i].inputs, calibration.shapes[i].outputs, options.activation_bits);
  }
  return std::move(l.ops);
}

}  // namespace raceit::compiler

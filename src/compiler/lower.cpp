#include "raceit/compiler/lower.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "raceit/acam/multiply.hpp"
#include "raceit/compiler/events.hpp"
#include "raceit/core/error.hpp"
#include "raceit/model/op_traits.hpp"

namespace raceit::compiler {

namespace {

using model::OpClass;
using model::OpType;

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
  return {r.lo - d, r.hi + d};
}

// Shapes of weights come from the graph's value info: shape-only graphs have no initializers for them.
const Shape& weight_shape(const model::Graph& graph, const std::string& name) { return graph.values.at(name).shape; }

double max_abs(ValueRange r) { return std::max(std::abs(r.lo), std::abs(r.hi)); }

bool last_axis(const model::Node& node, const NodeShapes& shapes, std::int64_t fallback) {
  const auto rank = static_cast<std::int64_t>(shapes.inputs.at(0).size());
  const std::int64_t axis = node.attributes.get_int("axis", fallback);
  return rank > 0 && (axis == -1 || axis == rank - 1);
}

struct Lowering {
  const model::Graph& graph;
  const Calibration& calibration;
  const MappingOptions& options;
  std::vector<LoweredOp> ops;
  std::map<std::string, std::vector<std::size_t>> readers;  // value → nodes reading it
  std::map<std::string, std::size_t> producer;              // value → node writing it
  std::set<std::string> graph_outputs;
  acam::AcamProgram multiply;

  int bits() const { return options.activation_bits; }
  int sign_magnitude_bits() const { return options.activation_bits + 1; }

  ValueRange range(const std::string& name) const {
    const auto it = calibration.ranges.find(name);
    if (it == calibration.ranges.end())
      throw Error(ErrorKind::Internal, fmt::format("calibration has no range for '{}'", name));
    return it->second;
  }

  // The tensor an input slot actually receives: a folded op passes its own input through.
  std::string received(const std::string& name) const {
    const auto it = producer.find(name);
    if (it == producer.end() || ops[it->second].engine != Engine::Folded) return name;
    return activation_input(graph.nodes[it->second]);
  }
  double factor(const std::string& name) const {
    const auto it = producer.find(name);
    return it == producer.end() || ops[it->second].engine != Engine::Folded ? 1.0 : ops[it->second].factor;
  }
  std::string activation_input(const model::Node& node) const {
    for (const auto& in : node.inputs)
      if (float_activation(graph, in)) return in;
    return "";
  }

  acam::AcamProgram compile_function(const std::string& f, ValueRange in, std::optional<ValueRange> out = std::nullopt) const {
    return acam::compile_1var(acam::resolve_function(f), acam::InputAxis{bits(), widened(in)},
                              acam::OutputSpec{bits(), out, options.acam_encoding});
  }

  // Pass 1: the engine of every node from its class and the mapping options.
  Engine choose_engine(std::size_t i, std::string& note) const {
    const model::Node& node = graph.nodes[i];
    const bool float_out = !node.outputs.empty() && graph.values.count(node.outputs[0]) &&
                           graph.values.at(node.outputs[0]).dtype == DType::Float32;
    if (!float_out || model::op_class(node.op) == OpClass::DataMovement) return Engine::None;
    const NodeShapes& shapes = calibration.shapes.at(i);
    switch (model::op_class(node.op)) {
      case OpClass::WeightMatMul:
        if (node.op == OpType::WeightMatMul && float_activation(graph, node.inputs.at(0))) return Engine::Crossbar;
        note = "not lowered onto crossbars (Conv needs im2col; only WeightMatMul is mapped): FP32";
        return Engine::Digital;
      case OpClass::DataMatMul:
        switch (options.data_matmul) {
          case DataMatMulEngine::Acam: return Engine::AcamDataMatMul;
          case DataMatMulEngine::CrossbarWrite: return Engine::CrossbarWrite;
          case DataMatMulEngine::Digital: note = "mapping.data_matmul=digital"; return Engine::Digital;
        }
        break;
      case OpClass::Function:
        if (node.op == OpType::Softmax) {
          if (options.softmax == FunctionEngine::Digital) {
            note = "mapping.softmax=digital";
            return Engine::Digital;
          }
          if (!last_axis(node, shapes, -1)) {
            note = "softmax over an inner axis is not mapped: FP32";
            return Engine::Digital;
          }
          return Engine::AcamSoftmax;
        }
        if (node.op == OpType::LayerNorm || node.op == OpType::RmsNorm) {
          if (options.layernorm == FunctionEngine::Digital) {
            note = "mapping.layernorm=digital";
            return Engine::Digital;
          }
          if (!last_axis(node, shapes, -1) || !graph.is_weight(node.inputs.at(1))) {
            note = "a norm over several axes or with a computed scale is not mapped: FP32";
            return Engine::Digital;
          }
          return Engine::AcamNorm;
        }
        if (model::op_traits(node.op).lowering != model::Lowering::AcamFunction) {
          note = "no Compute-ACAM mapping for this function: FP32";
          return Engine::Digital;
        }
        if (options.function == FunctionEngine::Digital) {
          note = "mapping.function=digital";
          return Engine::Digital;
        }
        if (elementwise_function(node, graph).empty()) {
          note = "parameters are not constants: FP32";
          return Engine::Digital;
        }
        return Engine::AcamFunction;
      default:
        return Engine::Digital;
    }
    return Engine::Digital;
  }

  // Pass 2: a Mul/Div by a constant scalar whose readers all quantise it folds into them.
  void fold(std::size_t i) {
    const model::Node& node = graph.nodes[i];
    if (!options.scale_fold || ops[i].engine != Engine::Digital || node.inputs.size() != 2) return;
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
      const Engine e = ops[j].engine;
      into_readers = into_readers && ((e == Engine::AcamSoftmax && c > 0) || is_data_matmul(e));
    }
    // Otherwise into the output scale of a data matmul whose result only this op reads.
    const auto p = producer.find(x);
    const bool into_producer = !into_readers && p != producer.end() && is_data_matmul(ops[p->second].engine) &&
                               readers.at(x).size() == 1 && !graph_outputs.count(x);
    if (!into_readers && !into_producer) return;
    const std::size_t partner = into_readers ? it->second.front() : p->second;
    ops[i].engine = Engine::Folded;
    ops[i].factor = c;
    ops[i].partner = static_cast<std::int64_t>(partner);
    ops[i].note = fmt::format("x{} folded into the {} of '{}'", number(c), into_readers ? "input quantiser" : "output scale",
                              graph.nodes[partner].name);
  }

  static bool is_data_matmul(Engine e) { return e == Engine::AcamDataMatMul || e == Engine::CrossbarWrite; }

  // Pass 2b: an element-wise function that alone reads a weight matmul's result moves into that
  // crossbar's Compute-ACAM readout when one conversion makes one output (docs/xbar.md, Fusion).
  void fuse(std::size_t i) {
    const model::Node& node = graph.nodes[i];
    if (!options.fuse || ops[i].engine != Engine::Crossbar || graph_outputs.count(node.outputs[0])) return;
    const auto it = readers.find(node.outputs[0]);
    if (it == readers.end() || it->second.size() != 1 || ops[it->second[0]].engine != Engine::AcamFunction) return;
    const xbar::CrossbarConfig& c = options.crossbar;
    const Shape& weight = weight_shape(graph, node.inputs.at(1));
    const auto in = weight.at(node.attributes.get_int("transpose_weight", 0) != 0 ? 1 : 0);
    if (c.readout != xbar::ReadoutKind::Acam || c.inputs != xbar::InputScheme::MultiLevel ||
        c.encoding != xbar::WeightEncoding::Single || c.sign != xbar::SignScheme::DifferentialPairs || in > c.rows)
      return;
    const std::size_t f = it->second[0];
    ops[i].partner = static_cast<std::int64_t>(f);
    ops[f].engine = Engine::Fused;
    ops[f].partner = static_cast<std::int64_t>(i);
    ops[f].note = fmt::format("computed by the Compute-ACAM readout of '{}'", node.name);
  }

  // A constant folded into an op's output scale, by the Folded op that reads it.
  double output_factor(std::size_t i) const {
    double f = 1.0;
    for (std::size_t j : readers.count(graph.nodes[i].outputs[0]) ? readers.at(graph.nodes[i].outputs[0]) : std::vector<std::size_t>{})
      if (ops[j].engine == Engine::Folded && ops[j].partner == static_cast<std::int64_t>(i)) f *= ops[j].factor;
    return f;
  }

  // Pass 3: quantisation and ACAM programs.
  void detail(std::size_t i) {
    const model::Node& node = graph.nodes[i];
    LoweredOp& op = ops[i];
    switch (op.engine) {
      case Engine::Crossbar: {
        CrossbarOp x;
        x.config = options.crossbar;
        const std::string& w = node.inputs.at(1);
        const Shape& weight = weight_shape(graph, w);
        x.transpose_weight = node.attributes.get_int("transpose_weight", 0) != 0;
        x.in = static_cast<int>(weight.at(x.transpose_weight ? 1 : 0));
        x.out = static_cast<int>(weight.at(x.transpose_weight ? 0 : 1));
        x.weight = w;
        if (node.inputs.size() > 2) x.bias = node.inputs[2];
        x.input = AffineQuantiser::from_range(range(node.inputs[0]).lo, range(node.inputs[0]).hi, bits());
        if (op.partner >= 0) x.config.fused_function = elementwise_function(graph.nodes[static_cast<std::size_t>(op.partner)], graph);
        x.layout = xbar::tile_layout(x.config, x.in, x.out);
        op.cells_programmed = static_cast<std::uint64_t>(x.in) * x.out * static_cast<std::uint64_t>(x.layout.cells_per_weight);
        op.detail = std::move(x);
        break;
      }
      case Engine::AcamFunction: {
        const std::string f = elementwise_function(node, graph);
        try {
          op.detail = FunctionOp{compile_function(f, range(node.inputs[0]))};
        } catch (const Error& e) {
          op.engine = Engine::Digital;
          op.note = fmt::format("{} on the calibrated range [{}, {}]: {}; FP32", f, range(node.inputs[0]).lo,
                                range(node.inputs[0]).hi, e.what());
        }
        break;
      }
      case Engine::AcamSoftmax: {
        SoftmaxOp s;
        s.input_scale = factor(node.inputs[0]);
        const std::string exp = s.input_scale == 1.0 ? "exp" : fmt::format("exp({}*x)", number(s.input_scale));
        s.exp = compile_function(exp, {options.softmax_clamp / s.input_scale, 0.0}, ValueRange{0.0, 1.0});
        const ValueRange sums = widened(calibration.softmax_sums.at(i));
        s.reciprocal = compile_function("reciprocal", sums, ValueRange{0.0, 1.0 / sums.lo});
        s.multiply = multiply;
        op.detail = std::move(s);
        break;
      }
      case Engine::AcamNorm: {
        NormOp n;
        n.rms = node.op == OpType::RmsNorm;
        n.epsilon = node.attributes.get_float("epsilon", 1e-5);
        n.gamma = node.inputs.at(1);
        if (node.inputs.size() > 2) n.beta = node.inputs[2];
        const NormStats& stats = calibration.norms.at(i);
        n.input = AffineQuantiser::symmetric(max_abs(range(node.inputs[0])), sign_magnitude_bits());
        n.centred = n.rms ? n.input : AffineQuantiser::symmetric(stats.centred_max, sign_magnitude_bits());
        const ValueRange variance = widened(stats.variance);
        n.rsqrt = compile_function("rsqrt", variance, ValueRange{0.0, 1.0 / std::sqrt(variance.lo)});
        n.normalised = AffineQuantiser::symmetric(stats.normalised_max, sign_magnitude_bits());
        // A shape-only graph's γ is nominal: 1, as initialised.
        const Tensor* gamma = constant(graph, n.gamma);
        double gamma_max = gamma ? 0.0 : 1.0;
        if (gamma)
          for (float g : gamma->floats()) gamma_max = std::max(gamma_max, std::abs(static_cast<double>(g)));
        n.gamma_q = AffineQuantiser::symmetric(gamma_max, sign_magnitude_bits());
        n.multiply = multiply;
        op.detail = std::move(n);
        break;
      }
      case Engine::AcamDataMatMul:
      case Engine::CrossbarWrite: {
        DataMatMulOp d;
        const std::string a = received(node.inputs.at(0)), b = received(node.inputs.at(1));
        d.a_factor = factor(node.inputs[0]);
        d.b_factor = factor(node.inputs[1]);
        d.output_factor = output_factor(i);
        if (op.engine == Engine::AcamDataMatMul) {
          d.a = AffineQuantiser::symmetric(max_abs(range(a)), sign_magnitude_bits());
          d.b = AffineQuantiser::symmetric(max_abs(range(b)), sign_magnitude_bits());
          d.multiply = multiply;
        } else {
          d.crossbar = options.crossbar;
          d.a = AffineQuantiser::from_range(range(a).lo, range(a).hi, bits());
        }
        op.detail = std::move(d);
        break;
      }
      default:
        break;
    }
  }
};

}  // namespace

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
  Lowering l{graph, calibration, options, std::vector<LoweredOp>(graph.nodes.size()), {}, {}, {}, {}};
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
    l.ops[i].engine = l.choose_engine(i, l.ops[i].note);
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

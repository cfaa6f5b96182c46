#include "raceit/model/shape_inference.hpp"

#include <fmt/format.h>

#include "raceit/core/error.hpp"
#include "raceit/model/kernels.hpp"

namespace raceit::model {

namespace {

// Shape rules for the operators whose kernels are too costly to run on stand-ins, or whose
// weight operand may be absent (shape-only graphs).
std::optional<Shape> rule_shape(const Node& node, const std::vector<const ResolvedValue*>& in) {
  switch (node.op) {
    case OpType::WeightMatMul:
      if (node.attributes.get_int("transpose_weight", 0) != 0 && in[1]->shape.size() == 2)
        return matmul_shape(in[0]->shape, {in[1]->shape[1], in[1]->shape[0]}, node);
      return matmul_shape(in[0]->shape, in[1]->shape, node);
    case OpType::DataMatMul: return matmul_shape(in[0]->shape, in[1]->shape, node);
    case OpType::Conv: {
      const auto& x = in[0]->shape;
      const auto& w = in[1]->shape;
      if (x.size() != 4 || w.size() != 4) return std::nullopt;  // the kernel reports the error
      const auto s = node.attributes.get_ints("strides", {1, 1});
      const auto d = node.attributes.get_ints("dilations", {1, 1});
      const auto p = node.attributes.get_ints("pads", {0, 0, 0, 0});
      return Shape{x[0], w[0], (x[2] + p[0] + p[2] - d[0] * (w[2] - 1) - 1) / s[0] + 1,
                   (x[3] + p[1] + p[3] - d[1] * (w[3] - 1) - 1) / s[1] + 1};
    }
    case OpType::Gather: {
      if (in[0]->value) return std::nullopt;
      const auto& data = in[0]->shape;
      auto axis = node.attributes.get_int("axis", 0);
      if (axis < 0) axis += static_cast<std::int64_t>(data.size());
      if (axis < 0 || axis >= static_cast<std::int64_t>(data.size())) return std::nullopt;  // the kernel reports it
      Shape out(data.begin(), data.begin() + axis);
      out.insert(out.end(), in[1]->shape.begin(), in[1]->shape.end());
      out.insert(out.end(), data.begin() + axis + 1, data.end());
      return out;
    }
    default: return std::nullopt;
  }
}

bool is_shape_argument(OpType op, std::size_t input) {
  switch (op) {
    case OpType::Reshape: case OpType::Expand: return input == 1;
    case OpType::Slice: return input >= 1;
    case OpType::ConstantOfShape: return input == 0;
    default: return false;
  }
}

DType rule_dtype(const Node& node, const std::vector<const ResolvedValue*>& in) {
  return node.op == OpType::Gather ? in[0]->dtype : DType::Float32;
}

}  // namespace

std::map<std::string, Shape> concrete_input_shapes(const Graph& graph, std::int64_t dynamic_size) {
  std::map<std::string, Shape> shapes;
  for (const auto& name : graph.inputs) {
    Shape s = graph.values.at(name).shape;
    for (auto& d : s)
      if (d < 0) d = dynamic_size;
    shapes[name] = s;
  }
  return shapes;
}

std::map<std::string, ResolvedValue> resolve_shapes(const Graph& graph, const std::map<std::string, Shape>& input_shapes) {
  std::map<std::string, ResolvedValue> env;
  for (const auto& name : graph.weight_names) {
    const auto& info = graph.values.at(name);
    ResolvedValue v{info.dtype, info.shape, std::nullopt};
    if (const auto it = graph.initializers.find(name); it != graph.initializers.end()) v.value = it->second;
    env[name] = std::move(v);
  }
  for (const auto& name : graph.inputs) {
    const auto it = input_shapes.find(name);
    if (it == input_shapes.end())
      throw Error(ErrorKind::InvalidArgument, fmt::format("graph '{}': no shape given for input '{}'", graph.name, name));
    env[name] = ResolvedValue{graph.values.at(name).dtype, it->second, std::nullopt};
  }
  for (const auto& node : graph.nodes) {
    std::vector<const ResolvedValue*> in;
    bool all_known = true;
    for (const auto& name : node.inputs) {
      if (name.empty()) {
        in.push_back(nullptr);
        continue;
      }
      const auto it = env.find(name);
      if (it == env.end())
        throw Error(ErrorKind::Internal, fmt::format("node '{}' reads undefined value '{}'", node.name, name));
      in.push_back(&it->second);
      all_known = all_known && it->second.value.has_value();
    }
    if (node.op == OpType::Shape && !all_known) {
      // The shape of a value is known even when its data is not.
      const auto dims = shape_operator_dims(node, in[0]->shape);
      const Shape out_shape{static_cast<std::int64_t>(dims.size())};
      env[node.outputs[0]] = ResolvedValue{DType::Int64, out_shape, Tensor::from_ints(out_shape, dims)};
      continue;
    }
    if (!all_known) {
      if (auto shape = rule_shape(node, in)) {
        env[node.outputs[0]] = ResolvedValue{rule_dtype(node, in), *shape, std::nullopt};
        continue;
      }
    }
    // Shape arguments must be computable from the input shapes, not from input data.
    for (std::size_t k = 0; k < in.size(); ++k)
      if (in[k] && !in[k]->value && is_shape_argument(node.op, k))
        throw Error(ErrorKind::Unsupported,
                    fmt::format("node '{}' ({}): its shape argument '{}' depends on the data of the graph inputs",
                                node.name, to_string(node.op), node.inputs[k]));
    std::vector<Tensor> stand_ins;
    stand_ins.reserve(in.size());
    std::vector<const Tensor*> args;
    for (const auto* v : in) {
      if (!v) {
        args.push_back(nullptr);
      } else if (v->value) {
        args.push_back(&*v->value);
      } else {
        stand_ins.emplace_back(v->dtype, v->shape);
        args.push_back(&stand_ins.back());
      }
    }
    auto outputs = evaluate_node(node, args);
    for (std::size_t i = 0; i < node.outputs.size() && i < outputs.size(); ++i) {
      ResolvedValue v{outputs[i].dtype(), outputs[i].shape(), std::nullopt};
      if (all_known) v.value = std::move(outputs[i]);
      env[node.outputs[i]] = std::move(v);
    }
  }
  return env;
}

std::map<std::string, ResolvedValue> resolve_sample_shapes(const Graph& graph, std::int64_t sequence_length) {
  std::map<std::string, Shape> inputs;
  for (const auto& name : graph.inputs) {
    Shape s = graph.values.at(name).shape;
    for (std::size_t d = 0; d < s.size(); ++d)
      if (s[d] < 0) s[d] = d == 0 ? 1 : sequence_length;
    inputs[name] = s;
  }
  return resolve_shapes(graph, inputs);
}

void infer_value_info(Graph& graph) {
  const auto small = resolve_shapes(graph, concrete_input_shapes(graph, 1));
  const auto large = resolve_shapes(graph, concrete_input_shapes(graph, 2));
  for (const auto& node : graph.nodes)
    for (const auto& name : node.outputs) {
      const auto& a = small.at(name);
      const auto& b = large.at(name);
      ValueInfo info{a.dtype, a.shape};
      if (a.shape.size() == b.shape.size())
        for (std::size_t d = 0; d < a.shape.size(); ++d)
          if (a.shape[d] != b.shape[d]) info.shape[d] = -1;
      graph.values[name] = info;
    }
}

}  // namespace raceit::model

#include "raceit/model/shape_inference.hpp"

#include <fmt/format.h>

#include "raceit/core/error.hpp"
#include "raceit/model/kernels.hpp"

namespace raceit::model {

namespace {

// Values computed from constants are kept when they are this small (shape arithmetic, scales);
// larger ones get their shape only, so a graph's constants never cost memory that grows with the
// square of its sequence length.
constexpr std::int64_t kFoldLimit = 1 << 16;

struct OutputType {
  DType dtype = DType::Float32;
  Shape shape;
};

Error fail(const Node& node, const std::string& problem) {
  return Error(ErrorKind::InvalidArgument, fmt::format("node '{}' ({}): {}", node.name, to_string(node.op), problem));
}

// The inputs of one node as shape inference sees them (nullptr: an omitted optional input).
class NodeInputs {
 public:
  NodeInputs(const Node& node, const std::vector<const ResolvedValue*>& in) : node_(node), in_(in) {}

  std::size_t size() const { return in_.size(); }
  bool has(std::size_t i) const { return i < in_.size() && in_[i] != nullptr; }
  const ResolvedValue& at(std::size_t i) const {
    if (!has(i)) throw fail(node_, fmt::format("input {} is missing", i));
    return *in_[i];
  }
  const Shape& shape(std::size_t i) const { return at(i).shape; }
  DType dtype(std::size_t i) const { return at(i).dtype; }
  const Shape& float_shape(std::size_t i) const {
    if (dtype(i) != DType::Float32) throw fail(node_, std::string("expects float32 input, got ") + to_string(dtype(i)));
    return shape(i);
  }
  // The data of a shape argument (its presence is checked before the rules run).
  std::vector<std::int64_t> ints(std::size_t i) const { return at(i).value->to_int_vector(); }
  // The known input data, one pointer per input (nullptr where unknown or omitted).
  std::vector<const Tensor*> values() const {
    std::vector<const Tensor*> v;
    for (const auto* r : in_) v.push_back(r && r->value ? &*r->value : nullptr);
    return v;
  }

 private:
  const Node& node_;
  const std::vector<const ResolvedValue*>& in_;
};

OutputType same_as(const NodeInputs& in, std::size_t i) { return {.dtype = in.dtype(i), .shape = in.shape(i)}; }

OutputType arithmetic_type(const Node& node, const NodeInputs& in) {
  const bool a_float = in.dtype(0) == DType::Float32, b_float = in.dtype(1) == DType::Float32;
  if (a_float != b_float)
    throw fail(node, fmt::format("operand types differ ({} and {})", to_string(in.dtype(0)), to_string(in.dtype(1))));
  return {.dtype = in.dtype(0), .shape = broadcast_shape(in.shape(0), in.shape(1), node)};
}

std::vector<OutputType> norm_types(const Node& node, const NodeInputs& in) {
  const Shape& x = in.float_shape(0);
  const auto axis = normalize_axis(node.attributes.get_int("axis", -1), static_cast<std::int64_t>(x.size()), node);
  const std::int64_t width = element_count(Shape(x.begin() + axis, x.end()));
  for (std::size_t i : {std::size_t{1}, std::size_t{2}})
    if (in.has(i) && element_count(in.shape(i)) != width && element_count(in.shape(i)) != 1)
      throw fail(node, fmt::format("{} has {} elements, normalised width is {}", i == 1 ? "scale" : "bias",
                                   element_count(in.shape(i)), width));
  Shape stats = x;
  std::fill(stats.begin() + axis, stats.end(), 1);
  std::vector<OutputType> out{{.dtype = DType::Float32, .shape = x}};
  for (std::size_t k = 1; k < node.outputs.size() && k < 3; ++k) out.push_back({DType::Float32, stats});
  return out;
}

OutputType weight_matmul_type(const Node& node, const NodeInputs& in) {
  const Shape& w = in.shape(1);
  if (w.size() != 2) throw fail(node, "weight must be a matrix");
  const bool transposed = node.attributes.get_int("transpose_weight", 0) != 0;
  const Shape stored{transposed ? w[1] : w[0], transposed ? w[0] : w[1]};
  const Shape& x = in.float_shape(0);
  if (x.empty() || x.back() != stored[0])
    throw fail(node, fmt::format("input {} does not match weight {}", to_string(x), to_string(stored)));
  if (in.has(2) && element_count(in.shape(2)) != stored[1]) throw fail(node, "bias length differs from the weight's columns");
  return {.dtype = DType::Float32, .shape = matmul_shape(x, stored, node)};
}

OutputType where_type(const Node& node, const NodeInputs& in) {
  if ((in.dtype(1) == DType::Float32) != (in.dtype(2) == DType::Float32)) throw fail(node, "branch types differ");
  return {.dtype = in.dtype(1),
          .shape = broadcast_shape(broadcast_shape(in.shape(0), in.shape(1), node), in.shape(2), node)};
}

OutputType transpose_type(const Node& node, const NodeInputs& in) {
  const Shape& x = in.shape(0);
  Shape out;
  for (auto p : transpose_perm(node, static_cast<std::int64_t>(x.size()))) out.push_back(x[static_cast<std::size_t>(p)]);
  return {.dtype = in.dtype(0), .shape = out};
}

std::vector<OutputType> split_types(const Node& node, const NodeInputs& in) {
  const auto axis = normalize_axis(node.attributes.get_int("axis", 0), static_cast<std::int64_t>(in.shape(0).size()), node);
  std::vector<OutputType> out;
  for (auto size : split_sizes(node, in.shape(0))) {
    out.push_back(same_as(in, 0));
    out.back().shape[axis] = size;
  }
  return out;
}

OutputType concat_type(const Node& node, const NodeInputs& in) {
  std::vector<const Shape*> shapes;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in.dtype(i) != in.dtype(0)) throw fail(node, "inputs differ in rank or type");
    shapes.push_back(&in.shape(i));
  }
  return {.dtype = in.dtype(0), .shape = concat_shape(node, shapes)};
}

OutputType constant_of_shape_type(const Node& node, const NodeInputs& in) {
  const auto dtype = static_cast<DType>(node.attributes.get_int("dtype", static_cast<std::int64_t>(DType::Float32)));
  Shape shape = in.ints(0);
  for (auto d : shape)
    if (d < 0) throw fail(node, fmt::format("negative dimension {} in its shape", d));
  return {.dtype = dtype, .shape = std::move(shape)};
}

OutputType batch_norm_type(const Node& node, const NodeInputs& in) {
  const Shape& x = in.float_shape(0);
  if (x.size() < 2) throw fail(node, "input needs a channel axis (rank 2 or more)");
  for (std::size_t i = 1; i < 5; ++i)
    if (element_count(in.shape(i)) != x[1])
      throw fail(node, fmt::format("per-channel input {} has {} values for {} channels", i, element_count(in.shape(i)), x[1]));
  return same_as(in, 0);
}

// Every output's dtype and shape by the operator's rules, without touching any data but the
// shape arguments.
std::vector<OutputType> rule_types(const Node& node, const NodeInputs& in) {
  switch (node.op) {
    case OpType::WeightMatMul: return {weight_matmul_type(node, in)};
    case OpType::DataMatMul:
      return {{.dtype = DType::Float32, .shape = matmul_shape(in.float_shape(0), in.float_shape(1), node)}};
    case OpType::Conv:
      return {{.dtype = DType::Float32, .shape = conv_shape(node, in.float_shape(0), in.shape(1))}};
    case OpType::Softmax:
      normalize_axis(node.attributes.get_int("axis", -1), static_cast<std::int64_t>(in.float_shape(0).size()), node);
      return {same_as(in, 0)};
    case OpType::Gelu: case OpType::Silu: case OpType::Sqrt: case OpType::Reciprocal: case OpType::Exp:
    case OpType::Erf: case OpType::Relu: case OpType::Tanh: case OpType::Sigmoid:
      return {{.dtype = DType::Float32, .shape = in.float_shape(0)}};
    case OpType::LayerNorm: case OpType::RmsNorm: return norm_types(node, in);
    case OpType::Add: case OpType::Sub: case OpType::Mul: case OpType::Div: return {arithmetic_type(node, in)};
    case OpType::Pow:
      return {{.dtype = DType::Float32, .shape = broadcast_shape(in.float_shape(0), in.shape(1), node)}};
    case OpType::Equal: case OpType::Less: case OpType::Greater:
      return {{.dtype = DType::Bool, .shape = arithmetic_type(node, in).shape}};
    case OpType::Where: return {where_type(node, in)};
    case OpType::Neg: case OpType::Clip: case OpType::Identity: return {same_as(in, 0)};
    case OpType::Not:
      if (in.dtype(0) != DType::Bool) throw fail(node, "expects a bool input");
      return {same_as(in, 0)};
    case OpType::Cast:
      return {{.dtype = cast_target(node), .shape = in.shape(0)}};
    case OpType::ReduceMean: case OpType::ReduceSum: case OpType::ReduceMax:
      return {{.dtype = in.dtype(0), .shape = reduce_shape(node, in.shape(0))}};
    case OpType::Reshape:
      return {{.dtype = in.dtype(0), .shape = reshape_shape(node, in.shape(0), in.ints(1))}};
    case OpType::Transpose: return {transpose_type(node, in)};
    case OpType::Split: return split_types(node, in);
    case OpType::Concat: return {concat_type(node, in)};
    case OpType::Gather:
      return {{.dtype = in.dtype(0), .shape = gather_shape(node, in.shape(0), in.shape(1))}};
    case OpType::Unsqueeze:
      return {{.dtype = in.dtype(0), .shape = unsqueeze_shape(node, in.shape(0))}};
    case OpType::Squeeze:
      return {{.dtype = in.dtype(0), .shape = squeeze_shape(node, in.shape(0))}};
    case OpType::Shape: {
      const auto dims = shape_operator_dims(node, in.shape(0));
      return {{.dtype = DType::Int64, .shape = Shape{static_cast<std::int64_t>(dims.size())}}};
    }
    case OpType::ConstantOfShape: return {constant_of_shape_type(node, in)};
    case OpType::Expand:
      return {{.dtype = in.dtype(0), .shape = broadcast_shape(in.shape(0), in.ints(1), node)}};
    case OpType::Slice:
      return {{.dtype = in.dtype(0), .shape = slice_shape(node, in.shape(0), in.values())}};
    case OpType::HardSigmoid: case OpType::HardSwish: case OpType::Softplus: case OpType::Cos: case OpType::Sin:
      return {{.dtype = DType::Float32, .shape = in.float_shape(0)}};
    case OpType::LogSoftmax:
      normalize_axis(node.attributes.get_int("axis", -1), static_cast<std::int64_t>(in.float_shape(0).size()), node);
      return {same_as(in, 0)};
    case OpType::BatchNorm: return {batch_norm_type(node, in)};
    case OpType::MaxPool: case OpType::AveragePool:
      return {{.dtype = DType::Float32, .shape = pool_shape(node, in.float_shape(0))}};
    case OpType::Range: {
      const auto values = in.values();
      return {{.dtype = in.dtype(0), .shape = Shape{range_length(node, *values[0], *values[1], *values[2])}}};
    }
    case OpType::Trilu:
      if (in.shape(0).size() < 2) throw fail(node, "input needs rank 2 or more");
      return {same_as(in, 0)};
    case OpType::Im2Col:
      return {{.dtype = DType::Float32, .shape = im2col_shape(node, in.float_shape(0))}};
    case OpType::OpTypeCount: break;
  }
  throw fail(node, "operator has no shape rule");
}

bool is_shape_argument(OpType op, std::size_t input) {
  switch (op) {
    case OpType::Reshape: case OpType::Expand: return input == 1;
    case OpType::Slice: return input >= 1;
    case OpType::ConstantOfShape: return input == 0;
    case OpType::Range: return true;
    case OpType::Trilu: return input == 1;
    default: return false;
  }
}

// The node's outputs: shapes by rule; values, too, where every input is known and the outputs
// are small (constant folding through the reference kernels).
void resolve_node(const Node& node, const std::vector<const ResolvedValue*>& in, std::map<std::string, ResolvedValue>& env) {
  bool all_known = true;
  for (const auto* v : in) all_known = all_known && (!v || v->value);
  // Shape arguments must be computable from the input shapes, not from input data.
  for (std::size_t k = 0; k < in.size(); ++k)
    if (in[k] && !in[k]->value && is_shape_argument(node.op, k))
      throw Error(ErrorKind::Unsupported,
                  fmt::format("node '{}' ({}): its shape argument '{}' depends on the data of the graph inputs",
                              node.name, to_string(node.op), node.inputs[k]));
  const NodeInputs inputs(node, in);
  std::vector<OutputType> types = rule_types(node, inputs);
  if (types.size() < node.outputs.size())
    throw fail(node, fmt::format("has {} outputs, the operator makes {}", node.outputs.size(), types.size()));
  std::int64_t elements = 0;
  for (const auto& t : types) elements += element_count(t.shape);
  if (node.op == OpType::Shape) {  // the shape of a value is known even when its data is not
    const auto dims = shape_operator_dims(node, inputs.shape(0));
    env[node.outputs[0]] =
        ResolvedValue{.dtype = DType::Int64, .shape = types[0].shape, .value = Tensor::from_ints(types[0].shape, dims)};
    return;
  }
  if (all_known && elements <= kFoldLimit) {
    const auto values = inputs.values();
    auto outputs = evaluate_node(node, values);
    for (std::size_t i = 0; i < node.outputs.size(); ++i)
      env[node.outputs[i]] =
          ResolvedValue{.dtype = outputs[i].dtype(), .shape = outputs[i].shape(), .value = std::move(outputs[i])};
    return;
  }
  for (std::size_t i = 0; i < node.outputs.size(); ++i)
    env[node.outputs[i]] =
        ResolvedValue{.dtype = types[i].dtype, .shape = std::move(types[i].shape), .value = std::nullopt};
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
    ResolvedValue v{.dtype = info.dtype, .shape = info.shape, .value = std::nullopt};
    if (const auto it = graph.initializers.find(name); it != graph.initializers.end()) v.value = it->second;
    env[name] = std::move(v);
  }
  for (const auto& name : graph.inputs) {
    const auto it = input_shapes.find(name);
    if (it == input_shapes.end())
      throw Error(ErrorKind::InvalidArgument, fmt::format("graph '{}': no shape given for input '{}'", graph.name, name));
    env[name] = ResolvedValue{.dtype = graph.values.at(name).dtype, .shape = it->second, .value = std::nullopt};
  }
  std::vector<const ResolvedValue*> in;
  for (const auto& node : graph.nodes) {
    in.clear();
    for (const auto& name : node.inputs) {
      if (name.empty()) {
        in.push_back(nullptr);
        continue;
      }
      const auto it = env.find(name);
      if (it == env.end())
        throw Error(ErrorKind::Internal, fmt::format("node '{}' reads undefined value '{}'", node.name, name));
      in.push_back(&it->second);
    }
    resolve_node(node, in, env);
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

namespace {

// Input shapes with the dynamic batch (axis 0) `batch` and other dynamic dimensions `other`.
std::map<std::string, Shape> input_shapes(const Graph& graph, std::int64_t batch, std::int64_t other) {
  std::map<std::string, Shape> shapes = concrete_input_shapes(graph, other);
  for (auto& [name, s] : shapes)
    if (!s.empty() && graph.values.at(name).shape[0] < 0) s[0] = batch;
  return shapes;
}

}  // namespace

void infer_value_info(Graph& graph) {
  std::map<std::string, ResolvedValue> small, large;
  try {
    small = resolve_shapes(graph, concrete_input_shapes(graph, 1));
    large = resolve_shapes(graph, concrete_input_shapes(graph, 2));
  } catch (const Error&) {
    // A CNN over a dynamic width or height cannot run on 1 or 2 pixels: resolve those at 32 and 64
    // (the batch stays 1 and 2); if that fails too, the error is the real one.
    small = resolve_shapes(graph, input_shapes(graph, 1, 32));
    large = resolve_shapes(graph, input_shapes(graph, 2, 64));
  }
  for (const auto& node : graph.nodes)
    for (const auto& name : node.outputs) {
      const auto& a = small.at(name);
      const auto& b = large.at(name);
      ValueInfo info{.dtype = a.dtype, .shape = a.shape};
      if (a.shape.size() == b.shape.size())
        for (std::size_t d = 0; d < a.shape.size(); ++d)
          if (a.shape[d] != b.shape[d]) info.shape[d] = -1;
      graph.values[name] = info;
    }
}

}  // namespace raceit::model

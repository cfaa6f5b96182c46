#include "raceit/model/onnx_import.hpp"

#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>

#include "raceit/core/error.hpp"
#include "raceit/core/tensor_size_limit.hpp"
#include "raceit/model/datasets.hpp"
#include "raceit/model/op_traits.hpp"
#include "raceit/model/passes.hpp"
#include "raceit/model/shape_inference.hpp"

namespace raceit::model {

namespace {

template <class T>
std::vector<T> raw_values(const std::string& raw, std::size_t count, const std::string& where) {
  if (raw.size() != count * sizeof(T))
    throw Error(ErrorKind::Parse, fmt::format("{}: raw data holds {} bytes, the shape needs {}", where, raw.size(),
                                              count * sizeof(T)));
  std::vector<T> v(count);
  if (count > 0) std::memcpy(v.data(), raw.data(), raw.size());
  return v;
}

Tensor convert_tensor(const onnx::TensorProto& t, const std::string& where) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    throw Error(ErrorKind::Unsupported, fmt::format("{}: tensors with external data are not supported", where));
  Shape shape(t.dims().begin(), t.dims().end());
  for (auto d : shape)
    if (d < 0) throw Error(ErrorKind::Parse, fmt::format("{}: negative dimension", where));
  const auto n = static_cast<std::size_t>(element_count(shape));
  const bool raw = t.has_raw_data();
  auto check = [&](int have) {
    if (static_cast<std::size_t>(have) != n)
      throw Error(ErrorKind::Parse, fmt::format("{}: {} values for shape {}", where, have, to_string(shape)));
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: {
      if (raw) return Tensor::from_floats(shape, raw_values<float>(t.raw_data(), n, where));
      check(t.float_data_size());
      return Tensor::from_floats(shape, {t.float_data().begin(), t.float_data().end()});
    }
    case onnx::TensorProto::DOUBLE: {
      std::vector<double> d = raw ? raw_values<double>(t.raw_data(), n, where)
                                  : std::vector<double>(t.double_data().begin(), t.double_data().end());
      check(static_cast<int>(d.size()));
      return Tensor::from_floats(shape, std::vector<float>(d.begin(), d.end()));
    }
    case onnx::TensorProto::INT64: {
      if (raw) return Tensor::from_ints(shape, raw_values<std::int64_t>(t.raw_data(), n, where));
      check(t.int64_data_size());
      return Tensor::from_ints(shape, {t.int64_data().begin(), t.int64_data().end()});
    }
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL: {
      std::vector<std::int64_t> v;
      if (raw) {
        if (t.data_type() == onnx::TensorProto::INT32) {
          const auto w = raw_values<std::int32_t>(t.raw_data(), n, where);
          v.assign(w.begin(), w.end());
        } else {
          const auto w = raw_values<std::uint8_t>(t.raw_data(), n, where);
          for (auto b : w) v.push_back(t.data_type() == onnx::TensorProto::INT8 ? static_cast<std::int8_t>(b) : b);
        }
      } else {
        v.assign(t.int32_data().begin(), t.int32_data().end());
      }
      check(static_cast<int>(v.size()));
      return Tensor::from_ints(shape, std::move(v), t.data_type() == onnx::TensorProto::BOOL ? DType::Bool : DType::Int64);
    }
    default:
      throw Error(ErrorKind::Unsupported,
                  fmt::format("{}: tensor element type {} is not supported", where,
                              onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(t.data_type()))));
  }
}

// Converts a TensorProto; `where` names the tensor in errors (also those of the tensor itself:
// a shape over the import's size limit).
Tensor to_tensor(const onnx::TensorProto& t, const std::string& where) {
  try {
    return convert_tensor(t, where);
  } catch (const Error& e) {
    if (std::string(e.what()).rfind(where, 0) == 0) throw;
    throw Error(e.kind(), fmt::format("{}: {}", where, e.what()));
  }
}

DType to_dtype(int onnx_type, const std::string& where) {
  switch (onnx_type) {
    case onnx::TensorProto::FLOAT: case onnx::TensorProto::DOUBLE: return DType::Float32;
    case onnx::TensorProto::INT64: case onnx::TensorProto::INT32: case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8: return DType::Int64;
    case onnx::TensorProto::BOOL: return DType::Bool;
    default: throw Error(ErrorKind::Unsupported, fmt::format("{}: element type {} is not supported", where, onnx_type));
  }
}

ValueInfo to_value_info(const onnx::ValueInfoProto& v, const std::string& where) {
  if (!v.type().has_tensor_type()) throw Error(ErrorKind::Unsupported, fmt::format("{}: '{}' is not a tensor", where, v.name()));
  ValueInfo info{.dtype = to_dtype(v.type().tensor_type().elem_type(), where + ": value '" + v.name() + "'"),
                 .shape = {}};
  for (const auto& d : v.type().tensor_type().shape().dim()) info.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
  return info;
}

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string source, ImportOptions options)
      : model_(model), source_(std::move(source)), options_(std::move(options)) {
    for (const auto& op : model.opset_import())
      if (op.domain().empty() || op.domain() == "ai.onnx") opset_ = op.version();
  }

  Graph run() {
    const auto& g = model_.graph();
    graph_.name = g.name();
    graph_.source = source_;
    for (const auto& init : g.initializer())
      add_constant(graph_, init.name(), to_tensor(init, fmt::format("{}: initializer '{}'", source_, init.name())), true);
    for (const auto& in : g.input()) {
      if (graph_.is_weight(in.name())) continue;
      graph_.inputs.push_back(in.name());
      graph_.values[in.name()] = to_value_info(in, source_);
      for (const auto& d : in.type().tensor_type().shape().dim()) graph_.input_dim_names[in.name()].push_back(d.dim_param());
      fix_dims(in.name());
    }
    convert_nodes(g.node(), 0);
    report_unsupported();
    for (const auto& out : g.output()) graph_.outputs.push_back(resolve(out.name()));
    check_defined();
    simplify(graph_);
    return std::move(graph_);
  }

 private:
  // The options' dimensions for input `name`'s dynamic axes after the batch.
  void fix_dims(const std::string& name) {
    Shape& shape = graph_.values.at(name).shape;
    const std::vector<std::string>& names = graph_.input_dim_names[name];  // empty for a scalar
    for (std::size_t axis = 1; axis < shape.size(); ++axis) {
      if (shape[axis] >= 0) continue;
      const auto it = options_.dims.find(names.at(axis));
      if (it != options_.dims.end()) shape[axis] = it->second;
      else if (options_.sequence_length > 0) shape[axis] = options_.sequence_length;
    }
  }

  // Converts `nodes` (the graph's, or an inlined If branch's), collecting the unsupported ones so
  // that one error names them all.
  void convert_nodes(const google::protobuf::RepeatedPtrField<onnx::NodeProto>& nodes, int first_index) {
    for (int i = 0; i < nodes.size(); ++i) {
      try {
        convert(nodes.Get(i), first_index + i);
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::Unsupported) throw;
        Unsupported& u = unsupported_[nodes.Get(i).op_type()];
        if (u.count++ == 0) u.first_problem = e.what();
        if (u.names.size() < 3) u.names.push_back(node_name(nodes.Get(i)));
      }
    }
  }

  // One error for every unsupported node: per operator type its count, first node names and
  // the first node's problem.
  void report_unsupported() const {
    if (unsupported_.empty()) return;
    std::size_t nodes = 0;
    std::string lines;
    for (const auto& [type, u] : unsupported_) {
      nodes += u.count;
      const std::string problem = u.first_problem.substr(u.first_problem.find("): ") == std::string::npos
                                                              ? 0
                                                              : u.first_problem.find("): ") + 3);
      lines += fmt::format("\n  {} ×{} ({}{}): {}", type, u.count, fmt::join(u.names, ", "), u.count > u.names.size() ? ", …" : "",
                           problem);
    }
    throw Error(ErrorKind::Unsupported, fmt::format("{}: {} node{} of {} operator type{} cannot be imported:{}", source_, nodes,
                                                    nodes == 1 ? "" : "s", unsupported_.size(), unsupported_.size() == 1 ? "" : "s",
                                                    lines));
  }

  // Every value read is defined earlier and every graph output is computed: the checker lets a
  // graph output that no node produces through (the passes would report it as an internal error).
  void check_defined() const {
    std::set<std::string> defined(graph_.inputs.begin(), graph_.inputs.end());
    defined.insert(graph_.weight_names.begin(), graph_.weight_names.end());
    for (const auto& node : graph_.nodes) {
      for (const auto& in : node.inputs)
        if (!in.empty() && !defined.count(in))
          throw Error(ErrorKind::Parse, fmt::format("{}: node '{}' reads '{}', which no earlier node, input or initializer defines",
                                                    source_, node.name, in));
      defined.insert(node.outputs.begin(), node.outputs.end());
    }
    for (const auto& out : graph_.outputs)
      if (!defined.count(out))
        throw Error(ErrorKind::Parse, fmt::format("{}: graph output '{}' is not computed by any node", source_, out));
  }

  // Unnamed nodes are called TYPE_INDEX, by their position in the file's node list.
  std::string node_name(const onnx::NodeProto& n) const {
    return n.name().empty() ? fmt::format("{}_{}", n.op_type(), current_index_) : n.name();
  }

  Error node_error(const onnx::NodeProto& n, const std::string& problem, ErrorKind kind = ErrorKind::Unsupported) const {
    return Error(kind, fmt::format("{}: node '{}' (operator {}): {}", source_, node_name(n), n.op_type(), problem));
  }

  std::string resolve(const std::string& name) const {
    const auto it = aliases_.find(name);
    return it == aliases_.end() ? name : it->second;
  }

  const Tensor* constant(const std::string& name) const {
    const auto it = graph_.initializers.find(resolve(name));
    return it == graph_.initializers.end() ? nullptr : &it->second;
  }

  Attributes attributes_of(const onnx::NodeProto& n) const {
    Attributes a;
    for (const auto& attr : n.attribute()) {
      switch (attr.type()) {
        case onnx::AttributeProto::INT: a.set(attr.name(), attr.i()); break;
        case onnx::AttributeProto::FLOAT: a.set(attr.name(), static_cast<double>(attr.f())); break;
        case onnx::AttributeProto::STRING: a.set(attr.name(), attr.s()); break;
        case onnx::AttributeProto::INTS: a.set(attr.name(), std::vector<std::int64_t>(attr.ints().begin(), attr.ints().end())); break;
        case onnx::AttributeProto::FLOATS: a.set(attr.name(), std::vector<double>(attr.floats().begin(), attr.floats().end())); break;
        case onnx::AttributeProto::TENSOR: break;  // Constant and ConstantOfShape read it themselves
        case onnx::AttributeProto::GRAPH: break;   // If reads its branches itself
        default: throw node_error(n, fmt::format("attribute '{}' has an unsupported type", attr.name()));
      }
    }
    return a;
  }

  const onnx::AttributeProto* attribute(const onnx::NodeProto& n, const std::string& name) const {
    for (const auto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }

  // Moves a constant input (axes, split) into an attribute, as older opsets had it.
  void input_to_attribute(const onnx::NodeProto& onnx_node, Node& node, std::size_t index, const std::string& attr) {
    if (node.inputs.size() <= index) return;
    if (!node.inputs[index].empty()) {
      const Tensor* t = constant(node.inputs[index]);
      if (!t) throw node_error(onnx_node, fmt::format("input '{}' ({}) must be a constant", node.inputs[index], attr));
      node.attributes.set(attr, t->to_int_vector());
    }
    node.inputs.resize(index);
  }

  void convert(const onnx::NodeProto& n, int index) {
    current_index_ = index;
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      throw node_error(n, fmt::format("operator domain '{}' is not supported", n.domain()));
    const std::string& type = n.op_type();
    if (n.output_size() == 0 || n.output(0).empty()) throw node_error(n, "has no output", ErrorKind::Parse);
    Node node;
    node.name = node_name(n);
    for (const auto& in : n.input()) node.inputs.push_back(in.empty() ? "" : resolve(in));
    node.outputs.assign(n.output().begin(), n.output().end());
    node.attributes = attributes_of(n);
    node.origin = type;

    if (type == "Constant") {
      const onnx::AttributeProto* a = attribute(n, "value");
      Tensor t;
      if (a) t = to_tensor(a->t(), fmt::format("{}: node '{}' (Constant)", source_, node.name));
      else if ((a = attribute(n, "value_float"))) t = Tensor::scalar(a->f());
      else if ((a = attribute(n, "value_floats"))) t = Tensor::from_floats({a->floats_size()}, {a->floats().begin(), a->floats().end()});
      else if ((a = attribute(n, "value_int"))) t = Tensor::from_ints({}, {a->i()});
      else if ((a = attribute(n, "value_ints"))) t = Tensor::from_ints({a->ints_size()}, {a->ints().begin(), a->ints().end()});
      else throw node_error(n, "Constant without a supported value attribute");
      add_constant(graph_, node.outputs.at(0), std::move(t));
      return;
    }
    if (type == "Identity" || type == "Dropout") {
      if (node.inputs.empty()) throw node_error(n, "no input", ErrorKind::Parse);
      if (node.outputs.size() > 1 && !node.outputs[1].empty())
        throw node_error(n, "Dropout's mask output is not supported (inference only)");
      if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
        const Tensor* training = constant(node.inputs[2]);
        if (!training || training->size() != 1 || training->integer(0) != 0)
          throw node_error(n, "training-mode Dropout is not supported");
      }
      aliases_[node.outputs.at(0)] = node.inputs[0];
      return;
    }
    if (type == "Gemm") return convert_gemm(n, node);
    if (type == "If") return convert_if(n, node);
    if (type == "Einsum") return convert_einsum(n, node);
    node.op = operator_type(n);
    normalise(n, node);
    expect_arity(n, node);
    check_attributes(n, node);
    graph_.nodes.push_back(std::move(node));
  }

  // The IR operator of an ONNX operator type (IR-only operators are not ONNX's).
  OpType operator_type(const onnx::NodeProto& n) const {
    static const std::map<std::string, OpType> kRenamed = {
        {"MatMul", OpType::DataMatMul},          {"LayerNormalization", OpType::LayerNorm},
        {"BatchNormalization", OpType::BatchNorm}, {"GlobalAveragePool", OpType::ReduceMean},
        {"GlobalMaxPool", OpType::ReduceMax},
    };
    static const std::set<OpType> kIrOnly = {OpType::WeightMatMul, OpType::DataMatMul, OpType::LayerNorm, OpType::RmsNorm,
                                             OpType::Silu, OpType::BatchNorm, OpType::Im2Col};
    if (const auto it = kRenamed.find(n.op_type()); it != kRenamed.end()) return it->second;
    OpType op{};
    try {
      op = op_type_from_string(n.op_type());
    } catch (const Error&) {
      throw node_error(n, "raceit does not support this operator type");
    }
    if (kIrOnly.count(op)) throw node_error(n, "raceit does not support this operator type");
    return op;
  }

  // A value known at import: a constant, or computed from constants and the static dimensions of
  // the inputs (the import's own folding, run on the graph so far); nullopt otherwise.
  std::optional<Tensor> static_value(const std::string& name) const {
    if (const Tensor* t = constant(name)) return *t;
    Graph partial = graph_;
    partial.outputs = {name};
    try {
      infer_value_info(partial);
      fold_constants(partial);
    } catch (const Error&) {
      return std::nullopt;
    }
    const auto it = partial.initializers.find(name);
    return it == partial.initializers.end() ? std::nullopt : std::optional<Tensor>(it->second);
  }

  // If with a condition known at import: the taken branch's nodes inline (its outputs become the
  // If's); the other branch is dropped.
  void convert_if(const onnx::NodeProto& n, const Node& node) {
    if (node.inputs.size() != 1) throw node_error(n, "If needs one input", ErrorKind::Parse);
    const auto cond = static_value(node.inputs[0]);
    if (!cond)
      throw node_error(n, fmt::format("its condition '{}' depends on the graph inputs (their data or a dynamic "
                                      "dimension); it would be folded if its inputs were static (a dimension set "
                                      "with --dim or --seq is static)",
                                      node.inputs[0]));
    if (cond->size() != 1) throw node_error(n, "condition is not a single value", ErrorKind::Parse);
    const onnx::AttributeProto* branch = attribute(n, cond->number(0) != 0 ? "then_branch" : "else_branch");
    if (!branch || !branch->has_g()) throw node_error(n, "branch graph missing", ErrorKind::Parse);
    const onnx::GraphProto& g = branch->g();
    if (g.output_size() != n.output_size())
      throw node_error(n, fmt::format("branch has {} outputs, the If {}", g.output_size(), n.output_size()), ErrorKind::Parse);
    for (const auto& init : g.initializer())
      add_constant(graph_, init.name(), to_tensor(init, fmt::format("{}: node '{}' initializer '{}'", source_, node.name, init.name())),
                   true);
    const int index = current_index_;
    convert_nodes(g.node(), index * 1000);
    current_index_ = index;
    for (int k = 0; k < n.output_size(); ++k) aliases_[n.output(k)] = resolve(g.output(k).name());
  }

  // Einsum of the matmul shape exporters emit ("bhid,bhjd->bhij", "bij,jk->bik"): per operand,
  // batch letters (in both and the output), one free letter each, one contracted letter. Becomes
  // Transposes around a DataMatMul (a WeightMatMul once a constant operand is recognised).
  void convert_einsum(const onnx::NodeProto& n, const Node& node) {
    const auto it = node.attributes.all().find("equation");
    std::string eq = it == node.attributes.all().end() || !std::holds_alternative<std::string>(it->second)
                         ? ""
                         : std::get<std::string>(it->second);
    eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
    const auto arrow = eq.find("->"), comma = eq.find(',');
    const std::string unsupported = fmt::format("equation '{}' is not a two-operand matmul (batch letters, one free letter per "
                                                "operand, one contracted letter, explicit output, no ellipsis)", eq);
    if (node.inputs.size() != 2 || arrow == std::string::npos || comma == std::string::npos || comma > arrow ||
        eq.find('.') != std::string::npos)
      throw node_error(n, unsupported);
    const std::string a = eq.substr(0, comma), b = eq.substr(comma + 1, arrow - comma - 1), out = eq.substr(arrow + 2);
    auto has = [](const std::string& s, char c) { return s.find(c) != std::string::npos; };
    auto unique = [](std::string s) {
      std::sort(s.begin(), s.end());
      return std::adjacent_find(s.begin(), s.end()) == s.end();
    };
    std::string batch, left, right, contracted;
    for (char c : a) (has(b, c) ? (has(out, c) ? batch : contracted) : (has(out, c) ? left : contracted)) += c;
    for (char c : b)
      if (!has(a, c)) (has(out, c) ? right : contracted) += c;
    // An outer product ("i,j->ij") contracts over an added axis of length 1.
    const bool outer = contracted.empty();
    bool ok = unique(a) && unique(b) && unique(out) && left.size() == 1 && right.size() == 1 && contracted.size() <= 1 &&
              (outer || (has(a, contracted[0]) && has(b, contracted[0]))) && out.size() == batch.size() + 2;
    for (char c : out) ok = ok && (has(a, c) || has(b, c));
    if (!ok) throw node_error(n, unsupported);
    auto permuted = [&](const std::string& input, const std::string& from, const std::string& to, const std::string& suffix) {
      std::vector<std::int64_t> perm;
      for (char c : to) perm.push_back(static_cast<std::int64_t>(from.find(c)));
      if (std::is_sorted(perm.begin(), perm.end())) return input;
      Attributes attrs;
      attrs.set("perm", perm);
      graph_.nodes.push_back(Node{.name = node.name + suffix,
                                  .op = OpType::Transpose,
                                  .inputs = {input},
                                  .outputs = {node.name + suffix},
                                  .attributes = attrs,
                                  .origin = "Einsum"});
      return node.name + suffix;
    };
    std::string lhs = permuted(node.inputs[0], a, batch + left + contracted, "/lhs");
    std::string rhs = permuted(node.inputs[1], b, batch + contracted + right, "/rhs");
    if (outer) {
      auto unsqueezed = [&](const std::string& input, std::int64_t axis, const std::string& suffix) {
        Attributes attrs;
        attrs.set("axes", std::vector<std::int64_t>{axis});
        graph_.nodes.push_back(Node{.name = node.name + suffix,
                                    .op = OpType::Unsqueeze,
                                    .inputs = {input},
                                    .outputs = {node.name + suffix},
                                    .attributes = attrs,
                                    .origin = "Einsum"});
        return node.name + suffix;
      };
      lhs = unsqueezed(lhs, -1, "/lhs_column");
      rhs = unsqueezed(rhs, static_cast<std::int64_t>(batch.size()), "/rhs_row");
    }
    const std::string product_order = batch + left + right;
    const bool reorder = product_order != out;
    const std::string product = reorder ? node.name + "/product" : node.outputs.at(0);
    graph_.nodes.push_back(Node{.name = node.name,
                                .op = OpType::DataMatMul,
                                .inputs = {lhs, rhs},
                                .outputs = {product},
                                .attributes = {},
                                .origin = "Einsum"});
    if (!reorder) return;
    std::vector<std::int64_t> perm;
    for (char c : out) perm.push_back(static_cast<std::int64_t>(product_order.find(c)));
    Attributes attrs;
    attrs.set("perm", perm);
    graph_.nodes.push_back(Node{.name = node.name + "/order",
                                .op = OpType::Transpose,
                                .inputs = {product},
                                .outputs = {node.outputs.at(0)},
                                .attributes = attrs,
                                .origin = "Einsum"});
  }

  // Bring opset-dependent forms to the IR's one form.
  void normalise(const onnx::NodeProto& n, Node& node) {
    switch (node.op) {
      case OpType::ReduceSum:
      case OpType::Squeeze:
      case OpType::Unsqueeze: input_to_attribute(n, node, 1, "axes"); break;
      case OpType::Split: input_to_attribute(n, node, 1, "split"); break;
      case OpType::Conv:
        if (const auto it = node.attributes.all().find("auto_pad");
            it != node.attributes.all().end() && !(std::holds_alternative<std::string>(it->second) &&
                                                   std::get<std::string>(it->second) == "NOTSET"))
          throw node_error(n, "auto_pad is not supported (give explicit pads)");
        break;
      case OpType::Softmax:
      case OpType::LogSoftmax:
        // Before opset 13 the input is flattened at the axis (default 1) into rows.
        if (opset_ < 13) {
          node.attributes.set("axis", node.attributes.get_int("axis", 1));
          node.attributes.set("flatten", std::int64_t{1});
        }
        break;
      case OpType::BatchNorm:
        if (node.outputs.size() > 1 && std::any_of(node.outputs.begin() + 1, node.outputs.end(), [](const auto& o) { return !o.empty(); }))
          throw node_error(n, "training-mode BatchNormalization (running statistics outputs) is not supported");
        node.outputs.resize(1);
        node.attributes = {};
        node.attributes.set("epsilon", attributes_of(n).get_float("epsilon", 1e-5));
        break;
      case OpType::MaxPool:
        if (node.outputs.size() > 1 && !node.outputs[1].empty()) throw node_error(n, "MaxPool's Indices output is not supported");
        node.outputs.resize(1);
        if (node.attributes.get_int("storage_order", 0) != 0) throw node_error(n, "storage_order=1 is not supported");
        break;
      case OpType::ReduceMean:
      case OpType::ReduceMax:
        if (n.op_type() == "GlobalAveragePool" || n.op_type() == "GlobalMaxPool") {  // over H and W of NCHW
          node.attributes.set("axes", std::vector<std::int64_t>{2, 3});
          node.attributes.set("keepdims", std::int64_t{1});
          node.attributes.set("spatial_rank", std::int64_t{4});
          break;
        }
        input_to_attribute(n, node, 1, "axes");
        break;
      case OpType::ConstantOfShape: {
        const onnx::AttributeProto* a = attribute(n, "value");
        const Tensor value = a ? to_tensor(a->t(), source_ + ": node '" + node.name + "' value") : Tensor::scalar(0.0f);
        if (value.size() != 1) throw node_error(n, fmt::format("value holds {} elements, not one", value.size()), ErrorKind::Parse);
        node.attributes.set("dtype", static_cast<std::int64_t>(value.dtype()));
        node.attributes.set("value", value.number(0));
        break;
      }
      case OpType::Slice:
        if (opset_ < 10) {  // starts/ends/axes were attributes
          for (const char* name : {"starts", "ends", "axes"}) {
            if (!node.attributes.has(name)) continue;
            const auto v = node.attributes.get_ints(name);
            const std::string c = node.name + "/" + name;
            add_constant(graph_, c, Tensor::from_ints({static_cast<std::int64_t>(v.size())}, v));
            node.inputs.push_back(c);
          }
        }
        break;
      default: break;
    }
  }

  // The operator specification's constraints on attributes, checked before a shape rule or a
  // kernel reads them: a zero stride divides, a short pads list is read past its end, a perm
  // with a repeated axis reads outside the input.
  void check_attributes(const onnx::NodeProto& n, const Node& node) const {
    try {
      check_attribute_values(n, node);
    } catch (const Error& e) {  // an attribute of the wrong type
      if (std::string(e.what()).rfind(source_, 0) == 0) throw;
      throw node_error(n, e.what(), ErrorKind::Parse);
    }
  }

  void check_attribute_values(const onnx::NodeProto& n, const Node& node) const {
    // Beyond these, sizes computed from the attributes could overflow 64 bits.
    constexpr std::int64_t kMaxExtent = std::int64_t{1} << 24;
    const auto& a = node.attributes;
    auto bad = [&](const std::string& problem) { return node_error(n, problem, ErrorKind::Parse); };
    auto check_ints = [&](const char* name, std::size_t length, std::int64_t min) {
      if (!a.has(name)) return;
      const auto v = a.get_ints(name);
      if (v.size() != length)
        throw bad(fmt::format("attribute '{}' has {} values; a 2-D convolution needs {}", name, v.size(), length));
      for (auto x : v)
        if (x < min || x > kMaxExtent) throw bad(fmt::format("attribute '{}' holds {}, outside {}…{}", name, x, min, kMaxExtent));
    };
    switch (node.op) {
      case OpType::Conv:
        check_ints("strides", 2, 1);
        check_ints("dilations", 2, 1);
        check_ints("pads", 4, 0);
        check_ints("kernel_shape", 2, 1);
        if (const auto group = a.get_int("group", 1); group < 1 || group > kMaxExtent)
          throw bad(fmt::format("attribute 'group' is {}, it must be at least 1", group));
        break;
      case OpType::Transpose: {
        if (!a.has("perm")) break;
        const auto perm = a.get_ints("perm");
        std::vector<bool> seen(perm.size(), false);
        for (auto p : perm) {
          if (p < 0 || p >= static_cast<std::int64_t>(perm.size()) || seen[static_cast<std::size_t>(p)])
            throw bad(fmt::format("attribute 'perm' {} is not a permutation of 0…{}", to_string(Shape(perm)), perm.size() - 1));
          seen[static_cast<std::size_t>(p)] = true;
        }
        break;
      }
      case OpType::Gather: {
        const auto it = graph_.values.find(node.inputs[0]);
        const auto axis = a.get_int("axis", 0);
        if (it == graph_.values.end()) break;  // the kernel checks it against the computed rank
        const auto rank = static_cast<std::int64_t>(it->second.shape.size());
        if (axis < -rank || axis >= rank)
          throw bad(fmt::format("attribute 'axis' is {}, outside -{}…{} for input '{}' of rank {}", axis, rank, rank - 1,
                                node.inputs[0], rank));
        break;
      }
      case OpType::Split:
        for (auto s : a.get_ints("split"))
          if (s < 0) throw bad(fmt::format("attribute 'split' holds a negative size {}", s));
        break;
      default: break;
    }
  }

  void expect_arity(const onnx::NodeProto& n, const Node& node) const {
    const OpTraits& t = op_traits(node.op);
    const std::size_t min_in = t.min_inputs, max_in = t.max_inputs == kVariadic ? SIZE_MAX : t.max_inputs;
    if (node.inputs.size() < min_in || node.inputs.size() > max_in)
      throw node_error(n, fmt::format("has {} inputs, expected {}{}", node.inputs.size(), min_in,
                                      max_in == min_in ? "" : max_in == SIZE_MAX ? " or more" : fmt::format(" to {}", max_in)),
                       ErrorKind::Parse);
    if (node.outputs.empty()) throw node_error(n, "has no outputs", ErrorKind::Parse);
  }

  std::string add_node(OpType op, const std::string& name, std::vector<std::string> inputs, Attributes attributes = {}) {
    Node node{.name = name,
              .op = op,
              .inputs = std::move(inputs),
              .outputs = {name},
              .attributes = std::move(attributes),
              .origin = "Gemm"};
    graph_.nodes.push_back(std::move(node));
    return name;
  }

  // Y = alpha·A'·B' + beta·C. With a constant B this is a weight matmul (alpha folded into W,
  // beta·C into the bias when C is a row vector); otherwise a data-dependent matmul.
  void convert_gemm(const onnx::NodeProto& n, Node& node) {
    if (node.inputs.size() < 2 || node.inputs.size() > 3) throw node_error(n, "Gemm needs 2 or 3 inputs", ErrorKind::Parse);
    const double alpha = node.attributes.get_float("alpha", 1.0), beta = node.attributes.get_float("beta", 1.0);
    const bool trans_a = node.attributes.get_int("transA", 0) != 0, trans_b = node.attributes.get_int("transB", 0) != 0;
    const std::string out = node.outputs.at(0);
    std::string a = node.inputs[0];
    if (trans_a) a = add_node(OpType::Transpose, node.name + "/transpose_a", {a});
    const Tensor* b = constant(node.inputs[1]);
    const Tensor* c = node.inputs.size() > 2 && !node.inputs[2].empty() ? constant(node.inputs[2]) : nullptr;
    const bool c_is_bias = c && b && b->rank() == 2 && c->is_float() && (c->rank() <= 1 || (c->rank() == 2 && c->dim(0) == 1)) &&
                           c->size() == b->dim(trans_b ? 0 : 1);
    const bool has_c = node.inputs.size() > 2 && !node.inputs[2].empty();
    std::string product = has_c && !c_is_bias ? node.name + "/product" : out;
    if (b && b->rank() == 2 && b->is_float()) {
      Tensor w(DType::Float32, {b->dim(trans_b ? 1 : 0), b->dim(trans_b ? 0 : 1)});
      const auto k = w.dim(0), m = w.dim(1);
      for (std::int64_t i = 0; i < k; ++i)
        for (std::int64_t j = 0; j < m; ++j)
          w.floats()[i * m + j] = static_cast<float>(alpha * b->floats()[trans_b ? j * k + i : i * m + j]);
      const std::string w_name = node.name + "/weight";
      // Learned, even when exported as a Constant node.
      constexpr bool parameter = true;
      add_constant(graph_, w_name, std::move(w), parameter);
      std::vector<std::string> inputs = {a, w_name};
      if (c_is_bias) {
        std::vector<float> bias(c->floats().begin(), c->floats().end());
        for (auto& v : bias) v = static_cast<float>(beta * v);
        add_constant(graph_, node.name + "/bias", Tensor::from_floats({m}, std::move(bias)), parameter);
        inputs.push_back(node.name + "/bias");
      }
      graph_.nodes.push_back(Node{.name = node.name,
                                  .op = OpType::WeightMatMul,
                                  .inputs = inputs,
                                  .outputs = {product},
                                  .attributes = {},
                                  .origin = "Gemm"});
    } else {
      std::string bm = node.inputs[1];
      if (trans_b) bm = add_node(OpType::Transpose, node.name + "/transpose_b", {bm});
      std::string p = alpha == 1.0 ? product : node.name + "/unscaled";
      graph_.nodes.push_back(Node{.name = node.name,
                                  .op = OpType::DataMatMul,
                                  .inputs = {a, bm},
                                  .outputs = {p},
                                  .attributes = {},
                                  .origin = "Gemm"});
      if (alpha != 1.0) {
        add_constant(graph_, node.name + "/alpha", Tensor::scalar(static_cast<float>(alpha)));
        graph_.nodes.push_back(Node{.name = node.name + "/scale",
                                    .op = OpType::Mul,
                                    .inputs = {p, node.name + "/alpha"},
                                    .outputs = {product},
                                    .attributes = {},
                                    .origin = "Gemm"});
      }
    }
    if (has_c && !c_is_bias) {
      std::string cv = node.inputs[2];
      if (beta != 1.0) {
        add_constant(graph_, node.name + "/beta", Tensor::scalar(static_cast<float>(beta)));
        cv = add_node(OpType::Mul, node.name + "/scale_c", {cv, node.name + "/beta"});
      }
      graph_.nodes.push_back(Node{.name = node.name + "/add_c",
                                  .op = OpType::Add,
                                  .inputs = {product, cv},
                                  .outputs = {out},
                                  .attributes = {},
                                  .origin = "Gemm"});
    }
  }

  struct Unsupported {
    std::size_t count = 0;
    std::vector<std::string> names;  // the first few
    std::string first_problem;
  };

  const onnx::ModelProto& model_;
  std::string source_;
  ImportOptions options_;
  std::map<std::string, Unsupported> unsupported_;
  std::int64_t opset_ = 1;
  int current_index_ = 0;
  Graph graph_;
  std::map<std::string, std::string> aliases_;
};

}  // namespace

Graph import_onnx_bytes(std::string_view bytes, const std::string& source, const ImportOptions& options) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    throw Error(ErrorKind::Parse, fmt::format("{}: not a valid ONNX model (the protobuf message does not parse; "
                                              "truncated or not an .onnx file?)", source));
  if (!model.has_graph() || model.graph().node_size() == 0)
    throw Error(ErrorKind::Parse, fmt::format("{}: not a valid ONNX model (no graph or no nodes)", source));
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::Parse, fmt::format("{}: ONNX checker rejects the model: {}", source, e.what()));
  }
  // Folding and shape inference compute values the file only describes: none may be larger than
  // 64 Mi elements or than the file itself (which bounds its own initializers).
  constexpr std::int64_t kMaxComputedElements = std::int64_t{1} << 26;
  const TensorSizeLimit limit(std::max(kMaxComputedElements, static_cast<std::int64_t>(bytes.size())));
  try {
    return Importer(model, source, options).run();
  } catch (const Error& e) {
    // Errors from the kernels during folding name the node but not the file.
    const std::string what = e.what();
    if (what.rfind(source, 0) == 0) throw;
    throw Error(e.kind(), fmt::format("{}: {}", source, what));
  }
}

Graph import_onnx(const std::string& path, const ImportOptions& options) {
  return import_onnx_bytes(read_file(path), path, options);
}

Tensor read_onnx_tensor(const std::string& path) {
  onnx::TensorProto t;
  const std::string bytes = read_file(path);
  if (!t.ParseFromString(bytes)) throw Error(ErrorKind::Parse, fmt::format("{}: not a serialised ONNX TensorProto", path));
  return to_tensor(t, path);
}

}  // namespace raceit::model

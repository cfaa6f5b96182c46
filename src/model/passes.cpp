#include "raceit/model/passes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "raceit/core/error.hpp"
#include "raceit/model/kernels.hpp"
#include "raceit/model/shape_inference.hpp"

namespace raceit::model {

namespace {

const Tensor* constant(const Graph& g, const std::string& name) {
  const auto it = g.initializers.find(name);
  return it == g.initializers.end() ? nullptr : &it->second;
}

bool is_scalar_constant(const Graph& g, const std::string& name, double value, double tolerance = 1e-6) {
  const Tensor* t = constant(g, name);
  return t && t->size() == 1 && std::abs(t->number(0) - value) <= tolerance * std::max(1.0, std::abs(value));
}

// Readers of each value, as node indices, plus the graph outputs (which count as readers).
struct Uses {
  std::map<std::string, std::vector<std::size_t>> readers;
  std::set<std::string> graph_outputs;

  explicit Uses(const Graph& g) : graph_outputs(g.outputs.begin(), g.outputs.end()) {
    for (std::size_t i = 0; i < g.nodes.size(); ++i)
      for (const auto& in : g.nodes[i].inputs) readers[in].push_back(i);
  }
  // The only node reading `value`, or -1 when there are several readers or it is a graph output.
  std::ptrdiff_t sole_reader(const std::string& value) const {
    const auto it = readers.find(value);
    if (graph_outputs.count(value) || it == readers.end() || it->second.size() != 1) return -1;
    return static_cast<std::ptrdiff_t>(it->second.front());
  }
};

// The node defining each value, by index.
std::map<std::string, std::size_t> producers(const Graph& g) {
  std::map<std::string, std::size_t> p;
  for (std::size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& out : g.nodes[i].outputs) p[out] = i;
  return p;
}

// The operand of a binary node that is not `known`, or "" if `known` is not an operand.
std::string other_operand(const Node& n, const std::string& known) {
  if (n.inputs.size() != 2) return "";
  if (n.inputs[0] == known) return n.inputs[1];
  if (n.inputs[1] == known) return n.inputs[0];
  return "";
}

void erase_marked(Graph& g, const std::vector<bool>& removed) {
  std::vector<Node> kept;
  for (std::size_t i = 0; i < g.nodes.size(); ++i)
    if (!removed[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
}

bool fold_static_shape(Graph& g, const Node& node) {
  // Shape of a value whose dims are all static.
  if (node.op == OpType::Shape) {
    const auto& shape = g.values.at(node.inputs[0]).shape;
    if (std::any_of(shape.begin(), shape.end(), [](auto d) { return d < 0; })) return false;
    const auto dims = shape_operator_dims(node, shape);
    add_constant(g, node.outputs[0], Tensor::from_ints({static_cast<std::int64_t>(dims.size())}, dims));
    return true;
  }
  // Gather of static dims out of a dynamic shape: Gather(Shape(x), i) with x's dim i static.
  if (node.op == OpType::Gather && node.attributes.get_int("axis", 0) == 0) {
    const Tensor* indices = constant(g, node.inputs[1]);
    if (!indices) return false;
    const auto p = producers(g);
    const auto it = p.find(node.inputs[0]);
    if (it == p.end() || g.nodes[it->second].op != OpType::Shape) return false;
    const Node& shape_node = g.nodes[it->second];
    const auto dims = shape_operator_dims(shape_node, g.values.at(shape_node.inputs[0]).shape);
    std::vector<std::int64_t> picked;
    for (std::int64_t k = 0; k < indices->size(); ++k) {
      auto i = indices->integer(k);
      if (i < 0) i += static_cast<std::int64_t>(dims.size());
      if (i < 0 || i >= static_cast<std::int64_t>(dims.size()) || dims[static_cast<std::size_t>(i)] < 0) return false;
      picked.push_back(dims[static_cast<std::size_t>(i)]);
    }
    add_constant(g, node.outputs[0], Tensor::from_ints(indices->shape(), picked));
    return true;
  }
  return false;
}

// MatMul with a constant matrix as right operand, and an optional constant bias Add after it.
void recognise_weight_matmuls(Graph& g) {
  std::vector<bool> removed(g.nodes.size(), false);
  const Uses uses(g);
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    if (n.op != OpType::DataMatMul) continue;
    const Tensor* w = constant(g, n.inputs[1]);
    if (!w || w->rank() != 2 || !w->is_float() || constant(g, n.inputs[0])) continue;
    n.op = OpType::WeightMatMul;
    n.origin = n.origin.empty() ? "MatMul" : n.origin;
    // A matrix a weight matmul multiplies by is learned, even when exported as a Constant node.
    g.constants.erase(n.inputs[1]);
    const auto r = uses.sole_reader(n.outputs[0]);
    if (r < 0) continue;
    Node& add = g.nodes[static_cast<std::size_t>(r)];
    if (add.op != OpType::Add) continue;
    const std::string bias = other_operand(add, n.outputs[0]);
    const Tensor* b = constant(g, bias);
    if (!b || !b->is_float() || b->size() != w->dim(1) || b->shape().back() != w->dim(1)) continue;
    // Bias of shape [N] (or [1, …, N]) broadcasts the same as the fused form.
    if (b->rank() > static_cast<std::int64_t>(g.values.at(n.outputs[0]).shape.size())) continue;
    const auto bias_name = bias;
    add_constant(g, bias_name, b->reshaped({w->dim(1)}));
    g.constants.erase(bias_name);
    Node fused = n;
    fused.name = add.name;
    fused.inputs.push_back(bias_name);
    fused.outputs = add.outputs;
    fused.origin = n.origin + "+Add";
    add = std::move(fused);
    removed[i] = true;
  }
  erase_marked(g, removed);
}

// Gelu in the forms exporters emit: Mul(Mul(x, 1 + Erf(x/√2)), 0.5) and Mul(Mul(x, 0.5), 1 + Erf(x/√2)),
// with x/√2 as Div(x, √2) or Mul(x, 1/√2).
void recognise_gelu(Graph& g) {
  std::vector<bool> removed(g.nodes.size(), false);
  const Uses uses(g);
  const auto prod = producers(g);
  auto node_at = [&](std::ptrdiff_t i) -> Node* { return i < 0 ? nullptr : &g.nodes[static_cast<std::size_t>(i)]; };
  for (std::size_t e = 0; e < g.nodes.size(); ++e) {
    if (g.nodes[e].op != OpType::Erf || removed[e]) continue;
    const auto scaled = prod.find(g.nodes[e].inputs[0]);
    if (scaled == prod.end() || uses.sole_reader(g.nodes[e].inputs[0]) < 0) continue;
    const Node& s = g.nodes[scaled->second];
    std::string x;
    if (s.op == OpType::Div && is_scalar_constant(g, s.inputs[1], M_SQRT2, 1e-5)) x = s.inputs[0];
    if (s.op == OpType::Mul) {
      for (int k = 0; k < 2; ++k)
        if (is_scalar_constant(g, s.inputs[k], M_SQRT1_2, 1e-5)) x = s.inputs[1 - k];
    }
    if (x.empty()) continue;
    Node* plus_one = node_at(uses.sole_reader(g.nodes[e].outputs[0]));
    if (!plus_one || plus_one->op != OpType::Add || !is_scalar_constant(g, other_operand(*plus_one, g.nodes[e].outputs[0]), 1.0))
      continue;
    Node* outer = node_at(uses.sole_reader(plus_one->outputs[0]));
    if (!outer || outer->op != OpType::Mul) continue;
    const std::string partner = other_operand(*outer, plus_one->outputs[0]);
    std::vector<std::size_t> pattern = {scaled->second, e, static_cast<std::size_t>(&*plus_one - g.nodes.data())};
    Node* last = nullptr;
    if (partner == x) {  // (x·(1 + erf))·0.5
      Node* half = node_at(uses.sole_reader(outer->outputs[0]));
      if (!half || half->op != OpType::Mul || !is_scalar_constant(g, other_operand(*half, outer->outputs[0]), 0.5)) continue;
      pattern.push_back(static_cast<std::size_t>(outer - g.nodes.data()));
      last = half;
    } else {  // (x·0.5)·(1 + erf)
      const auto h = prod.find(partner);
      if (h == prod.end() || uses.sole_reader(partner) < 0) continue;
      const Node& half = g.nodes[h->second];
      if (half.op != OpType::Mul || other_operand(half, x).empty() || !is_scalar_constant(g, other_operand(half, x), 0.5))
        continue;
      pattern.push_back(h->second);
      last = outer;
    }
    for (auto k : pattern) removed[k] = true;
    last->op = OpType::Gelu;
    last->inputs = {x};
    last->attributes = {};
    last->origin = "Div+Erf+Add+Mul+Mul";
  }
  erase_marked(g, removed);
}

// Trailing axes a ReduceMean reduces, as the first normalised axis, or -1 if not trailing.
std::int64_t trailing_axis(const Node& reduce, std::int64_t rank) {
  auto axes = reduce.attributes.get_ints("axes");
  if (axes.empty() || reduce.attributes.get_int("keepdims", 1) == 0) return -1;
  for (auto& a : axes) a = a < 0 ? a + rank : a;
  std::sort(axes.begin(), axes.end());
  for (std::size_t k = 0; k < axes.size(); ++k)
    if (axes[k] != rank - static_cast<std::int64_t>(axes.size() - k)) return -1;
  return axes.front();
}

// LayerNorm decomposed as y = (x − mean)/√(mean((x − mean)²) + ε) (·γ + β).
void recognise_layer_norm(Graph& g) {
  std::vector<bool> removed(g.nodes.size(), false);
  const Uses uses(g);
  const auto prod = producers(g);
  auto producer = [&](const std::string& v, OpType op) -> std::ptrdiff_t {
    const auto it = prod.find(v);
    if (it == prod.end() || g.nodes[it->second].op != op) return -1;
    return static_cast<std::ptrdiff_t>(it->second);
  };
  for (std::size_t q = 0; q < g.nodes.size(); ++q) {
    const Node& sqrt = g.nodes[q];
    if (sqrt.op != OpType::Sqrt || removed[q]) continue;
    const auto add_eps = producer(sqrt.inputs[0], OpType::Add);
    if (add_eps < 0) continue;
    const Node& a = g.nodes[static_cast<std::size_t>(add_eps)];
    const auto var_mean = producer(a.inputs[0], OpType::ReduceMean);
    const Tensor* eps = constant(g, a.inputs[1]);
    if (var_mean < 0 || !eps || eps->size() != 1) continue;
    const auto square = producer(g.nodes[static_cast<std::size_t>(var_mean)].inputs[0], OpType::Pow);
    if (square < 0 || !is_scalar_constant(g, g.nodes[static_cast<std::size_t>(square)].inputs[1], 2.0)) continue;
    const std::string centred = g.nodes[static_cast<std::size_t>(square)].inputs[0];
    const auto sub = producer(centred, OpType::Sub);
    if (sub < 0) continue;
    const std::string x = g.nodes[static_cast<std::size_t>(sub)].inputs[0];
    const auto mean = producer(g.nodes[static_cast<std::size_t>(sub)].inputs[1], OpType::ReduceMean);
    if (mean < 0 || g.nodes[static_cast<std::size_t>(mean)].inputs[0] != x) continue;
    const auto rank = static_cast<std::int64_t>(g.values.at(x).shape.size());
    const auto axis = trailing_axis(g.nodes[static_cast<std::size_t>(mean)], rank);
    if (axis < 0 || trailing_axis(g.nodes[static_cast<std::size_t>(var_mean)], rank) != axis) continue;
    // The division, the only reader of √· ; the centred value feeds exactly Pow and Div.
    const auto div_index = uses.sole_reader(sqrt.outputs[0]);
    if (div_index < 0) continue;
    const Node& div = g.nodes[static_cast<std::size_t>(div_index)];
    const auto centred_readers = uses.readers.at(centred);
    if (div.op != OpType::Div || div.inputs[0] != centred || centred_readers.size() != 2) continue;
    std::vector<std::size_t> pattern = {static_cast<std::size_t>(mean), static_cast<std::size_t>(sub),
                                        static_cast<std::size_t>(square), static_cast<std::size_t>(var_mean),
                                        static_cast<std::size_t>(add_eps), q};
    if (uses.sole_reader(g.nodes[static_cast<std::size_t>(mean)].outputs[0]) < 0 ||
        uses.sole_reader(g.nodes[static_cast<std::size_t>(var_mean)].outputs[0]) < 0 ||
        uses.sole_reader(a.outputs[0]) < 0)
      continue;
    const Shape& xs = g.values.at(x).shape;
    Shape width_shape(xs.begin() + axis, xs.end());
    const std::int64_t width = element_count(width_shape);
    std::size_t last = static_cast<std::size_t>(div_index);
    std::string scale, bias;
    // Optional affine part: Mul by γ then Add β, each a constant of the normalised width.
    auto affine = [&](OpType op, std::string& into) {
      const auto r = uses.sole_reader(g.nodes[last].outputs[0]);
      if (r < 0 || g.nodes[static_cast<std::size_t>(r)].op != op) return;
      const std::string c = other_operand(g.nodes[static_cast<std::size_t>(r)], g.nodes[last].outputs[0]);
      const Tensor* t = constant(g, c);
      if (!t || !t->is_float() || t->size() != width) return;
      into = c;
      add_constant(g, c, t->reshaped(width_shape));
      pattern.push_back(last);
      last = static_cast<std::size_t>(r);
    };
    affine(OpType::Mul, scale);
    if (!scale.empty()) affine(OpType::Add, bias);
    if (scale.empty()) {
      scale = g.nodes[last].name + "/unit_scale";
      add_constant(g, scale, Tensor::from_floats(width_shape, std::vector<float>(static_cast<std::size_t>(width), 1.0f)));
    }
    for (auto k : pattern) removed[k] = true;
    Node& ln = g.nodes[last];
    ln.op = OpType::LayerNorm;
    ln.inputs = {x, scale};
    if (!bias.empty()) ln.inputs.push_back(bias);
    ln.attributes = {};
    ln.attributes.set("axis", axis);
    ln.attributes.set("epsilon", eps->number(0));
    ln.origin = "ReduceMean+Sub+Pow+ReduceMean+Add+Sqrt+Div" + std::string(bias.empty() ? "" : "+Mul+Add");
  }
  erase_marked(g, removed);
}

// evaluate_node, with the node named in every error (a tensor over the import's size limit is
// reported by the tensor, which does not know the node).
std::vector<Tensor> evaluate_node_named(const Node& node, const std::vector<const Tensor*>& args) {
  try {
    return evaluate_node(node, args);
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.rfind("node '", 0) == 0) throw;
    throw Error(e.kind(), fmt::format("node '{}' ({}): {}", node.name, to_string(node.op), what));
  }
}

}  // namespace

void add_constant(Graph& graph, const std::string& name, Tensor value, bool parameter) {
  graph.values[name] = ValueInfo{value.dtype(), value.shape()};
  if (!graph.is_weight(name)) {
    graph.weight_names.push_back(name);
    if (!parameter) graph.constants.insert(name);
  }
  graph.initializers[name] = std::move(value);
}

void fold_constants(Graph& graph) {
  std::vector<bool> removed(graph.nodes.size(), false);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    std::vector<const Tensor*> args;
    bool all_constant = true;
    for (const auto& in : node.inputs) {
      const Tensor* t = in.empty() ? nullptr : constant(graph, in);
      all_constant = all_constant && (in.empty() || t);
      args.push_back(t);
    }
    if (all_constant) {
      auto outputs = evaluate_node_named(node, args);
      // Values computed from parameters (a transposed weight) are parameters themselves.
      const bool parameter = std::any_of(node.inputs.begin(), node.inputs.end(), [&](const auto& in) {
        return !in.empty() && !graph.constants.count(in);
      });
      for (std::size_t k = 0; k < node.outputs.size(); ++k)
        add_constant(graph, node.outputs[k], std::move(outputs[k]), parameter);
      removed[i] = true;
    } else if (!graph.values.empty() && std::all_of(node.inputs.begin(), node.inputs.end(), [&](const auto& in) {
                 return in.empty() || graph.values.count(in);
               })) {
      removed[i] = fold_static_shape(graph, node);
    }
  }
  erase_marked(graph, removed);
}

void recognise_semantic_operators(Graph& graph) {
  recognise_weight_matmuls(graph);
  recognise_gelu(graph);
  recognise_layer_norm(graph);
}

void remove_dead_nodes(Graph& graph) {
  std::set<std::string> live(graph.outputs.begin(), graph.outputs.end());
  std::vector<bool> removed(graph.nodes.size(), false);
  for (std::size_t i = graph.nodes.size(); i-- > 0;) {
    const Node& n = graph.nodes[i];
    if (std::none_of(n.outputs.begin(), n.outputs.end(), [&](const auto& o) { return live.count(o); })) {
      removed[i] = true;
      continue;
    }
    live.insert(n.inputs.begin(), n.inputs.end());
  }
  erase_marked(graph, removed);
  for (const auto& n : graph.nodes) live.insert(n.outputs.begin(), n.outputs.end());
  std::vector<std::string> weights;
  for (const auto& w : graph.weight_names) {
    if (live.count(w)) {
      weights.push_back(w);
    } else {
      graph.initializers.erase(w);
      graph.values.erase(w);
      graph.constants.erase(w);
    }
  }
  graph.weight_names = std::move(weights);
  for (auto it = graph.values.begin(); it != graph.values.end();)
    it = live.count(it->first) || std::find(graph.inputs.begin(), graph.inputs.end(), it->first) != graph.inputs.end()
             ? std::next(it)
             : graph.values.erase(it);
}

void simplify(Graph& graph) {
  fold_constants(graph);
  infer_value_info(graph);
  fold_constants(graph);
  recognise_semantic_operators(graph);
  fold_constants(graph);
  remove_dead_nodes(graph);
  infer_value_info(graph);
  graph.validate();
}

}  // namespace raceit::model

#include "raceit/model/passes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
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
  // Gather or Slice of static dims out of a dynamic shape: evaluated on the dims (−1 where
  // dynamic), folded when every picked dim is static.
  if ((node.op == OpType::Gather && node.attributes.get_int("axis", 0) == 0) || node.op == OpType::Slice) {
    const auto p = producers(g);
    const auto it = p.find(node.inputs[0]);
    if (it == p.end() || g.nodes[it->second].op != OpType::Shape) return false;
    std::vector<const Tensor*> args{nullptr};
    for (std::size_t k = 1; k < node.inputs.size(); ++k) {
      args.push_back(node.inputs[k].empty() ? nullptr : constant(g, node.inputs[k]));
      if (!node.inputs[k].empty() && !args.back()) return false;
    }
    const Node& shape_node = g.nodes[it->second];
    const auto dims = shape_operator_dims(shape_node, g.values.at(shape_node.inputs[0]).shape);
    const Tensor dims_tensor = Tensor::from_ints({static_cast<std::int64_t>(dims.size())}, dims);
    args[0] = &dims_tensor;
    Tensor picked;
    try {
      picked = evaluate_node(node, args).at(0);
    } catch (const Error&) {
      return false;  // shape inference reports the problem with the graph's own shapes
    }
    for (auto d : picked.ints())
      if (d < 0) return false;
    add_constant(g, node.outputs[0], std::move(picked));
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

// Node lookups the pattern recognisers share.
struct Patterns {
  Graph& g;
  Uses uses;
  std::map<std::string, std::size_t> prod;
  std::vector<bool> removed;

  explicit Patterns(Graph& graph) : g(graph), uses(graph), prod(producers(graph)), removed(graph.nodes.size(), false) {}

  // The node producing `value` if it is of type `op`, not yet rewritten.
  Node* producer(const std::string& value, OpType op) {
    const auto it = prod.find(value);
    if (it == prod.end() || removed[it->second] || g.nodes[it->second].op != op) return nullptr;
    return &g.nodes[it->second];
  }
  // The only reader of `value` if it is of type `op`.
  Node* reader(const std::string& value, OpType op) {
    const auto r = uses.sole_reader(value);
    if (r < 0 || removed[static_cast<std::size_t>(r)] || g.nodes[static_cast<std::size_t>(r)].op != op) return nullptr;
    return &g.nodes[static_cast<std::size_t>(r)];
  }
  bool single_use(const std::string& value) const { return uses.sole_reader(value) >= 0; }
  std::size_t index(const Node* n) const { return static_cast<std::size_t>(n - g.nodes.data()); }
  // For a binary node with a scalar constant ≈ value as one operand: the other operand, else "".
  std::string scaled_by(const Node* n, double value, double tolerance = 1e-5) const {
    if (!n || n->inputs.size() != 2) return "";
    for (int k = 0; k < 2; ++k)
      if (is_scalar_constant(g, n->inputs[k], value, tolerance)) return n->inputs[1 - k];
    return "";
  }
  void finish() { erase_marked(g, removed); }
};

// The end both GELU forms share, from the output of Erf/Tanh `inner` of x: 1 + inner, times x
// and 0.5 in either order. Returns the last node (which becomes Gelu), adding the others to `pattern`.
Node* gelu_tail(Patterns& p, const Node& inner, const std::string& x, std::vector<std::size_t>& pattern) {
  Node* plus_one = p.reader(inner.outputs[0], OpType::Add);
  if (!plus_one || !is_scalar_constant(p.g, other_operand(*plus_one, inner.outputs[0]), 1.0)) return nullptr;
  Node* outer = p.reader(plus_one->outputs[0], OpType::Mul);
  if (!outer) return nullptr;
  const std::string partner = other_operand(*outer, plus_one->outputs[0]);
  pattern.push_back(p.index(plus_one));
  if (partner == x) {  // (x·(1 + f))·0.5
    Node* half = p.reader(outer->outputs[0], OpType::Mul);
    if (!half || !is_scalar_constant(p.g, other_operand(*half, outer->outputs[0]), 0.5)) return nullptr;
    pattern.push_back(p.index(outer));
    return half;
  }
  // (x·0.5)·(1 + f)
  Node* half = p.producer(partner, OpType::Mul);
  if (!half || !p.single_use(partner) || other_operand(*half, x).empty() || !is_scalar_constant(p.g, other_operand(*half, x), 0.5))
    return nullptr;
  pattern.push_back(p.index(half));
  return outer;
}

void make_gelu(Patterns& p, Node* last, const std::string& x, const std::vector<std::size_t>& pattern, const std::string& origin,
               bool tanh) {
  for (auto k : pattern) p.removed[k] = true;
  last->op = OpType::Gelu;
  last->inputs = {x};
  last->attributes = {};
  if (tanh) last->attributes.set("approximate", std::string("tanh"));
  last->origin = origin;
}

// Gelu in the forms exporters emit: Mul(Mul(x, 1 + Erf(x/√2)), 0.5) and Mul(Mul(x, 0.5), 1 + Erf(x/√2)),
// with x/√2 as Div(x, √2) or Mul(x, 1/√2); and the tanh form 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
// (Hugging Face's gelu_new), x³ as Pow(x, 3) or x·x·x.
void recognise_gelu(Graph& g) {
  Patterns p(g);
  for (std::size_t e = 0; e < g.nodes.size(); ++e) {
    const Node& f = g.nodes[e];
    if ((f.op != OpType::Erf && f.op != OpType::Tanh) || p.removed[e] || !p.single_use(f.inputs[0])) continue;
    std::vector<std::size_t> pattern{e};
    std::string x;
    if (f.op == OpType::Erf) {
      Node* div = p.producer(f.inputs[0], OpType::Div);
      Node* mul = p.producer(f.inputs[0], OpType::Mul);
      if (div && is_scalar_constant(g, div->inputs[1], M_SQRT2, 1e-5)) x = div->inputs[0];
      if (mul) x = p.scaled_by(mul, M_SQRT1_2);
      if (x.empty()) continue;
      pattern.push_back(p.index(div ? div : mul));
    } else {
      Node* scale = p.producer(f.inputs[0], OpType::Mul);
      const std::string inner = p.scaled_by(scale, std::sqrt(2.0 / M_PI));
      Node* sum = inner.empty() || !p.single_use(inner) ? nullptr : p.producer(inner, OpType::Add);
      if (!sum) continue;
      for (int k = 0; k < 2 && x.empty(); ++k) {  // x + 0.044715·x³
        Node* cubic_term = p.producer(sum->inputs[1 - k], OpType::Mul);
        const std::string cube = p.scaled_by(cubic_term, 0.044715);
        Node* pow = cube.empty() || !p.single_use(cube) ? nullptr : p.producer(cube, OpType::Pow);
        if (pow && pow->inputs[0] == sum->inputs[k] && is_scalar_constant(g, pow->inputs[1], 3.0) &&
            p.single_use(sum->inputs[1 - k])) {
          x = sum->inputs[k];
          for (Node* n : {scale, sum, cubic_term, pow}) pattern.push_back(p.index(n));
        }
      }
      if (x.empty()) continue;
    }
    std::vector<std::size_t> tail = pattern;
    Node* last = gelu_tail(p, f, x, tail);
    if (!last) continue;
    make_gelu(p, last, x, tail, f.op == OpType::Erf ? "Div+Erf+Add+Mul+Mul" : "Pow+Mul+Add+Mul+Tanh+Add+Mul+Mul",
              f.op == OpType::Tanh);
  }
  p.finish();
}

// SiLU / Swish: x·sigmoid(x) → Silu(x).
void recognise_silu(Graph& g) {
  Patterns p(g);
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& s = g.nodes[i];
    if (s.op != OpType::Sigmoid || p.removed[i]) continue;
    Node* mul = p.reader(s.outputs[0], OpType::Mul);
    if (!mul || other_operand(*mul, s.outputs[0]) != s.inputs[0]) continue;
    p.removed[i] = true;
    mul->op = OpType::Silu;
    mul->inputs = {s.inputs[0]};
    mul->origin = "Sigmoid+Mul";
  }
  p.finish();
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

// RMSNorm: x · 1/√(mean(x²) + ε) (· γ), with 1/√· as Reciprocal(Sqrt), Div(1, Sqrt) or a Div of x
// by the Sqrt, and x² as Pow(x, 2) or Mul(x, x).
void recognise_rms_norm(Graph& g) {
  Patterns p(g);
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& mean = g.nodes[i];
    if (mean.op != OpType::ReduceMean || p.removed[i] || !p.single_use(mean.inputs[0])) continue;
    std::string x;
    Node* square = p.producer(mean.inputs[0], OpType::Pow);
    if (square && is_scalar_constant(g, square->inputs[1], 2.0)) x = square->inputs[0];
    if (!square && (square = p.producer(mean.inputs[0], OpType::Mul)) && square->inputs[0] == square->inputs[1]) x = square->inputs[0];
    if (x.empty()) continue;
    const auto rank = static_cast<std::int64_t>(g.values.at(x).shape.size());
    const auto axis = trailing_axis(mean, rank);
    Node* add_eps = p.reader(mean.outputs[0], OpType::Add);
    if (axis < 0 || !add_eps) continue;
    const Tensor* eps = constant(g, other_operand(*add_eps, mean.outputs[0]));
    Node* sqrt = p.reader(add_eps->outputs[0], OpType::Sqrt);
    if (!eps || eps->size() != 1 || !sqrt) continue;
    std::vector<std::size_t> pattern = {p.index(square), i, p.index(add_eps), p.index(sqrt)};
    Node* last = nullptr;
    if (Node* div = p.reader(sqrt->outputs[0], OpType::Div); div && div->inputs[0] == x) {
      last = div;  // x / √·
    } else {
      Node* inverse = p.reader(sqrt->outputs[0], OpType::Reciprocal);
      if (!inverse && (inverse = p.reader(sqrt->outputs[0], OpType::Div)) && !is_scalar_constant(g, inverse->inputs[0], 1.0))
        inverse = nullptr;
      Node* scale = inverse ? p.reader(inverse->outputs[0], OpType::Mul) : nullptr;
      if (!scale || other_operand(*scale, inverse->outputs[0]) != x) continue;
      pattern.push_back(p.index(inverse));
      last = scale;
    }
    const Shape& xs = g.values.at(x).shape;
    const Shape width_shape(xs.begin() + axis, xs.end());
    const std::int64_t width = element_count(width_shape);
    std::string gamma;
    if (Node* affine = p.reader(last->outputs[0], OpType::Mul)) {
      const std::string c = other_operand(*affine, last->outputs[0]);
      const Tensor* t = constant(g, c);
      if (t && t->is_float() && t->size() == width) {
        gamma = c;
        add_constant(g, c, t->reshaped(width_shape));
        pattern.push_back(p.index(last));
        last = affine;
      }
    }
    if (gamma.empty()) {
      gamma = last->name + "/unit_scale";
      add_constant(g, gamma, Tensor::from_floats(width_shape, std::vector<float>(static_cast<std::size_t>(width), 1.0f)));
    }
    for (auto k : pattern) p.removed[k] = true;
    last->op = OpType::RmsNorm;
    last->inputs = {x, gamma};
    last->attributes = {};
    last->attributes.set("axis", axis);
    last->attributes.set("epsilon", eps->number(0));
    last->origin = "Pow+ReduceMean+Add+Sqrt+Div/Reciprocal+Mul";
  }
  p.finish();
}

// A BatchNorm right after a Conv or a 2-D WeightMatMul it alone reads folds into that
// operator's weights and bias: W·k per output channel, (b − mean)·k + β with k = scale/√(var + ε).
void fold_batch_norms(Graph& g) {
  Patterns p(g);
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    Node& bn = g.nodes[i];
    if (bn.op != OpType::BatchNorm) continue;
    std::vector<const Tensor*> params;
    for (std::size_t k = 1; k < 5; ++k) params.push_back(constant(g, bn.inputs[k]));
    if (std::find(params.begin(), params.end(), nullptr) != params.end()) continue;
    Node* conv = p.producer(bn.inputs[0], OpType::Conv);
    Node* linear = p.producer(bn.inputs[0], OpType::WeightMatMul);
    Node* op = conv ? conv : linear;
    if (!op || !p.single_use(bn.inputs[0]) || g.values.at(bn.inputs[0]).shape.size() < 2) continue;
    if (linear && (g.values.at(bn.inputs[0]).shape.size() != 2 || linear->attributes.get_int("transpose_weight", 0) != 0)) continue;
    const Tensor* w = constant(g, op->inputs[1]);
    const Tensor* b = op->inputs.size() > 2 ? constant(g, op->inputs[2]) : nullptr;
    if (!w || (op->inputs.size() > 2 && !b)) continue;
    const std::int64_t channels = params[0]->size();
    const std::int64_t out_channels = conv ? w->dim(0) : w->dim(1);
    if (out_channels != channels) continue;
    const double eps = bn.attributes.get_float("epsilon", 1e-5);
    Tensor weight = w->cast(DType::Float32);
    weight = Tensor::from_floats(weight.shape(), std::vector<float>(weight.floats().begin(), weight.floats().end()));
    std::vector<float> bias(static_cast<std::size_t>(channels));
    for (std::int64_t c = 0; c < channels; ++c) {
      const double k = params[0]->number(c) / std::sqrt(params[3]->number(c) + eps);
      bias[static_cast<std::size_t>(c)] = static_cast<float>(((b ? b->number(c) : 0.0) - params[2]->number(c)) * k + params[1]->number(c));
      auto f = weight.floats();
      if (conv) {
        const std::int64_t per = weight.size() / channels;
        for (std::int64_t j = 0; j < per; ++j) f[c * per + j] = static_cast<float>(f[c * per + j] * k);
      } else {
        for (std::int64_t r = 0; r < weight.dim(0); ++r) f[r * channels + c] = static_cast<float>(f[r * channels + c] * k);
      }
    }
    constexpr bool parameter = true;
    add_constant(g, bn.name + "/folded_weight", std::move(weight), parameter);
    add_constant(g, bn.name + "/folded_bias", Tensor::from_floats({channels}, std::move(bias)), parameter);
    Node folded = *op;
    folded.inputs = {op->inputs[0], bn.name + "/folded_weight", bn.name + "/folded_bias"};
    folded.outputs = bn.outputs;
    folded.origin = op->origin + "+BatchNormalization";
    p.removed[p.index(op)] = true;
    bn = std::move(folded);
  }
  p.finish();
}

// Every reader of `from` reads `to` instead (the node making `from` becomes dead).
void bypass(Graph& g, const std::string& from, const std::string& to) {
  for (auto& n : g.nodes)
    for (auto& in : n.inputs)
      if (in == from) in = to;
}

// A Mul or Div by a scalar constant followed only by data movement (Reshape, Transpose, Squeeze,
// Unsqueeze) moves after it, so that a scale exporters put on Q or K before splitting heads
// reaches the attention matmul (and the compiler folds it into a quantiser).
void sink_scalar_scales(Graph& g) {
  auto scalar = [&](const std::string& name) {
    const Tensor* t = constant(g, name);
    return t && t->is_float() && t->size() == 1;
  };
  auto scalar_scale = [&](const Node& n) {
    return (n.op == OpType::Mul && (scalar(n.inputs[0]) || scalar(n.inputs[1]))) || (n.op == OpType::Div && scalar(n.inputs[1]));
  };
  for (bool moved = true; moved;) {
    moved = false;
    const Uses uses(g);
    for (std::size_t i = 0; i < g.nodes.size() && !moved; ++i) {
      const Node& scale = g.nodes[i];
      if (!scalar_scale(scale) || !g.values.count(scale.outputs[0]) ||
          g.values.at(scale.outputs[0]).dtype != DType::Float32)
        continue;
      const auto r = uses.sole_reader(scale.outputs[0]);
      if (r < 0) continue;
      Node& move = g.nodes[static_cast<std::size_t>(r)];
      const bool data_movement = move.op == OpType::Reshape || move.op == OpType::Transpose || move.op == OpType::Squeeze ||
                                 move.op == OpType::Unsqueeze;
      if (!data_movement || move.inputs[0] != scale.outputs[0]) continue;
      // scale(x) → move  becomes  move(x) → scale, keeping every value name's last writer.
      const std::string x = scale.op == OpType::Div || scalar(scale.inputs[1]) ? scale.inputs[0] : scale.inputs[1];
      const std::string c = x == scale.inputs[0] ? scale.inputs[1] : scale.inputs[0];
      Node moved_first = move;
      moved_first.inputs[0] = x;
      moved_first.outputs = scale.outputs;
      Node scaled = scale;
      scaled.inputs = {scale.outputs[0], c};
      scaled.outputs = move.outputs;
      g.nodes[i] = std::move(moved_first);
      move = std::move(scaled);
      moved = true;
    }
    if (moved) infer_value_info(g);
  }
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
  graph.values[name] = ValueInfo{.dtype = value.dtype(), .shape = value.shape()};
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

void canonicalise(Graph& graph) {
  for (auto& n : graph.nodes) {
    // Softmax of opset < 13 over the last axis is the last-axis Softmax.
    if ((n.op == OpType::Softmax || n.op == OpType::LogSoftmax) && n.attributes.get_int("flatten", 0) != 0) {
      const auto rank = static_cast<std::int64_t>(graph.values.at(n.inputs[0]).shape.size());
      const auto axis = n.attributes.get_int("axis", 1);
      if (axis != -1 && axis != rank - 1) continue;
      n.attributes = {};
      n.attributes.set("axis", std::int64_t{-1});
    }
    // A Cast to the type the value has already.
    const bool outputs_kept = std::find(graph.outputs.begin(), graph.outputs.end(), n.outputs[0]) != graph.outputs.end();
    if (n.op == OpType::Cast && !outputs_kept && graph.values.at(n.inputs[0]).dtype == cast_target(n))
      bypass(graph, n.outputs[0], n.inputs[0]);
  }
}

namespace {

// Groups of a grouped convolution packed into one block-diagonal weight matrix: as many as fit
// the rows of a 128-row crossbar (the presets' height), at least one.
constexpr std::int64_t kCrossbarRows = 128;

// A parameter `name` of `shape`: `values` when the source weight has data, else shape only.
void add_parameter(Graph& graph, const std::string& name, const Shape& shape, std::optional<std::vector<float>> values) {
  if (values) {
    constexpr bool parameter = true;
    add_constant(graph, name, Tensor::from_floats(shape, std::move(*values)), parameter);
    return;
  }
  graph.values[name] = ValueInfo{.dtype = DType::Float32, .shape = shape};
  graph.weight_names.push_back(name);
}

// The block-diagonal [b·Cg·kh·kw, b·Mg] matrix of groups first … first + b − 1 of a weight
// [M, Cg, kh, kw] in G groups: row (g·Cg + c)·kh·kw + r, column g·Mg + o holds w[(first + g)·Mg + o, c, r].
std::optional<std::vector<float>> block_diagonal(const Tensor* w, const Shape& ws, std::int64_t groups, std::int64_t first,
                                                 std::int64_t b) {
  if (!w) return std::nullopt;
  const std::int64_t mg = ws[0] / groups, cg = ws[1], kk = ws[2] * ws[3], rows = b * cg * kk, cols = b * mg;
  std::vector<float> m(static_cast<std::size_t>(rows * cols), 0.0f);
  const auto v = w->floats();
  for (std::int64_t g = 0; g < b; ++g)
    for (std::int64_t o = 0; o < mg; ++o)
      for (std::int64_t c = 0; c < cg; ++c)
        for (std::int64_t r = 0; r < kk; ++r)
          m[static_cast<std::size_t>(((g * cg + c) * kk + r) * cols + g * mg + o)] =
              v[static_cast<std::size_t>((((first + g) * mg + o) * cg + c) * kk + r)];
  return m;
}

// Several blocks of groups: a Split of the patches before the blocks' matmuls (the last
// `outputs.size()` nodes) and a Concat of their rows after them.
void join_group_blocks(const Node& conv, const std::vector<std::int64_t>& rows, const std::vector<std::string>& patches,
                       const std::vector<std::string>& outputs, const std::string& origin, std::vector<Node>& nodes) {
  Attributes split;
  split.set("axis", std::int64_t{-1});
  split.set("split", rows);
  const auto first_matmul = nodes.end() - static_cast<std::ptrdiff_t>(outputs.size());
  nodes.insert(first_matmul, Node{.name = conv.name + "/split",
                                  .op = OpType::Split,
                                  .inputs = {conv.name + "/patches"},
                                  .outputs = patches,
                                  .attributes = split,
                                  .origin = origin});
  Attributes last_axis;
  last_axis.set("axis", std::int64_t{-1});
  nodes.push_back(Node{.name = conv.name + "/concat",
                       .op = OpType::Concat,
                       .inputs = outputs,
                       .outputs = {conv.name + "/rows"},
                       .attributes = last_axis,
                       .origin = origin});
}

// The lowered Conv's last two nodes: its [N, positions, M] rows back to the Conv's [N, M, H, W].
void append_channels_first_output(Graph& graph, const Node& conv, std::int64_t m, const Shape& ys,
                                  const std::string& origin, std::vector<Node>& nodes) {
  Attributes channels_first;
  channels_first.set("perm", std::vector<std::int64_t>{0, 2, 1});
  const std::string shape = conv.name + "/output_shape";
  add_constant(graph, shape, Tensor::from_ints({4}, {0, m, ys[2] < 0 ? -1 : ys[2], ys[3] < 0 ? -1 : ys[3]}));
  nodes.push_back(Node{.name = conv.name + "/channels_first",
                       .op = OpType::Transpose,
                       .inputs = {conv.name + "/rows"},
                       .outputs = {conv.name + "/columns"},
                       .attributes = channels_first,
                       .origin = origin});
  nodes.push_back(Node{.name = conv.name + "/output",
                       .op = OpType::Reshape,
                       .inputs = {conv.name + "/columns", shape},
                       .outputs = conv.outputs,
                       .attributes = {},
                       .origin = origin});
}

}  // namespace

void lower_convolutions(Graph& graph) {
  std::vector<Node> nodes;
  for (auto& n : graph.nodes) {
    const auto y = graph.values.find(n.outputs[0]);
    const bool lowerable = n.op == OpType::Conv && graph.is_weight(n.inputs[1]) &&
                           (n.inputs.size() < 3 || graph.is_weight(n.inputs[2])) && y != graph.values.end() &&
                           y->second.shape.size() == 4 && (y->second.shape[2] < 0) + (y->second.shape[3] < 0) <= 1;
    if (!lowerable) {
      nodes.push_back(std::move(n));
      continue;
    }
    const Shape w = graph.values.at(n.inputs[1]).shape;  // [M, C/G, kh, kw]
    const std::int64_t groups = n.attributes.get_int("group", 1), m = w[0], mg = m / groups;
    const std::int64_t group_rows = w[1] * w[2] * w[3], per_block = std::clamp(kCrossbarRows / group_rows, std::int64_t{1}, groups);
    const bool bias = n.inputs.size() > 2 && !n.inputs[2].empty();
    const Tensor* weight = constant(graph, n.inputs[1]);
    const Tensor* bias_values = bias ? constant(graph, n.inputs[2]) : nullptr;
    const std::string origin = n.origin.empty() ? "Conv" : n.origin;
    Attributes window;
    window.set("kernel_shape", std::vector<std::int64_t>{w[2], w[3]});
    for (const char* a : {"strides", "pads", "dilations"})
      if (n.attributes.has(a)) window.set(a, n.attributes.get_ints(a));
    nodes.push_back(Node{.name = n.name + "/im2col",
                         .op = OpType::Im2Col,
                         .inputs = {n.inputs[0]},
                         .outputs = {n.name + "/patches"},
                         .attributes = window,
                         .origin = origin});
    // One WeightMatMul per block of groups, on its slice of the patches ([C·kh·kw] in channel
    // order, so a block's rows are contiguous); group 1 is one block of the whole matrix.
    std::vector<std::int64_t> block_rows;
    std::vector<std::string> block_patches, block_outputs;
    for (std::int64_t first = 0; first < groups; first += per_block) {
      const std::int64_t b = std::min(per_block, groups - first);
      const bool whole = b == groups;
      const std::string name = whole ? n.name : fmt::format("{}/groups{}", n.name, first);
      const std::string matrix = name + "/weight_matrix";
      add_parameter(graph, matrix, {b * group_rows, b * mg}, block_diagonal(weight, w, groups, first, b));
      std::vector<std::string> inputs = {whole ? n.name + "/patches" : name + "/patches", matrix};
      if (bias && whole) {
        inputs.push_back(n.inputs[2]);
      } else if (bias) {
        std::optional<std::vector<float>> slice;
        if (bias_values) slice.emplace(bias_values->floats().begin() + first * mg, bias_values->floats().begin() + (first + b) * mg);
        add_parameter(graph, name + "/bias", {b * mg}, std::move(slice));
        inputs.push_back(name + "/bias");
      }
      block_rows.push_back(b * group_rows);
      block_patches.push_back(inputs[0]);
      block_outputs.push_back(whole ? n.name + "/rows" : name + "/rows");
      nodes.push_back(Node{.name = name,
                           .op = OpType::WeightMatMul,
                           .inputs = inputs,
                           .outputs = {block_outputs.back()},
                           .attributes = {},
                           .origin = origin});
    }
    if (block_outputs.size() > 1) join_group_blocks(n, block_rows, block_patches, block_outputs, origin, nodes);
    append_channels_first_output(graph, n, m, y->second.shape, origin, nodes);
  }
  graph.nodes = std::move(nodes);
}

void recognise_semantic_operators(Graph& graph) {
  recognise_weight_matmuls(graph);
  recognise_gelu(graph);
  recognise_silu(graph);
  recognise_layer_norm(graph);
  recognise_rms_norm(graph);
  fold_batch_norms(graph);
  sink_scalar_scales(graph);
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
  canonicalise(graph);
  recognise_semantic_operators(graph);
  remove_dead_nodes(graph);
  infer_value_info(graph);
  lower_convolutions(graph);
  fold_constants(graph);
  remove_dead_nodes(graph);
  infer_value_info(graph);
  graph.validate();
}

}  // namespace raceit::model

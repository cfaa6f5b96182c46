#include "raceit/exec/executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "raceit/core/error.hpp"
#include "raceit/core/gemm.hpp"
#include "raceit/core/parallel.hpp"
#include "raceit/model/kernels.hpp"

namespace raceit::exec {

namespace {

using model::Node;
using model::OpType;

// y[rows, n] = x[rows, k] · w[k, n] (+ bias).
void sgemm(const float* x, const float* w, float* y, std::int64_t rows, std::int64_t k, std::int64_t n, bool trans_w = false) {
  raceit::sgemm(rows, n, k, {.a = x, .lda = k, .b = w, .ldb = trans_w ? k : n, .transpose_b = trans_w, .c = y, .ldc = n});
}

std::vector<Tensor> weight_matmul(const Node& node, std::span<const Tensor* const> in, const OpContext&) {
  const Tensor& x = *in[0];
  const Tensor& w = *in[1];
  const bool transposed = node.attributes.get_int("transpose_weight", 0) != 0;
  if (w.rank() != 2 || x.rank() < 1 || x.shape().back() != w.dim(transposed ? 1 : 0) || !x.is_float())
    return model::evaluate_node(node, in);  // the reference reports the error
  const std::int64_t k = w.dim(transposed ? 1 : 0), n = w.dim(transposed ? 0 : 1), rows = x.size() / k;
  Shape shape = x.shape();
  shape.back() = n;
  Tensor y(DType::Float32, shape);
  sgemm(x.floats().data(), w.floats().data(), y.floats().data(), rows, k, n, transposed);
  if (in.size() > 2 && in[2]) {
    const auto b = in[2]->floats();
    if (static_cast<std::int64_t>(b.size()) != n) return model::evaluate_node(node, in);
    auto o = y.floats();
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < n; ++j) o[r * n + j] += b[j];
  }
  return {std::move(y)};
}

// Batched matmul with equal batch shapes (the attention case); other broadcasts use the reference.
std::vector<Tensor> data_matmul(const Node& node, std::span<const Tensor* const> in, const OpContext&) {
  const Tensor& a = *in[0];
  const Tensor& b = *in[1];
  if (a.rank() < 2 || a.rank() != b.rank() || !a.is_float() || !b.is_float() ||
      !std::equal(a.shape().begin(), a.shape().end() - 2, b.shape().begin()) || a.shape().back() != b.dim(-2))
    return model::evaluate_node(node, in);
  const std::int64_t m = a.dim(-2), k = a.dim(-1), n = b.dim(-1), batch = a.size() / (m * k);
  Shape shape = a.shape();
  shape.back() = n;
  Tensor y(DType::Float32, shape);
  for (std::int64_t p = 0; p < batch; ++p)
    sgemm(a.floats().data() + p * m * k, b.floats().data() + p * k * n, y.floats().data() + p * m * n, m, k, n);
  return {std::move(y)};
}

// Conv as im2col + sgemm for the common ungrouped, undilated case; the reference otherwise.
std::vector<Tensor> conv(const Node& node, std::span<const Tensor* const> in, const OpContext&) {
  const Tensor& x = *in[0];
  const Tensor& w = *in[1];
  const auto dil = node.attributes.get_ints("dilations", {1, 1});
  if (x.rank() != 4 || w.rank() != 4 || node.attributes.get_int("group", 1) != 1 || dil != std::vector<std::int64_t>{1, 1} ||
      node.attributes.has("auto_pad") || x.dim(1) != w.dim(1))
    return model::evaluate_node(node, in);
  const auto s = node.attributes.get_ints("strides", {1, 1});
  const auto p = node.attributes.get_ints("pads", {0, 0, 0, 0});
  const std::int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const std::int64_t m = w.dim(0), kh = w.dim(2), kw = w.dim(3);
  const std::int64_t oh = (h + p[0] + p[2] - kh) / s[0] + 1, ow = (wd + p[1] + p[3] - kw) / s[1] + 1;
  const std::int64_t patch = c * kh * kw, positions = oh * ow;
  Tensor y(DType::Float32, {n, m, oh, ow});
  std::vector<float> cols(static_cast<std::size_t>(positions * patch));
  for (std::int64_t b = 0; b < n; ++b) {
    for (std::int64_t oy = 0; oy < oh; ++oy)
      for (std::int64_t ox = 0; ox < ow; ++ox)
        for (std::int64_t ch = 0; ch < c; ++ch)
          for (std::int64_t i = 0; i < kh; ++i)
            for (std::int64_t j = 0; j < kw; ++j) {
              const std::int64_t iy = oy * s[0] - p[0] + i, ix = ox * s[1] - p[1] + j;
              const bool inside = iy >= 0 && iy < h && ix >= 0 && ix < wd;
              cols[static_cast<std::size_t>((oy * ow + ox) * patch + (ch * kh + i) * kw + j)] =
                  inside ? x.floats()[((b * c + ch) * h + iy) * wd + ix] : 0.0f;
            }
    // out[m, positions] = W[m, patch] · colsᵀ
    raceit::sgemm(m, positions, patch, {.a = w.floats().data(), .lda = patch, .b = cols.data(), .ldb = patch, .transpose_b = true,
                                        .c = y.floats().data() + b * m * positions, .ldc = positions});
    if (in.size() > 2 && in[2])
      for (std::int64_t o = 0; o < m; ++o)
        for (std::int64_t q = 0; q < positions; ++q) y.floats()[(b * m + o) * positions + q] += in[2]->floats()[o];
  }
  return {std::move(y)};
}

}  // namespace

OpTable OpTable::fp32() {
  OpTable t;
  t.set(OpType::WeightMatMul, weight_matmul);
  t.set(OpType::DataMatMul, data_matmul);
  t.set(OpType::Conv, conv);
  return t;
}

void OpTable::set(model::OpType op, OpImpl impl) { impls_[op] = std::move(impl); }

const OpImpl& OpTable::at(model::OpType op) const {
  static const OpImpl reference = [](const model::Node& node, std::span<const Tensor* const> inputs, const OpContext&) {
    return model::evaluate_node(node, inputs);
  };
  const auto it = impls_.find(op);
  return it == impls_.end() ? reference : it->second;
}

Tensor slice_batch(const Tensor& t, std::int64_t begin, std::int64_t end) {
  if (t.rank() == 0) throw Error(ErrorKind::InvalidArgument, "a batch-first tensor must have rank ≥ 1");
  Shape shape = t.shape();
  const std::int64_t row = shape[0] ? t.size() / shape[0] : 0;
  shape[0] = end - begin;
  if (t.is_float())
    return Tensor::from_floats(shape, {t.floats().begin() + begin * row, t.floats().begin() + end * row});
  return Tensor::from_ints(shape, {t.ints().begin() + begin * row, t.ints().begin() + end * row}, t.dtype());
}

Tensor concat_batch(const std::vector<Tensor>& parts) {
  if (parts.size() == 1) return parts[0];
  Shape shape = parts.at(0).shape();
  shape[0] = 0;
  std::vector<float> floats;
  std::vector<std::int64_t> ints;
  for (const auto& p : parts) {
    shape[0] += p.dim(0);
    if (p.is_float()) floats.insert(floats.end(), p.floats().begin(), p.floats().end());
    else ints.insert(ints.end(), p.ints().begin(), p.ints().end());
  }
  return parts[0].is_float() ? Tensor::from_floats(shape, std::move(floats))
                             : Tensor::from_ints(shape, std::move(ints), parts[0].dtype());
}

Executor::Executor(const model::Graph& graph, OpTable table, ExecOptions options)
    : graph_(graph), table_(std::move(table)), options_(options), release_after_(graph.nodes.size()) {
  if (!graph.has_weight_data())
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("graph '{}' is shape-only (no weight values); it can be inspected but not executed", graph.name));
  graph.validate();
  // Free each intermediate after the last node that reads it.
  const std::set<std::string> keep(graph.outputs.begin(), graph.outputs.end());
  std::map<std::string, std::size_t> last_read;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i)
    for (const auto& in : graph.nodes[i].inputs) last_read[in] = i;
  for (const auto& [name, i] : last_read)
    if (!keep.count(name) && !graph.is_weight(name)) release_after_[i].push_back(name);
}

std::vector<Tensor> Executor::run_chunk(const std::map<std::string, Tensor>& inputs, std::size_t chunk,
                                        const NodeObserver& observer) const {
  std::map<std::string, Tensor> env = inputs;
  for (std::size_t i = 0; i < graph_.nodes.size(); ++i) {
    const model::Node& node = graph_.nodes[i];
    std::vector<const Tensor*> args;
    for (const auto& name : node.inputs) {
      if (name.empty()) {
        args.push_back(nullptr);
        continue;
      }
      if (const auto w = graph_.initializers.find(name); w != graph_.initializers.end()) {
        args.push_back(&w->second);
      } else if (const auto v = env.find(name); v != env.end()) {
        args.push_back(&v->second);
      } else {
        throw Error(ErrorKind::Internal, fmt::format("node '{}' reads '{}' before it is computed", node.name, name));
      }
    }
    auto outputs = table_.at(node.op)(node, args, OpContext{.node = i, .chunk = chunk});
    if (outputs.size() < node.outputs.size())
      throw Error(ErrorKind::Internal, fmt::format("node '{}' ({}): implementation returned {} outputs, expected {}",
                                                   node.name, model::to_string(node.op), outputs.size(), node.outputs.size()));
    if (observer) observer(chunk, node, args, outputs);
    for (std::size_t k = 0; k < node.outputs.size(); ++k) env[node.outputs[k]] = std::move(outputs[k]);
    for (const auto& name : release_after_[i]) env.erase(name);
  }
  std::vector<Tensor> result;
  for (const auto& out : graph_.outputs) {
    if (const auto w = graph_.initializers.find(out); w != graph_.initializers.end()) result.push_back(w->second);
    else result.push_back(env.at(out));
  }
  return result;
}

std::vector<Tensor> Executor::run(const std::map<std::string, Tensor>& inputs, const NodeObserver& observer) const {
  std::int64_t batch = -1;
  for (const auto& name : graph_.inputs) {
    const auto it = inputs.find(name);
    if (it == inputs.end())
      throw Error(ErrorKind::InvalidArgument, fmt::format("graph '{}': input '{}' not given", graph_.name, name));
    const auto& info = graph_.values.at(name);
    const Tensor& t = it->second;
    bool fits = t.rank() == static_cast<std::int64_t>(info.shape.size()) && (t.rank() >= 1 || options_.chunk_samples <= 0) &&
                (info.dtype == DType::Float32) == t.is_float();
    for (std::size_t d = 0; fits && d < info.shape.size(); ++d) fits = info.shape[d] < 0 || info.shape[d] == t.shape()[d];
    if (!fits)
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("graph '{}': input '{}' is {}{}, the model expects {}{}", graph_.name, name,
                              to_string(t.dtype()), to_string(t.shape()), to_string(info.dtype), to_string(info.shape)));
    if (options_.chunk_samples <= 0) continue;
    if (batch >= 0 && t.dim(0) != batch)
      throw Error(ErrorKind::InvalidArgument, fmt::format("graph '{}': inputs differ in batch size", graph_.name));
    batch = t.dim(0);
  }
  if (options_.chunk_samples <= 0) return run_chunk(inputs, 0, observer);
  const std::int64_t chunk = options_.chunk_samples;
  const auto chunks = static_cast<std::size_t>((batch + chunk - 1) / chunk);
  std::vector<std::vector<Tensor>> parts(chunks);
  parallel_for(chunks, options_.threads, [&](std::size_t begin, std::size_t end) {
    for (std::size_t c = begin; c < end; ++c) {
      const auto b0 = static_cast<std::int64_t>(c) * chunk, b1 = std::min(batch, b0 + chunk);
      std::map<std::string, Tensor> slice;
      for (const auto& [name, t] : inputs) slice[name] = slice_batch(t, b0, b1);
      parts[c] = run_chunk(slice, c, observer);
    }
  });
  std::vector<Tensor> outputs;
  for (std::size_t o = 0; o < graph_.outputs.size(); ++o) {
    std::vector<Tensor> pieces;
    for (auto& p : parts) pieces.push_back(std::move(p[o]));
    outputs.push_back(concat_batch(pieces));
  }
  return outputs;
}

std::vector<Tensor> Executor::run(const Tensor& input) const {
  if (graph_.inputs.size() != 1)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("graph '{}' has {} inputs; give them by name", graph_.name, graph_.inputs.size()));
  return run({{graph_.inputs[0], input}});
}

}  // namespace raceit::exec

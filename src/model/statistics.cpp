#include "raceit/model/statistics.hpp"

#include "raceit/model/shape_inference.hpp"

namespace raceit::model {

std::int64_t GraphStats::total_macs() const {
  std::int64_t n = 0;
  for (const auto& [op, s] : by_operator) n += s.macs;
  return n;
}

// Shapes are resolved for one sample and activation counts scaled by the batch: every value a
// raceit graph computes is batch-first, and shape inference runs kernels on stand-in data, so
// resolving a large batch directly would cost a large-batch inference.
std::vector<NodeWork> node_work(const Graph& graph, std::int64_t sequence_length, std::int64_t batch) {
  const auto shapes = resolve_sample_shapes(graph, sequence_length);
  std::vector<NodeWork> work;
  work.reserve(graph.nodes.size());
  for (const auto& node : graph.nodes) {
    NodeWork w;
    w.node = &node;
    w.output_shape = shapes.at(node.outputs[0]).shape;
    w.output_elements = batch * element_count(w.output_shape);
    for (const auto& in : node.inputs) {
      if (in.empty()) continue;
      const std::int64_t n = element_count(shapes.at(in).shape);
      if (graph.is_weight(in))
        w.weight_elements += n;
      else
        w.input_elements += batch * n;
    }
    const Shape& a = shapes.at(node.inputs[0]).shape;
    if (node.op == OpType::WeightMatMul || node.op == OpType::DataMatMul) {
      w.macs = w.output_elements * (a.empty() ? 1 : a.back());  // each output sums K products
    } else if (node.op == OpType::Conv) {
      const Shape& k = shapes.at(node.inputs[1]).shape;
      w.macs = w.output_elements * k[1] * k[2] * k[3];
    }
    work.push_back(w);
  }
  return work;
}

GraphStats graph_statistics(const Graph& graph, std::int64_t sequence_length) {
  const std::vector<NodeWork> work = node_work(graph, sequence_length, 1);
  GraphStats stats;
  stats.parameters = graph.parameter_count();
  bool tokens_found = false;
  for (const NodeWork& w : work) {
    const Node& node = *w.node;
    const OperatorStats s{.count = 1, .macs = w.macs, .output_elements = w.output_elements};
    if (node.op == OpType::DataMatMul && !tokens_found && w.output_shape.size() >= 2) {
      stats.tokens = w.output_shape[w.output_shape.size() - 2];  // query rows of Q·Kᵀ
      tokens_found = true;
    }
    for (auto* total : {&stats.by_operator[node.op], &stats.by_class[op_class(node.op)]}) {
      total->count += s.count;
      total->macs += s.macs;
      total->output_elements += s.output_elements;
    }
  }
  return stats;
}

}  // namespace raceit::model

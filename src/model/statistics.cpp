#include "raceit/model/statistics.hpp"

#include "raceit/model/shape_inference.hpp"

namespace raceit::model {

std::int64_t GraphStats::total_macs() const {
  std::int64_t n = 0;
  for (const auto& [op, s] : by_operator) n += s.macs;
  return n;
}

GraphStats graph_statistics(const Graph& graph, std::int64_t sequence_length) {
  std::map<std::string, Shape> inputs;
  for (const auto& name : graph.inputs) {
    Shape s = graph.values.at(name).shape;
    for (std::size_t d = 0; d < s.size(); ++d)
      if (s[d] < 0) s[d] = d == 0 ? 1 : sequence_length;
    inputs[name] = s;
  }
  const auto shapes = resolve_shapes(graph, inputs);
  GraphStats stats;
  stats.parameters = graph.parameter_count();
  bool tokens_found = false;
  for (const auto& node : graph.nodes) {
    OperatorStats s;
    s.count = 1;
    const Shape& out = shapes.at(node.outputs[0]).shape;
    s.output_elements = element_count(out);
    const Shape& a = shapes.at(node.inputs[0]).shape;
    if (node.op == OpType::WeightMatMul || node.op == OpType::DataMatMul) {
      s.macs = s.output_elements * (a.empty() ? 1 : a.back());  // each output sums K products
    } else if (node.op == OpType::Conv) {
      const Shape& w = shapes.at(node.inputs[1]).shape;
      s.macs = s.output_elements * w[1] * w[2] * w[3];
    }
    if (node.op == OpType::DataMatMul && !tokens_found && a.size() >= 2) {
      stats.tokens = a[a.size() - 2];
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

#pragma once
// Operator counts, parameters and MACs of a graph for one sample: what `raceit info` shows and
// what the cost model starts from.
#include <cstdint>
#include <map>
#include <vector>

#include "raceit/model/graph.hpp"

namespace raceit::model {

struct OperatorStats {
  std::int64_t count = 0;
  std::int64_t macs = 0;             // multiply-accumulates (matmuls and Conv)
  std::int64_t output_elements = 0;  // values produced (the work of element-wise functions)
};

struct GraphStats {
  std::int64_t parameters = 0;
  std::int64_t tokens = 1;  // sequence length: query length of the first data-dependent matmul
  std::map<OpType, OperatorStats> by_operator;
  std::map<OpClass, OperatorStats> by_class;
  std::int64_t total_macs() const;
};

// The work of one node for a given batch and sequence length.
struct NodeWork {
  const Node* node = nullptr;
  std::int64_t macs = 0;             // multiply-accumulates (matmuls and Conv)
  std::int64_t output_elements = 0;  // values produced
  std::int64_t input_elements = 0;   // activation values read (weights and constants excluded)
  std::int64_t weight_elements = 0;  // weight and constant values read
  Shape output_shape;                 // of the first output, for one sample
};

// Dynamic dimensions: the first axis of each input is `batch`; any other dynamic input
// dimension (a variable sequence length) is `sequence_length`. One entry per node, in order.
std::vector<NodeWork> node_work(const Graph& graph, std::int64_t sequence_length = 128, std::int64_t batch = 1);

// The same for one sample, summed per operator type and class.
GraphStats graph_statistics(const Graph& graph, std::int64_t sequence_length = 128);

}  // namespace raceit::model

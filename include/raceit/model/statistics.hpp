#pragma once
// Operator counts, parameters and MACs of a graph for one sample: what `raceit info` shows and
// what the cost model starts from.
#include <cstdint>
#include <map>

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

// Dynamic dimensions: the batch (first axis of each input) is 1; any other dynamic input
// dimension (a variable sequence length) is `sequence_length`.
GraphStats graph_statistics(const Graph& graph, std::int64_t sequence_length = 128);

}  // namespace raceit::model

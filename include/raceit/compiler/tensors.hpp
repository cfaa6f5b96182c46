#pragma once
// Graph tensors as crossbar matrices, for the compiler passes and the functional executor.
#include <functional>

#include "raceit/compiler/program.hpp"
#include "raceit/core/tensor.hpp"
#include "raceit/model/graph.hpp"
#include "raceit/xbar/crossbar.hpp"

namespace raceit::compiler {

// The op's weight as the crossbar stores it: out × in (W [K, N] transposed, or W as stored when
// transpose_weight). Error(InvalidArgument) naming the weight when the graph lacks it.
xbar::Matrix weight_matrix(const CrossbarOp& op, const model::Graph& graph);

// A float tensor [..., cols] as a (size/cols) × cols matrix.
xbar::Matrix as_rows(const Tensor& t, int cols);

// For each matrix pair of a [..., M, K] and b [..., K, N] with equal batch dimensions: a's matrix
// (M × K) and b's matrix transposed (N × K, the layout of crossbar weights), in batch order.
// Error(Unsupported) for other broadcasts.
void for_each_matrix_pair(const Tensor& a, const Tensor& b,
                          const std::function<void(const xbar::Matrix& a, const xbar::Matrix& b_transposed)>& f);

}  // namespace raceit::compiler

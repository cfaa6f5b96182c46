#pragma once
// The reference kernels, one per operator (defined in kernels.cpp), for op_traits.cpp's table.
#include <span>
#include <vector>

#include "raceit/core/tensor.hpp"
#include "raceit/model/graph.hpp"

namespace raceit::model::kernels {

using Inputs = std::span<const Tensor* const>;

std::vector<Tensor> weight_matmul(const Node&, Inputs);
std::vector<Tensor> data_matmul(const Node&, Inputs);
std::vector<Tensor> conv(const Node&, Inputs);
std::vector<Tensor> gelu(const Node&, Inputs);
std::vector<Tensor> silu(const Node&, Inputs);
std::vector<Tensor> norm(const Node&, Inputs);  // LayerNorm and RmsNorm
std::vector<Tensor> softmax(const Node&, Inputs);
std::vector<Tensor> add(const Node&, Inputs);
std::vector<Tensor> sub(const Node&, Inputs);
std::vector<Tensor> mul(const Node&, Inputs);
std::vector<Tensor> div(const Node&, Inputs);
std::vector<Tensor> pow(const Node&, Inputs);
std::vector<Tensor> equal(const Node&, Inputs);
std::vector<Tensor> less(const Node&, Inputs);
std::vector<Tensor> greater(const Node&, Inputs);
std::vector<Tensor> where(const Node&, Inputs);
std::vector<Tensor> sqrt(const Node&, Inputs);
std::vector<Tensor> reciprocal(const Node&, Inputs);
std::vector<Tensor> exp(const Node&, Inputs);
std::vector<Tensor> erf(const Node&, Inputs);
std::vector<Tensor> relu(const Node&, Inputs);
std::vector<Tensor> tanh(const Node&, Inputs);
std::vector<Tensor> sigmoid(const Node&, Inputs);
std::vector<Tensor> neg(const Node&, Inputs);
std::vector<Tensor> logical_not(const Node&, Inputs);
std::vector<Tensor> cast(const Node&, Inputs);
std::vector<Tensor> clip(const Node&, Inputs);
std::vector<Tensor> reduce(const Node&, Inputs);  // ReduceMean, ReduceSum, ReduceMax
std::vector<Tensor> reshape(const Node&, Inputs);
std::vector<Tensor> transpose(const Node&, Inputs);
std::vector<Tensor> split(const Node&, Inputs);
std::vector<Tensor> concat(const Node&, Inputs);
std::vector<Tensor> gather(const Node&, Inputs);
std::vector<Tensor> unsqueeze(const Node&, Inputs);
std::vector<Tensor> squeeze(const Node&, Inputs);
std::vector<Tensor> shape(const Node&, Inputs);
std::vector<Tensor> constant_of_shape(const Node&, Inputs);
std::vector<Tensor> expand(const Node&, Inputs);
std::vector<Tensor> slice(const Node&, Inputs);
std::vector<Tensor> identity(const Node&, Inputs);
std::vector<Tensor> hard_sigmoid(const Node&, Inputs);
std::vector<Tensor> hard_swish(const Node&, Inputs);
std::vector<Tensor> softplus(const Node&, Inputs);
std::vector<Tensor> log_softmax(const Node&, Inputs);
std::vector<Tensor> cos(const Node&, Inputs);
std::vector<Tensor> sin(const Node&, Inputs);
std::vector<Tensor> batch_norm(const Node&, Inputs);
std::vector<Tensor> pool(const Node&, Inputs);  // MaxPool and AveragePool
std::vector<Tensor> range(const Node&, Inputs);
std::vector<Tensor> trilu(const Node&, Inputs);
std::vector<Tensor> im2col(const Node&, Inputs);

}  // namespace raceit::model::kernels

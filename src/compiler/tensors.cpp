#include "raceit/compiler/tensors.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "raceit/core/error.hpp"

namespace raceit::compiler {

xbar::Matrix weight_matrix(const CrossbarOp& op, const model::Graph& graph) {
  const auto it = graph.initializers.find(op.weight);
  if (it == graph.initializers.end() || !it->second.is_float() || it->second.rank() != 2)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("model '{}' has no float matrix '{}' for a crossbar", graph.name, op.weight));
  const Tensor& w = it->second;
  const auto rows = w.dim(0), cols = w.dim(1);
  if ((op.transpose_weight ? cols : rows) != op.in || (op.transpose_weight ? rows : cols) != op.out)
    throw Error(ErrorKind::InvalidArgument, fmt::format("weight '{}' is {}, the program expects {} inputs and {} outputs",
                                                        op.weight, to_string(w.shape()), op.in, op.out));
  xbar::Matrix m(op.out, op.in);
  const auto v = w.floats();
  if (op.transpose_weight) {
    std::copy(v.begin(), v.end(), m.data.begin());
  } else {
    for (std::int64_t k = 0; k < rows; ++k)
      for (std::int64_t n = 0; n < cols; ++n) m.at(static_cast<int>(n), static_cast<int>(k)) = v[static_cast<std::size_t>(k * cols + n)];
  }
  return m;
}

xbar::Matrix as_rows(const Tensor& t, int cols) {
  if (!t.is_float() || t.rank() < 1 || t.dim(-1) != cols)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("expected a float tensor [..., {}], got {}{}", cols, to_string(t.dtype()), to_string(t.shape())));
  xbar::Matrix m(static_cast<int>(t.size() / cols), cols);
  std::copy(t.floats().begin(), t.floats().end(), m.data.begin());
  return m;
}

void for_each_matrix_pair(const Tensor& a, const Tensor& b,
                          const std::function<void(const xbar::Matrix& a, const xbar::Matrix& b_transposed)>& f) {
  if (a.rank() < 2 || a.rank() != b.rank() || !std::equal(a.shape().begin(), a.shape().end() - 2, b.shape().begin()) ||
      a.dim(-1) != b.dim(-2))
    throw Error(ErrorKind::Unsupported, fmt::format("data matmul of {} and {}: only equal batch dimensions are mapped",
                                                    to_string(a.shape()), to_string(b.shape())));
  const int m = static_cast<int>(a.dim(-2)), k = static_cast<int>(a.dim(-1)), n = static_cast<int>(b.dim(-1));
  const std::int64_t batch = m > 0 && k > 0 ? a.size() / (static_cast<std::int64_t>(m) * k) : 0;
  xbar::Matrix am(m, k), bt(n, k);
  for (std::int64_t p = 0; p < batch; ++p) {
    const float* pa = a.floats().data() + p * m * k;
    const float* pb = b.floats().data() + p * k * n;
    std::copy(pa, pa + m * k, am.data.begin());
    for (int r = 0; r < k; ++r)
      for (int c = 0; c < n; ++c) bt.at(c, r) = pb[r * n + c];
    f(am, bt);
  }
}

}  // namespace raceit::compiler

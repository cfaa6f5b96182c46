#include "runtime.hpp"

namespace raceit::exec {

namespace {

class PassThrough final : public OpEngine {
 public:
  explicit PassThrough(std::size_t input) : input_(input) {}
  std::vector<Tensor> run(std::span<const Tensor* const> in, const OpContext&) const override { return {*in[input_]}; }

 private:
  std::size_t input_;
};

}  // namespace

// Checks a [..., M, K] · b [..., K, N] with equal batch dimensions; returns the batch count.
std::int64_t matmul_batches(const Tensor& a, const Tensor& b) {
  if (a.rank() < 2 || a.rank() != b.rank() || !std::equal(a.shape().begin(), a.shape().end() - 2, b.shape().begin()) ||
      a.dim(-1) != b.dim(-2))
    throw Error(ErrorKind::Unsupported, fmt::format("data matmul of {} and {}: only equal batch dimensions are mapped",
                                                    to_string(a.shape()), to_string(b.shape())));
  return a.size() / (a.dim(-2) * a.dim(-1));
}

std::unique_ptr<OpEngine> pass_through(const RuntimeContext& context) {
  const model::Node& node = context.graph.nodes[context.node];
  for (std::size_t k = 0; k < node.inputs.size(); ++k)
    if (!context.graph.is_weight(node.inputs[k])) return std::make_unique<PassThrough>(k);
  throw Error(ErrorKind::Internal, fmt::format("{} operator '{}' has no activation input", to_string(context.op.engine()), context.op.node));
}

}  // namespace raceit::exec

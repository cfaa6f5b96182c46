// The runtime of the acam norm engine (compiler/engines/acam_norm.hpp).
#include "runtime.hpp"

namespace raceit::exec {

namespace {

class NormEngine final : public OpEngine {
 public:
  NormEngine(const compiler::NormOp& op, const model::Graph& graph, const RunOptions& options, std::uint64_t seed_rsqrt,
             std::uint64_t seed_mul)
      : op_(op), rsqrt_(realised_codes(op.rsqrt, options, seed_rsqrt)), multiply_(op.multiply, options, seed_mul) {
    for (float g : graph.initializers.at(op.gamma).floats()) gamma_.push_back(sign_magnitude(op.gamma_q, g));
    if (!op.beta.empty())
      for (float b : graph.initializers.at(op.beta).floats()) beta_.push_back(b);
  }
  std::vector<Tensor> run(std::span<const Tensor* const> in, const OpContext& context) const override {
    Codes rsqrt_scratch;
    Products products_scratch;
    const auto& rsqrt = rsqrt_.get(context.chunk, rsqrt_scratch);
    const Multiplier::View multiply = multiply_.at(context.chunk, products_scratch);
    const auto x = in[0]->floats();
    const std::int64_t n = row_length(*in[0]);
    if (static_cast<std::int64_t>(gamma_.size()) != n)
      throw Error(ErrorKind::InvalidArgument, fmt::format("norm over {} values has {} scales", n, gamma_.size()));
    const double sx = op_.input.scale, sc = op_.centred.scale, sz = op_.normalised.scale, sg = op_.gamma_q.scale;
    std::vector<float> y(x.size());
    std::vector<std::int64_t> q(static_cast<std::size_t>(n));
    for (std::size_t r = 0; r * n < x.size(); ++r) {
      const float* row = x.data() + r * n;
      std::int64_t s1 = 0, s2 = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        q[i] = sign_magnitude(op_.input, row[i]);
        s1 += q[i];
        s2 += multiply(q[i], q[i]);
      }
      const double mean = op_.rms ? 0.0 : static_cast<double>(s1) / static_cast<double>(n);
      const double variance = static_cast<double>(s2) / static_cast<double>(n) - mean * mean;
      const std::int64_t rs = rsqrt[op_.rsqrt.x.quantise(variance * sx * sx + op_.epsilon)];
      for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t c = op_.rms ? q[i] : sign_magnitude(op_.centred, (static_cast<double>(q[i]) - mean) * sx);
        const double z = static_cast<double>(multiply(c, rs)) * sc * op_.rsqrt.out_step;
        const std::int64_t zq = sign_magnitude(op_.normalised, z);
        double v = static_cast<double>(multiply(zq, gamma_[i])) * sz * sg;
        if (!beta_.empty()) v += beta_[i];
        y[r * n + i] = static_cast<float>(v);
      }
    }
    return {like(in[0]->shape(), std::move(y))};
  }

 private:
  const compiler::NormOp& op_;
  Realised<Codes> rsqrt_;
  Multiplier multiply_;
  std::vector<std::int64_t> gamma_;
  std::vector<double> beta_;
};

}  // namespace

std::unique_ptr<OpEngine> make_runtime(const compiler::NormOp& op, const RuntimeContext& context) {
  return std::make_unique<NormEngine>(op, context.graph, context.options, context.seed(0), context.seed(1));
}

}  // namespace raceit::exec

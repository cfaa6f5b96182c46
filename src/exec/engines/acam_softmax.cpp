// The runtime of the acam softmax engine (compiler/engines/acam_softmax.hpp).
#include "runtime.hpp"

namespace raceit::exec {

namespace {

class SoftmaxEngine final : public OpEngine {
 public:
  SoftmaxEngine(const compiler::SoftmaxOp& op, const RunOptions& options, std::uint64_t seed_exp, std::uint64_t seed_rec,
                std::uint64_t seed_mul)
      : op_(op),
        exp_(realised_codes(op.exp, options, seed_exp)),
        reciprocal_(realised_codes(op.reciprocal, options, seed_rec)),
        multiply_(op.multiply, options, seed_mul) {}
  std::vector<Tensor> run(std::span<const Tensor* const> in, const OpContext& context) const override {
    Codes exp_scratch, reciprocal_scratch;
    Products products_scratch;
    const auto& exp = exp_.get(context.chunk, exp_scratch);
    const auto& reciprocal = reciprocal_.get(context.chunk, reciprocal_scratch);
    const Multiplier::View multiply = multiply_.at(context.chunk, products_scratch);
    const auto x = in[0]->floats();
    const std::int64_t n = row_length(*in[0]);
    std::vector<float> y(x.size());
    std::vector<std::int64_t> e(static_cast<std::size_t>(n));
    for (std::size_t r = 0; r * n < x.size(); ++r) {
      const float* row = x.data() + r * n;
      const double m = *std::max_element(row, row + n);
      std::int64_t sum = 0;
      for (std::int64_t j = 0; j < n; ++j) {
        e[j] = exp[op_.exp.x.quantise(static_cast<double>(row[j]) - m)];
        sum += e[j];
      }
      const std::int64_t rec = reciprocal[op_.reciprocal.x.quantise(static_cast<double>(sum) * op_.exp.out_step)];
      for (std::int64_t j = 0; j < n; ++j)
        y[r * n + j] = static_cast<float>(static_cast<double>(multiply(e[j], rec)) * op_.exp.out_step *
                                          op_.reciprocal.out_step);
    }
    return {like(in[0]->shape(), std::move(y))};
  }

 private:
  const compiler::SoftmaxOp& op_;
  Realised<Codes> exp_, reciprocal_;
  Multiplier multiply_;
};

}  // namespace

std::unique_ptr<OpEngine> make_runtime(const compiler::SoftmaxOp& op, const RuntimeContext& context) {
  return std::make_unique<SoftmaxEngine>(op, context.options, context.seed(0), context.seed(1), context.seed(2));
}

}  // namespace raceit::exec

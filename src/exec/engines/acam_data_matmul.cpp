// The runtime of the acam data matmul engine (compiler/engines/acam_data_matmul.hpp).
#include "runtime.hpp"
#include "raceit/core/gemm.hpp"

namespace raceit::exec {

namespace {

class DataMatMulEngine final : public OpEngine {
 public:
  DataMatMulEngine(const compiler::DataMatMulOp& op, const RunOptions& options, std::uint64_t seed)
      : op_(op), multiply_(op.multiply, options, seed) {}
  std::vector<Tensor> run(std::span<const Tensor* const> in, const OpContext& context) const override {
    const Tensor& a = *in[0];
    const Tensor& b = *in[1];
    const std::int64_t batches = matmul_batches(a, b), m = a.dim(-2), k = a.dim(-1), n = b.dim(-1);
    const double scale = op_.a.scale * op_.a_factor * op_.b.scale * op_.b_factor * op_.output_factor;
    std::vector<double> qa(static_cast<std::size_t>(a.size())), qb(static_cast<std::size_t>(b.size()));
    const auto af = a.floats(), bf = b.floats();
    for (std::size_t i = 0; i < qa.size(); ++i) qa[i] = static_cast<double>(sign_magnitude(op_.a, af[i]));
    for (std::size_t i = 0; i < qb.size(); ++i) qb[i] = static_cast<double>(sign_magnitude(op_.b, bf[i]));
    std::vector<double> acc(static_cast<std::size_t>(batches * m * n));
    Products scratch;
    const Multiplier::View multiply = multiply_.at(context.chunk, scratch);
    if (multiply.exact) {
      // Integer operands: every partial sum is an integer below 2^53, so the GEMM is exact.
      for (std::int64_t p = 0; p < batches; ++p)
        dgemm(m, n, k, qa.data() + p * m * k, qb.data() + p * k * n, acc.data() + p * m * n);
    } else {
      for (std::int64_t p = 0; p < batches; ++p)
        for (std::int64_t i = 0; i < m; ++i)
          for (std::int64_t j = 0; j < n; ++j) {
            std::int64_t s = 0;
            for (std::int64_t t = 0; t < k; ++t)
              s += multiply(static_cast<std::int64_t>(qa[(p * m + i) * k + t]), static_cast<std::int64_t>(qb[(p * k + t) * n + j]));
            acc[(p * m + i) * n + j] = static_cast<double>(s);
          }
    }
    Shape shape = a.shape();
    shape.back() = n;
    std::vector<float> y(acc.size());
    for (std::size_t i = 0; i < acc.size(); ++i) y[i] = static_cast<float>(acc[i] * scale);
    return {like(shape, std::move(y))};
  }

 private:
  const compiler::DataMatMulOp& op_;
  Multiplier multiply_;
};

}  // namespace

std::unique_ptr<OpEngine> make_runtime(const compiler::DataMatMulOp& op, const RuntimeContext& context) {
  return std::make_unique<DataMatMulEngine>(op, context.options, context.seed(0));
}

}  // namespace raceit::exec

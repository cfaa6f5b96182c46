// The runtime of the crossbar write engine (compiler/engines/crossbar_write.hpp).
#include "runtime.hpp"
#include "raceit/compiler/tensors.hpp"

namespace raceit::exec {

namespace {

class CrossbarWriteEngine final : public OpEngine {
 public:
  CrossbarWriteEngine(const compiler::CrossbarWriteOp& op, std::size_t node, const RunOptions& options)
      : op_(op), node_(node), options_(options) {}
  std::vector<Tensor> run(std::span<const Tensor* const> in, const OpContext& context) const override {
    const Tensor& a = *in[0];
    const Tensor& b = *in[1];
    matmul_batches(a, b);
    const double factor = op_.a_factor * op_.b_factor * op_.output_factor;
    const CounterRng rng(options_.seed);
    std::vector<float> y;
    std::uint64_t matrix = 0;
    compiler::for_each_matrix_pair(a, b, [&](const xbar::Matrix& am, const xbar::Matrix& bt) {
      xbar::CrossbarConfig config = op_.crossbar;
      config.mode = options_.mode;
      config.device = options_.device;
      config.seed = rng.bits64(streams::kRuntimeWrites, (static_cast<std::uint64_t>(node_) << 40) ^
                                                            (static_cast<std::uint64_t>(context.chunk) << 20) ^ matrix++);
      const auto x = xbar::program_crossbar(bt, config, 1);
      const auto r = xbar::mvm(x, am, op_.a, xbar::MvmPath::Fast, 1, context.chunk);
      for (float v : r.output.data) y.push_back(static_cast<float>(v * factor));
    });
    Shape shape = a.shape();
    shape.back() = b.dim(-1);
    return {like(shape, std::move(y))};
  }

 private:
  const compiler::CrossbarWriteOp& op_;
  std::size_t node_;
  const RunOptions& options_;
};

}  // namespace

std::unique_ptr<OpEngine> make_runtime(const compiler::CrossbarWriteOp& op, const RuntimeContext& context) {
  return std::make_unique<CrossbarWriteEngine>(op, context.node, context.options);
}

}  // namespace raceit::exec

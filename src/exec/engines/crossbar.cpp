// The runtime of the crossbar engine (compiler/engines/crossbar.hpp).
#include "runtime.hpp"
#include "raceit/compiler/tensors.hpp"
#include "raceit/core/gemm.hpp"

namespace raceit::exec {

namespace {

class CrossbarEngine final : public OpEngine {
 public:
  CrossbarEngine(const compiler::CrossbarOp& op, const model::Graph& graph, const RunOptions& options, std::uint64_t seed)
      : op_(op) {
    xbar::CrossbarConfig config = op.config;
    config.mode = options.mode;
    config.device = options.device;
    config.seed = seed;
    crossbar_ = xbar::program_crossbar(compiler::weight_matrix(op, graph), config, options.exec.threads);
    if (!op.bias.empty()) {
      const auto b = graph.initializers.at(op.bias).floats();
      bias_.assign(b.begin(), b.end());
    }
    // A fused function reads the biased value: the bias shifts each column's function.
    if (!config.fused_function.empty()) {
      crossbar_.fused = xbar::fused_readout(crossbar_, op.input, std::vector<double>(bias_.begin(), bias_.end()));
      bias_.clear();
    }
  }
  std::vector<Tensor> run(std::span<const Tensor* const> in, const OpContext& context) const override {
    const auto r = xbar::mvm(crossbar_, compiler::as_rows(*in[0], op_.in), op_.input, xbar::MvmPath::Fast, 1, context.chunk);
    Shape shape = in[0]->shape();
    shape.back() = op_.out;
    std::vector<float> y = r.output.data;
    if (!bias_.empty())
      for (std::size_t k = 0; k < y.size(); ++k) y[k] += bias_[k % bias_.size()];
    return {like(shape, std::move(y))};
  }

 private:
  const compiler::CrossbarOp& op_;
  xbar::ProgrammedCrossbar crossbar_;
  std::vector<float> bias_;
};

}  // namespace

std::unique_ptr<OpEngine> make_runtime(const compiler::CrossbarOp& op, const RuntimeContext& context) {
  return std::make_unique<CrossbarEngine>(op, context.graph, context.options, context.seed(0));
}

}  // namespace raceit::exec

// The runtime of the acam function engine (compiler/engines/acam_function.hpp).
#include "runtime.hpp"

namespace raceit::exec {

namespace {

class FunctionEngine final : public OpEngine {
 public:
  FunctionEngine(const acam::AcamProgram& program, const RunOptions& options, std::uint64_t seed)
      : program_(program), realisation_(realised_codes(program, options, seed)) {
    Codes scratch;
    if (!realisation_.per_read()) values_ = values(realisation_.get(0, scratch));
  }
  std::vector<Tensor> run(std::span<const Tensor* const> in, const OpContext& context) const override {
    Codes scratch;
    const std::vector<float> per_read = realisation_.per_read() ? values(realisation_.get(context.chunk, scratch)) : std::vector<float>{};
    const std::vector<float>& v = realisation_.per_read() ? per_read : values_;
    const auto x = in[0]->floats();
    std::vector<float> y(x.size());
    for (std::size_t k = 0; k < x.size(); ++k) y[k] = v[program_.x.quantise(x[k])];
    return {like(in[0]->shape(), std::move(y))};
  }

 private:
  std::vector<float> values(const std::vector<std::uint32_t>& table) const {
    std::vector<float> v;
    for (auto code : table) v.push_back(static_cast<float>(program_.dequantise(code)));
    return v;
  }
  const acam::AcamProgram& program_;
  Realised<Codes> realisation_;
  std::vector<float> values_;
};

}  // namespace

std::unique_ptr<OpEngine> make_runtime(const compiler::FunctionOp& op, const RuntimeContext& context) {
  return std::make_unique<FunctionEngine>(op.program, context.options, context.seed(0));
}

}  // namespace raceit::exec

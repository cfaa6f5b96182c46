// The RACE-IT functional executor: one engine object per lowered operator, substituted into the
// FP32 executor's operator table. The arithmetic of each engine is specified in docs/compiler.md;
// tests/exec/raceit_reference.cpp re-derives it in plain integer arithmetic.
#include "raceit/exec/raceit_executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "raceit/acam/frozen.hpp"
#include "raceit/acam/multiply.hpp"
#include "raceit/compiler/events.hpp"
#include "raceit/compiler/tensors.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/gemm.hpp"
#include "raceit/core/rng.hpp"

namespace raceit::exec {

namespace {

using compiler::Engine;
using device::NoiseMode;

Tensor like(const Shape& shape, std::vector<float> values) { return Tensor::from_floats(shape, std::move(values)); }

// Rows of the last axis.
std::int64_t row_length(const Tensor& t) { return t.rank() ? t.dim(-1) : 1; }

// A table computed from an ACAM's realisation: once for its own cells (ideal) or one frozen
// realisation per seed (search 0), or anew for each chunk of samples (per_read, search chunk + 1).
template <class T>
class Realised {
 public:
  Realised(const RunOptions& options, std::function<T(const acam::AcamCells*)> make, const acam::AcamProgram& program,
           std::uint64_t seed)
      : options_(options), make_(std::move(make)), program_(program), seed_(seed) {
    if (!per_read()) table_ = table_for(0);
  }
  bool per_read() const { return options_.mode == NoiseMode::PerRead; }
  // The table for this chunk; `scratch` holds a per-read one.
  const T& get(std::size_t chunk, T& scratch) const {
    if (!per_read()) return table_;
    scratch = table_for(chunk + 1);
    return scratch;
  }

 private:
  T table_for(std::uint64_t search) const {
    if (options_.mode == NoiseMode::Ideal) return make_(&program_.cells);
    const acam::AcamCells cells = acam::realise(program_, options_.device, seed_, search);
    return make_(&cells);
  }
  const RunOptions& options_;
  std::function<T(const acam::AcamCells*)> make_;
  const acam::AcamProgram& program_;
  std::uint64_t seed_;
  T table_;
};

// Output code per input code (table order).
using Codes = std::vector<std::uint32_t>;
Realised<Codes> realised_codes(const acam::AcamProgram& program, const RunOptions& options, std::uint64_t seed) {
  return {options, [&program](const acam::AcamCells* cells) { return acam::realised_table(program, *cells); }, program, seed};
}

// Sign-magnitude 8×8 products on a 2-var realisation: |a|·|b| at index |a|·256 + |b| as the four
// nibble lookups and their shift-add give it (acam::NibbleMultiplier).
using Products = std::vector<std::int32_t>;

class Multiplier {
 public:
  // One realisation's products; `exact` when they are integer multiplication — always in ideal
  // mode and in most frozen realisations (noise rarely moves a 4-bit rectangle's threshold by
  // half a code) — so callers can multiply directly.
  struct View {
    const Products& table;
    bool exact;
    std::int64_t operator()(std::int64_t a, std::int64_t b) const {
      if (exact) return a * b;
      const std::int64_t m = table[static_cast<std::size_t>(std::abs(a) * 256 + std::abs(b))];
      return (a < 0) != (b < 0) ? -m : m;
    }
  };

  Multiplier(const acam::AcamProgram& program, const RunOptions& options, std::uint64_t seed)
      : realised_(options,
                  [&program](const acam::AcamCells* cells) {
                    const acam::NibbleMultiplier multiplier(program, *cells);
                    Products p(256 * 256);
                    for (std::int32_t a = 0; a < 256; ++a)
                      for (std::int32_t b = 0; b < 256; ++b) p[static_cast<std::size_t>(a * 256 + b)] = multiplier.multiply(a, b);
                    return p;
                  },
                  program, seed) {
    Products scratch;
    if (!realised_.per_read()) exact_ = is_exact(realised_.get(0, scratch));
  }
  // The products for this chunk; `scratch` holds a per-read table.
  View at(std::size_t chunk, Products& scratch) const {
    const Products& table = realised_.get(chunk, scratch);
    return {table, realised_.per_read() ? is_exact(table) : exact_};
  }

 private:
  static bool is_exact(const Products& p) {
    for (std::int32_t a = 0; a < 256; ++a)
      for (std::int32_t b = 0; b < 256; ++b)
        if (p[static_cast<std::size_t>(a * 256 + b)] != a * b) return false;
    return true;
  }
  Realised<Products> realised_;
  bool exact_ = false;
};

// Sign-magnitude code of x on a symmetric quantiser: quantise(x) − zero limited to
// |code| <= 2^(bits−1) − 1 (the quantiser's code 0 would be one step beyond the symmetric range).
inline std::int64_t sign_magnitude(const AffineQuantiser& q, double x) {
  const std::int64_t top = q.zero - 1;
  return std::clamp(q.quantise(x) - q.zero, -top, top);
}

class OpEngine {
 public:
  virtual ~OpEngine() = default;
  virtual std::vector<Tensor> run(std::span<const Tensor* const> in, const OpContext& context) const = 0;
};

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

// Checks a [..., M, K] · b [..., K, N] with equal batch dimensions; returns the batch count.
std::int64_t matmul_batches(const Tensor& a, const Tensor& b) {
  if (a.rank() < 2 || a.rank() != b.rank() || !std::equal(a.shape().begin(), a.shape().end() - 2, b.shape().begin()) ||
      a.dim(-1) != b.dim(-2))
    throw Error(ErrorKind::Unsupported, fmt::format("data matmul of {} and {}: only equal batch dimensions are mapped",
                                                    to_string(a.shape()), to_string(b.shape())));
  return a.size() / (a.dim(-2) * a.dim(-1));
}

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

class CrossbarWriteEngine final : public OpEngine {
 public:
  CrossbarWriteEngine(const compiler::DataMatMulOp& op, std::size_t node, const RunOptions& options)
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
  const compiler::DataMatMulOp& op_;
  std::size_t node_;
  const RunOptions& options_;
};

// Folded and fused operators: their input passes through (the op after or before computes them).
class PassThrough final : public OpEngine {
 public:
  explicit PassThrough(std::size_t input) : input_(input) {}
  std::vector<Tensor> run(std::span<const Tensor* const> in, const OpContext&) const override { return {*in[input_]}; }

 private:
  std::size_t input_;
};

}  // namespace

struct RaceitExecutor::Engines {
  const model::Graph& graph;
  const compiler::Program& program;
  RunOptions options;
  OpTable fp32 = OpTable::fp32();
  std::vector<std::unique_ptr<OpEngine>> ops;  // nullptr: the FP32 kernel
  mutable std::mutex mutex;
  std::vector<EventCounts> events;

  std::uint64_t seed(std::size_t node, int slot) const {
    return CounterRng(options.seed).bits64(streams::kProgramSeeds, node * 8 + static_cast<std::uint64_t>(slot));
  }

  std::unique_ptr<OpEngine> make(std::size_t i) const {
    const compiler::LoweredOp& op = program.ops[i];
    const model::Node& node = graph.nodes[i];
    switch (op.engine) {
      case Engine::Crossbar:
        return std::make_unique<CrossbarEngine>(std::get<compiler::CrossbarOp>(op.detail), graph, options, seed(i, 0));
      case Engine::AcamFunction:
        return std::make_unique<FunctionEngine>(std::get<compiler::FunctionOp>(op.detail).program, options, seed(i, 0));
      case Engine::AcamSoftmax:
        return std::make_unique<SoftmaxEngine>(std::get<compiler::SoftmaxOp>(op.detail), options, seed(i, 0), seed(i, 1),
                                               seed(i, 2));
      case Engine::AcamNorm:
        return std::make_unique<NormEngine>(std::get<compiler::NormOp>(op.detail), graph, options, seed(i, 0), seed(i, 1));
      case Engine::AcamDataMatMul:
        return std::make_unique<DataMatMulEngine>(std::get<compiler::DataMatMulOp>(op.detail), options, seed(i, 0));
      case Engine::CrossbarWrite:
        return std::make_unique<CrossbarWriteEngine>(std::get<compiler::DataMatMulOp>(op.detail), i, options);
      case Engine::Folded:
      case Engine::Fused:
        for (std::size_t k = 0; k < node.inputs.size(); ++k)
          if (!graph.is_weight(node.inputs[k])) return std::make_unique<PassThrough>(k);
        throw Error(ErrorKind::Internal, fmt::format("{} operator '{}' has no activation input", to_string(op.engine), op.node));
      case Engine::Digital:
      case Engine::None:
        return nullptr;
    }
    return nullptr;
  }

  std::vector<Tensor> run(const model::Node& node, std::span<const Tensor* const> in, const OpContext& context) {
    const compiler::LoweredOp& op = program.ops[context.node];
    auto outputs = ops[context.node] ? ops[context.node]->run(in, context) : fp32.at(node.op)(node, in, context);
    if (op.engine == Engine::None) return outputs;
    std::vector<Shape> in_shapes, out_shapes;
    for (const Tensor* t : in) in_shapes.push_back(t ? t->shape() : Shape{});
    for (const Tensor& t : outputs) out_shapes.push_back(t.shape());
    const EventCounts e = compiler::op_events(op, in_shapes, out_shapes, program.activation_bits);
    const std::lock_guard lock(mutex);
    events[context.node] += e;
    return outputs;
  }
};

RaceitExecutor::RaceitExecutor(const compiler::Program& program, const model::Graph& graph, const RunOptions& options)
    : program_(program) {
  compiler::check_model(program_, graph);
  engines_ = std::make_unique<Engines>(graph, program_, options);
  engines_->events.resize(program_.ops.size());
  for (std::size_t i = 0; i < program_.ops.size(); ++i) {
    engines_->ops.push_back(engines_->make(i));
    engines_->events[i].cells_programmed = program_.ops[i].cells_programmed;
  }
  OpTable table = OpTable::fp32();
  Engines* engines = engines_.get();
  for (const auto& node : graph.nodes)
    table.set(node.op, [engines](const model::Node& n, std::span<const Tensor* const> in, const OpContext& context) {
      return engines->run(n, in, context);
    });
  executor_ = std::make_unique<Executor>(graph, std::move(table), options.exec);
}

RaceitExecutor::~RaceitExecutor() = default;

std::vector<Tensor> RaceitExecutor::run(const std::map<std::string, Tensor>& inputs, const NodeObserver& observer) const {
  return executor_->run(inputs, observer);
}

std::vector<EventCounts> RaceitExecutor::events() const {
  const std::lock_guard lock(engines_->mutex);
  return engines_->events;
}

}  // namespace raceit::exec

// The integer reference: docs/compiler.md's arithmetic of each engine, written out again without
// the executor's code. Only f itself comes from the acam module (the expression evaluator: the
// function's definition, not the hardware), and the crossbars from xbar::ideal_pipeline (xbar's
// own independent integer model).
#include "raceit_reference.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "raceit/acam/functions.hpp"
#include "raceit/compiler/tensors.hpp"
#include "raceit/core/error.hpp"
#include "raceit/xbar/integer_reference.hpp"

namespace raceit::exec::testing {

namespace {

using compiler::Engine;

// Code of x on the uniform grid of 2^bits points over [lo, hi], nearest, ties to even.
std::int64_t grid_code(const acam::InputAxis& axis, double x) {
  const double top = std::ldexp(1.0, axis.bits) - 1;
  const double c = std::nearbyint((x - axis.range.lo) * top / (axis.range.hi - axis.range.lo));
  if (!(c > 0)) return 0;
  return static_cast<std::int64_t>(std::min(c, top));
}

// The quantised table of a 1-var program from f at the grid points: output codes.
std::vector<std::int64_t> codes_of(const acam::AcamProgram& p) {
  const acam::AcamFunction f = acam::resolve_function(p.expression);
  const std::int64_t n = std::int64_t{1} << p.x.bits, top = (std::int64_t{1} << p.out_bits) - 1;
  const double step = (p.out_range.hi - p.out_range.lo) / static_cast<double>(top);
  std::vector<std::int64_t> codes;
  for (std::int64_t i = 0; i < n; ++i) {
    const double x = p.x.range.lo + static_cast<double>(i) * (p.x.range.hi - p.x.range.lo) / static_cast<double>(n - 1);
    const double c = step > 0 ? std::nearbyint((f(x) - p.out_range.lo) / step) : 0.0;
    codes.push_back(static_cast<std::int64_t>(std::clamp(c, 0.0, static_cast<double>(top))));
  }
  return codes;
}

double step_of(const acam::AcamProgram& p) {
  return (p.out_range.hi - p.out_range.lo) / (std::ldexp(1.0, p.out_bits) - 1);
}

// Symmetric sign-magnitude code: round(x / scale), limited to ±(2^(bits−1) − 1).
std::int64_t magnitude_code(const AffineQuantiser& q, double x) {
  const double top = std::ldexp(1.0, q.bits - 1) - 1;
  const double c = std::nearbyint(x / q.scale);
  if (std::isnan(c)) return 0;
  return static_cast<std::int64_t>(std::clamp(c, -top, top));
}

using Impl = std::function<std::vector<Tensor>(std::span<const Tensor* const>)>;

Impl crossbar(const compiler::CrossbarOp& op, const model::Graph& graph) {
  auto x = std::make_shared<xbar::ProgrammedCrossbar>(xbar::program_crossbar(compiler::weight_matrix(op, graph), op.config, 1));
  std::vector<float> bias;
  if (!op.bias.empty()) bias.assign(graph.initializers.at(op.bias).floats().begin(), graph.initializers.at(op.bias).floats().end());
  return [x, op, bias](std::span<const Tensor* const> in) {
    xbar::Matrix y = xbar::ideal_pipeline(*x, compiler::as_rows(*in[0], op.in), op.input);
    for (std::size_t k = 0; k < y.data.size() && !bias.empty(); ++k) y.data[k] += bias[k % bias.size()];
    Shape shape = in[0]->shape();
    shape.back() = op.out;
    return std::vector<Tensor>{Tensor::from_floats(shape, std::move(y.data))};
  };
}

Impl function(const acam::AcamProgram& p) {
  const auto codes = codes_of(p);
  const double step = step_of(p);
  return [p, codes, step](std::span<const Tensor* const> in) {
    std::vector<float> y;
    for (float x : in[0]->floats()) y.push_back(static_cast<float>(p.out_range.lo + static_cast<double>(codes[grid_code(p.x, x)]) * step));
    return std::vector<Tensor>{Tensor::from_floats(in[0]->shape(), std::move(y))};
  };
}

Impl softmax(const compiler::SoftmaxOp& op) {
  const auto exp = codes_of(op.exp), reciprocal = codes_of(op.reciprocal);
  const double e_step = step_of(op.exp), r_step = step_of(op.reciprocal);
  return [op, exp, reciprocal, e_step, r_step](std::span<const Tensor* const> in) {
    const auto x = in[0]->floats();
    const std::int64_t n = in[0]->dim(-1);
    std::vector<float> y(x.size());
    for (std::size_t r = 0; r * n < x.size(); ++r) {
      double m = x[r * n];
      for (std::int64_t j = 1; j < n; ++j) m = std::max(m, static_cast<double>(x[r * n + j]));
      std::vector<std::int64_t> e;
      std::int64_t sum = 0;
      for (std::int64_t j = 0; j < n; ++j) {
        e.push_back(exp[grid_code(op.exp.x, static_cast<double>(x[r * n + j]) - m)]);
        sum += e.back();
      }
      const std::int64_t rec = reciprocal[grid_code(op.reciprocal.x, static_cast<double>(sum) * e_step)];
      for (std::int64_t j = 0; j < n; ++j) y[r * n + j] = static_cast<float>(static_cast<double>(e[j] * rec) * e_step * r_step);
    }
    return std::vector<Tensor>{Tensor::from_floats(in[0]->shape(), std::move(y))};
  };
}

Impl norm(const compiler::NormOp& op, const model::Graph& graph) {
  const auto rsqrt = codes_of(op.rsqrt);
  const double r_step = step_of(op.rsqrt);
  std::vector<std::int64_t> gamma;
  for (float g : graph.initializers.at(op.gamma).floats()) gamma.push_back(magnitude_code(op.gamma_q, g));
  std::vector<float> beta;
  if (!op.beta.empty()) beta.assign(graph.initializers.at(op.beta).floats().begin(), graph.initializers.at(op.beta).floats().end());
  return [op, rsqrt, r_step, gamma, beta](std::span<const Tensor* const> in) {
    const auto x = in[0]->floats();
    const std::int64_t n = in[0]->dim(-1);
    const double sx = op.input.scale;
    std::vector<float> y(x.size());
    for (std::size_t r = 0; r * n < x.size(); ++r) {
      std::vector<std::int64_t> q;
      std::int64_t s1 = 0, s2 = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        q.push_back(magnitude_code(op.input, x[r * n + i]));
        s1 += q.back();
        s2 += q.back() * q.back();
      }
      const double mean = op.rms ? 0.0 : static_cast<double>(s1) / static_cast<double>(n);
      const double variance = static_cast<double>(s2) / static_cast<double>(n) - mean * mean;
      const std::int64_t rs = rsqrt[grid_code(op.rsqrt.x, variance * sx * sx + op.epsilon)];
      for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t c = op.rms ? q[i] : magnitude_code(op.centred, (static_cast<double>(q[i]) - mean) * sx);
        const std::int64_t z = magnitude_code(op.normalised, static_cast<double>(c * rs) * op.centred.scale * r_step);
        double v = static_cast<double>(z * gamma[i]) * op.normalised.scale * op.gamma_q.scale;
        if (!beta.empty()) v += beta[i];
        y[r * n + i] = static_cast<float>(v);
      }
    }
    return std::vector<Tensor>{Tensor::from_floats(in[0]->shape(), std::move(y))};
  };
}

Impl data_matmul(const compiler::DataMatMulOp& op) {
  return [op](std::span<const Tensor* const> in) {
    const Tensor& a = *in[0];
    const Tensor& b = *in[1];
    const std::int64_t m = a.dim(-2), k = a.dim(-1), n = b.dim(-1), batches = a.size() / (m * k);
    const double scale = op.a.scale * op.a_factor * op.b.scale * op.b_factor * op.output_factor;
    std::vector<std::int64_t> qa, qb;
    for (float v : a.floats()) qa.push_back(magnitude_code(op.a, v));
    for (float v : b.floats()) qb.push_back(magnitude_code(op.b, v));
    std::vector<float> y(static_cast<std::size_t>(batches * m * n));
    for (std::int64_t p = 0; p < batches; ++p)
      for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
          std::int64_t s = 0;
          for (std::int64_t t = 0; t < k; ++t) s += qa[(p * m + i) * k + t] * qb[(p * k + t) * n + j];
          y[(p * m + i) * n + j] = static_cast<float>(static_cast<double>(s) * scale);
        }
    Shape shape = a.shape();
    shape.back() = n;
    return std::vector<Tensor>{Tensor::from_floats(shape, std::move(y))};
  };
}

}  // namespace

OpTable integer_reference(const compiler::Program& program, const model::Graph& graph) {
  compiler::check_model(program, graph);
  auto impls = std::make_shared<std::vector<Impl>>(program.ops.size());
  for (std::size_t i = 0; i < program.ops.size(); ++i) {
    const compiler::LoweredOp& op = program.ops[i];
    Impl& impl = (*impls)[i];
    switch (op.engine) {
      case Engine::Crossbar: impl = crossbar(std::get<compiler::CrossbarOp>(op.detail), graph); break;
      case Engine::AcamFunction: impl = function(std::get<compiler::FunctionOp>(op.detail).program); break;
      case Engine::AcamSoftmax: impl = softmax(std::get<compiler::SoftmaxOp>(op.detail)); break;
      case Engine::AcamNorm: impl = norm(std::get<compiler::NormOp>(op.detail), graph); break;
      case Engine::AcamDataMatMul: impl = data_matmul(std::get<compiler::DataMatMulOp>(op.detail)); break;
      case Engine::Folded:
      case Engine::Fused: {
        const model::Node& node = graph.nodes[i];
        const auto k = static_cast<std::size_t>(std::find_if(node.inputs.begin(), node.inputs.end(),
                                                             [&](const std::string& v) { return !graph.is_weight(v); }) -
                                                node.inputs.begin());
        impl = [k](std::span<const Tensor* const> in) { return std::vector<Tensor>{*in[k]}; };
        break;
      }
      case Engine::CrossbarWrite:
        throw Error(ErrorKind::Unsupported, "the integer reference does not model crossbar-write data matmuls");
      case Engine::Digital:
      case Engine::None:
        break;
    }
  }
  OpTable table = OpTable::fp32();
  const OpTable fp32 = OpTable::fp32();
  for (const auto& node : graph.nodes)
    table.set(node.op, [impls, fp32](const model::Node& n, std::span<const Tensor* const> in, const OpContext& context) {
      const Impl& impl = (*impls)[context.node];
      return impl ? impl(in) : fp32.at(n.op)(n, in, context);
    });
  return table;
}

}  // namespace raceit::exec::testing

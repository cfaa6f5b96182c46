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

// A crossbar whose Compute-ACAM readout computes f: multi-level inputs on single cells in
// differential pairs, so a column's value is the integer Σ_i x_code_i·q_ji and one conversion
// makes one output. Per column, f(value + bias) is quantised at the readout's grid points; a value
// half-way between two grid points reads as the bits their codes share (docs/xbar.md).
Impl fused_crossbar(const compiler::CrossbarOp& op, const model::Graph& graph) {
  const xbar::CrossbarConfig& c = op.config;
  auto x = std::make_shared<xbar::ProgrammedCrossbar>(xbar::program_crossbar(compiler::weight_matrix(op, graph), c, 1));
  const acam::AcamFunction f = acam::resolve_function(c.fused_function);
  const std::int64_t codes = std::int64_t{1} << c.readout_bits, cmin = -(codes / 2), cmax = codes / 2 - 1;
  const double largest = static_cast<double>(c.rows) * (std::ldexp(1.0, c.a_bits) - 1) * (std::ldexp(1.0, c.w_bits - 1) - 1);
  int e = -64;
  while (std::ldexp(static_cast<double>(cmax), e) < c.full_scale * largest) ++e;
  const double step = std::ldexp(1.0, e);
  std::vector<float> bias(static_cast<std::size_t>(op.out), 0.0f);
  if (!op.bias.empty()) bias.assign(graph.initializers.at(op.bias).floats().begin(), graph.initializers.at(op.bias).floats().end());
  // Per column: the output value of every readout code.
  struct Column {
    std::vector<std::int64_t> code;
    double lo = 0, step = 0;
  };
  std::vector<Column> columns;
  for (int j = 0; j < op.out; ++j) {
    std::int64_t row_sum = 0;
    for (int i = 0; i < op.in; ++i) row_sum += x->q[static_cast<std::size_t>(j) * op.in + i];
    const double scale = op.input.scale * x->w_scale[static_cast<std::size_t>(j)];
    const double zero_term = static_cast<double>(op.input.zero) * static_cast<double>(row_sum);
    const double v0 = scale * (static_cast<double>(cmin) * step - zero_term) + bias[static_cast<std::size_t>(j)];
    const double v1 = scale * (static_cast<double>(cmax) * step - zero_term) + bias[static_cast<std::size_t>(j)];
    std::vector<double> y;
    for (std::int64_t k = 0; k < codes; ++k) y.push_back(f(v0 + static_cast<double>(k) * (v1 - v0) / static_cast<double>(codes - 1)));
    Column col;
    col.lo = *std::min_element(y.begin(), y.end());
    col.step = (*std::max_element(y.begin(), y.end()) - col.lo) / static_cast<double>(codes - 1);
    for (double v : y)
      col.code.push_back(col.step > 0 ? static_cast<std::int64_t>(std::clamp(std::nearbyint((v - col.lo) / col.step), 0.0,
                                                                              static_cast<double>(codes - 1)))
                                      : 0);
    columns.push_back(std::move(col));
  }
  const bool gray = c.acam_encoding == acam::OutputEncoding::Gray;
  return [x, op, columns, step, cmin, cmax, gray, bits = c.readout_bits](std::span<const Tensor* const> in) {
    auto encode = [&](std::int64_t v) { return gray ? v ^ (v >> 1) : v; };
    auto decode = [&](std::int64_t g) {
      if (!gray) return g;
      std::int64_t v = 0;
      for (int b = bits - 1; b >= 0; --b) v |= (((v >> (b + 1)) & 1) ^ ((g >> b) & 1)) << b;
      return v;
    };
    const auto xs = in[0]->floats();
    const std::int64_t rows = static_cast<std::int64_t>(xs.size()) / op.in;
    std::vector<float> y(static_cast<std::size_t>(rows * op.out));
    for (std::int64_t r = 0; r < rows; ++r)
      for (int j = 0; j < op.out; ++j) {
        std::int64_t u = 0;
        for (int i = 0; i < op.in; ++i) u += op.input.quantise(xs[r * op.in + i]) * x->q[static_cast<std::size_t>(j) * op.in + i];
        const double at = static_cast<double>(u) / step;
        const Column& col = columns[static_cast<std::size_t>(j)];
        const std::int64_t k = std::clamp(static_cast<std::int64_t>(std::nearbyint(at)), cmin, cmax);
        std::int64_t code = col.code[k - cmin];
        const auto below = static_cast<std::int64_t>(std::floor(at));
        if (at - static_cast<double>(below) == 0.5 && below >= cmin && below < cmax)
          code = decode(encode(col.code[below - cmin]) & encode(col.code[below + 1 - cmin]));
        y[r * op.out + j] = static_cast<float>(col.lo + static_cast<double>(code) * col.step);
      }
    Shape shape = in[0]->shape();
    shape.back() = op.out;
    return std::vector<Tensor>{Tensor::from_floats(shape, std::move(y))};
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

// Crossbar writes: each matrix of b programmed as weights (ideal cells), a streamed through xbar's
// integer pipeline, the folded factors applied to the result.
Impl crossbar_write(const compiler::CrossbarWriteOp& op) {
  return [op](std::span<const Tensor* const> in) {
    const double factor = op.a_factor * op.b_factor * op.output_factor;
    std::vector<float> y;
    compiler::for_each_matrix_pair(*in[0], *in[1], [&](const xbar::Matrix& a, const xbar::Matrix& b_transposed) {
      const auto x = xbar::program_crossbar(b_transposed, op.crossbar, 1);
      for (float v : xbar::ideal_pipeline(x, a, op.a).data) y.push_back(static_cast<float>(v * factor));
    });
    Shape shape = in[0]->shape();
    shape.back() = in[1]->dim(-1);
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
    switch (op.engine()) {
      case Engine::Crossbar: {
        const auto& x = std::get<compiler::CrossbarOp>(op.detail);
        impl = x.config.fused_function.empty() ? crossbar(x, graph) : fused_crossbar(x, graph);
        break;
      }
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
      case Engine::CrossbarWrite: impl = crossbar_write(std::get<compiler::CrossbarWriteOp>(op.detail)); break;
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

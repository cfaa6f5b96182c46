#include "raceit/compiler/events.hpp"

#include "raceit/core/error.hpp"

namespace raceit::compiler {

namespace {

using model::OpType;
using U = std::uint64_t;

U elements(const Shape& s) { return s.empty() ? 1 : static_cast<U>(element_count(s)); }
U last(const Shape& s) { return s.empty() ? 1 : static_cast<U>(s.back()); }

// Every lowered op reads its activation inputs from the tile buffer and writes its outputs back,
// activation_bits per element, 256 bits per access (buffer and register accesses alike).
U wide_accesses(U elements_moved, int bits) { return (elements_moved * static_cast<U>(bits) + 255) / 256; }

// An 8×8 product on the 2-var RACE: four nibble lookups, three adds to recombine them.
void products(EventCounts& e, U n) {
  e.race_2var_lookups += 4 * n;
  e.digital_adds += 3 * n;
}

EventCounts digital_events(model::OpType op, U in, U out, U row_length) {
  EventCounts e;
  switch (op) {
    case OpType::Softmax:  // max, subtract, sum, multiply by the reciprocal; exp per element and 1/x per row
      e.vector_ops = 4 * out;
      e.sfu_ops = out + out / row_length;
      break;
    case OpType::LayerNorm:
    case OpType::RmsNorm:  // sums, centring, squares, scaling, γ and β; rsqrt per row
      e.vector_ops = 6 * out;
      e.sfu_ops = out / row_length;
      break;
    case OpType::Add: case OpType::Sub: case OpType::Neg: case OpType::Equal: case OpType::Less:
    case OpType::Greater: case OpType::Where: case OpType::Not: case OpType::Relu: case OpType::Clip:
      e.digital_adds = out;
      break;
    case OpType::ReduceSum: case OpType::ReduceMean: case OpType::ReduceMax:
      e.digital_adds = in;
      break;
    case OpType::Gelu: case OpType::Silu: case OpType::Exp: case OpType::Erf: case OpType::Tanh: case OpType::Sigmoid:
    case OpType::Sqrt: case OpType::Reciprocal:
      e.sfu_ops = out;
      break;
    default:  // multiplies, divides, powers, casts
      e.vector_ops = out;
  }
  return e;
}

}  // namespace

EventCounts op_events(const LoweredOp& op, std::span<const Shape> inputs, std::span<const Shape> outputs, int bits) {
  EventCounts e;
  if (op.engine == Engine::None || op.engine == Engine::Folded || op.engine == Engine::Fused) return e;
  if (inputs.empty() || outputs.empty()) throw Error(ErrorKind::Internal, "op_events: node '" + op.node + "' without tensors");
  const U in = elements(inputs[0]), out = elements(outputs[0]), length = last(inputs[0]);
  U moved = in + out;
  switch (op.engine) {
    case Engine::Crossbar: {
      const auto& x = std::get<CrossbarOp>(op.detail);
      e = xbar::mvm_events(x.config, x.layout, x.in, x.out, in / static_cast<U>(x.in));
      e.cells_programmed = 0;
      if (!x.bias.empty()) e.digital_adds += out;
      break;
    }
    case Engine::AcamFunction:
      e.race_1var_lookups = in;
      break;
    case Engine::AcamSoftmax: {
      const U rows = in / length;
      e.race_1var_lookups = in + rows;                    // exp per element, reciprocal per row
      products(e, in);                                    // exp × reciprocal
      e.digital_adds += rows * (length - 1) * 2 + in;     // row max, row sum, subtract the max
      break;
    }
    case Engine::AcamNorm: {
      const auto& n = std::get<NormOp>(op.detail);
      const U rows = in / length;
      e.race_1var_lookups = rows;                         // rsqrt
      products(e, 3 * in);                                // squares, × rsqrt, × γ
      e.digital_adds += rows * (length - 1) * (n.rms ? 1 : 2) + 2 * rows;  // Σx², Σx; variance
      if (!n.rms) e.digital_adds += in;                   // centring
      if (!n.beta.empty()) e.digital_adds += in;          // + β
      break;
    }
    case Engine::AcamDataMatMul: {
      const U k = last(inputs[0]), macs = out * k;
      products(e, macs);
      e.digital_adds += out * (k - 1);
      moved = in + elements(inputs[1]) + out;
      break;
    }
    case Engine::CrossbarWrite: {
      const auto& d = std::get<DataMatMulOp>(op.detail);
      const Shape& b = inputs[1];
      const int k = static_cast<int>(b[b.size() - 2]), n = static_cast<int>(b.back());
      const U matrices = elements(b) / (static_cast<U>(k) * n), rows = in / static_cast<U>(k);
      const auto layout = xbar::tile_layout(d.crossbar, k, n);
      e = xbar::mvm_events(d.crossbar, layout, k, n, rows);
      e.cells_programmed = 0;
      e.cell_writes = matrices * static_cast<U>(k) * n * static_cast<U>(layout.cells_per_weight);
      moved = in + elements(b) + out;
      break;
    }
    case Engine::Digital: {
      U all_in = 0;
      for (const auto& s : inputs) all_in += s.empty() ? 0 : elements(s);
      if (op.op == OpType::DataMatMul) {
        e.vector_ops = out * last(inputs[0]);
      } else {
        e = digital_events(op.op, all_in, out, length);
      }
      moved = all_in + out;
      break;
    }
    default:
      break;
  }
  e.buffer_accesses += wide_accesses(moved, bits);
  // Operands reach the RACE arrays from the tile's registers, 256 bits per access: one per 1-var
  // lookup, two per 8×8 product (four nibble lookups).
  e.register_accesses +=
      wide_accesses(e.race_1var_lookups + e.race_2var_lookups / 2, bits);
  return e;
}

}  // namespace raceit::compiler

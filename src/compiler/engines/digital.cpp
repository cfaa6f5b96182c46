#include "raceit/compiler/engines/digital.hpp"

#include "support.hpp"

namespace raceit::compiler {

namespace {

using model::OpType;
using U = std::uint64_t;

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
    // One vector operation per output: multiplies, divides, powers, casts, the CNN functions without
    // an SFU rule, and whatever else falls back to the digital engine (data movement, matmuls and
    // convolutions when no other engine takes them). Listed, not defaulted, so a new operator is a
    // -Wswitch warning here.
    case OpType::Mul: case OpType::Div: case OpType::Pow: case OpType::Cast:
    case OpType::HardSigmoid: case OpType::HardSwish: case OpType::Softplus: case OpType::LogSoftmax:
    case OpType::Cos: case OpType::Sin: case OpType::BatchNorm: case OpType::MaxPool: case OpType::AveragePool:
    case OpType::WeightMatMul: case OpType::DataMatMul: case OpType::Conv: case OpType::Im2Col:
    case OpType::Reshape: case OpType::Transpose: case OpType::Split: case OpType::Concat: case OpType::Gather:
    case OpType::Unsqueeze: case OpType::Squeeze: case OpType::Shape: case OpType::ConstantOfShape:
    case OpType::Expand: case OpType::Slice: case OpType::Identity: case OpType::Range: case OpType::Trilu:
    case OpType::OpTypeCount:
      e.vector_ops = out;
      break;
  }
  return e;
}

}  // namespace

std::string unmapped_reason(Tag<DigitalOp>, const Lowering&, std::size_t) { return ""; }

bool lower_detail(DigitalOp&, const Lowering&, std::size_t, LoweredOp&) { return true; }

EventCounts engine_events(const DigitalOp&, EventShapes& s) {
  EventCounts e;
  U all_in = 0;
  for (const auto& shape : s.inputs) all_in += shape.empty() ? 0 : elements(shape);
  if (s.op.op == OpType::DataMatMul) {
    e.vector_ops = s.out * last(s.inputs[0]);
  } else {
    e = digital_events(s.op.op, all_in, s.out, s.length);
  }
  s.moved = all_in + s.out;
  return e;
}

std::vector<ProgramUse> acam_programs(const DigitalOp&, const EventCounts&) { return {}; }

std::int64_t crossbar_arrays(const DigitalOp&, const EventCounts&, int) { return 0; }

nlohmann::json detail_json(const DigitalOp&) { return {{"kind", "none"}}; }

DigitalOp read_detail(Tag<DigitalOp>, const ProgramField& f) {
  f.require_kind("none");
  return {};
}

std::string detail_text(const DigitalOp&, const LoweredOp& op) { return op.note.empty() ? "FP32 reference kernel" : op.note; }

}  // namespace raceit::compiler

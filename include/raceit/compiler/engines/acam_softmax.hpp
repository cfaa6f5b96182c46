#pragma once
// The ACAM softmax engine: softmax over the last axis of input_scale·x with adders, exp and
// reciprocal on 1-var RACE, the product on 2-var RACE (docs/compiler.md: "Softmax"). Concerns: engine.hpp.
#include "raceit/compiler/engines/engine.hpp"

namespace raceit::compiler {

struct SoftmaxOp {
  static constexpr const char* kName = "acam-softmax";
  double input_scale = 1.0;      // a folded constant
  acam::AcamProgram exp;         // exp(input_scale·t), t = x − row max on [clamp/input_scale, 0], outputs on [0, 1]
  acam::AcamProgram reciprocal;  // 1/s over the calibrated range of s = Σ exp, outputs on [0, 1/s_min]
  acam::AcamProgram multiply;    // nibble product: exp code × reciprocal code
  bool operator==(const SoftmaxOp&) const = default;
};

std::string unmapped_reason(Tag<SoftmaxOp>, const Lowering& l, std::size_t node);
bool lower_detail(SoftmaxOp& op, const Lowering& l, std::size_t node, LoweredOp& lowered);
EventCounts engine_events(const SoftmaxOp& op, EventShapes& shapes);
std::vector<ProgramUse> acam_programs(const SoftmaxOp& op, const EventCounts& events);
std::int64_t crossbar_arrays(const SoftmaxOp& op, const EventCounts& events, int cells_per_array);
nlohmann::json detail_json(const SoftmaxOp& op);
SoftmaxOp read_detail(Tag<SoftmaxOp>, const ProgramField& f);
std::string detail_text(const SoftmaxOp& op, const LoweredOp& lowered);

}  // namespace raceit::compiler

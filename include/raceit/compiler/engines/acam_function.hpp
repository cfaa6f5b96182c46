#pragma once
// The ACAM function engine: an element-wise f on 1-var RACE lookups. x is quantised onto the
// program's input grid, code = clamp(round_half_even((x − lo)/Δ), 0, 2^bits − 1), and the output is
// program.dequantise(lookup). Concerns: engine.hpp.
#include "raceit/compiler/engines/engine.hpp"

namespace raceit::compiler {

struct FunctionOp {
  static constexpr const char* kName = "acam-function";
  acam::AcamProgram program;
  bool operator==(const FunctionOp&) const = default;
};

std::string unmapped_reason(Tag<FunctionOp>, const Lowering& l, std::size_t node);
bool lower_detail(FunctionOp& op, const Lowering& l, std::size_t node, LoweredOp& lowered);
EventCounts engine_events(const FunctionOp& op, EventShapes& shapes);
std::vector<ProgramUse> acam_programs(const FunctionOp& op, const EventCounts& events);
std::int64_t crossbar_arrays(const FunctionOp& op, const EventCounts& events, int cells_per_array);
nlohmann::json detail_json(const FunctionOp& op);
FunctionOp read_detail(Tag<FunctionOp>, const ProgramField& f);
std::string detail_text(const FunctionOp& op, const LoweredOp& lowered);

}  // namespace raceit::compiler

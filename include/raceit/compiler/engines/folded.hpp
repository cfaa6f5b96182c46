#pragma once
// The folded engine: a constant scalar Mul/Div absorbed into the quantiser of the operator after it
// or the output scale of the data matmul before it (LoweredOp::partner); its input passes through.
// Concerns: engine.hpp.
#include "raceit/compiler/engines/engine.hpp"

namespace raceit::compiler {

struct FoldedOp {
  static constexpr const char* kName = "folded";
  double factor = 1.0;           // the constant it multiplies by
  bool operator==(const FoldedOp&) const = default;
};

std::string unmapped_reason(Tag<FoldedOp>, const Lowering& l, std::size_t node);
bool lower_detail(FoldedOp& op, const Lowering& l, std::size_t node, LoweredOp& lowered);
EventCounts engine_events(const FoldedOp& op, EventShapes& shapes);
std::vector<ProgramUse> acam_programs(const FoldedOp& op, const EventCounts& events);
std::int64_t crossbar_arrays(const FoldedOp& op, const EventCounts& events, int cells_per_array);
nlohmann::json detail_json(const FoldedOp& op);
FoldedOp read_detail(Tag<FoldedOp>, const ProgramField& f);
std::string detail_text(const FoldedOp& op, const LoweredOp& lowered);

}  // namespace raceit::compiler

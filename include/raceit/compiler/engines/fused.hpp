#pragma once
// The fused engine: an element-wise f computed by the Compute-ACAM readout of the crossbar before
// it (LoweredOp::partner); its own input passes through. Concerns: engine.hpp.
#include "raceit/compiler/engines/engine.hpp"

namespace raceit::compiler {

struct FusedOp {
  static constexpr const char* kName = "fused";
  bool operator==(const FusedOp&) const = default;
};

std::string unmapped_reason(Tag<FusedOp>, const Lowering& l, std::size_t node);
bool lower_detail(FusedOp& op, const Lowering& l, std::size_t node, LoweredOp& lowered);
EventCounts engine_events(const FusedOp& op, EventShapes& shapes);
std::vector<ProgramUse> acam_programs(const FusedOp& op, const EventCounts& events);
std::int64_t crossbar_arrays(const FusedOp& op, const EventCounts& events, int cells_per_array);
nlohmann::json detail_json(const FusedOp& op);
FusedOp read_detail(Tag<FusedOp>, const ProgramField& f);
std::string detail_text(const FusedOp& op, const LoweredOp& lowered);

}  // namespace raceit::compiler

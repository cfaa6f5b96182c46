#include "raceit/compiler/engines/fused.hpp"

#include "support.hpp"

namespace raceit::compiler {

// Chosen by the lowering pass itself (lower.cpp), never as a node's first choice.
std::string unmapped_reason(Tag<FusedOp>, const Lowering&, std::size_t) { return ""; }

bool lower_detail(FusedOp&, const Lowering&, std::size_t, LoweredOp&) { return true; }

// No computation of its own: no events, nothing moved.
EventCounts engine_events(const FusedOp&, EventShapes& s) {
  s.moved = 0;
  return {};
}

std::vector<ProgramUse> acam_programs(const FusedOp&, const EventCounts&) { return {}; }

std::int64_t crossbar_arrays(const FusedOp&, const EventCounts&, int) { return 0; }

nlohmann::json detail_json(const FusedOp&) { return {{"kind", "none"}}; }

FusedOp read_detail(Tag<FusedOp>, const ProgramField& f) {
  f.require_kind("none");
  return {};
}

std::string detail_text(const FusedOp&, const LoweredOp& op) { return op.note; }

}  // namespace raceit::compiler

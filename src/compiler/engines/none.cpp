#include "raceit/compiler/engines/none.hpp"

#include "support.hpp"

namespace raceit::compiler {

// Chosen for nodes without a float output or that only move data (Lowering::choose_engine).
std::string unmapped_reason(Tag<NoneOp>, const Lowering&, std::size_t) { return ""; }

bool lower_detail(NoneOp&, const Lowering&, std::size_t, LoweredOp&) { return true; }

// No computation of its own: no events, nothing moved.
EventCounts engine_events(const NoneOp&, EventShapes& s) {
  s.moved = 0;
  return {};
}

std::vector<ProgramUse> acam_programs(const NoneOp&, const EventCounts&) { return {}; }

std::int64_t crossbar_arrays(const NoneOp&, const EventCounts&, int) { return 0; }

nlohmann::json detail_json(const NoneOp&) { return {{"kind", "none"}}; }

NoneOp read_detail(Tag<NoneOp>, const ProgramField& f) {
  f.require_kind("none");
  return {};
}

std::string detail_text(const NoneOp&, const LoweredOp& op) { return op.note; }

}  // namespace raceit::compiler

#include "raceit/compiler/engines/folded.hpp"

#include "support.hpp"

namespace raceit::compiler {

// Chosen by the lowering pass itself (lower.cpp), never as a node's first choice.
std::string unmapped_reason(Tag<FoldedOp>, const Lowering&, std::size_t) { return ""; }

bool lower_detail(FoldedOp&, const Lowering&, std::size_t, LoweredOp&) { return true; }

// No computation of its own: no events, nothing moved.
EventCounts engine_events(const FoldedOp&, EventShapes& s) {
  s.moved = 0;
  return {};
}

std::vector<ProgramUse> acam_programs(const FoldedOp&, const EventCounts&) { return {}; }

std::int64_t crossbar_arrays(const FoldedOp&, const EventCounts&, int) { return 0; }

nlohmann::json detail_json(const FoldedOp&) { return {{"kind", "none"}}; }

// Its factor is the operator's own "factor" field (program_io.cpp), as in files before engines had units.
FoldedOp read_detail(Tag<FoldedOp>, const ProgramField& f) {
  f.require_kind("none");
  return {};
}

std::string detail_text(const FoldedOp&, const LoweredOp& op) { return op.note; }

}  // namespace raceit::compiler

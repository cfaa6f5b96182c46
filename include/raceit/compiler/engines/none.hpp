#pragma once
// Data movement and shape arithmetic: no computation, no events.
#include "raceit/compiler/engines/engine.hpp"

namespace raceit::compiler {

struct NoneOp {
  static constexpr const char* kName = "none";
  bool operator==(const NoneOp&) const = default;
};

std::string unmapped_reason(Tag<NoneOp>, const Lowering& l, std::size_t node);
bool lower_detail(NoneOp& op, const Lowering& l, std::size_t node, LoweredOp& lowered);
EventCounts engine_events(const NoneOp& op, EventShapes& shapes);
std::vector<ProgramUse> acam_programs(const NoneOp& op, const EventCounts& events);
std::int64_t crossbar_arrays(const NoneOp& op, const EventCounts& events, int cells_per_array);
nlohmann::json detail_json(const NoneOp& op);
NoneOp read_detail(Tag<NoneOp>, const ProgramField& f);
std::string detail_text(const NoneOp& op, const LoweredOp& lowered);

}  // namespace raceit::compiler

#pragma once
// The digital engine: a digital unit computing the FP32 reference kernel (a vector unit or special-function
// unit per element; compiler/engines/digital.cpp counts its events). Concerns: engine.hpp.
#include "raceit/compiler/engines/engine.hpp"

namespace raceit::compiler {

struct DigitalOp {
  static constexpr const char* kName = "digital";
  bool operator==(const DigitalOp&) const = default;
};

std::string unmapped_reason(Tag<DigitalOp>, const Lowering& l, std::size_t node);
bool lower_detail(DigitalOp& op, const Lowering& l, std::size_t node, LoweredOp& lowered);
EventCounts engine_events(const DigitalOp& op, EventShapes& shapes);
std::vector<ProgramUse> acam_programs(const DigitalOp& op, const EventCounts& events);
std::int64_t crossbar_arrays(const DigitalOp& op, const EventCounts& events, int cells_per_array);
nlohmann::json detail_json(const DigitalOp& op);
DigitalOp read_detail(Tag<DigitalOp>, const ProgramField& f);
std::string detail_text(const DigitalOp& op, const LoweredOp& lowered);

}  // namespace raceit::compiler

#pragma once
// The crossbar-write engine: a data matmul a·b with b's matrices written into crossbars at run time
// (ReTransformer style) and a streamed through them. Factors as for the ACAM data matmul
// (acam_data_matmul.hpp). Concerns: engine.hpp.
#include "raceit/compiler/engines/engine.hpp"
#include "raceit/core/quantiser.hpp"
#include "raceit/xbar/crossbar.hpp"

namespace raceit::compiler {

struct CrossbarWriteOp {
  static constexpr const char* kName = "crossbar-write";
  double a_factor = 1.0, b_factor = 1.0, output_factor = 1.0;
  AffineQuantiser a;             // with a zero point
  xbar::CrossbarConfig crossbar; // b's matrices are written as weights
  bool operator==(const CrossbarWriteOp&) const = default;
};

std::string unmapped_reason(Tag<CrossbarWriteOp>, const Lowering& l, std::size_t node);
bool lower_detail(CrossbarWriteOp& op, const Lowering& l, std::size_t node, LoweredOp& lowered);
EventCounts engine_events(const CrossbarWriteOp& op, EventShapes& shapes);
std::vector<ProgramUse> acam_programs(const CrossbarWriteOp& op, const EventCounts& events);
std::int64_t crossbar_arrays(const CrossbarWriteOp& op, const EventCounts& events, int cells_per_array);
nlohmann::json detail_json(const CrossbarWriteOp& op);
CrossbarWriteOp read_detail(Tag<CrossbarWriteOp>, const ProgramField& f);
std::string detail_text(const CrossbarWriteOp& op, const LoweredOp& lowered);

}  // namespace raceit::compiler

#pragma once
// The crossbar engine: a weight matmul y = x·W (+ b) on RRAM crossbars (Conv is not lowered yet).
// W and b are read from the model. Concerns: engine.hpp.
#include <string>

#include "raceit/compiler/engines/engine.hpp"
#include "raceit/core/quantiser.hpp"
#include "raceit/xbar/crossbar.hpp"

namespace raceit::compiler {

struct CrossbarOp {
  static constexpr const char* kName = "crossbar";
  xbar::CrossbarConfig config;   // full_scale calibrated; fused_function set when an f is fused; the
                                 // noise fields (mode, device, seed) are chosen at run time
  AffineQuantiser input;         // calibrated activation quantiser
  std::string weight, bias;      // initializer names; bias "" when absent
  bool transpose_weight = false; // W stored [N, K]
  int in = 0, out = 0;
  xbar::TileLayout layout;
  bool operator==(const CrossbarOp&) const = default;
};

std::string unmapped_reason(Tag<CrossbarOp>, const Lowering& l, std::size_t node);
bool lower_detail(CrossbarOp& op, const Lowering& l, std::size_t node, LoweredOp& lowered);
EventCounts engine_events(const CrossbarOp& op, EventShapes& shapes);
std::vector<ProgramUse> acam_programs(const CrossbarOp& op, const EventCounts& events);
std::int64_t crossbar_arrays(const CrossbarOp& op, const EventCounts& events, int cells_per_array);
nlohmann::json detail_json(const CrossbarOp& op);
CrossbarOp read_detail(Tag<CrossbarOp>, const ProgramField& f);
std::string detail_text(const CrossbarOp& op, const LoweredOp& lowered);

}  // namespace raceit::compiler

#pragma once
// The ACAM norm engine: LayerNorm or RMSNorm over the last axis with adders, 2-var squares and
// scaling, rsqrt on 1-var RACE (docs/compiler.md: "LayerNorm and RMSNorm"). The quantisers are
// sign-magnitude: symmetric with activation_bits + 1 bits, |code − zero| <= 2^a − 1. Concerns: engine.hpp.
#include <string>

#include "raceit/compiler/engines/engine.hpp"
#include "raceit/core/quantiser.hpp"

namespace raceit::compiler {

struct NormOp {
  static constexpr const char* kName = "acam-norm";
  bool rms = false;
  double epsilon = 0;
  std::string gamma, beta;       // weight names; beta "" when absent
  AffineQuantiser input;         // x
  AffineQuantiser centred;       // x − mean (LayerNorm; RMSNorm uses `input`)
  acam::AcamProgram rsqrt;       // 1/sqrt(v), v = variance + ε over its calibrated range, outputs on [0, max]
  AffineQuantiser normalised;    // centred · rsqrt
  AffineQuantiser gamma_q;       // γ
  acam::AcamProgram multiply;    // nibble product
  bool operator==(const NormOp&) const = default;
};

std::string unmapped_reason(Tag<NormOp>, const Lowering& l, std::size_t node);
bool lower_detail(NormOp& op, const Lowering& l, std::size_t node, LoweredOp& lowered);
EventCounts engine_events(const NormOp& op, EventShapes& shapes);
std::vector<ProgramUse> acam_programs(const NormOp& op, const EventCounts& events);
std::int64_t crossbar_arrays(const NormOp& op, const EventCounts& events, int cells_per_array);
nlohmann::json detail_json(const NormOp& op);
NormOp read_detail(Tag<NormOp>, const ProgramField& f);
std::string detail_text(const NormOp& op, const LoweredOp& lowered);

}  // namespace raceit::compiler

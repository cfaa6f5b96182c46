#pragma once
// The ACAM data-matmul engine: a data-dependent matmul a·b (numpy batching) with sign-magnitude
// 8-bit operands, four nibble lookups per product on 2-var RACE and digital sums. The operands are
// `factor` × the tensors received (constants folded from a Mul/Div before them), the result is
// output_factor × a·b (one folded from the Mul/Div after it); quantisers apply to the tensors as
// received. Concerns: engine.hpp.
#include "raceit/compiler/engines/engine.hpp"
#include "raceit/core/quantiser.hpp"

namespace raceit::compiler {

struct DataMatMulOp {
  static constexpr const char* kName = "acam-data-matmul";
  double a_factor = 1.0, b_factor = 1.0, output_factor = 1.0;
  AffineQuantiser a, b;          // sign-magnitude
  acam::AcamProgram multiply;
  bool operator==(const DataMatMulOp&) const = default;
};

std::string unmapped_reason(Tag<DataMatMulOp>, const Lowering& l, std::size_t node);
bool lower_detail(DataMatMulOp& op, const Lowering& l, std::size_t node, LoweredOp& lowered);
EventCounts engine_events(const DataMatMulOp& op, EventShapes& shapes);
std::vector<ProgramUse> acam_programs(const DataMatMulOp& op, const EventCounts& events);
std::int64_t crossbar_arrays(const DataMatMulOp& op, const EventCounts& events, int cells_per_array);
nlohmann::json detail_json(const DataMatMulOp& op);
DataMatMulOp read_detail(Tag<DataMatMulOp>, const ProgramField& f);
std::string detail_text(const DataMatMulOp& op, const LoweredOp& lowered);

}  // namespace raceit::compiler

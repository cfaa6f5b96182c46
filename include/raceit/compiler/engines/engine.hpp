#pragma once
// What one engine unit is (docs/compiler.md, "Engines"). An engine is the alternative of
// LoweredOp::detail that holds its data; its unit, include/raceit/compiler/engines/<engine>.hpp and
// src/compiler/engines/<engine>.cpp, provides every concern as an overload on that type:
//
//   struct X { static constexpr const char* kName = "…"; … };         the name in program files
//   std::string unmapped_reason(Tag<X>, const Lowering&, std::size_t node)   legality: "" or why not
//   bool lower_detail(X&, const Lowering&, std::size_t node, LoweredOp&)    quantisers and ACAM programs;
//                                                                            false: FP32 instead (note says why)
//   EventCounts engine_events(const X&, EventShapes&)                       per-sample hardware events
//   std::vector<ProgramUse> acam_programs(const X&, const EventCounts&)      RACE programs and their lookups
//   std::int64_t crossbar_arrays(const X&, const EventCounts&, int cells)   crossbar arrays it occupies
//   nlohmann::json detail_json(const X&), X read_detail(Tag<X>, const ProgramField&)   program file
//   std::string detail_text(const X&, const LoweredOp&)                      `raceit show`
//
// and src/exec/engines/<engine>.cpp its runtime. Central code visits LoweredOp::detail once per
// concern, so an engine missing one of them does not compile.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "raceit/acam/program.hpp"
#include "raceit/core/events.hpp"

namespace raceit::compiler {

struct LoweredOp;
struct Lowering;      // the lowering pass's state (src/compiler/engines/support.hpp)
struct EventShapes;   // the tensors an op reads and writes (src/compiler/engines/support.hpp)
struct ProgramField;  // one field of a program file being read (src/compiler/engines/support.hpp)

// Selects an engine's overload where no value of its type exists yet.
template <class Op>
using Tag = std::type_identity<Op>;

// One ACAM program an operator needs on RACE arrays, and how often it is looked up per sample.
struct ProgramUse {
  const acam::AcamProgram* program = nullptr;
  std::uint64_t lookups = 0;
};

}  // namespace raceit::compiler

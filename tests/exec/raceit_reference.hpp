#pragma once
// An independent integer reference of a compiled program in ideal mode (DESIGN §3): every lowered
// operator re-derived from the program's quantisation parameters with plain integer arithmetic —
// function tables from f at the grid points, exact integer products, integer sums — and the
// crossbars through xbar::ideal_pipeline. It uses no ACAM ranges, lookups or nibble multipliers
// and none of the executor's code; digital and data-movement operators use the FP32 kernels, as
// the executor does. The RACE-IT executor in ideal mode must equal it bit for bit.
#include "raceit/compiler/program.hpp"
#include "raceit/exec/executor.hpp"

namespace raceit::exec::testing {

// An operator table computing `program` on `graph` (which must outlive it).
OpTable integer_reference(const compiler::Program& program, const model::Graph& graph);

}  // namespace raceit::exec::testing

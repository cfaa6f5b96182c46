#pragma once
// The hardware events of one call of a lowered operator, from its mapping and its tensors'
// shapes. The compiler counts them per sample into the program; the functional executor counts
// the calls it makes with the same function, so the two cannot disagree (docs/compiler.md, "Events").
#include <span>

#include "raceit/compiler/program.hpp"
#include "raceit/core/events.hpp"
#include "raceit/core/tensor.hpp"

namespace raceit::compiler {

// `inputs` and `outputs`: the node's tensor shapes (an omitted optional input: empty shape);
// `activation_bits`: what one activation occupies in the tile buffer. cells_programmed is not an
// event of a call (see LoweredOp::cells_programmed).
EventCounts op_events(const LoweredOp& op, std::span<const Shape> inputs, std::span<const Shape> outputs,
                      int activation_bits);

}  // namespace raceit::compiler

#include "raceit/compiler/events.hpp"

#include "engines/support.hpp"
#include "raceit/core/error.hpp"

namespace raceit::compiler {

namespace {

using U = std::uint64_t;

// Every lowered op reads its activation inputs from the tile buffer and writes its outputs back,
// activation_bits per element, 256 bits per access (buffer and register accesses alike).
U wide_accesses(U elements_moved, int bits) { return (elements_moved * static_cast<U>(bits) + 255) / 256; }

}  // namespace

U elements(const Shape& s) { return s.empty() ? 1 : static_cast<U>(element_count(s)); }
U last(const Shape& s) { return s.empty() ? 1 : static_cast<U>(s.back()); }

// An 8×8 product on the 2-var RACE: four nibble lookups, three adds to recombine them.
void products(EventCounts& e, U n) {
  e.race_2var_lookups += 4 * n;
  e.digital_adds += 3 * n;
}

EventCounts op_events(const LoweredOp& op, std::span<const Shape> inputs, std::span<const Shape> outputs, int bits) {
  EventShapes shapes{.op = op, .inputs = inputs, .outputs = outputs};
  if (op.engine() != Engine::None) {  // data movement may have neither inputs nor outputs
    if (inputs.empty() || outputs.empty()) throw Error(ErrorKind::Internal, "op_events: node '" + op.node + "' without tensors");
    shapes.in = elements(inputs[0]);
    shapes.out = elements(outputs[0]);
    shapes.length = last(inputs[0]);
    shapes.moved = shapes.in + shapes.out;
  }
  EventCounts e = std::visit([&](const auto& detail) { return engine_events(detail, shapes); }, op.detail);
  e.buffer_accesses += wide_accesses(shapes.moved, bits);
  // Operands reach the RACE arrays from the tile's registers, 256 bits per access: one per 1-var
  // lookup, two per 8×8 product (four nibble lookups).
  e.register_accesses +=
      wide_accesses(e.race_1var_lookups + e.race_2var_lookups / 2, bits);
  return e;
}

}  // namespace raceit::compiler

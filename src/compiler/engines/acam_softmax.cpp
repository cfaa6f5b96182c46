#include "raceit/compiler/engines/acam_softmax.hpp"

#include "support.hpp"

namespace raceit::compiler {

std::string unmapped_reason(Tag<SoftmaxOp>, const Lowering& l, std::size_t node) {
  if (l.options.softmax == FunctionEngine::Digital) return "mapping.softmax=digital";
  if (!last_axis(l.graph.nodes[node], l.calibration.shapes.at(node), -1)) return "softmax over an inner axis is not mapped: FP32";
  return "";
}

bool lower_detail(SoftmaxOp& s, const Lowering& l, std::size_t i, LoweredOp&) {
  const model::Node& node = l.graph.nodes[i];
  s.input_scale = l.factor(node.inputs[0]);
  const std::string exp = s.input_scale == 1.0 ? "exp" : fmt::format("exp({}*x)", number(s.input_scale));
  s.exp = l.compile_function(exp, {.lo = l.options.softmax_clamp / s.input_scale, .hi = 0.0}, ValueRange{.lo = 0.0, .hi = 1.0});
  const ValueRange sums = widened(l.calibration.softmax_sums.at(i));
  s.reciprocal = l.compile_function("reciprocal", sums, ValueRange{.lo = 0.0, .hi = 1.0 / sums.lo});
  s.multiply = l.multiply;
  return true;
}

EventCounts engine_events(const SoftmaxOp&, EventShapes& s) {
  EventCounts e;
  const std::uint64_t rows = s.in / s.length;
  e.race_1var_lookups = s.in + rows;                       // exp per element, reciprocal per row
  products(e, s.in);                                       // exp × reciprocal
  e.digital_adds += rows * (s.length - 1) * 2 + s.in;      // row max, row sum, subtract the max
  return e;
}

// Softmax looks exp up once per element (a quarter of its nibble lookups) and the reciprocal once
// per row; every 2-var lookup goes to the multiply program.
std::vector<ProgramUse> acam_programs(const SoftmaxOp& s, const EventCounts& e) {
  const std::uint64_t one = e.race_1var_lookups, two = e.race_2var_lookups;
  return {{.program = &s.exp, .lookups = two / 4},
          {.program = &s.reciprocal, .lookups = one - two / 4},
          {.program = &s.multiply, .lookups = two}};
}

std::int64_t crossbar_arrays(const SoftmaxOp&, const EventCounts&, int) { return 0; }

nlohmann::json detail_json(const SoftmaxOp& s) {
  return {{"kind", "softmax"},
          {"input_scale", s.input_scale},
          {"exp", program_json(s.exp)},
          {"reciprocal", program_json(s.reciprocal)},
          {"multiply", program_json(s.multiply)}};
}

SoftmaxOp read_detail(Tag<SoftmaxOp>, const ProgramField& f) {
  f.require_kind("softmax");
  return SoftmaxOp{.input_scale = f.at("input_scale").positive(),
                   .exp = read_acam_program(f.at("exp")),
                   .reciprocal = read_acam_program(f.at("reciprocal")),
                   .multiply = read_acam_program(f.at("multiply"))};
}

std::string detail_text(const SoftmaxOp& s, const LoweredOp&) {
  return fmt::format("{}; {}; x nibble products", program_text(s.exp), program_text(s.reciprocal));
}

}  // namespace raceit::compiler

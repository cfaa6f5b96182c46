#include "raceit/compiler/engines/acam_function.hpp"

#include "raceit/model/op_traits.hpp"
#include "support.hpp"

namespace raceit::compiler {

std::string unmapped_reason(Tag<FunctionOp>, const Lowering& l, std::size_t node) {
  if (model::op_traits(l.graph.nodes[node].op).lowering != model::Lowering::AcamFunction)
    return "no Compute-ACAM mapping for this function: FP32";
  if (l.options.function == FunctionEngine::Digital) return "mapping.function=digital";
  if (elementwise_function(l.graph.nodes[node], l.graph).empty()) return "parameters are not constants: FP32";
  return "";
}

bool lower_detail(FunctionOp& op, const Lowering& l, std::size_t i, LoweredOp& lowered) {
  const model::Node& node = l.graph.nodes[i];
  const std::string f = elementwise_function(node, l.graph);
  try {
    op.program = acam::compile_1var(acam::resolve_function(f), acam::InputAxis{.bits = l.bits(), .range = widened(l.range(node.inputs[0]))},
                                    acam::OutputSpec{.bits = l.options.function_bits, .range = std::nullopt, .encoding = l.options.acam_encoding});
  } catch (const Error& e) {
    lowered.note = fmt::format("{} on the calibrated range [{}, {}]: {}; FP32", f, l.range(node.inputs[0]).lo,
                               l.range(node.inputs[0]).hi, e.what());
    return false;
  }
  return true;
}

EventCounts engine_events(const FunctionOp&, EventShapes& s) {
  EventCounts e;
  e.race_1var_lookups = s.in;
  return e;
}

std::vector<ProgramUse> acam_programs(const FunctionOp& f, const EventCounts& e) {
  return {{.program = &f.program, .lookups = e.race_1var_lookups}};
}

std::int64_t crossbar_arrays(const FunctionOp&, const EventCounts&, int) { return 0; }

nlohmann::json detail_json(const FunctionOp& f) { return {{"kind", "function"}, {"program", program_json(f.program)}}; }

FunctionOp read_detail(Tag<FunctionOp>, const ProgramField& f) {
  f.require_kind("function");
  return FunctionOp{.program = read_acam_program(f.at("program"))};
}

std::string detail_text(const FunctionOp& f, const LoweredOp&) { return program_text(f.program); }

}  // namespace raceit::compiler

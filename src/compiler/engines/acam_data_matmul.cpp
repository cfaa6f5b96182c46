#include "raceit/compiler/engines/acam_data_matmul.hpp"

#include "support.hpp"

namespace raceit::compiler {

std::string unmapped_reason(Tag<DataMatMulOp>, const Lowering& l, std::size_t) {
  return l.options.data_matmul == DataMatMulEngine::Digital ? "mapping.data_matmul=digital" : "";
}

bool lower_detail(DataMatMulOp& d, const Lowering& l, std::size_t i, LoweredOp&) {
  const model::Node& node = l.graph.nodes[i];
  const std::string a = l.received(node.inputs.at(0)), b = l.received(node.inputs.at(1));
  d.a_factor = l.factor(node.inputs[0]);
  d.b_factor = l.factor(node.inputs[1]);
  d.output_factor = l.output_factor(i);
  d.a = AffineQuantiser::symmetric(max_abs(l.range(a)), l.sign_magnitude_bits());
  d.b = AffineQuantiser::symmetric(max_abs(l.range(b)), l.sign_magnitude_bits());
  d.multiply = l.multiply;
  return true;
}

EventCounts engine_events(const DataMatMulOp&, EventShapes& s) {
  EventCounts e;
  const std::uint64_t k = last(s.inputs[0]), macs = s.out * k;
  products(e, macs);
  e.digital_adds += s.out * (k - 1);
  s.moved = s.in + elements(s.inputs[1]) + s.out;
  return e;
}

std::vector<ProgramUse> acam_programs(const DataMatMulOp& d, const EventCounts& e) {
  return {{.program = &d.multiply, .lookups = e.race_2var_lookups}};
}

std::int64_t crossbar_arrays(const DataMatMulOp&, const EventCounts&, int) { return 0; }

// The program file keeps one "data_matmul" detail for both data-matmul engines: this one writes
// the crossbar configuration it does not use at its default.
nlohmann::json detail_json(const DataMatMulOp& d) {
  return {{"kind", "data_matmul"},
          {"a_factor", d.a_factor},
          {"b_factor", d.b_factor},
          {"output_factor", d.output_factor},
          {"a", quantiser_json(d.a)},
          {"b", quantiser_json(d.b)},
          {"multiply", program_json(d.multiply)},
          {"crossbar", crossbar_config_json(xbar::CrossbarConfig{})}};
}

DataMatMulOp read_detail(Tag<DataMatMulOp>, const ProgramField& f) {
  f.require_kind("data_matmul");
  return DataMatMulOp{.a_factor = f.at("a_factor").finite(),
                      .b_factor = f.at("b_factor").finite(),
                      .output_factor = f.at("output_factor").finite(),
                      .a = read_quantiser(f.at("a")),
                      .b = read_quantiser(f.at("b")),
                      .multiply = read_acam_program(f.at("multiply"))};
}

std::string detail_text(const DataMatMulOp& d, const LoweredOp&) {
  return fmt::format("|a| scale {:.4g}, |b| scale {:.4g} ({}-bit magnitudes){}", d.a.scale, d.b.scale, d.a.bits - 1,
                     folded_factors_text(d.a_factor, d.b_factor, d.output_factor));
}

}  // namespace raceit::compiler

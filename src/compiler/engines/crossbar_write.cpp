#include "raceit/compiler/engines/crossbar_write.hpp"

#include "support.hpp"

namespace raceit::compiler {

std::string unmapped_reason(Tag<CrossbarWriteOp>, const Lowering&, std::size_t) { return ""; }

bool lower_detail(CrossbarWriteOp& d, const Lowering& l, std::size_t i, LoweredOp&) {
  const model::Node& node = l.graph.nodes[i];
  const std::string a = l.received(node.inputs.at(0));
  d.a_factor = l.factor(node.inputs[0]);
  d.b_factor = l.factor(node.inputs[1]);
  d.output_factor = l.output_factor(i);
  d.crossbar = l.options.crossbar;
  d.a = AffineQuantiser::from_range(l.range(a).lo, l.range(a).hi, l.bits());
  return true;
}

EventCounts engine_events(const CrossbarWriteOp& d, EventShapes& s) {
  const Shape& b = s.inputs[1];
  const int k = static_cast<int>(b[b.size() - 2]), n = static_cast<int>(b.back());
  const std::uint64_t matrices = elements(b) / (static_cast<std::uint64_t>(k) * n), rows = s.in / static_cast<std::uint64_t>(k);
  const auto layout = xbar::tile_layout(d.crossbar, k, n);
  EventCounts e = xbar::mvm_events(d.crossbar, layout, k, n, rows);
  e.cells_programmed = 0;
  e.cell_writes = matrices * static_cast<std::uint64_t>(k) * n * static_cast<std::uint64_t>(layout.cells_per_weight);
  s.moved = s.in + elements(b) + s.out;
  return e;
}

std::vector<ProgramUse> acam_programs(const CrossbarWriteOp&, const EventCounts&) { return {}; }

// The arrays its writes fill.
std::int64_t crossbar_arrays(const CrossbarWriteOp&, const EventCounts& e, int cells_per_array) {
  return static_cast<std::int64_t>((e.cell_writes + cells_per_array - 1) / cells_per_array);
}

// The program file keeps one "data_matmul" detail for both data-matmul engines: this one writes
// no b quantiser (its default) and no multiply program (null).
nlohmann::json detail_json(const CrossbarWriteOp& d) {
  return {{"kind", "data_matmul"},
          {"a_factor", d.a_factor},
          {"b_factor", d.b_factor},
          {"output_factor", d.output_factor},
          {"a", quantiser_json(d.a)},
          {"b", quantiser_json(AffineQuantiser{})},
          {"multiply", nullptr},
          {"crossbar", crossbar_config_json(d.crossbar)}};
}

CrossbarWriteOp read_detail(Tag<CrossbarWriteOp>, const ProgramField& f) {
  f.require_kind("data_matmul");
  return CrossbarWriteOp{.a_factor = f.at("a_factor").finite(),
                         .b_factor = f.at("b_factor").finite(),
                         .output_factor = f.at("output_factor").finite(),
                         .a = read_quantiser(f.at("a")),
                         .crossbar = read_crossbar_config(f.at("crossbar"))};
}

std::string detail_text(const CrossbarWriteOp& d, const LoweredOp&) {
  return fmt::format("a {}; b written into crossbars, full scale {:.4g}{}", quantiser_text(d.a), d.crossbar.full_scale,
                     folded_factors_text(d.a_factor, d.b_factor, d.output_factor));
}

}  // namespace raceit::compiler

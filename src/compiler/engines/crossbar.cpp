#include "raceit/compiler/engines/crossbar.hpp"

#include "support.hpp"

namespace raceit::compiler {

std::string unmapped_reason(Tag<CrossbarOp>, const Lowering& l, std::size_t node) {
  const model::Node& n = l.graph.nodes[node];
  if (n.op == model::OpType::WeightMatMul && float_activation(l.graph, n.inputs.at(0))) return "";
  return "not lowered onto crossbars (a Conv whose weight is computed or whose output height and width are both dynamic; "
         "the importer lowers the others to Im2Col + WeightMatMul): FP32";
}

bool lower_detail(CrossbarOp& x, const Lowering& l, std::size_t i, LoweredOp& op) {
  const model::Node& node = l.graph.nodes[i];
  x.config = l.options.crossbar;
  const std::string& w = node.inputs.at(1);
  const Shape& weight = weight_shape(l.graph, w);
  x.transpose_weight = node.attributes.get_int("transpose_weight", 0) != 0;
  x.in = static_cast<int>(weight.at(x.transpose_weight ? 1 : 0));
  x.out = static_cast<int>(weight.at(x.transpose_weight ? 0 : 1));
  x.weight = w;
  if (node.inputs.size() > 2) x.bias = node.inputs[2];
  x.input = AffineQuantiser::from_range(l.range(node.inputs[0]).lo, l.range(node.inputs[0]).hi, l.bits());
  if (op.partner >= 0) x.config.fused_function = elementwise_function(l.graph.nodes[static_cast<std::size_t>(op.partner)], l.graph);
  x.layout = xbar::tile_layout(x.config, x.in, x.out);
  op.cells_programmed = static_cast<std::uint64_t>(x.in) * x.out * static_cast<std::uint64_t>(x.layout.cells_per_weight);
  return true;
}

EventCounts engine_events(const CrossbarOp& x, EventShapes& s) {
  EventCounts e = xbar::mvm_events(x.config, x.layout, x.in, x.out, s.in / static_cast<std::uint64_t>(x.in));
  e.cells_programmed = 0;
  if (!x.bias.empty()) e.digital_adds += s.out;
  return e;
}

std::vector<ProgramUse> acam_programs(const CrossbarOp&, const EventCounts&) { return {}; }

std::int64_t crossbar_arrays(const CrossbarOp& x, const EventCounts&, int) { return x.layout.arrays; }

nlohmann::json detail_json(const CrossbarOp& x) {
  return {{"kind", "crossbar"},         {"config", crossbar_config_json(x.config)}, {"input", quantiser_json(x.input)},
          {"weight", x.weight},         {"bias", x.bias},
          {"transpose_weight", x.transpose_weight},
          {"in", x.in},                 {"out", x.out},
          {"layout", layout_json(x.layout)}};
}

CrossbarOp read_detail(Tag<CrossbarOp>, const ProgramField& f) {
  f.require_kind("crossbar");
  CrossbarOp x{.config = read_crossbar_config(f.at("config")),
               .input = read_quantiser(f.at("input")),
               .weight = f.at("weight").text(),
               .bias = f.at("bias").text(),
               .transpose_weight = f.at("transpose_weight").as<bool>(),
               .in = f.at("in").integer(1, kMaxCount),
               .out = f.at("out").integer(1, kMaxCount),
               .layout = {}};
  x.layout = read_layout(f.at("layout"), x.config, x.in, x.out);
  return x;
}

std::string detail_text(const CrossbarOp& x, const LoweredOp&) {
  return fmt::format("{}x{} W '{}'{}; x {}; full scale {:.4g}; {} arrays ({}x{} tiles){}", x.in, x.out, x.weight,
                     x.bias.empty() ? "" : " + bias", quantiser_text(x.input), x.config.full_scale, x.layout.arrays,
                     x.layout.row_blocks, x.layout.col_blocks,
                     x.config.fused_function.empty() ? "" : "; readout computes " + x.config.fused_function);
}

}  // namespace raceit::compiler

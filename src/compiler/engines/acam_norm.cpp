#include "raceit/compiler/engines/acam_norm.hpp"

#include "support.hpp"

namespace raceit::compiler {

std::string unmapped_reason(Tag<NormOp>, const Lowering& l, std::size_t node) {
  if (l.options.layernorm == FunctionEngine::Digital) return "mapping.layernorm=digital";
  const model::Node& n = l.graph.nodes[node];
  if (!last_axis(n, l.calibration.shapes.at(node), -1) || !l.graph.is_weight(n.inputs.at(1)))
    return "a norm over several axes or with a computed scale is not mapped: FP32";
  return "";
}

bool lower_detail(NormOp& n, const Lowering& l, std::size_t i, LoweredOp&) {
  const model::Node& node = l.graph.nodes[i];
  n.rms = node.op == model::OpType::RmsNorm;
  n.epsilon = node.attributes.get_float("epsilon", 1e-5);
  n.gamma = node.inputs.at(1);
  if (node.inputs.size() > 2) n.beta = node.inputs[2];
  const NormStats& stats = l.calibration.norms.at(i);
  n.input = AffineQuantiser::symmetric(max_abs(l.range(node.inputs[0])), l.sign_magnitude_bits());
  n.centred = n.rms ? n.input : AffineQuantiser::symmetric(stats.centred_max, l.sign_magnitude_bits());
  const ValueRange variance = widened(stats.variance);
  n.rsqrt = l.compile_function("rsqrt", variance, ValueRange{.lo = 0.0, .hi = 1.0 / std::sqrt(variance.lo)});
  n.normalised = AffineQuantiser::symmetric(stats.normalised_max, l.sign_magnitude_bits());
  // A shape-only graph's γ is nominal: 1, as initialised.
  const Tensor* gamma = constant(l.graph, n.gamma);
  double gamma_max = gamma ? 0.0 : 1.0;
  if (gamma)
    for (float g : gamma->floats()) gamma_max = std::max(gamma_max, std::abs(static_cast<double>(g)));
  n.gamma_q = AffineQuantiser::symmetric(gamma_max, l.sign_magnitude_bits());
  n.multiply = l.multiply;
  return true;
}

EventCounts engine_events(const NormOp& n, EventShapes& s) {
  EventCounts e;
  const std::uint64_t rows = s.in / s.length;
  e.race_1var_lookups = rows;                                 // rsqrt
  products(e, 3 * s.in);                                      // squares, × rsqrt, × γ
  e.digital_adds += rows * (s.length - 1) * (n.rms ? 1 : 2) + 2 * rows;  // Σx², Σx; variance
  if (!n.rms) e.digital_adds += s.in;                         // centring
  if (!n.beta.empty()) e.digital_adds += s.in;                // + β
  return e;
}

// A norm looks rsqrt up once per row; every 2-var lookup goes to the multiply program.
std::vector<ProgramUse> acam_programs(const NormOp& n, const EventCounts& e) {
  return {{.program = &n.rsqrt, .lookups = e.race_1var_lookups}, {.program = &n.multiply, .lookups = e.race_2var_lookups}};
}

std::int64_t crossbar_arrays(const NormOp&, const EventCounts&, int) { return 0; }

nlohmann::json detail_json(const NormOp& n) {
  return {{"kind", "norm"},
          {"rms", n.rms},
          {"epsilon", n.epsilon},
          {"gamma", n.gamma},
          {"beta", n.beta},
          {"input", quantiser_json(n.input)},
          {"centred", quantiser_json(n.centred)},
          {"rsqrt", program_json(n.rsqrt)},
          {"normalised", quantiser_json(n.normalised)},
          {"gamma_q", quantiser_json(n.gamma_q)},
          {"multiply", program_json(n.multiply)}};
}

NormOp read_detail(Tag<NormOp>, const ProgramField& f) {
  f.require_kind("norm");
  return NormOp{.rms = f.at("rms").as<bool>(),
                .epsilon = f.at("epsilon").non_negative(),
                .gamma = f.at("gamma").text(),
                .beta = f.at("beta").text(),
                .input = read_quantiser(f.at("input")),
                .centred = read_quantiser(f.at("centred")),
                .rsqrt = read_acam_program(f.at("rsqrt")),
                .normalised = read_quantiser(f.at("normalised")),
                .gamma_q = read_quantiser(f.at("gamma_q")),
                .multiply = read_acam_program(f.at("multiply"))};
}

std::string detail_text(const NormOp& n, const LoweredOp&) {
  return fmt::format("x {}; {}; gamma {}; x nibble products", quantiser_text(n.input), program_text(n.rsqrt),
                     quantiser_text(n.gamma_q));
}

}  // namespace raceit::compiler

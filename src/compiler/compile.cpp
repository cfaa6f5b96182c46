#include "raceit/compiler/compile.hpp"

#include "raceit/compiler/lower.hpp"

namespace raceit::compiler {

Program emit(const model::Graph& graph, ModelRef model, const arch::ArchSpec& arch, const MappingOptions& options,
             const CalibrationInfo& info, const Calibration& calibration, std::vector<LoweredOp> ops,
             PlacementResult placement) {
  Program p;
  p.tool_version = RACEIT_VERSION;
  model.graph_name = graph.name;
  model.source = graph.source;
  model.weights_checksum = model_checksum(graph);
  p.model = std::move(model);
  p.arch_name = arch.name;
  p.arch_path = arch.path;
  for (const auto& spec : arch.params.specs())
    if (arch.params.has(spec.key)) {
      const ParamValue& v = arch.params.value(spec.key);
      p.config.push_back({spec.key, v.text, v.source});
    }
  p.activation_bits = options.activation_bits;
  p.calibration = info;
  p.calibration.samples = calibration.samples;
  p.calibration.method = calibration.samples > 0 ? to_string(options.calibration) : "nominal";
  p.calibration.percentile =
      calibration.samples > 0 && options.calibration == CalibrationMethod::Percentile ? options.percentile : 0.0;
  for (const auto& [name, range] : calibration.ranges) p.ranges.emplace_back(name, range);
  p.ops = std::move(ops);
  p.tiles = std::move(placement.tiles);
  p.race_pools = std::move(placement.race_pools);
  p.chips = placement.chips;
  return p;
}

Program compile(const model::Graph& graph, const ModelRef& model, const arch::ArchSpec& arch, const CalibrationRuns& runs,
                const CalibrationInfo& info) {
  const MappingOptions options = mapping_options(arch);
  const Calibration calibration = calibrate(graph, runs, options);
  std::vector<LoweredOp> ops = lower(graph, calibration, options);
  calibrate_readouts(graph, runs.all, ops);
  PlacementResult placement = place(ops, options);
  return emit(graph, model, arch, options, info, calibration, std::move(ops), std::move(placement));
}


Program compile_nominal(const model::Graph& graph, const ModelRef& model, const arch::ArchSpec& arch,
                        const std::map<std::string, model::ResolvedValue>& sample_shapes) {
  const MappingOptions options = mapping_options(arch);
  const Calibration calibration = nominal_calibration(graph, sample_shapes, options.nominal_range);
  std::vector<LoweredOp> ops = lower(graph, calibration, options);
  PlacementResult placement = place(ops, options);
  return emit(graph, model, arch, options,
              {.dataset = "", .split = "", .samples = 0, .method = "nominal", .percentile = 0}, calibration,
              std::move(ops), std::move(placement));
}

}  // namespace raceit::compiler

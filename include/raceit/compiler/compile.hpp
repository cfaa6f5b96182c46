#pragma once
// The compiler pipeline: calibrate → lower → calibrate readouts → place → emit.
#include <map>
#include <string>

#include "raceit/compiler/calibrate.hpp"
#include "raceit/compiler/options.hpp"
#include "raceit/compiler/place.hpp"
#include "raceit/compiler/program.hpp"
#include "raceit/arch/arch.hpp"

namespace raceit::compiler {

// The emit step: a Program from the passes' results, with the resolved configuration of `arch`
// and model.weights_checksum computed from `graph`.
Program emit(const model::Graph& graph, ModelRef model, const arch::ArchSpec& arch, const MappingOptions& options,
             const CalibrationInfo& info, const Calibration& calibration, std::vector<LoweredOp> ops,
             PlacementResult placement);

// Runs every pass; `runs` run the model over the calibration inputs `info` describes.
Program compile(const model::Graph& graph, const ModelRef& model, const arch::ArchSpec& arch, const CalibrationRuns& runs,
                const CalibrationInfo& info);

// Every pass for a graph without weight values (a shape-only built-in architecture): the nominal
// calibration (mapping.nominal_range) at the shapes of one sample (model::resolve_sample_shapes),
// and readouts left at their full scale. The program's events and placement are exact for those
// shapes; it cannot be run by the functional executor.
Program compile_nominal(const model::Graph& graph, const ModelRef& model, const arch::ArchSpec& arch,
                        const std::map<std::string, model::ResolvedValue>& sample_shapes);

}  // namespace raceit::compiler

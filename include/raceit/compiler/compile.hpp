#pragma once
// The compiler pipeline: calibrate → lower → calibrate readouts → place → emit.
#include <map>
#include <string>

#include "raceit/compiler/calibrate.hpp"
#include "raceit/compiler/options.hpp"
#include "raceit/compiler/place.hpp"
#include "raceit/compiler/program.hpp"
#include "raceit/perf/arch.hpp"

namespace raceit::compiler {

// The emit step: a Program from the passes' results, with the resolved configuration of `arch`
// and model.weights_checksum computed from `graph`.
Program emit(const model::Graph& graph, ModelRef model, const perf::ArchSpec& arch, const MappingOptions& options,
             const CalibrationInfo& info, const Calibration& calibration, std::vector<LoweredOp> ops,
             PlacementResult placement);

// Runs every pass; `runs` run the model over the calibration inputs `info` describes.
Program compile(const model::Graph& graph, const ModelRef& model, const perf::ArchSpec& arch, const CalibrationRuns& runs,
                const CalibrationInfo& info);

}  // namespace raceit::compiler

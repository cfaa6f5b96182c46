#pragma once
// The lowering pass: every graph node to an engine (DESIGN §2.3), with the quantisation and ACAM
// programs that engine needs, from the calibrated ranges and the mapping options. Per-sample
// events are counted at the shapes calibration saw. Crossbar readout ranges are left at full scale
// for calibrate_readouts(), placement for place().
#include <vector>

#include "raceit/compiler/calibrate.hpp"
#include "raceit/compiler/options.hpp"
#include "raceit/compiler/program.hpp"
#include "raceit/model/graph.hpp"

namespace raceit::compiler {

// One LoweredOp per node, in graph order. Nodes the chosen engine cannot take (a softmax over an
// inner axis, a function not finite on its calibrated range, a Conv) fall back to Digital with
// the reason in `note`. Error(InvalidArgument) when a calibration from runs (samples > 0) comes
// with a shape-only graph.
std::vector<LoweredOp> lower(const model::Graph& graph, const Calibration& calibration, const MappingOptions& options);

// The expression an element-wise operator computes, for a 1-var ACAM ("" when it is not one:
// not element-wise, or with non-constant parameters).
std::string elementwise_function(const model::Node& node, const model::Graph& graph);

}  // namespace raceit::compiler

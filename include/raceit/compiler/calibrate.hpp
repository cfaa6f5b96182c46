#pragma once
// The calibration pass: activation ranges from N calibration inputs, taken by running the FP32
// executor with a NodeObserver. Besides the range of every float tensor it records the internal
// quantities the lowered softmax and norms quantise (row sums of exp, variance, centred and
// normalised values), the per-sample shapes of every node, and — once the weight matmuls are
// lowered — the largest crossbar column value each one produces, which sets its readout range.
#include <cstdint>
#include <functional>
#include <span>
#include <map>
#include <string>
#include <vector>

#include "raceit/acam/functions.hpp"
#include "raceit/compiler/options.hpp"
#include "raceit/compiler/program.hpp"
#include "raceit/core/tensor.hpp"
#include "raceit/model/graph.hpp"
#include "raceit/model/shape_inference.hpp"

namespace raceit::compiler {

using acam::ValueRange;

struct NormStats {
  ValueRange variance;        // variance + ε over a row (LayerNorm), or mean square + ε (RMSNorm)
  double centred_max = 0;     // max |x − mean|
  double normalised_max = 0;  // max |(x − mean)/sqrt(variance + ε)|
};

struct NodeShapes {
  std::vector<Shape> inputs, outputs;  // one sample; an omitted optional input has an empty shape
};

struct Calibration {
  std::int64_t samples = 0;
  std::map<std::string, ValueRange> ranges;        // every float tensor: finite min/max, or percentiles
  std::map<std::size_t, ValueRange> softmax_sums;  // Softmax node → range of Σ exp(x − row max)
  std::map<std::size_t, NormStats> norms;          // LayerNorm/RmsNorm node
  std::vector<NodeShapes> shapes;                  // per node, for one sample
};

// Calibration runs the model in FP32 over the calibration inputs and looks at every node. The
// compiler does not run models itself (the executor comes later in the data flow): the caller
// passes runs that call `visit` after every node, possibly from several threads at once
// (exec/compile.hpp builds them from the FP32 executor).
using NodeVisitor = std::function<void(const model::Node& node, std::span<const Tensor* const> inputs,
                                       std::span<const Tensor> outputs)>;
using ModelRun = std::function<void(const NodeVisitor& visit)>;

struct CalibrationRuns {
  ModelRun all;           // every calibration sample
  ModelRun first_sample;  // the first sample alone (its shapes are the per-sample shapes)
  std::int64_t samples = 0;
};

// Ranges are min/max over finite values, or with options.calibration == CalibrationMethod::Percentile
// the (100 − p)th to pth percentile of a 4096-bin histogram over [min, max] (a second run).
// Deterministic for any thread count.
Calibration calibrate(const model::Graph& graph, const CalibrationRuns& runs, const MappingOptions& options);

// The calibration assumed for a graph without weight values (the shape-only built-in
// architectures), where nothing can run: every float activation on [−range, range]; softmax row
// sums on [1, row length]; norm variances on [range²·1e-4 + ε, range² + ε], |x − mean| up to
// range and normalised values up to √(row length − 1), the largest a row allows. `values` are the
// shapes of one sample (model::resolve_sample_shapes). It sets the ACAM programs' sizes; event
// counts depend on the shapes alone.
Calibration nominal_calibration(const model::Graph& graph, const std::map<std::string, model::ResolvedValue>& values,
                                double range);

// Sets every crossbar's readout full scale to just cover the largest column value its calibration
// inputs produce on ideal cells (xbar::full_scale_for_peak), for lowered WeightMatMul and
// CrossbarWrite ops: one more run.
void calibrate_readouts(const model::Graph& graph, const ModelRun& run, std::vector<LoweredOp>& ops);

}  // namespace raceit::compiler

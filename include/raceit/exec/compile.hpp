#pragma once
// Compiling a model needs FP32 runs of it (calibration, compiler/calibrate.hpp). This builds those
// runs from the FP32 executor, and the whole pipeline from a model name to a Program.
#include <map>
#include <string>
#include <vector>

#include "raceit/compiler/compile.hpp"
#include "raceit/core/tensor.hpp"
#include "raceit/model/datasets.hpp"
#include "raceit/model/graph.hpp"
#include "raceit/model/shape_inference.hpp"
#include "raceit/perf/arch.hpp"

namespace raceit::exec {

// Runs of the FP32 executor over `inputs` (batch first) for the calibration passes.
compiler::CalibrationRuns fp32_runs(const model::Graph& graph, const std::map<std::string, Tensor>& inputs, int threads = 0);

// The data set a shipped model was trained for: vit-digits → digits, vit-fmnist → fashion-mnist,
// spam-transformer and use-lite → spamassassin; "" for anything else.
std::string default_dataset(const std::string& model);

struct CompileRequest {
  std::string model;                   // built-in name or ONNX path
  std::string dataset;                 // task and calibration data; "" = default_dataset(model)
  std::string arch = "raceit";         // preset name or file
  std::vector<std::string> overrides;  // KEY=VALUE for the architecture file
  std::int64_t calibration_samples = 64;
  int threads = 0;
  std::int64_t sequence_length = 0;    // built-in text architectures: tokens per sample (0: 128)
};

struct CompiledModel {
  model::Graph graph;
  compiler::Program program;
};

// A model loaded once to be compiled for one or more architectures.
struct LoadedModel {
  compiler::ModelRef ref;                  // name, and the data set for a trained model
  model::Graph graph;                      // the task graph (task_graph)
  bool shape_only = false;                 // a built-in architecture: nominal calibration
  std::int64_t sequence_length = 0;        // tokens per sample the shapes are resolved at (built-ins)
  std::map<std::string, model::ResolvedValue> sample_shapes;  // built-ins: one sample's shapes
  std::map<std::string, Tensor> calibration_inputs;           // trained models: training samples
  std::int64_t calibration_samples = 0;
  int threads = 0;
};

// Checks the request and loads what compiling needs, once. A built-in architecture (bert-base,
// gpt2, …) has no weights: its shapes are resolved at `sequence_length` (0: 128) for the nominal
// calibration (compiler::compile_nominal). Any other model loads `calibration_samples` of its
// data set's training split. Error(InvalidArgument) when no data set is known, when a data set is
// given for a built-in architecture, or a sequence length for a model whose data set sets it.
LoadedModel load_for_compile(const CompileRequest& request, const model::DataPaths& paths = model::default_data_paths());

// Compiles a loaded model for an architecture: calibration runs of the FP32 executor, or the
// nominal calibration of a shape-only model.
compiler::Program compile_loaded(const LoadedModel& model, const perf::ArchSpec& arch);

// load_for_compile, then compile_loaded for the request's architecture and overrides.
CompiledModel compile_model(const CompileRequest& request, const model::DataPaths& paths = model::default_data_paths());

}  // namespace raceit::exec

#pragma once
// Compiling a model needs FP32 runs of it (calibration, compiler/calibrate.hpp). This builds those
// runs from the FP32 executor, and the whole pipeline from a model name to a Program.
#include <map>
#include <string>
#include <vector>

#include "raceit/compiler/compile.hpp"
#include "raceit/core/progress.hpp"
#include "raceit/core/tensor.hpp"
#include "raceit/model/datasets.hpp"
#include "raceit/model/graph.hpp"
#include "raceit/model/shape_inference.hpp"
#include "raceit/arch/arch.hpp"

namespace raceit::exec {

// Runs of the FP32 executor over `inputs` (batch first) for the calibration passes.
compiler::CalibrationRuns fp32_runs(const model::Graph& graph, const std::map<std::string, Tensor>& inputs, int threads = 0,
                                    const ProgressFn& progress = {});

// Sets the symbolic input dimensions named in `dims` (ONNX dim_param) to their values. Error
// (InvalidArgument) for a name no input has, or one on the batch axis (that is --batch).
void set_input_dims(model::Graph& graph, const std::map<std::string, std::int64_t>& dims);

// The data set a shipped model was trained for: vit-digits → digits, vit-fmnist → fashion-mnist,
// spam-transformer and use-lite → spamassassin, char-lm → spamassassin-text; "" for anything else.
std::string default_dataset(const std::string& model);

struct CompileRequest {
  std::string model;                   // built-in name or ONNX path
  std::string dataset = {};            // task and calibration data: a registered data set or user files
                                       // (model/dataset_registry.hpp); "" = default_dataset(model), and
                                       // when there is none, nominal ranges (no data needed)
  std::string arch = "raceit";         // preset name or file
  std::vector<std::string> overrides = {};  // KEY=VALUE for the architecture file
  std::int64_t calibration_samples = 64;
  int threads = 0;
  std::int64_t sequence_length = 0;    // shapes without data: dynamic non-batch dimensions (0: 128)
  std::string calibration_data = {};   // user files that calibrate instead of the data set's train split
  std::map<std::string, std::int64_t> dims = {};  // shapes without data: symbolic input dimensions by name
  ProgressFn progress = {};            // calibration runs: samples done of total
  std::int64_t past_tokens = 0;        // built-in decoders: one decode step after this many cached tokens
                                       // (model::ArchitectureConfig::past_tokens), sequence_length new ones
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
  std::int64_t sequence_length = 0;        // size of the dynamic dimensions after the batch: as resolved
                                           // without data, or the calibration data's
  std::map<std::string, model::ResolvedValue> sample_shapes;  // built-ins: one sample's shapes
  std::map<std::string, Tensor> calibration_inputs;           // trained models: training samples
  std::string calibration_source;          // data set or files the samples came from
  std::int64_t calibration_samples = 0;
  int threads = 0;
  ProgressFn progress;
};

// Checks the request and loads what compiling needs, once: the graph first (an unsupported model
// is reported before anything about data), then the calibration samples. Without data — a
// built-in architecture (no weights), or an ONNX model with no data set given or known — the
// shapes of one sample are resolved (symbolic dimensions from `dims`, any other dynamic one after
// the batch at `sequence_length`, 0: 128) for the nominal calibration (compiler::compile_nominal).
// With data, `calibration_samples` of its training split (or of `calibration_data`) calibrate.
// Error(InvalidArgument) for a data set given for a built-in architecture, shapes given with data,
// or an unknown dimension name.
LoadedModel load_for_compile(const CompileRequest& request, const model::DataPaths& paths = model::default_data_paths());

// Compiles a loaded model for an architecture: calibration runs of the FP32 executor, or the
// nominal calibration of a shape-only model.
compiler::Program compile_loaded(const LoadedModel& model, const arch::ArchSpec& arch);

// load_for_compile, then compile_loaded for the request's architecture and overrides.
CompiledModel compile_model(const CompileRequest& request, const model::DataPaths& paths = model::default_data_paths());

}  // namespace raceit::exec

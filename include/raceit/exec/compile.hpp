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

// Loads the task graph (task_graph), calibrates on `calibration_samples` of the data set's training
// split and compiles for the architecture. A built-in architecture (bert-base, gpt2, …) has no
// weights: it compiles with the nominal calibration (compiler::compile_nominal) at
// `sequence_length`, for cost studies. Error(InvalidArgument) when no data set is known, when a
// data set is given for a built-in architecture, or a sequence length for a model whose data set
// sets it.
CompiledModel compile_model(const CompileRequest& request, const model::DataPaths& paths = model::default_data_paths());

}  // namespace raceit::exec

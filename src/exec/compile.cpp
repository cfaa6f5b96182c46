#include "raceit/exec/compile.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "raceit/core/error.hpp"
#include "raceit/exec/evaluate.hpp"
#include "raceit/exec/executor.hpp"
#include "raceit/model/architectures.hpp"
#include "raceit/model/shape_inference.hpp"
#include "raceit/model/zoo.hpp"
#include "raceit/perf/arch.hpp"

namespace raceit::exec {

namespace {

compiler::ModelRun run_of(const model::Graph& graph, std::map<std::string, Tensor> inputs, ExecOptions options) {
  return [&graph, inputs = std::move(inputs), options](const compiler::NodeVisitor& visit) {
    const Executor executor(graph, OpTable::fp32(), options);
    executor.run(inputs, [&](std::size_t, const model::Node& node, std::span<const Tensor* const> in,
                             std::span<const Tensor> out) { visit(node, in, out); });
  };
}

}  // namespace

compiler::CalibrationRuns fp32_runs(const model::Graph& graph, const std::map<std::string, Tensor>& inputs, int threads) {
  if (inputs.empty() || inputs.begin()->second.rank() == 0)
    throw Error(ErrorKind::InvalidArgument, "calibration inputs must be batch-first tensors");
  std::map<std::string, Tensor> first;
  for (const auto& [name, t] : inputs) first[name] = slice_batch(t, 0, 1);
  return {run_of(graph, inputs, {threads}), run_of(graph, std::move(first), {1}), inputs.begin()->second.dim(0)};
}

std::string default_dataset(const std::string& model) {
  if (model == "vit-digits") return "digits";
  if (model == "vit-fmnist") return "fashion-mnist";
  if (model == "spam-transformer" || model == "use-lite") return "spamassassin";
  return "";
}

LoadedModel load_for_compile(const CompileRequest& request, const model::DataPaths& paths) {
  LoadedModel m;
  m.ref.name = request.model;
  m.threads = request.threads;
  const auto built_ins = model::architecture_names();
  if (std::find(built_ins.begin(), built_ins.end(), request.model) != built_ins.end()) {
    if (!request.dataset.empty())
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("'{}' is a built-in architecture without weights: it compiles for cost studies with nominal "
                              "ranges and cannot be calibrated on data set '{}'",
                              request.model, request.dataset));
    if (request.sequence_length < 0)
      throw Error(ErrorKind::InvalidArgument, fmt::format("sequence length must be positive, got {}", request.sequence_length));
    m.shape_only = true;
    m.sequence_length = request.sequence_length > 0 ? request.sequence_length : 128;
    m.graph = model::load_model(request.model, false, paths, request.sequence_length);
    m.sample_shapes = model::resolve_sample_shapes(m.graph, m.sequence_length);
    return m;
  }
  if (request.sequence_length != 0)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("model '{}': its sequence length comes from its data set; a sequence length applies to the "
                            "built-in architectures ({})",
                            request.model, fmt::join(built_ins, ", ")));
  m.ref.dataset = request.dataset.empty() ? default_dataset(request.model) : request.dataset;
  if (m.ref.dataset.empty())
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("model '{}': give the data set to calibrate on (one of {})", request.model,
                            fmt::join(dataset_names(), ", ")));
  if (request.calibration_samples < 1)
    throw Error(ErrorKind::InvalidArgument, fmt::format("calibration needs at least 1 sample, got {}", request.calibration_samples));
  m.graph = task_graph(request.model, m.ref.dataset, paths);
  m.calibration_inputs = load_samples(m.graph, m.ref.dataset, Split::Train, request.calibration_samples, paths).inputs;
  m.calibration_samples = request.calibration_samples;
  return m;
}

compiler::Program compile_loaded(const LoadedModel& m, const perf::ArchSpec& arch) {
  if (m.shape_only) return compiler::compile_nominal(m.graph, m.ref, arch, m.sample_shapes);
  return compiler::compile(m.graph, m.ref, arch, fp32_runs(m.graph, m.calibration_inputs, m.threads),
                           {m.ref.dataset, "train", m.calibration_samples, "", 0});
}

CompiledModel compile_model(const CompileRequest& request, const model::DataPaths& paths) {
  LoadedModel m = load_for_compile(request, paths);
  const perf::ArchSpec arch = perf::load_arch(perf::arch_path(request.arch), request.overrides);
  compiler::Program program = compile_loaded(m, arch);
  return {std::move(m.graph), std::move(program)};
}

}  // namespace raceit::exec

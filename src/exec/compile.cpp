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

CompiledModel compile_model(const CompileRequest& request, const model::DataPaths& paths) {
  const auto built_ins = model::architecture_names();
  if (std::find(built_ins.begin(), built_ins.end(), request.model) != built_ins.end()) {
    if (!request.dataset.empty())
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("'{}' is a built-in architecture without weights: it compiles for cost studies with nominal "
                              "ranges and cannot be calibrated on data set '{}'",
                              request.model, request.dataset));
    if (request.sequence_length < 0)
      throw Error(ErrorKind::InvalidArgument, fmt::format("sequence length must be positive, got {}", request.sequence_length));
    const perf::ArchSpec arch = perf::load_arch(perf::arch_path(request.arch), request.overrides);
    CompiledModel c{model::load_model(request.model, false, paths, request.sequence_length), {}};
    compiler::ModelRef ref;
    ref.name = request.model;
    const std::int64_t tokens = request.sequence_length > 0 ? request.sequence_length : 128;
    c.program = compiler::compile_nominal(c.graph, ref, arch, model::resolve_sample_shapes(c.graph, tokens));
    return c;
  }
  if (request.sequence_length != 0)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("model '{}': its sequence length comes from its data set; a sequence length applies to the "
                            "built-in architectures ({})",
                            request.model, fmt::join(built_ins, ", ")));
  const std::string dataset = request.dataset.empty() ? default_dataset(request.model) : request.dataset;
  if (dataset.empty())
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("model '{}': give the data set to calibrate on (one of {})", request.model,
                            fmt::join(dataset_names(), ", ")));
  if (request.calibration_samples < 1)
    throw Error(ErrorKind::InvalidArgument, fmt::format("calibration needs at least 1 sample, got {}", request.calibration_samples));
  const perf::ArchSpec arch = perf::load_arch(perf::arch_path(request.arch), request.overrides);
  CompiledModel c{task_graph(request.model, dataset, paths), {}};
  const Samples samples = load_samples(c.graph, dataset, Split::Train, request.calibration_samples, paths);
  compiler::ModelRef ref;
  ref.name = request.model;
  ref.dataset = dataset;
  c.program = compiler::compile(c.graph, ref, arch, fp32_runs(c.graph, samples.inputs, request.threads),
                                {dataset, "train", request.calibration_samples, "", 0});
  return c;
}

}  // namespace raceit::exec

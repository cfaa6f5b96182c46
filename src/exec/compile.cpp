#include "raceit/exec/compile.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "raceit/core/error.hpp"
#include "raceit/exec/evaluate.hpp"
#include "raceit/exec/executor.hpp"
#include "raceit/model/architectures.hpp"
#include "raceit/model/passes.hpp"
#include "raceit/model/shape_inference.hpp"
#include "raceit/model/zoo.hpp"
#include "raceit/arch/arch.hpp"

namespace raceit::exec {

namespace {

compiler::ModelRun run_of(const model::Graph& graph, std::map<std::string, Tensor> inputs, ExecOptions options,
                          ProgressFn progress, std::string stage) {
  return [&graph, inputs = std::move(inputs), options, progress = std::move(progress),
          stage = std::move(stage)](const compiler::NodeVisitor& visit) {
    const Executor executor(graph, OpTable::fp32(), options);
    const std::int64_t samples = inputs.begin()->second.dim(0);
    executor.run(inputs, with_progress(graph,
                                       [&](std::size_t, const model::Node& node, std::span<const Tensor* const> in,
                                           std::span<const Tensor> out) { visit(node, in, out); },
                                       progress, stage, samples, options.chunk_samples));
  };
}

// Every symbolic dimension name of the inputs, once each.
std::vector<std::string> dimension_names(const model::Graph& graph) {
  std::vector<std::string> names;
  for (const auto& [input, dims] : graph.input_dim_names)
    for (const auto& d : dims)
      if (!d.empty() && std::find(names.begin(), names.end(), d) == names.end()) names.push_back(d);
  return names;
}

// The size the data gives the inputs' first dynamic dimension after the batch (128 when none is).
std::int64_t data_sequence_length(const model::Graph& graph, const std::map<std::string, Tensor>& inputs) {
  for (const auto& name : graph.inputs) {
    const Shape& declared = graph.values.at(name).shape;
    for (std::size_t d = 1; d < declared.size(); ++d)
      if (declared[d] < 0) return inputs.at(name).dim(static_cast<std::int64_t>(d));
  }
  return 128;
}

}  // namespace

void set_input_dims(model::Graph& graph, const std::map<std::string, std::int64_t>& dims) {
  for (const auto& [name, value] : dims) {
    if (value < 1) throw Error(ErrorKind::InvalidArgument, fmt::format("--dim {}={}: a dimension must be at least 1", name, value));
    bool found = false;
    for (const auto& [input, names] : graph.input_dim_names)
      for (std::size_t axis = 0; axis < names.size(); ++axis) {
        if (names[axis] != name) continue;
        if (axis == 0)
          throw Error(ErrorKind::InvalidArgument,
                      fmt::format("--dim {}: '{}' is the batch axis of input '{}'; set it with --batch", name, name, input));
        graph.values.at(input).shape.at(axis) = value;
        found = true;
      }
    if (!found) {
      const auto known = dimension_names(graph);
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("--dim {}: model {} has no input dimension of that name ({})", name, graph.source,
                              known.empty() ? "it names none" : fmt::format("named: {}", fmt::join(known, ", "))));
    }
  }
  // Shape arithmetic on the dimensions just fixed folds now, and recognition sees the result.
  if (!dims.empty()) model::simplify(graph);
}

compiler::CalibrationRuns fp32_runs(const model::Graph& graph, const std::map<std::string, Tensor>& inputs, int threads,
                                    const ProgressFn& progress) {
  if (inputs.empty() || inputs.begin()->second.rank() == 0)
    throw Error(ErrorKind::InvalidArgument, "calibration inputs must be batch-first tensors");
  std::map<std::string, Tensor> first;
  for (const auto& [name, t] : inputs) first[name] = slice_batch(t, 0, 1);
  return {.all = run_of(graph, inputs, {.threads = threads}, progress, "calibration"),
          .first_sample = run_of(graph, std::move(first), {.threads = 1}, {}, ""),
          .samples = inputs.begin()->second.dim(0)};
}

std::string default_dataset(const std::string& model) {
  if (model == "vit-digits") return "digits";
  if (model == "vit-fmnist") return "fashion-mnist";
  if (model == "spam-transformer" || model == "use-lite") return "spamassassin";
  if (model == "char-lm") return "spamassassin-text";
  return "";
}

LoadedModel load_for_compile(const CompileRequest& request, const model::DataPaths& paths) {
  LoadedModel m;
  m.ref.name = request.model;
  m.threads = request.threads;
  m.progress = request.progress;
  if (request.sequence_length < 0)
    throw Error(ErrorKind::InvalidArgument, fmt::format("sequence length must be positive, got {}", request.sequence_length));
  const auto built_ins = model::architecture_names();
  if (std::find(built_ins.begin(), built_ins.end(), request.model) != built_ins.end()) {
    if (!request.dataset.empty() || !request.calibration_data.empty())
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("'{}' is a built-in architecture without weights: it compiles for cost studies with nominal "
                              "ranges and cannot be calibrated on data set '{}'",
                              request.model, request.dataset.empty() ? request.calibration_data : request.dataset));
    if (!request.dims.empty())
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("'{}' is a built-in architecture: set its tokens per sample with --seq, not --dim", request.model));
    m.shape_only = true;
    m.sequence_length = request.sequence_length > 0 ? request.sequence_length : 128;
    if (request.past_tokens > 0) {
      model::ArchitectureConfig config = model::architecture_config(request.model);
      config.seq_len = m.sequence_length;
      config.past_tokens = request.past_tokens;
      m.graph = model::build_architecture(config);
    } else {
      m.graph = model::load_model(request.model, false, paths, request.sequence_length);
    }
    m.sample_shapes = model::resolve_sample_shapes(m.graph, m.sequence_length);
    return m;
  }
  if (request.past_tokens > 0)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("'{}': decode steps with a KV cache are built for the built-in decoders (gpt2, llama-3.2-1b, "
                            "llama-3.2-3b); an ONNX graph has no cache inputs raceit knows how to feed",
                            request.model));
  m.ref.dataset = request.dataset.empty() ? default_dataset(request.model) : request.dataset;
  if (m.ref.dataset.empty() && request.calibration_data.empty()) {
    // No data: nominal ranges, as for the built-in architectures. The dimensions are fixed at
    // import, so that an `If` on them takes its branch; set_input_dims checks their names.
    m.graph = model::load_model(request.model, false, paths, request.sequence_length, request.dims);
    set_input_dims(m.graph, request.dims);
    m.shape_only = true;
    m.sequence_length = request.sequence_length > 0 ? request.sequence_length : 128;
    try {
      m.sample_shapes = model::resolve_sample_shapes(m.graph, m.sequence_length);
    } catch (const Error& e) {
      const auto named = dimension_names(m.graph);
      throw Error(e.kind(), fmt::format("{} (without data, every dynamic input dimension after the batch is {}: set them "
                                        "with --seq, or by name with --dim NAME=VALUE{})",
                                        e.what(), m.sequence_length,
                                        named.empty() ? "" : fmt::format("; named: {}", fmt::join(named, ", "))));
    }
    return m;
  }
  m.graph = task_graph(request.model, m.ref.dataset, paths);
  if (request.sequence_length != 0 || !request.dims.empty())
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("model '{}': its sequence length comes from its data set ({}); --seq and --dim apply only "
                            "without data",
                            request.model, request.dataset.empty() ? request.calibration_data : request.dataset));
  if (request.calibration_samples < 1)
    throw Error(ErrorKind::InvalidArgument, fmt::format("calibration needs at least 1 sample, got {}", request.calibration_samples));
  m.calibration_source = request.calibration_data.empty() ? m.ref.dataset : request.calibration_data;
  model::Samples samples = load_samples(m.graph, m.calibration_source, Split::Train, request.calibration_samples, paths);
  m.calibration_samples = model::sample_count(samples);
  m.sequence_length = data_sequence_length(m.graph, samples.inputs);
  m.calibration_inputs = std::move(samples.inputs);
  return m;
}

compiler::Program compile_loaded(const LoadedModel& m, const arch::ArchSpec& arch) {
  if (m.shape_only) return compiler::compile_nominal(m.graph, m.ref, arch, m.sample_shapes);
  const bool user = model::is_user_data(m.calibration_source);
  return compiler::compile(m.graph, m.ref, arch, fp32_runs(m.graph, m.calibration_inputs, m.threads, m.progress),
                           {.dataset = m.calibration_source,
                            .split = user ? "given" : "train",
                            .samples = m.calibration_samples,
                            .method = "",
                            .percentile = 0});
}

CompiledModel compile_model(const CompileRequest& request, const model::DataPaths& paths) {
  LoadedModel m = load_for_compile(request, paths);
  const arch::ArchSpec arch = compiler::load_arch(arch::arch_path(request.arch), request.overrides);
  compiler::Program program = compile_loaded(m, arch);
  return {.graph = std::move(m.graph), .program = std::move(program)};
}

}  // namespace raceit::exec

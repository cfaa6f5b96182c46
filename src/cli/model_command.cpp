// `raceit info`, `raceit infer` and `raceit eval`: models in, FP32 reference out.
#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "progress.hpp"
#include "raceit_eval.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/npy.hpp"
#include "raceit/exec/evaluate.hpp"
#include "raceit/exec/executor.hpp"
#include "raceit/model/dataset_registry.hpp"
#include "raceit/model/statistics.hpp"
#include "raceit/model/zoo.hpp"

namespace raceit::cli {

namespace {

std::string with_units(double n) {
  if (n >= 1e9) return fmt::format("{:.3f} G", n / 1e9);
  if (n >= 1e6) return fmt::format("{:.3f} M", n / 1e6);
  if (n >= 1e3) return fmt::format("{:.3f} k", n / 1e3);
  return fmt::format("{:.0f}", n);
}

std::string models_help() {
  std::string s = "Built-in models:\n";
  for (const auto& e : model::model_zoo()) s += fmt::format("  {:<18} {}\n", e.name, e.description);
  return s;
}

void print_info(const std::string& name, bool json, bool dump, std::int64_t sequence_length_option) {
  const std::int64_t sequence_length = sequence_length_option > 0 ? sequence_length_option : 128;
  const model::Graph graph = model::load_model(name, false, model::default_data_paths(), sequence_length_option);
  model::GraphStats stats;
  try {
    stats = model::graph_statistics(graph, sequence_length);
  } catch (const Error& e) {
    throw Error(e.kind(), fmt::format("{} (dynamic input dimensions after the batch are {}: set them with --seq-len)",
                                      e.what(), sequence_length));
  }
  if (dump) {
    std::cout << graph.to_text();
    return;
  }
  if (json) {
    nlohmann::json ops = nlohmann::json::object();
    for (const auto& [op, s] : stats.by_operator)
      ops[model::to_string(op)] = {{"count", s.count}, {"class", model::to_string(model::op_class(op))},
                                   {"macs", s.macs}, {"output_elements", s.output_elements}};
    nlohmann::json out = {{"model", name},
                          {"source", graph.source},
                          {"parameters", stats.parameters},
                          {"tokens", stats.tokens},
                          {"macs_per_inference", stats.total_macs()},
                          {"macs_per_token", stats.total_macs() / std::max<std::int64_t>(1, stats.tokens)},
                          {"operators", ops},
                          {"provenance", provenance(invocation())}};
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("model       {}\nsource      {}\n", name, graph.source);
  for (const auto& in : graph.inputs)
    std::cout << fmt::format("input       {}: {}{}\n", in, to_string(graph.values.at(in).dtype), to_string(graph.values.at(in).shape));
  for (const auto& out : graph.outputs)
    std::cout << fmt::format("output      {}: {}{}\n", out, to_string(graph.values.at(out).dtype), to_string(graph.values.at(out).shape));
  const auto macs = static_cast<double>(stats.total_macs());
  std::cout << fmt::format("parameters  {} ({})\n", stats.parameters, with_units(static_cast<double>(stats.parameters)));
  std::cout << fmt::format("MACs        {} per inference (batch 1, {} tokens), {} per token\n\n", with_units(macs),
                           stats.tokens, with_units(macs / static_cast<double>(std::max<std::int64_t>(1, stats.tokens))));
  std::vector<std::vector<std::string>> rows;
  for (const auto& [op, s] : stats.by_operator)
    rows.push_back({model::to_string(op), model::to_string(model::op_class(op)), std::to_string(s.count),
                    s.macs ? with_units(static_cast<double>(s.macs)) : "-", with_units(static_cast<double>(s.output_elements))});
  std::cout << format_table({"operator", "class", "count", "MACs", "outputs"}, rows, 2) << "\n";
  std::vector<std::vector<std::string>> class_rows;
  for (const auto& [c, s] : stats.by_class)
    class_rows.push_back({model::to_string(c), std::to_string(s.count), s.macs ? with_units(static_cast<double>(s.macs)) : "-",
                          fmt::format("{:.1f}%", macs > 0 ? 100.0 * static_cast<double>(s.macs) / macs : 0.0)});
  std::cout << format_table({"class", "operators", "MACs", "share"}, class_rows, 1);
}

void register_info_command(CLI::App& app) {
  struct InfoArgs {
    std::string model;
    bool json = false, dump = false;
    std::int64_t sequence_length = 0;
  };
  auto info_args = std::make_shared<InfoArgs>();
  auto* info = app.add_subcommand("info", "Operators, parameters and MACs of a model (and which operators are weight "
                                          "matmuls, data-dependent matmuls and functions)");
  info->footer(models_help());
  auto* positional = info->add_option("MODEL", info_args->model, "Built-in model name or ONNX file");
  auto* named = info->add_option("--model", info_args->model, "The same, as an option");
  positional->excludes(named);
  named->excludes(positional);
  info->add_flag("--json", info_args->json, "Print JSON");
  info->add_flag("--graph", info_args->dump, "Print the whole graph IR instead");
  info->add_option("--seq-len", info_args->sequence_length,
                   "Sequence length of built-in text architectures and of models with a variable one "
                   "(default 128)")
      ->check(CLI::Range(std::int64_t{1}, kMaxSequence));
  info->callback([info_args] {
    if (info_args->model.empty()) throw Error(ErrorKind::InvalidArgument, "info: give a model (MODEL or --model)");
    print_info(info_args->model, info_args->json, info_args->dump, info_args->sequence_length);
  });
}

void register_infer_command(CLI::App& app) {
  struct InferArgs {
    std::string model, output;
    std::vector<std::string> inputs;
    int threads = 0;
  };
  auto infer_args = std::make_shared<InferArgs>();
  auto infer_device = std::make_shared<RaceitEvalArgs>();
  infer_device->mode = "ideal";
  auto* infer = app.add_subcommand("infer", "Run a model on .npy inputs (batch first) and write its outputs as .npy: the "
                                            "FP32 reference executor, or with --program what the RACE-IT hardware outputs");
  infer->footer(models_help());
  infer->add_option("--model", infer_args->model, "Built-in model name or ONNX file (with --program: default its model)");
  infer->add_option("--program", infer_device->program, "Run this compiled program (raceit compile) on the RACE-IT "
                                                        "functional executor");
  infer->add_option("--input", infer_args->inputs,
                    "Input .npy (float32, or int64 token ids), batch first; NAME=FILE.npy for each input of a "
                    "model with several (e.g. use-lite: ids=… mask=…)")
      ->required();
  infer->add_option("--output", infer_args->output,
                    "Output .npy for the first output, or a folder (existing, or ending in /) for every output as "
                    "NAME.npy")
      ->required();
  add_device_options(infer, infer_device, "With --program: ideal (quantisation only), frozen or per_read noise");
  infer->add_option("--threads", infer_args->threads, "Worker threads (default: RACEIT_THREADS or all cores)")
      ->check(CLI::Range(0, kMaxThreads));
  infer->callback([infer_args, infer_device] {
    if (!infer_device->program.empty()) {
      run_raceit_infer(infer_args->model, infer_args->inputs, infer_args->output, infer_args->threads, *infer_device);
      return;
    }
    if (infer_args->model.empty()) throw Error(ErrorKind::InvalidArgument, "infer: give --model (or a compiled --program)");
    const model::Graph graph = model::load_model(infer_args->model);
    const auto inputs = read_input_arguments(graph, infer_args->inputs);
    const exec::Executor executor(graph, exec::OpTable::fp32(), {.threads = infer_args->threads});
    write_outputs(graph, run_on_input_files(infer_args->inputs, [&] { return executor.run(inputs); }), infer_args->output);
  });
}

struct EvalArgs {
  std::string model, data, labels, task = "classify";
  bool fp32 = false, json = false, quiet = false;
  std::int64_t limit = 0;
  int threads = 0;
};

// `raceit eval --fp32`: the FP32 reference executor's accuracy.
void run_fp32_eval(const EvalArgs& a) {
  if (a.model.empty()) throw Error(ErrorKind::InvalidArgument, "eval --fp32: give --model");
  if (a.task == "lm") throw Error(ErrorKind::InvalidArgument, "--task lm: perplexity is reported without --fp32");
  const auto e = exec::evaluate(a.model, eval_data(a.model, a.data), a.limit, {.threads = a.threads},
                                model::default_data_paths(), a.labels);
  if (a.json) {
    nlohmann::json out = {{"model", e.model},       {"dataset", e.dataset},         {"n", e.n},
                          {"correct", e.correct},   {"accuracy", e.accuracy},       {"executor", "fp32"},
                          {"data_source", e.data_source}, {"seconds", e.seconds}, {"provenance", provenance(invocation())}};
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("{} on {} (fp32): accuracy {:.4f} ({} of {})  [{:.2f} s, {:.0f} samples/s]\ndata: {}\n", e.model,
                           e.dataset, e.accuracy, e.correct, e.n, e.seconds, static_cast<double>(e.n) / e.seconds,
                           data_line(a.data, e.dataset, e.data_source));
}

void register_eval_command(CLI::App& app) {
  auto eval_args = std::make_shared<EvalArgs>();
  auto* eval = app.add_subcommand("eval", "A model on data under RACE-IT: every output's fidelity against FP32 (NMSE, SNR, "
                                          "cosine, top-1 agreement), accuracy with labels, perplexity with --task lm");
  eval->footer(models_help() + "Data:\n" + model::datasets_help());
  eval->add_option("--model", eval_args->model, "Built-in model name or ONNX file (with --program: default its model)");
  eval->add_option("--data", eval_args->data,
                   fmt::format("Data set ({}), or your own inputs: FILE.npy or SPEC.yaml; default: the data set of a "
                               "built-in model (required for your own ONNX model)",
                               fmt::join(model::dataset_names(), ", ")));
  eval->add_option("--labels", eval_args->labels, "Labels .npy for --data FILE.npy: int64 [N], or [N, T] per token");
  eval->add_option("--task", eval_args->task, "classify (accuracy with labels) or lm (a causal language model: perplexity "
                                              "of the next token)")
      ->capture_default_str()
      ->check(CLI::IsMember({"classify", "lm"}));
  eval->add_flag("--fp32", eval_args->fp32, "Use the FP32 reference executor only: accuracy (default: compile for --arch "
                                           "and run the RACE-IT functional executor too)");
  auto raceit_args = std::make_shared<RaceitEvalArgs>();
  add_raceit_eval_options(eval, raceit_args);
  eval->add_option("--limit", eval_args->limit, "Score only the first N samples")
      ->check(CLI::Range(std::int64_t{1}, kMaxSamples));
  eval->add_option("--threads", eval_args->threads, "Worker threads (default: RACEIT_THREADS or all cores)")
      ->check(CLI::Range(0, kMaxThreads));
  eval->add_flag("--json", eval_args->json, "Print JSON");
  add_quiet_flag(eval, eval_args->quiet);
  eval->callback([eval_args, raceit_args] {
    if (!eval_args->fp32) {
      run_raceit_eval({.model = eval_args->model,
                       .data = eval_args->data,
                       .labels = eval_args->labels,
                       .lm = eval_args->task == "lm",
                       .limit = eval_args->limit,
                       .threads = eval_args->threads,
                       .json = eval_args->json,
                       .progress = progress_reporter(eval_args->quiet)},
                      *raceit_args);
      return;
    }
    run_fp32_eval(*eval_args);
  });
}

}  // namespace

void register_model_commands(CLI::App& app) {
  register_info_command(app);
  register_infer_command(app);
  register_eval_command(app);
}

}  // namespace raceit::cli

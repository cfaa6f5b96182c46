// `raceit info`, `raceit infer` and `raceit eval`: models in, FP32 reference out.
#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "raceit_eval.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/npy.hpp"
#include "raceit/exec/evaluate.hpp"
#include "raceit/exec/executor.hpp"
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
  const auto stats = model::graph_statistics(graph, sequence_length);
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

}  // namespace

void register_model_commands(CLI::App& app) {
  struct InfoArgs {
    std::string model;
    bool json = false, dump = false;
    std::int64_t sequence_length = 0;
  };
  auto info_args = std::make_shared<InfoArgs>();
  auto* info = app.add_subcommand("info", "Operators, parameters and MACs of a model (and which operators are weight "
                                          "matmuls, data-dependent matmuls and functions)");
  info->footer(models_help());
  info->add_option("MODEL", info_args->model, "Built-in model name or ONNX file")->required();
  info->add_flag("--json", info_args->json, "Print JSON");
  info->add_flag("--graph", info_args->dump, "Print the whole graph IR instead");
  info->add_option("--seq-len", info_args->sequence_length,
                   "Sequence length of built-in text architectures and of models with a variable one "
                   "(default 128)")
      ->check(CLI::Range(std::int64_t{1}, kMaxSequence));
  info->callback([info_args] {
    print_info(info_args->model, info_args->json, info_args->dump, info_args->sequence_length);
  });

  struct InferArgs {
    std::string model, output;
    std::vector<std::string> inputs;
    int threads = 0;
  };
  auto infer_args = std::make_shared<InferArgs>();
  auto* infer = app.add_subcommand("infer", "Run the FP32 reference executor on a .npy input (batch first) and "
                                            "write the model's first output as .npy");
  infer->footer(models_help());
  infer->add_option("--model", infer_args->model, "Built-in model name or ONNX file")->required();
  infer->add_option("--input", infer_args->inputs,
                    "Input .npy (float32, or int64 token ids), batch first; NAME=FILE.npy for each input of a "
                    "model with several (e.g. use-lite: ids=… mask=…)")
      ->required();
  infer->add_option("--output", infer_args->output, "Output .npy to write")->required();
  infer->add_option("--threads", infer_args->threads, "Worker threads (default: RACEIT_THREADS or all cores)")
      ->check(CLI::Range(0, kMaxThreads));
  infer->callback([infer_args] {
    const model::Graph graph = model::load_model(infer_args->model);
    std::map<std::string, Tensor> inputs;
    for (const auto& arg : infer_args->inputs) {
      const auto eq = arg.find('=');
      if (eq == std::string::npos && graph.inputs.size() == 1) {
        inputs[graph.inputs[0]] = read_npy(arg);
      } else if (eq == std::string::npos) {
        throw Error(ErrorKind::InvalidArgument, fmt::format("model '{}' has inputs {}: give each as --input NAME=FILE.npy",
                                                            infer_args->model, fmt::join(graph.inputs, ", ")));
      } else {
        inputs[arg.substr(0, eq)] = read_npy(arg.substr(eq + 1));
      }
    }
    const exec::Executor executor(graph, exec::OpTable::fp32(), {infer_args->threads});
    const auto outputs = executor.run(inputs);
    write_npy(infer_args->output, outputs.at(0));
    std::cerr << fmt::format("raceit: wrote {} {}{} to {}\n", graph.outputs[0], to_string(outputs[0].dtype()),
                             to_string(outputs[0].shape()), infer_args->output);
  });

  struct EvalArgs {
    std::string model, data;
    bool fp32 = false, json = false;
    std::int64_t limit = 0;
    int threads = 0;
  };
  auto eval_args = std::make_shared<EvalArgs>();
  auto* eval = app.add_subcommand("eval", "Accuracy of a model on the test split of a data set");
  eval->footer(models_help() + "Data sets: digits, fashion-mnist, spamassassin\n");
  eval->add_option("--model", eval_args->model, "Built-in model name or ONNX file")->required();
  eval->add_option("--data", eval_args->data, "Data set: digits, fashion-mnist or spamassassin")->required();
  eval->add_flag("--fp32", eval_args->fp32, "Use the FP32 reference executor only (default: compile for --arch and run "
                                           "the RACE-IT functional executor too)");
  auto raceit_args = std::make_shared<RaceitEvalArgs>();
  add_raceit_eval_options(eval, raceit_args);
  eval->add_option("--limit", eval_args->limit, "Score only the first N test samples")
      ->check(CLI::Range(std::int64_t{1}, kMaxSamples));
  eval->add_option("--threads", eval_args->threads, "Worker threads (default: RACEIT_THREADS or all cores)")
      ->check(CLI::Range(0, kMaxThreads));
  eval->add_flag("--json", eval_args->json, "Print JSON");
  eval->callback([eval_args, raceit_args] {
    if (!eval_args->fp32) {
      run_raceit_eval(eval_args->model, eval_args->data, eval_args->limit, eval_args->threads, eval_args->json, *raceit_args);
      return;
    }
    const auto e = exec::evaluate(eval_args->model, eval_args->data, eval_args->limit, {eval_args->threads});
    if (eval_args->json) {
      nlohmann::json out = {{"model", e.model},       {"dataset", e.dataset},         {"n", e.n},
                            {"correct", e.correct},   {"accuracy", e.accuracy},       {"executor", "fp32"},
                            {"data_source", e.data_source}, {"seconds", e.seconds}, {"provenance", provenance(invocation())}};
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::cout << fmt::format("{} on {} (fp32): accuracy {:.4f} ({} of {})  [{:.2f} s, {:.0f} samples/s]\ndata: {}\n", e.model,
                             e.dataset, e.accuracy, e.correct, e.n, e.seconds, static_cast<double>(e.n) / e.seconds,
                             e.data_source);
  });
}

}  // namespace raceit::cli

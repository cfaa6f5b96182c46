#include "raceit_eval.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "output.hpp"
#include "raceit/compiler/program_io.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/npy.hpp"
#include "raceit/device/rram.hpp"
#include "raceit/exec/compile.hpp"
#include "raceit/exec/raceit_evaluate.hpp"
#include "raceit/model/dataset_registry.hpp"

namespace raceit::cli {

namespace {

std::string sci(double v) { return std::isinf(v) ? "inf" : fmt::format("{:.3e}", v); }
std::string db(double v) { return std::isinf(v) ? "exact" : fmt::format("{:.1f}", v); }

nlohmann::json stats_json(const ErrorStats& s) { return {{"nmse", s.nmse}, {"snr_db", s.snr_db}, {"max_abs", s.max_abs}}; }

nlohmann::json fidelity_json(const exec::Fidelity& f) {
  return {{"nmse", f.nmse}, {"snr_db", f.snr_db}, {"cosine", f.cosine}, {"top1_agreement", f.top1_agreement}};
}

// A task score of the FP32, ideal and noisy runs (the noisy ones per seed).
struct Score {
  double fp32, ideal, mean, std;
  const std::vector<double>& per_seed;
};

void add_score(nlohmann::json& out, const std::string& name, const Score& s) {
  out[name + "_fp32"] = s.fp32;
  out[name + "_ideal"] = s.ideal;
  out[name + "_mean"] = s.mean;
  out[name + "_std"] = s.std;
  out[name + "_per_seed"] = s.per_seed;
}

// "NAME  fp32 …   ideal …   MODE mean ± std SEEDS" (the noisy part only with noisy runs).
std::string score_line(const std::string& name, const Score& s, const std::string& mode, const std::string& seeds) {
  std::string line = fmt::format("{:<11} fp32 {:.4f}   ideal {:.4f}", name, s.fp32, s.ideal);
  if (!s.per_seed.empty()) line += fmt::format("   {} {:.4f} ± {:.4f}{}", mode, s.mean, s.std, seeds);
  return line;
}

std::string top1(double v) { return std::isnan(v) ? "-" : fmt::format("{:.4f}", v); }

// The device model of --device, --std-scale and --stuck; `path` gets the preset file.
device::RramModel device_of(const RaceitEvalArgs& args, std::string& path) {
  path = args.device.empty() ? device::default_device_preset_path() : args.device;
  device::RramModel model = device::load_device_preset(path);
  if (args.std_scale >= 0) model.std_scale = args.std_scale;
  if (args.stuck >= 0) model.stuck_probability = args.stuck;
  return model;
}

// The graph of a compiled program: its model, or `model` when given, which must be the same
// model (operators and weights; the path may differ).
model::Graph program_graph(const std::string& program_path, const compiler::Program& program, const std::string& model) {
  const std::string name = model.empty() ? program.model.name : model;
  model::Graph graph = exec::task_graph(name, program.model.dataset);
  try {
    compiler::check_model(program, graph);
  } catch (const Error& e) {
    throw Error(ErrorKind::InvalidArgument, fmt::format("{} was compiled for model '{}' ({}), not '{}': {}", program_path,
                                                        program.model.name, program.model.source, name, e.what()));
  }
  return graph;
}

}  // namespace

device::RramModel device_model(const RaceitEvalArgs& args) {
  std::string path;
  return device_of(args, path);
}

void add_device_options(CLI::App* command, const std::shared_ptr<RaceitEvalArgs>& args, const std::string& mode_help) {
  command->add_option("--mode", args->mode, mode_help)->capture_default_str();
  command->add_option("--seed", args->seed, "Seed of the device noise (eval: the first)")->capture_default_str();
  command->add_option("--std-scale", args->std_scale, "Multiply every noise sigma (default: the device preset's)")
      ->check(CLI::Range(0.0, 100.0));
  command->add_option("--stuck", args->stuck, "Stuck-cell probability (default: the device preset's)")
      ->check(CLI::Range(0.0, 1.0));
  command->add_option("--device", args->device, "Device preset (default: configs/devices/taox.yaml)");
}

void add_raceit_eval_options(CLI::App* eval, const std::shared_ptr<RaceitEvalArgs>& args) {
  eval->add_option("--arch", args->arch, "Architecture preset or file to compile for (without --fp32)")->capture_default_str();
  eval->add_option("--program", args->program, "Evaluate this compiled program instead of compiling now");
  eval->add_option("--set", args->overrides, "Override an architecture or mapping key, KEY=VALUE (repeatable)");
  eval->add_option("--calibration", args->calibration, "Calibration samples from the training split")
      ->check(CLI::Range(std::int64_t{1}, kMaxSamples))->capture_default_str();
  eval->add_option("--calibration-data", args->calibration_data,
                   "Calibrate on these files (.npy or spec.yaml) instead of the data's training split");
  add_device_options(eval, args, "Noisy runs: ideal (none), frozen or per_read");
  eval->add_option("--seeds", args->seeds, "Noisy runs, seeds SEED, SEED+1, …")
      ->check(CLI::Range(1, kMaxSeeds))->capture_default_str();
  eval->add_option("--error-samples", args->error_samples, "Per-operator errors over the first N samples")
      ->check(CLI::Range(std::int64_t{0}, kMaxSamples))->capture_default_str();
}

std::map<std::string, Tensor> read_input_arguments(const model::Graph& graph, const std::vector<std::string>& inputs) {
  std::map<std::string, std::string> files;
  for (const auto& arg : inputs) {
    const auto eq = arg.find('=');
    if (eq == std::string::npos && graph.inputs.size() == 1 && inputs.size() == 1) {
      files[graph.inputs[0]] = arg;
    } else if (eq == std::string::npos) {
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("--input {}: model '{}' has inputs {}: give each as --input NAME=FILE.npy", arg, graph.name,
                              fmt::join(graph.inputs, ", ")));
    } else if (!files.emplace(arg.substr(0, eq), arg.substr(eq + 1)).second) {
      throw Error(ErrorKind::InvalidArgument, fmt::format("--input {}: input '{}' given twice", arg, arg.substr(0, eq)));
    }
  }
  return model::read_inputs(graph, files);
}

namespace {
// f(), its raceit::Error prefixed "CONTEXT: " (same kind): for an error deep inside a run that names
// the node or operator but not the file on the command line that caused it.
template <class F>
auto with_context(const std::string& context, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    throw Error(e.kind(), fmt::format("{}: {}", context, e.what()));
  }
}
}  // namespace

std::vector<Tensor> run_on_input_files(const std::vector<std::string>& inputs, const std::function<std::vector<Tensor>()>& run) {
  return with_context(fmt::format("running on {}", fmt::join(inputs, " ")), run);
}

void write_outputs(const model::Graph& graph, const std::vector<Tensor>& outputs, const std::string& path) {
  const bool folder = std::filesystem::is_directory(path) || (!path.empty() && path.back() == '/');
  const std::size_t count = folder ? outputs.size() : 1;
  std::error_code error;
  if (folder && !std::filesystem::is_directory(path) &&
      (!std::filesystem::create_directories(path, error) || error))
    throw Error(ErrorKind::Io, fmt::format("{}: cannot create the output folder{}", path,
                                           error ? ": " + error.message() : " (a file of that name exists)"));
  for (std::size_t o = 0; o < count; ++o) {
    std::string file = path;
    if (folder) {
      std::string name = graph.outputs[o];
      for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
      file = (std::filesystem::path(path) / (name + ".npy")).string();
    }
    write_npy(file, outputs[o]);
    std::cerr << fmt::format("raceit: wrote {} {}{} to {}\n", graph.outputs[o], to_string(outputs[o].dtype()),
                             to_string(outputs[o].shape()), file);
  }
}

namespace {

// The program to evaluate: compiled now from --model, or read from a compiled --program; an empty
// target.data becomes the data set of the (program's) model first.
exec::CompiledModel load_or_compile(EvalTarget& target, const RaceitEvalArgs& args) {
  if (args.program.empty()) {
    if (target.model.empty()) throw Error(ErrorKind::InvalidArgument, "eval: give --model (or a compiled --program)");
    target.data = eval_data(target.model, target.data);
    return exec::compile_model({.model = target.model,
                                .dataset = target.data,
                                .arch = args.arch,
                                .overrides = args.overrides,
                                .calibration_samples = args.calibration,
                                .threads = target.threads,
                                .calibration_data = args.calibration_data,
                                .dims = {},
                                .progress = target.progress});
  }
  if (!args.calibration_data.empty())
    throw Error(ErrorKind::InvalidArgument, "--calibration-data: a compiled --program is already calibrated");
  exec::CompiledModel compiled;
  compiled.program = compiler::read_program(args.program);
  target.data = eval_data(target.model.empty() ? compiled.program.model.name : target.model, target.data);
  compiled.graph = program_graph(args.program, compiled.program, target.model);
  return compiled;
}

exec::RaceitEvalOptions eval_options(const EvalTarget& target, const RaceitEvalArgs& args, std::string& device_path) {
  exec::RaceitEvalOptions options;
  options.dataset = target.data;
  options.labels = target.labels;
  options.lm = target.lm;
  options.limit = target.limit;
  options.mode = device::parse_noise_mode(args.mode);
  options.seeds = args.seeds;
  options.base_seed = args.seed;
  options.device = device_of(args, device_path);
  options.exec.threads = target.threads;
  options.error_samples = args.error_samples;
  options.progress = target.progress;
  return options;
}

nlohmann::json operators_json(const compiler::Program& program, const exec::RaceitEvaluation& r) {
  const bool noisy = !r.seeds.empty();
  nlohmann::json ops = nlohmann::json::array();
  for (const auto& e : r.ops) {
    const auto& op = program.ops[e.node];
    nlohmann::json events = nlohmann::json::object();
    for (const auto& [name, count] : r.events[e.node].fields())
      if (count) events[std::string(name)] = count;
    nlohmann::json o = {{"index", e.node}, {"node", op.node}, {"op", model::to_string(op.op)},
                        {"engine", compiler::to_string(op.engine())}, {"note", op.note}, {"compared", e.compared},
                        {"events_per_sample", events}};
    if (e.compared) {
      o["ideal"] = stats_json(e.ideal);
      if (noisy) o["noisy"] = stats_json(e.noisy);
    }
    ops.push_back(std::move(o));
  }
  return ops;
}

nlohmann::json outputs_json(const exec::RaceitEvaluation& r) {
  nlohmann::json fidelity = nlohmann::json::array();
  for (const auto& f : r.fidelity) {
    nlohmann::json o = fidelity_json(f.mean);
    o["output"] = f.output;
    o["shape"] = f.shape;
    o["ideal"] = fidelity_json(f.ideal);
    if (!r.seeds.empty()) {
      o["std"] = fidelity_json(f.std);
      nlohmann::json per_seed = nlohmann::json::array();
      for (const auto& s : f.noisy) per_seed.push_back(fidelity_json(s));
      o["per_seed"] = per_seed;
    }
    fidelity.push_back(std::move(o));
  }
  return fidelity;
}

void print_eval_json(const EvalTarget& target, const RaceitEvalArgs& args, const compiler::Program& program,
                     const exec::RaceitEvalOptions& options, const std::string& device_path,
                     const exec::RaceitEvaluation& r) {
  nlohmann::json config = nlohmann::json::object();
  for (const auto& c : program.config) config[c.key] = {{"value", c.value}, {"source", c.source}};
  nlohmann::json out = {{"model", program.model.name},
                        {"dataset", target.data},
                        {"data_source", r.data_source},
                        {"n", r.n},
                        {"arch", program.arch_name},
                        {"mode", args.mode},
                        {"std_scale", options.device.std_scale},
                        {"stuck_probability", options.device.stuck_probability},
                        {"device", device_path},
                        {"seeds", r.seeds},
                        {"fidelity", outputs_json(r)},
                        {"error_samples", r.error_samples},
                        {"seconds", {{"fp32", r.seconds_fp32}, {"ideal", r.seconds_ideal}, {"noisy", r.seconds_noisy}}},
                        {"calibration", {{"dataset", program.calibration.dataset}, {"split", program.calibration.split},
                                         {"samples", program.calibration.samples}, {"method", program.calibration.method}}},
                        {"config", config},
                        {"ops", operators_json(program, r)},
                        {"provenance", provenance(invocation())}};
  if (r.has_accuracy) {
    out["labelled"] = r.labelled;
    add_score(out, "accuracy",
              {.fp32 = r.accuracy_fp32,
               .ideal = r.accuracy_ideal,
               .mean = r.accuracy_mean,
               .std = r.accuracy_std,
               .per_seed = r.accuracy_noisy});
  }
  if (r.has_perplexity)
    add_score(out, "perplexity",
              {.fp32 = r.perplexity_fp32,
               .ideal = r.perplexity_ideal,
               .mean = r.perplexity_mean,
               .std = r.perplexity_std,
               .per_seed = r.perplexity_noisy});
  std::cout << out.dump(2) << "\n";
}

// The header: what ran, its scores and times.
void print_eval_summary(const std::string& given_data, const EvalTarget& target, const RaceitEvalArgs& args,
                        const compiler::Program& program, const exec::RaceitEvalOptions& options,
                        const exec::RaceitEvaluation& r) {
  const bool noisy = !r.seeds.empty();
  const std::string calibration =
      program.calibration.samples > 0
          ? fmt::format("calibrated on {} {} samples of {}", program.calibration.samples, program.calibration.split,
                        program.calibration.dataset)
          : fmt::format("no calibration data: nominal ranges ±{}", program.config_value("mapping.nominal_range"));
  std::cout << fmt::format("{} on {} through RACE-IT ({}; {}): {} samples\ndata: {}\n", program.model.name, target.data,
                           program.arch_name, calibration, r.n, data_line(given_data, target.data, r.data_source));
  const std::string seeds =
      noisy ? fmt::format(" (seeds {}…{}, std_scale {:g}, stuck {:g})", r.seeds.front(), r.seeds.back(),
                          options.device.std_scale, options.device.stuck_probability)
            : "";
  if (r.has_accuracy)
    std::cout << score_line("accuracy",
                            {.fp32 = r.accuracy_fp32,
                             .ideal = r.accuracy_ideal,
                             .mean = r.accuracy_mean,
                             .std = r.accuracy_std,
                             .per_seed = r.accuracy_noisy},
                            args.mode, seeds)
              << fmt::format("   ({} labels)\n", r.labelled);
  if (r.has_perplexity)
    std::cout << score_line("perplexity",
                            {.fp32 = r.perplexity_fp32,
                             .ideal = r.perplexity_ideal,
                             .mean = r.perplexity_mean,
                             .std = r.perplexity_std,
                             .per_seed = r.perplexity_noisy},
                            args.mode, seeds)
              << "\n";
  std::cout << fmt::format("time        fp32 {:.2f} s, ideal {:.2f} s{}\n\n", r.seconds_fp32, r.seconds_ideal,
                           noisy ? fmt::format(", {} {:.2f} s over {} seed(s)", args.mode, r.seconds_noisy, r.seeds.size()) : "");
}

void print_fidelity_table(const RaceitEvalArgs& args, const exec::RaceitEvaluation& r) {
  const bool noisy = !r.seeds.empty();
  std::vector<std::string> fidelity_header{"output", "shape", "ideal NMSE", "SNR dB", "cosine", "top-1"};
  if (noisy) fidelity_header.insert(fidelity_header.end(), {args.mode + " NMSE", "SNR dB", "cosine", "top-1"});
  std::vector<std::vector<std::string>> fidelity_rows;
  for (const auto& f : r.fidelity) {
    std::vector<std::string> row{f.output, to_string(f.shape), sci(f.ideal.nmse), db(f.ideal.snr_db),
                                 fmt::format("{:.6f}", f.ideal.cosine), top1(f.ideal.top1_agreement)};
    if (noisy)
      row.insert(row.end(), {sci(f.mean.nmse), db(f.mean.snr_db), fmt::format("{:.6f}", f.mean.cosine), top1(f.mean.top1_agreement)});
    fidelity_rows.push_back(std::move(row));
  }
  std::cout << fmt::format("fidelity of every output against FP32{} (top-1: argmax over the last axis agrees)\n",
                           noisy ? fmt::format(", {} mean over seeds", args.mode) : "");
  std::cout << format_table(fidelity_header, fidelity_rows, 2) << "\n";
}

void print_operator_table(const RaceitEvalArgs& args, const compiler::Program& program, const exec::RaceitEvaluation& r) {
  const bool noisy = !r.seeds.empty();
  std::vector<std::string> header{"#", "node", "op", "engine", "ideal NMSE", "SNR dB", "max|err|"};
  if (noisy) header.insert(header.end(), {args.mode + " NMSE", "SNR dB", "max|err|"});
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : r.ops) {
    const auto& op = program.ops[e.node];
    std::vector<std::string> row{std::to_string(e.node), op.node, model::to_string(op.op), compiler::to_string(op.engine())};
    if (!e.compared) {
      row.push_back(op.engine() == compiler::Engine::Folded ? "(folded)" : "(carries a folded or fused op)");
    } else {
      row.insert(row.end(), {sci(e.ideal.nmse), db(e.ideal.snr_db), fmt::format("{:.3g}", e.ideal.max_abs)});
      if (noisy) row.insert(row.end(), {sci(e.noisy.nmse), db(e.noisy.snr_db), fmt::format("{:.3g}", e.noisy.max_abs)});
    }
    rows.push_back(std::move(row));
  }
  std::cout << fmt::format("operator error against FP32 at each operator's output (first {} samples; errors accumulate "
                           "through the network)\n",
                           r.error_samples);
  std::cout << format_table(header, rows, 4);
}

}  // namespace

std::string eval_data(const std::string& model, const std::string& data) {
  if (!data.empty()) return data;
  std::string dataset = exec::default_dataset(model);
  if (dataset.empty())
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("eval: '{}' has no built-in data set: pass --data with a data set ({}) or your own FILE.npy "
                            "or SPEC.yaml",
                            model, fmt::join(model::dataset_names(), ", ")));
  return dataset;
}

std::string data_line(const std::string& given_data, const std::string& data, const std::string& source) {
  return given_data.empty() ? fmt::format("{} (the model's data set; --data chooses another): {}", data, source) : source;
}

void run_raceit_eval(const EvalTarget& given, const RaceitEvalArgs& args) {
  EvalTarget target = given;
  const exec::CompiledModel compiled = load_or_compile(target, args);
  const compiler::Program& program = compiled.program;
  std::string device_path;
  const exec::RaceitEvalOptions options = eval_options(target, args, device_path);
  const auto r = exec::evaluate_raceit(program, compiled.graph, options);
  if (target.json) {
    print_eval_json(target, args, program, options, device_path, r);
    return;
  }
  print_eval_summary(given.data, target, args, program, options, r);
  print_fidelity_table(args, r);
  print_operator_table(args, program, r);
}

void run_raceit_infer(const std::string& model, const std::vector<std::string>& inputs, const std::string& output,
                      int threads, const RaceitEvalArgs& args) {
  const compiler::Program program = compiler::read_program(args.program);
  const model::Graph graph = program_graph(args.program, program, model);
  const auto tensors = read_input_arguments(graph, inputs);
  std::string device_path;
  const exec::RunOptions options{.mode = device::parse_noise_mode(args.mode),
                                 .seed = args.seed,
                                 .device = device_of(args, device_path),
                                 .exec = {.threads = threads}};
  const auto executor =
      with_context(args.program, [&] { return std::make_unique<exec::RaceitExecutor>(program, graph, options); });
  write_outputs(graph, run_on_input_files(inputs, [&] { return executor->run(tensors); }), output);
}

}  // namespace raceit::cli

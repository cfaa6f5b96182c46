#include "raceit_eval.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iostream>

#include "output.hpp"
#include "raceit/compiler/program_io.hpp"
#include "raceit/core/error.hpp"
#include "raceit/device/rram.hpp"
#include "raceit/exec/compile.hpp"
#include "raceit/exec/raceit_evaluate.hpp"

namespace raceit::cli {

namespace {

std::string sci(double v) { return std::isinf(v) ? "inf" : fmt::format("{:.3e}", v); }
std::string db(double v) { return std::isinf(v) ? "exact" : fmt::format("{:.1f}", v); }

nlohmann::json stats_json(const ErrorStats& s) { return {{"nmse", s.nmse}, {"snr_db", s.snr_db}, {"max_abs", s.max_abs}}; }

}  // namespace

void add_raceit_eval_options(CLI::App* eval, const std::shared_ptr<RaceitEvalArgs>& args) {
  eval->add_option("--arch", args->arch, "Architecture preset or file to compile for (without --fp32)")->capture_default_str();
  eval->add_option("--program", args->program, "Evaluate this compiled program instead of compiling now");
  eval->add_option("--set", args->overrides, "Override an architecture or mapping key, KEY=VALUE (repeatable)");
  eval->add_option("--calibration", args->calibration, "Calibration samples from the training split")
      ->check(CLI::Range(std::int64_t{1}, kMaxSamples))->capture_default_str();
  eval->add_option("--mode", args->mode, "Noisy runs: ideal (none), frozen or per_read")->capture_default_str();
  eval->add_option("--seeds", args->seeds, "Noisy runs, seeds SEED, SEED+1, …")
      ->check(CLI::Range(1, kMaxSeeds))->capture_default_str();
  eval->add_option("--seed", args->seed, "First seed")->capture_default_str();
  eval->add_option("--std-scale", args->std_scale, "Multiply every noise sigma (default: the device preset's)")
      ->check(CLI::Range(0.0, 100.0));
  eval->add_option("--stuck", args->stuck, "Stuck-cell probability (default: the device preset's)")
      ->check(CLI::Range(0.0, 1.0));
  eval->add_option("--device", args->device, "Device preset (default: configs/devices/taox.yaml)");
  eval->add_option("--error-samples", args->error_samples, "Per-operator errors over the first N samples")
      ->check(CLI::Range(std::int64_t{0}, kMaxSamples))->capture_default_str();
}

void run_raceit_eval(const std::string& model, const std::string& dataset, std::int64_t limit, int threads, bool json,
                     const RaceitEvalArgs& args) {
  exec::CompiledModel compiled;
  if (args.program.empty()) {
    compiled = exec::compile_model({.model = model,
                                         .dataset = dataset,
                                         .arch = args.arch,
                                         .overrides = args.overrides,
                                         .calibration_samples = args.calibration,
                                         .threads = threads});
  } else {
    compiled.program = compiler::read_program(args.program);
    if (compiled.program.model.name != model)
      throw Error(ErrorKind::InvalidArgument, fmt::format("{} was compiled for model '{}', not '{}'", args.program,
                                                          compiled.program.model.name, model));
    compiled.graph = exec::task_graph(compiled.program.model.name, compiled.program.model.dataset);
  }
  const compiler::Program& program = compiled.program;
  exec::RaceitEvalOptions options;
  options.dataset = dataset;
  options.limit = limit;
  options.mode = device::parse_noise_mode(args.mode);
  options.seeds = args.seeds;
  options.base_seed = args.seed;
  const std::string device_path = args.device.empty() ? device::default_device_preset_path() : args.device;
  options.device = device::load_device_preset(device_path);
  if (args.std_scale >= 0) options.device.std_scale = args.std_scale;
  if (args.stuck >= 0) options.device.stuck_probability = args.stuck;
  options.exec.threads = threads;
  options.error_samples = args.error_samples;
  const auto r = exec::evaluate_raceit(program, compiled.graph, options);

  if (json) {
    nlohmann::json ops = nlohmann::json::array();
    for (const auto& e : r.ops) {
      const auto& op = program.ops[e.node];
      nlohmann::json events = nlohmann::json::object();
      for (const auto& [name, count] : r.events[e.node].fields())
        if (count) events[std::string(name)] = count;
      nlohmann::json o = {{"index", e.node}, {"node", op.node}, {"op", model::to_string(op.op)},
                          {"engine", compiler::to_string(op.engine)}, {"note", op.note}, {"compared", e.compared},
                          {"events_per_sample", events}};
      if (e.compared) {
        o["ideal"] = stats_json(e.ideal);
        if (!r.seeds.empty()) o["noisy"] = stats_json(e.noisy);
      }
      ops.push_back(std::move(o));
    }
    nlohmann::json config = nlohmann::json::object();
    for (const auto& c : program.config) config[c.key] = {{"value", c.value}, {"source", c.source}};
    const nlohmann::json out = {{"model", program.model.name},
                                {"dataset", dataset},
                                {"data_source", r.data_source},
                                {"n", r.n},
                                {"arch", program.arch_name},
                                {"mode", args.mode},
                                {"std_scale", options.device.std_scale},
                                {"stuck_probability", options.device.stuck_probability},
                                {"device", device_path},
                                {"accuracy_fp32", r.accuracy_fp32},
                                {"accuracy_ideal", r.accuracy_ideal},
                                {"accuracy_mean", r.accuracy_mean},
                                {"accuracy_std", r.accuracy_std},
                                {"accuracy_per_seed", r.accuracy_noisy},
                                {"seeds", r.seeds},
                                {"error_samples", r.error_samples},
                                {"seconds", {{"fp32", r.seconds_fp32}, {"ideal", r.seconds_ideal}, {"noisy", r.seconds_noisy}}},
                                {"calibration", {{"dataset", program.calibration.dataset}, {"split", program.calibration.split},
                                                 {"samples", program.calibration.samples}, {"method", program.calibration.method}}},
                                {"config", config},
                                {"ops", ops},
                                {"provenance", provenance(invocation())}};
    std::cout << out.dump(2) << "\n";
    return;
  }
  const bool noisy = !r.seeds.empty();
  std::cout << fmt::format("{} on {} through RACE-IT ({}; calibrated on {} {} samples): {} test samples\n", program.model.name,
                           dataset, program.arch_name, program.calibration.samples, program.calibration.split, r.n);
  std::cout << fmt::format("accuracy  fp32 {:.4f}   ideal {:.4f}", r.accuracy_fp32, r.accuracy_ideal);
  if (noisy)
    std::cout << fmt::format("   {} {:.4f} ± {:.4f} (seeds {}…{}, std_scale {:g}, stuck {:g})", args.mode, r.accuracy_mean,
                             r.accuracy_std, r.seeds.front(), r.seeds.back(), options.device.std_scale,
                             options.device.stuck_probability);
  std::cout << fmt::format("\ntime      fp32 {:.2f} s, ideal {:.2f} s{}\n\n", r.seconds_fp32, r.seconds_ideal,
                           noisy ? fmt::format(", {} {:.2f} s over {} seed(s)", args.mode, r.seconds_noisy, r.seeds.size()) : "");
  std::vector<std::string> header{"#", "node", "op", "engine", "ideal NMSE", "SNR dB", "max|err|"};
  if (noisy) header.insert(header.end(), {args.mode + " NMSE", "SNR dB", "max|err|"});
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : r.ops) {
    const auto& op = program.ops[e.node];
    std::vector<std::string> row{std::to_string(e.node), op.node, model::to_string(op.op), compiler::to_string(op.engine)};
    if (!e.compared) {
      row.push_back(op.engine == compiler::Engine::Folded ? "(folded)" : "(carries a folded or fused op)");
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

}  // namespace raceit::cli

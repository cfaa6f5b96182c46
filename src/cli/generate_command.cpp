// `raceit generate`: greedy generation with a shipped causal language model, on the FP32 executor
// and through RACE-IT, both with a KV cache (exec/generate.hpp), side by side.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>

#include "output.hpp"
#include "progress.hpp"
#include "raceit_eval.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/npy.hpp"
#include "raceit/exec/compile.hpp"
#include "raceit/exec/generate.hpp"
#include "raceit/model/architectures.hpp"

namespace raceit::cli {

namespace {

struct GenerateArgs {
  std::string model, prompt, ids;
  std::int64_t tokens = 0;
  int threads = 0;
  bool json = false, quiet = false;
};

// The prompt's token ids: --prompt through the model's tokenizer, or --ids, int64 [T] or [1, T].
std::vector<std::int64_t> prompt_ids(const GenerateArgs& a, const model::CausalLm& lm) {
  if (a.prompt.empty() == a.ids.empty())
    throw Error(ErrorKind::InvalidArgument, "generate: give the prompt as --prompt TEXT or as --ids FILE.npy (one of them)");
  if (!a.prompt.empty()) return model::CharTokenizer::encode_prompt(a.prompt);
  const Tensor t = read_npy(a.ids);
  if (t.dtype() != DType::Int64 || t.rank() < 1 || t.rank() > 2 || (t.rank() == 2 && t.dim(0) != 1) || t.size() < 1)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("{}: token ids must be int64 [T] or [1, T] with T ≥ 1, got {}{}", a.ids, to_string(t.dtype()),
                            to_string(t.shape())));
  const auto v = t.ints();
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] < 0 || v[i] >= lm.vocab())
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("{}: token id {} at position {} is outside the vocabulary of {} ({})", a.ids, v[i], i, lm.vocab(), lm.name));
  return {v.begin(), v.end()};
}

void check_generative(const std::string& model) {
  if (model::is_causal_lm(model)) return;
  const auto built_ins = model::architecture_names();
  const bool built_in = std::find(built_ins.begin(), built_ins.end(), model) != built_ins.end();
  throw Error(ErrorKind::InvalidArgument,
              fmt::format("generate: '{}' is not a trained causal language model with a tokenizer (shipped: {}){}", model,
                          fmt::join(model::causal_lm_names(), ", "),
                          built_in ? "; a built-in architecture has no weights: its generation cost is "
                                     "'raceit ppa --model M --prefill L --decode N'"
                                   : ""));
}

struct Continuation {
  std::vector<std::int64_t> ids;
  double seconds = 0;
};

Continuation timed(const std::function<std::vector<std::int64_t>()>& run) {
  const auto start = std::chrono::steady_clock::now();
  Continuation c;
  c.ids = run();
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return c;
}

std::optional<std::size_t> first_divergence(const std::vector<std::int64_t>& a, const std::vector<std::int64_t>& b) {
  for (std::size_t k = 0; k < a.size() && k < b.size(); ++k)
    if (a[k] != b[k]) return k;
  return std::nullopt;
}

// Both continuations of one prompt, and how they compare.
struct Generation {
  model::CausalLm lm;
  std::vector<std::int64_t> prompt;
  compiler::Program program;
  Continuation fp32, analog;
  std::optional<std::size_t> divergence;
  std::int64_t agree = 0, kv_bytes = 0;
};

void print_json(const Generation& g, const GenerateArgs& args, const RaceitEvalArgs& device) {
  auto continuation = [](const Continuation& c) {
    return nlohmann::json{{"ids", c.ids}, {"text", model::CharTokenizer::decode(c.ids)}, {"seconds", c.seconds}};
  };
  const nlohmann::json out = {{"model", g.lm.name}, {"arch", g.program.arch_name}, {"mode", device.mode}, {"seed", device.seed},
                              {"calibration", {{"dataset", g.program.calibration.dataset}, {"samples", g.program.calibration.samples}}},
                              {"prompt", model::CharTokenizer::decode(g.prompt)}, {"prompt_ids", g.prompt}, {"tokens", args.tokens},
                              {"fp32", continuation(g.fp32)}, {"raceit", continuation(g.analog)},
                              {"first_divergence", g.divergence ? nlohmann::json(*g.divergence) : nlohmann::json(nullptr)},
                              {"agreement", static_cast<double>(g.agree) / static_cast<double>(args.tokens)},
                              {"kv_cache_bytes", g.kv_bytes}, {"provenance", provenance(invocation())}};
  std::cout << out.dump(2) << "\n";
}

void print_text(const Generation& g, const GenerateArgs& args, const RaceitEvalArgs& device) {
  const auto& p = g.program;
  const auto length = static_cast<std::int64_t>(g.prompt.size());
  const std::string text = model::CharTokenizer::decode(g.prompt);
  const std::string label = fmt::format("{} {}", p.arch_name, device.mode);
  const std::size_t width = std::max<std::size_t>(label.size(), 6) + 2;
  std::cout << fmt::format("{} through RACE-IT ({}, {} mode, seed {}; calibrated on {} {} samples of {}): {}-token prompt, "
                           "{} tokens, greedy, KV cache of {} tokens ({:.1f} KiB)\n",
                           g.lm.name, p.arch_name, device.mode, device.seed, p.calibration.samples, p.calibration.split,
                           p.calibration.dataset, length, args.tokens, length + args.tokens - 1, g.kv_bytes / 1024.0);
  std::cout << fmt::format("{:<{}}{}\n", "prompt", width, text);
  std::cout << fmt::format("{:<{}}{}{}\n", "fp32", width, text, model::CharTokenizer::decode(g.fp32.ids));
  std::cout << fmt::format("{:<{}}{}{}\n", label, width, text, model::CharTokenizer::decode(g.analog.ids));
  if (g.divergence)
    std::cout << fmt::format("{:<{}}{}^ first divergence at generated token {} ({} of {} tokens agree)\n", "", width,
                             std::string(static_cast<std::size_t>(length) + *g.divergence, ' '), *g.divergence, g.agree,
                             args.tokens);
  else
    std::cout << fmt::format("{:<{}}all {} tokens agree\n", "", width, args.tokens);
  std::cout << fmt::format("time     fp32 {:.2f} s, {} {:.2f} s\n", g.fp32.seconds, device.mode, g.analog.seconds);
}

// Checks the request, compiles the model, generates on FP32 and through RACE-IT, prints both.
void run_generate(const GenerateArgs& args, const RaceitEvalArgs& device) {
  check_generative(args.model);
  Generation g{.lm = model::load_causal_lm(args.model),
               .prompt = {},
               .program = {},
               .fp32 = {},
               .analog = {},
               .divergence = std::nullopt,
               .agree = 0,
               .kv_bytes = 0};
  g.prompt = prompt_ids(args, g.lm);
  if (g.prompt.empty()) throw Error(ErrorKind::InvalidArgument, "generate: the prompt has no tokens (only whitespace?)");
  const auto length = static_cast<std::int64_t>(g.prompt.size());
  if (length + args.tokens - 1 > g.lm.context())
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("generate: a {}-token prompt and {} new tokens need {} positions; {} has a context of {}", length,
                            args.tokens, length + args.tokens - 1, g.lm.name, g.lm.context()));
  const ProgressFn progress = progress_reporter(args.quiet);
  const auto mode = device::parse_noise_mode(device.mode);
  exec::CompiledModel compiled = exec::compile_model({.model = args.model,
                                                      .dataset = "",
                                                      .arch = device.arch,
                                                      .overrides = device.overrides,
                                                      .calibration_samples = device.calibration,
                                                      .threads = args.threads,
                                                      .sequence_length = 0,
                                                      .calibration_data = "",
                                                      .dims = {},
                                                      .progress = progress,
                                                      .past_tokens = 0});
  const exec::RunOptions run{.mode = mode, .seed = device.seed, .device = device_model(device), .exec = {.threads = args.threads}};
  const exec::RaceitExecutor executor(compiled.program, compiled.graph, run);
  g.fp32 = timed([&] { return exec::generate_greedy(g.lm, exec::fp32_runner(run.exec), g.prompt, args.tokens, progress, "fp32"); });
  g.analog = timed([&] { return exec::generate_greedy(g.lm, exec::raceit_runner(executor), g.prompt, args.tokens, progress, device.mode); });
  g.divergence = first_divergence(g.fp32.ids, g.analog.ids);
  for (std::size_t k = 0; k < g.fp32.ids.size(); ++k) g.agree += g.fp32.ids[k] == g.analog.ids[k];
  g.kv_bytes = 2 * g.lm.layers() * g.lm.config.kv_heads * g.lm.config.head_dim * 4 * (length + args.tokens - 1);
  g.program = std::move(compiled.program);
  if (args.json) print_json(g, args, device);
  else print_text(g, args, device);
}

}  // namespace

void register_generate_command(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  auto device = std::make_shared<RaceitEvalArgs>();
  auto* generate = app.add_subcommand(
      "generate", "Greedy generation with a trained causal language model (char-lm): the FP32 and the RACE-IT "
                  "continuations of a prompt side by side, each token one decode step over a KV cache");
  generate->add_option("--model", args->model, "Trained causal language model (char-lm)")->required();
  generate->add_option("--prompt", args->prompt, "Prompt text (the model's tokenizer: printable ASCII and whitespace)");
  generate->add_option("--ids", args->ids, "Prompt as token ids, int64 .npy [T] or [1, T]");
  generate->add_option("--tokens", args->tokens, "Tokens to generate")
      ->required()->check(CLI::Range(std::int64_t{1}, kMaxSequence));
  generate->add_option("--arch", device->arch, "Architecture preset or file")->capture_default_str();
  generate->add_option("--set", device->overrides, "Override an architecture or mapping key, KEY=VALUE (repeatable)");
  generate->add_option("--calibration", device->calibration, "Calibration samples from the training split")
      ->check(CLI::Range(std::int64_t{1}, kMaxSamples))->capture_default_str();
  add_device_options(generate, device, "Device noise of the RACE-IT run: ideal (none), frozen or per_read");
  generate->add_option("--threads", args->threads, "Worker threads (default: RACEIT_THREADS or all cores)")
      ->check(CLI::Range(0, kMaxThreads));
  generate->add_flag("--json", args->json, "Print JSON");
  add_quiet_flag(generate, args->quiet);
  generate->callback([args, device] { run_generate(*args, *device); });
}

}  // namespace raceit::cli

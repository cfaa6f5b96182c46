// `raceit ppa` and `raceit compare`: latency, throughput, energy, power and
// area of a model on one architecture, or on several side by side with ratios
// against the first.
#include <fmt/format.h>

#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "data_options.hpp"
#include "output.hpp"
#include "progress.hpp"
#include "raceit/core/error.hpp"
#include "raceit/compiler/options.hpp"
#include "raceit/core/file_io.hpp"
#include "raceit/report/generation.hpp"
#include "raceit/report/html.hpp"
#include "raceit/report/ppa.hpp"
#include "raceit/report/sensitivity.hpp"

namespace raceit::cli {

namespace {

struct CostArgs {
  std::string model;
  DataOptions data;
  std::int64_t sequence_length = 0;
  std::int64_t batch = 1;
  std::int64_t calibration = 64;
  int threads = 0;
  std::string precision = "int8";
  bool json = false;
  std::int64_t prefill = 0, decode = 0;  // generation (report/generation.hpp) when either is given
};

const char* kModelHelp =
    "Built-in architecture (bert-base, bert-large, vit-b16, gpt2, "
    "llama-3.2-1b, llama-3.2-3b: shapes only, costed "
    "with nominal activation ranges) or a shipped/ONNX model (calibrated on "
    "--data, or its own data set; without either, nominal ranges)";

void add_common_options(CLI::App* cmd, CostArgs& a) {
  cmd->add_option("--model", a.model, kModelHelp)->required();
  cmd->add_option("--seq", a.sequence_length, "Without data: tokens per sample (dynamic dimensions after the batch; default 128)")
      ->check(CLI::Range(std::int64_t{1}, kMaxSequence));
  cmd->add_option("--batch", a.batch,
                  "Samples per batch (pipelined through an IMC chip; one GPU "
                  "launch sequence)")
      ->check(CLI::Range(std::int64_t{1}, kMaxSamples))->capture_default_str();
  add_data_options(cmd, a.data);
  cmd->add_option("--calibration", a.calibration, "Calibration samples of a model with weights")
      ->check(CLI::Range(std::int64_t{1}, kMaxSamples))->capture_default_str();
  cmd->add_option("--gpu-precision", a.precision, "GPU arithmetic: int8 (TensorRT INT8), fp16, bf16 or fp32 (TF32 matmuls)")
      ->capture_default_str()
      ->check(CLI::IsMember({"int8", "fp16"}));
  cmd->add_option("--threads", a.threads, "Worker threads for calibration (default: RACEIT_THREADS or all cores)")
      ->check(CLI::Range(0, kMaxThreads));
  cmd->add_flag("--json", a.json, "Print JSON with provenance");
}

void add_generation_options(CLI::App* cmd, CostArgs& a) {
  cmd->add_option("--prefill", a.prefill,
                  "Generation (built-in decoders): prompt tokens read in one forward pass before decoding (default "
                  "128 when --decode is given)")
      ->check(CLI::Range(std::int64_t{1}, kMaxSequence));
  cmd->add_option("--decode", a.decode,
                  "Generation: tokens generated one at a time with a KV cache; reports time to first token, latency "
                  "and energy per token, tokens/s for one and --batch sequences in flight, the KV cache and a "
                  "per-token curve (default 128 when --prefill is given)")
      ->check(CLI::Range(std::int64_t{1}, kMaxSequence));
}

bool generating(const CostArgs& a) { return a.prefill > 0 || a.decode > 0; }

report::GenerationRequest generation_request(const CostArgs& a) {
  if (a.sequence_length > 0)
    throw Error(ErrorKind::InvalidArgument, "--seq and --prefill/--decode: the prompt's length is --prefill");
  return {.prefill = a.prefill > 0 ? a.prefill : 128, .decode = a.decode > 0 ? a.decode : 128, .batch = a.batch};
}

report::CostStudy::Options study_options(const CostArgs& a) {
  report::CostStudy::Options o;
  o.dataset = a.data.data;
  o.calibration_data = a.data.calibration_data;
  o.dims = parse_dims(a.data.dims);
  o.sequence_length = a.sequence_length;
  o.calibration_samples = a.calibration;
  o.threads = a.threads;
  o.progress = progress_reporter(a.data.quiet);
  o.gpu_precision = perf::parse_gpu_precision(a.precision);
  return o;
}

report::CostStudy study_of(const CostArgs& a) { return report::CostStudy(a.model, study_options(a)); }

void print(const nlohmann::json& result, const std::string& text, bool json) {
  if (json) {
    nlohmann::json j = result;
    j["provenance"] = provenance(invocation());
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << text;
  }
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) items.push_back(item);
  return items;
}

// `raceit sensitivity`: each key varied alone (report/sensitivity.hpp).
void register_sensitivity_command(CLI::App& app) {
  struct SensitivityArgs {
    CostArgs cost;
    std::string arch = "raceit", vs, html;
    std::vector<std::string> overrides, vary;
  };
  auto args = std::make_shared<SensitivityArgs>();
  auto* cmd = app.add_subcommand(
      "sensitivity",
      "How each configuration key, varied alone, moves latency, energy and the ratios against another design, ranked "
      "by the larger of its latency and energy range. Default: every key the cost model lists among its assumptions, "
      "halved and doubled (each other choice for a word); --html draws the tornado charts");
  add_common_options(cmd, args->cost);
  cmd->add_option("--arch", args->arch, "Architecture preset or file")->capture_default_str();
  cmd->add_option("--vs", args->vs, "Design to give the ratios against (speed-up, energy gain)");
  cmd->add_option("--set", args->overrides, "Override a key of the base design, KEY=VALUE (repeatable)");
  cmd->add_option("--vary", args->vary, "Vary only this key over these values, KEY=v1,v2,… (repeatable)");
  cmd->add_option("--html", args->html, "Also write the tornado charts as a self-contained HTML page");
  cmd->callback([args] {
    std::vector<report::VaryKey> vary;
    for (const std::string& v : args->vary) {
      const auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0)
        throw Error(ErrorKind::InvalidArgument, fmt::format("--vary '{}': expected KEY=v1,v2,…", v));
      vary.push_back({.key = v.substr(0, eq), .values = split_list(v.substr(eq + 1))});
    }
    const report::CostStudy study = study_of(args->cost);
    const report::Sensitivity s =
        report::sensitivity(study, args->arch, args->overrides, args->cost.batch, args->vs, std::move(vary));
    if (!args->html.empty()) write_file_atomic(args->html, report::sensitivity_html(s));
    if (args->cost.json) {
      nlohmann::json j = report::to_json(s);
      j["provenance"] = provenance(invocation());
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << report::to_text(s);
    }
  });
}

void register_ppa_command(CLI::App& app) {
  struct PpaArgs {
    CostArgs cost;
    std::string arch = "raceit";
    std::vector<std::string> overrides;
    std::string html;
  };
  auto args = std::make_shared<PpaArgs>();
  auto* ppa = app.add_subcommand("ppa",
                                 "Performance, power and area of a model on one architecture: an IMC "
                                 "design compiles the model and runs "
                                 "its events through the layer-pipelined cost model; a GPU gets a "
                                 "per-operator roofline. Latency is per "
                                 "batch, energy per inference; --json keys: latency_s, "
                                 "throughput_inf_per_s, energy_j, power_w, "
                                 "area_mm2, chips, system_chips, pipeline_copies, gpu_mode, breakdown {by_component, by_layer, by_op, stages}, assumptions "
                                 "{key, value, source}, notes");
  add_common_options(ppa, args->cost);
  add_generation_options(ppa, args->cost);
  ppa->add_option("--arch", args->arch, "Architecture preset or file (raceit arch list)")->capture_default_str();
  ppa->add_option("--set", args->overrides,
                  "Override an architecture or mapping key, KEY=VALUE (repeatable; "
                  "'raceit params' lists the keys)");
  ppa->add_option("--html", args->html,
                  "Also write a self-contained HTML page with SVG charts of the breakdowns (energy and area by "
                  "component, energy by layer, time per pipeline stage)");
  ppa->callback([args] {
    if (generating(args->cost)) {
      const report::Generation g = report::estimate_generation(args->cost.model, study_options(args->cost), args->arch,
                                                               args->overrides, generation_request(args->cost));
      print(report::to_json(g), report::to_text(g), args->cost.json);
      return;
    }
    const report::CostStudy study = study_of(args->cost);
    const report::Ppa r = study.estimate(args->arch, args->overrides, args->cost.batch);
    if (!args->html.empty()) {
      const arch::ArchSpec spec = compiler::load_arch(arch::arch_path(args->arch), args->overrides);
      write_file_atomic(args->html, report::ppa_html(report::figure_data(r, spec)));
    }
    if (args->cost.json) {
      nlohmann::json j = report::to_json(r);
      j["provenance"] = provenance(invocation());
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << report::to_text(r);
    }
  });
}

void register_compare_command(CLI::App& app) {
  struct CompareArgs {
    CostArgs cost;
    std::string archs = "raceit,raceit-nldpe,isaac,puma,retransformer,h100";
  };
  auto cargs = std::make_shared<CompareArgs>();
  auto* compare = app.add_subcommand("compare",
                                     "One model on several architectures side by side, with ratios "
                                     "against the first: speed-up "
                                     "(latency), throughput gain and energy ratio, each > 1 when "
                                     "the first is better");
  add_common_options(compare, cargs->cost);
  add_generation_options(compare, cargs->cost);
  compare->add_option("--archs", cargs->archs, "Comma-separated presets or files; the first is the reference")
      ->capture_default_str();
  compare->callback([cargs] {
    const auto archs = split_list(cargs->archs);
    if (archs.empty()) throw Error(ErrorKind::InvalidArgument, "--archs: give at least one architecture");
    if (generating(cargs->cost)) {
      std::vector<report::Generation> results;
      for (const auto& arch : archs)
        results.push_back(report::estimate_generation(cargs->cost.model, study_options(cargs->cost), arch, {},
                                                      generation_request(cargs->cost)));
      print(report::generation_comparison_json(results), report::generation_comparison_text(results), cargs->cost.json);
      return;
    }
    const report::CostStudy study = study_of(cargs->cost);
    std::vector<report::Ppa> results;
    for (const auto& arch : archs) results.push_back(study.estimate(arch, {}, cargs->cost.batch));
    if (cargs->cost.json) {
      nlohmann::json j = report::comparison_json(results);
      j["provenance"] = provenance(invocation());
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << report::comparison_text(results);
    }
  });
}

}  // namespace

void register_ppa_commands(CLI::App& app) {
  register_ppa_command(app);
  register_compare_command(app);
  register_sensitivity_command(app);
}

}  // namespace raceit::cli

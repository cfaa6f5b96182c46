// `raceit ppa` and `raceit compare`: latency, throughput, energy, power and
// area of a model on one architecture, or on several side by side with ratios
// against the first.
#include <fmt/format.h>

#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "output.hpp"
#include "raceit/core/error.hpp"
#include "raceit/report/ppa.hpp"

namespace raceit::cli {

namespace {

struct CostArgs {
  std::string model;
  std::string dataset;
  std::int64_t sequence_length = 0;
  std::int64_t batch = 1;
  std::int64_t calibration = 64;
  int threads = 0;
  std::string precision = "int8";
  bool json = false;
};

const char* kModelHelp =
    "Built-in architecture (bert-base, bert-large, vit-b16, gpt2, "
    "llama-3.2-1b, llama-3.2-3b: shapes only, costed "
    "with nominal activation ranges) or a shipped/ONNX model (compiled with "
    "calibration on its data set)";

void add_common_options(CLI::App* cmd, CostArgs& a) {
  cmd->add_option("--model", a.model, kModelHelp)->required();
  cmd->add_option("--seq", a.sequence_length, "Tokens per sample of a built-in text architecture (default 128)")
      ->check(CLI::Range(std::int64_t{1}, kMaxSequence));
  cmd->add_option("--batch", a.batch,
                  "Samples per batch (pipelined through an IMC chip; one GPU "
                  "launch sequence)")
      ->check(CLI::Range(std::int64_t{1}, kMaxSamples))->capture_default_str();
  cmd->add_option("--data", a.dataset,
                  "Calibration data set of a model with weights (default: the "
                  "one it was trained on)");
  cmd->add_option("--calibration", a.calibration, "Calibration samples of a model with weights")
      ->check(CLI::Range(std::int64_t{1}, kMaxSamples))->capture_default_str();
  cmd->add_option("--gpu-precision", a.precision, "GPU arithmetic: int8 (TensorRT INT8) or fp16")
      ->capture_default_str()
      ->check(CLI::IsMember({"int8", "fp16"}));
  cmd->add_option("--threads", a.threads, "Worker threads for calibration (default: RACEIT_THREADS or all cores)")
      ->check(CLI::Range(0, kMaxThreads));
  cmd->add_flag("--json", a.json, "Print JSON with provenance");
}

report::CostStudy study_of(const CostArgs& a) {
  report::CostStudy::Options o;
  o.dataset = a.dataset;
  o.sequence_length = a.sequence_length;
  o.calibration_samples = a.calibration;
  o.threads = a.threads;
  o.gpu_precision = perf::parse_gpu_precision(a.precision);
  return report::CostStudy(a.model, o);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) items.push_back(item);
  return items;
}

}  // namespace

void register_ppa_commands(CLI::App& app) {
  struct PpaArgs {
    CostArgs cost;
    std::string arch = "raceit";
    std::vector<std::string> overrides;
  };
  auto args = std::make_shared<PpaArgs>();
  auto* ppa = app.add_subcommand("ppa",
                                 "Performance, power and area of a model on one architecture: an IMC "
                                 "design compiles the model and runs "
                                 "its events through the layer-pipelined cost model; a GPU gets a "
                                 "per-operator roofline. Latency is per "
                                 "batch, energy per inference; --json keys: latency_s, "
                                 "throughput_inf_per_s, energy_j, power_w, "
                                 "area_mm2, chips, breakdown {by_component, by_layer, by_op, stages}, assumptions");
  add_common_options(ppa, args->cost);
  ppa->add_option("--arch", args->arch, "Architecture preset or file (raceit arch list)")->capture_default_str();
  ppa->add_option("--set", args->overrides,
                  "Override an architecture or mapping key, KEY=VALUE (repeatable; "
                  "'raceit params' lists the keys)");
  ppa->callback([args] {
    const report::CostStudy study = study_of(args->cost);
    const report::Ppa r = study.estimate(args->arch, args->overrides, args->cost.batch);
    if (args->cost.json) {
      nlohmann::json j = report::to_json(r);
      j["provenance"] = provenance(invocation());
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << report::to_text(r);
    }
  });

  struct CompareArgs {
    CostArgs cost;
    std::string archs = "raceit,isaac,puma,retransformer,h100";
  };
  auto cargs = std::make_shared<CompareArgs>();
  auto* compare = app.add_subcommand("compare",
                                     "One model on several architectures side by side, with ratios "
                                     "against the first: speed-up "
                                     "(latency), throughput gain and energy ratio, each > 1 when "
                                     "the first is better");
  add_common_options(compare, cargs->cost);
  compare->add_option("--archs", cargs->archs, "Comma-separated presets or files; the first is the reference")
      ->capture_default_str();
  compare->callback([cargs] {
    const auto archs = split_list(cargs->archs);
    if (archs.empty()) throw Error(ErrorKind::InvalidArgument, "--archs: give at least one architecture");
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

}  // namespace raceit::cli

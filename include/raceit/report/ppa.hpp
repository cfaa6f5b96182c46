#pragma once
// Performance, power and area of a model on an architecture (DESIGN §4, the
// cost half of the data flow): an in-memory-computing design runs the program
// the compiler makes for it through the layer-pipelined model
// (perf/pipeline.hpp); a GPU gets the roofline estimate of the graph
// (perf/gpu.hpp). One result type serves both, so designs compare side by side.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "raceit/compiler/program.hpp"
#include "raceit/exec/compile.hpp"
#include "raceit/model/datasets.hpp"
#include "raceit/model/graph.hpp"
#include "raceit/perf/gpu.hpp"
#include "raceit/perf/pipeline.hpp"

namespace raceit::report {

// The program's per-sample events, scaled to `batch` samples, as the pipeline
// model's workload: one demand per operator that computes (folded, fused and
// data-movement operators cost nothing of their own), with the crossbars its
// placement holds and the activation bits it produces.
perf::Workload workload_of(const compiler::Program& program, std::int64_t batch, std::int64_t tokens);

struct OpCost {
  std::string name, kind;  // node; engine (IMC) or operator type (GPU)
  int stage = -1;          // pipeline stage (IMC), -1 for a GPU
  double time = 0;         // s
  double energy = 0;       // J per batch (GPU: 0, its energy is not split per kernel)
  std::string bottleneck;  // busiest resource (IMC) or roofline bound (GPU)
};

struct Ppa {
  std::string model, arch, arch_path, kind;  // kind: "imc" | "gpu"
  std::string mode;  // GPU: its software and precision ("graph int8"); IMC: ""
  std::int64_t batch = 1, tokens = 1;
  double latency = 0;     // s, first input to last output of the batch
  double throughput = 0;  // inferences per second (pipelined for IMC)
  double energy = 0;      // J per inference
  double power = 0;       // W average while running
  double area = 0;        // m², all chips
  int chips = 1;          // chips one copy of the model occupies
  int system_chips = 1;   // chips in the system (IMC: mapping.chips, else `chips`)
  int copies = 1;         // copies of the model's pipeline on them, on independent inputs
  double link_energy = 0;      // J per inference crossing chip-to-chip links (IMC), included in energy
  double link_bits = 0;        // bits per inference over those links
  double programming_energy = 0;                  // J, once per model (IMC weight writes)
  std::string calibration;                        // how the program's ranges were set
  std::vector<perf::ComponentCost> by_component;  // J per inference
  std::vector<OpCost> by_op;
  std::vector<perf::StageReport> stages;  // IMC only
  // The configuration keys the figures depend on (each changes them when changed), and the
  // model's rules as applied (calibration, batch and tokens, pipeline or GPU software rules).
  std::vector<arch::Assumption> assumptions;
  std::vector<std::string> notes;
};

// A model prepared once for costing on several architectures (exec::load_for_compile: its graph,
// and a built-in's shapes or a trained model's calibration samples); each estimate compiles (IMC)
// or costs (GPU) it.
class CostStudy {
 public:
  struct Options {
    std::string dataset = {};          // calibration data set or user files ("" = the model's own, or none)
    std::string calibration_data = {}; // user files that calibrate instead ("" = the data set's train split)
    std::int64_t sequence_length = 0;  // shapes without data: dynamic dimensions after the batch (0 = 128)
    std::map<std::string, std::int64_t> dims = {};  // shapes without data: symbolic input dimensions by name
    std::int64_t calibration_samples = 64;
    int threads = 0;
    perf::GpuPrecision gpu_precision = perf::GpuPrecision::Int8;
    ProgressFn progress = {};          // calibration runs
    std::int64_t past_tokens = 0;      // built-in decoders: cost one decode step after this many cached
                                       // tokens (sequence_length new ones); report/generation.hpp
  };
  CostStudy(std::string model, Options options, model::DataPaths paths = model::default_data_paths());

  // `arch`: preset name or file; `overrides`: KEY=VALUE. Errors as compile_model and load_arch.
  Ppa estimate(const std::string& arch, const std::vector<std::string>& overrides, std::int64_t batch) const;
  // The same for a program already compiled for `spec` (sweeps re-price one program).
  Ppa estimate(const compiler::Program& program, const arch::ArchSpec& spec, std::int64_t batch) const;

  const model::Graph& graph() const { return model_.graph; }
  std::int64_t tokens() const { return tokens_; }
  // The program for an IMC architecture.
  compiler::Program compile(const arch::ArchSpec& spec) const;

 private:
  Ppa header(const arch::ArchSpec& spec, std::int64_t batch) const;  // what the result is of

  exec::LoadedModel model_;
  perf::GpuPrecision gpu_precision_;
  std::int64_t tokens_ = 1;
};

nlohmann::json to_json(const Ppa& ppa);
// Text report: headline figures, energy by component, time and energy by engine and layer,
// assumptions.
std::string to_text(const Ppa& ppa);

// Side by side, with ratios against the first: speedup = its latency / the
// first's, and likewise throughput_gain (first's throughput / its),
// energy_ratio (its energy / the first's).
nlohmann::json comparison_json(const std::vector<Ppa>& results);
std::string comparison_text(const std::vector<Ppa>& results);

}  // namespace raceit::report

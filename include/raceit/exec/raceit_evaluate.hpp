#pragma once
// A compiled program on a data set's test split or the user's own inputs: FP32, ideal
// (quantisation only) and noisy runs over seeds. For every graph output, the fidelity of RACE-IT's
// output against the FP32 executor's; with labels, accuracy; for a causal language model
// (options.lm), perplexity. Every operator's error against FP32 at its output (a NodeObserver on
// both runs) and its hardware events.
#include <cstdint>
#include <string>
#include <vector>

#include "raceit/compiler/program.hpp"
#include "raceit/core/metrics.hpp"
#include "raceit/exec/evaluate.hpp"
#include "raceit/exec/raceit_executor.hpp"

namespace raceit::exec {

struct RaceitEvalOptions {
  std::string dataset;               // registered data set or user files (model/dataset_registry.hpp)
  std::string labels = {};           // labels .npy for a user .npy ("" for none)
  bool lm = false;                   // causal language model: perplexity of the next token
  std::int64_t limit = 0;            // > 0: the first `limit` test samples
  device::NoiseMode mode = device::NoiseMode::Frozen;  // of the noisy runs; ideal: none
  int seeds = 1;                     // noisy runs use seeds base_seed … base_seed + seeds − 1
  std::uint64_t base_seed = 1;
  device::RramModel device = {};
  ExecOptions exec = {};
  std::int64_t error_samples = 64;   // per-operator errors over the first this many samples
  ProgressFn progress = {};          // samples done per run (stages fp32, ideal, <mode> seed S)
};

// How close an output is to the FP32 reference.
struct Fidelity {
  double nmse = 0;            // Σ(y − ref)² / Σ ref²
  double snr_db = 0;          // −10·log10(nmse); +∞ for an exact match
  double cosine = 0;          // y·ref / (|y|·|ref|), 1 when both are zero
  double top1_agreement = 0;  // fraction of positions whose argmax over the last axis agrees; NaN when
                              // the last axis has fewer than 2 entries
};

// Error(InvalidArgument) unless both are float tensors of one shape.
Fidelity output_fidelity(const Tensor& y, const Tensor& reference);

// exp(mean −log softmax(logits)[target]) over the positions (rows of the last axis) whose target
// is ≥ 0; `targets` has one entry per position. NaN when no target counts.
double perplexity(const Tensor& logits, const std::vector<std::int64_t>& targets);

struct OutputFidelity {
  std::string output;
  Shape shape;                  // of the whole batch
  Fidelity ideal;
  std::vector<Fidelity> noisy;  // per seed
  Fidelity mean, std;           // over the noisy seeds (the ideal fidelity and 0 without noisy runs)
};

struct OpError {
  std::size_t node = 0;
  ErrorStats ideal;        // the ideal run against FP32, at the node's output
  ErrorStats noisy;        // the noisy runs pooled over seeds (zero without noisy runs)
  bool compared = false;   // false: the output is not materialised (folded, or before a fused f)
};

struct RaceitEvaluation {
  std::string data_source;
  std::int64_t n = 0;                       // samples
  bool has_accuracy = false;                // labels given
  std::int64_t labelled = 0;                // labels that count (per sample, or per token)
  double accuracy_fp32 = 0, accuracy_ideal = 0;
  std::vector<std::uint64_t> seeds;         // of the noisy runs
  std::vector<double> accuracy_noisy;       // per seed
  double accuracy_mean = 0, accuracy_std = 0;  // over seeds (the ideal accuracy and 0 without noisy runs)
  std::vector<OutputFidelity> fidelity;     // float graph outputs, in order
  bool has_perplexity = false;              // options.lm
  double perplexity_fp32 = 0, perplexity_ideal = 0, perplexity_mean = 0, perplexity_std = 0;
  std::vector<double> perplexity_noisy;     // per seed
  std::vector<OpError> ops;                 // lowered operators with a float output, graph order
  std::vector<EventCounts> events;          // per operator and sample, measured in the ideal run
  std::int64_t error_samples = 0;
  double seconds_fp32 = 0, seconds_ideal = 0, seconds_noisy = 0;  // inference time, noisy summed over seeds
};

// `graph` is the program's model (compiler::check_model). Deterministic for any thread count.
RaceitEvaluation evaluate_raceit(const compiler::Program& program, const model::Graph& graph, const RaceitEvalOptions& options,
                                 const model::DataPaths& paths = model::default_data_paths());

}  // namespace raceit::exec

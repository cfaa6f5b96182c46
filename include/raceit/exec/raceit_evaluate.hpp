#pragma once
// Task accuracy of a compiled program on a data set's test split: FP32, ideal (quantisation
// only) and noisy over seeds, with every operator's error against the FP32 executor at its output
// (a NodeObserver on both runs) and its hardware events.
#include <cstdint>
#include <string>
#include <vector>

#include "raceit/compiler/program.hpp"
#include "raceit/core/metrics.hpp"
#include "raceit/exec/evaluate.hpp"
#include "raceit/exec/raceit_executor.hpp"

namespace raceit::exec {

struct RaceitEvalOptions {
  std::string dataset;
  std::int64_t limit = 0;            // > 0: the first `limit` test samples
  device::NoiseMode mode = device::NoiseMode::Frozen;  // of the noisy runs; ideal: none
  int seeds = 1;                     // noisy runs use seeds base_seed … base_seed + seeds − 1
  std::uint64_t base_seed = 1;
  device::RramModel device;
  ExecOptions exec;
  std::int64_t error_samples = 64;   // per-operator errors over the first this many samples
};

struct OpError {
  std::size_t node = 0;
  ErrorStats ideal;        // the ideal run against FP32, at the node's output
  ErrorStats noisy;        // the noisy runs pooled over seeds (zero without noisy runs)
  bool compared = false;   // false: the output is not materialised (folded, or before a fused f)
};

struct RaceitEvaluation {
  std::string data_source;
  std::int64_t n = 0;
  double accuracy_fp32 = 0, accuracy_ideal = 0;
  std::vector<std::uint64_t> seeds;         // of the noisy runs
  std::vector<double> accuracy_noisy;       // per seed
  double accuracy_mean = 0, accuracy_std = 0;  // over seeds (the ideal accuracy and 0 without noisy runs)
  std::vector<OpError> ops;                 // lowered operators with a float output, graph order
  std::vector<EventCounts> events;          // per operator and sample, measured in the ideal run
  std::int64_t error_samples = 0;
  double seconds_fp32 = 0, seconds_ideal = 0, seconds_noisy = 0;  // inference time, noisy summed over seeds
};

// `graph` is the program's model (compiler::check_model). Deterministic for any thread count.
RaceitEvaluation evaluate_raceit(const compiler::Program& program, const model::Graph& graph, const RaceitEvalOptions& options,
                                 const model::DataPaths& paths = model::default_data_paths());

}  // namespace raceit::exec

#pragma once
// Performance model of a weight-stationary, layer-pipelined IMC accelerator (ISAAC style).
//
// The workload is a list of operators in execution order, each with the hardware events it
// causes for one batch (the compiled program's event counts) and, for weight matmuls, the number
// of crossbar arrays its weights occupy. The model:
//   * Stages. Every operator with weights starts a pipeline stage; the operators after it (GELU,
//     attention, softmax, LayerNorm, residual adds…) belong to its stage (operators before the
//     first weight matmul join the first stage).
//   * Allocation. A stage owns the tiles its weights fill: the fraction f = its arrays / the
//     chip's arrays of every tile component (crossbars, converters, RACE units, adders, buffer,
//     routers). Nothing is replicated to balance the pipeline.
//   * Chips. Stages are packed onto chips in order (layer-contiguous partitioning); a stage larger
//     than a chip spans several. Activations that leave a chip cross a chip-to-chip link.
//   * Time. A stage lasts as long as its busiest resource: Σ events · busy time per event over
//     the instances it owns (perf/pricing). Latency = Σ stage times + link transfer times;
//     throughput = batch / the slowest stage or link transfer.
//   * Energy = Σ priced events + leakage · chips · latency. Weight programming
//     (cells_programmed) is a one-off cost, reported separately, not per inference.
#include <cstdint>
#include <string>
#include <vector>

#include "raceit/core/events.hpp"
#include "raceit/perf/pricing.hpp"

namespace raceit::perf {

struct OpDemand {
  std::string name;
  std::string kind;              // e.g. "weight_matmul", "gelu", "softmax", "data_matmul"
  EventCounts events;            // for the whole batch
  std::int64_t crossbars = 0;    // arrays holding this operator's weights (0: no weights)
  std::int64_t output_bits = 0;  // activation bits it produces for the whole batch
};

struct Workload {
  std::string model;
  std::int64_t batch = 1;
  std::int64_t tokens = 1;  // sequence length, for per-token figures
  std::vector<OpDemand> ops;
};

struct StageReport {
  int chip = 0;  // first chip the stage sits on
  std::vector<std::string> ops;
  std::int64_t crossbars = 0;
  double time = 0;  // s
  std::string bottleneck;
};

struct OpReport {
  std::string name, kind;
  int stage = 0;
  double time = 0;    // s, busiest resource for this operator alone on its stage's share
  double energy = 0;  // J
  std::string bottleneck;
};

struct PerfReport {
  std::string arch;
  int chips = 0;
  double latency = 0;         // s per batch
  double throughput = 0;      // inferences per second, pipelined
  double energy = 0;          // J per batch (dynamic + leakage)
  double leakage_energy = 0;  // J per batch, included in energy
  double link_energy = 0;     // J per batch, included in energy
  double link_time = 0;       // s per batch, included in latency
  double power = 0;           // W average
  double area = 0;            // m², all chips
  double programming_energy = 0;  // J, once per model
  std::vector<StageReport> stages;
  std::vector<OpReport> ops;
  std::vector<ComponentCost> by_component;  // dynamic energy per component, per batch
  std::vector<std::string> assumptions;     // the parameters the figures depend on, with values
};

PerfReport evaluate_pipeline(const Workload& workload, const ArchSpec& spec);

}  // namespace raceit::perf

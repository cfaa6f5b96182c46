#pragma once
// Performance model of a weight-stationary, layer-pipelined IMC accelerator (ISAAC style).
//
// The workload is a list of operators in execution order, each with the hardware events it
// causes for one batch (the compiled program's event counts) and, for weight matmuls, the number
// of crossbar arrays its weights occupy. The model:
//   * Stages. Every operator with crossbars starts a pipeline stage; the operators after it (GELU,
//     attention, softmax, LayerNorm, residual adds…) belong to its stage (operators before the
//     first weight matmul join the first stage).
//   * Chips. Stages are packed onto chips in order (layer-contiguous partitioning); a stage larger
//     than a chip spans several. Activations that leave a chip cross a chip-to-chip link.
//   * Tied resources (crossbars and their DACs, converters and shift-adders; the tile
//     buffer, bus and registers) sit with the weights: a stage owns the fraction f = its arrays /
//     the chip's arrays of each, and nothing is replicated to balance the pipeline.
//   * RACE arrays are partitioned statically: each ACAM program sits on its own arrays (the compiler
//     replicates programs in proportion to their demand), so an operator's RACE time is the
//     lookups on its busiest program copy × the search interval (`race_lookups`). Programs are not
//     rewritten at run time, unless mapping.race_reprogram is on: then each segment with RACE
//     work first rewrites every RACE array with its programs (2 × cells per row column writes of
//     components.crossbar.write_latency, every cell's two thresholds at write_energy) and its
//     operators share the arrays as a pooled resource.
//   * Pooled resources (Gray decoders, digital adders, vector units, SFUs) hold no programs or
//     weights: the operators running at the same time share the chip's instances in proportion to
//     their demand.
//   * Throughput (steady state, every stage busy on a different batch): a stage lasts
//     max(tied busy time / f, its operators' RACE times, the chip's total pooled busy time of each
//     pooled resource it uses); throughput = batch / the slowest stage or link transfer.
//   * Latency (rows stream: an operator starts on a token's row as soon as the operator before it
//     has produced it). An operator that needs its inputs' last row first (Q·Kᵀ needs every key:
//     `whole_sequence`; softmax·V does not, as V is complete when K is) starts a new segment; the
//     segments of one sample run one after another. Within a segment operator o takes τ_o per row:
//     its own busiest resource (tied / f, its RACE time, its own pooled busy time) over the rows of
//     the batch. A segment takes Σ τ_o + (tokens − 1) · the row interval, the larger of max τ_o and
//     the segment's total pooled busy time per row; the first sample's latency is the sum over
//     segments plus its link transfers, and each further sample of the batch adds 1 / throughput.
//   * Network: each operator's output crosses the mesh from its tile to the next operator's tile
//     (`tile`), ceil(output bits / noc.flit_bits) flits × (Manhattan distance between their
//     routers + 1) router hops, priced as noc_flit_hops.
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
  bool whole_sequence = false;   // needs its inputs' last row before its first output row
  std::int64_t race_lookups = 0; // RACE lookups on its busiest program copy, for the whole batch
  int tile = -1;                 // first tile its arrays sit on (-1: the previous operator's)
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
  double time = 0;  // s per batch in steady state
  std::string bottleneck;
};

struct OpReport {
  std::string name, kind;
  int stage = 0, segment = 0;
  double time = 0;    // s for the batch: its busiest resource on its share (latency view)
  double energy = 0;  // J
  std::string bottleneck;
};

struct PerfReport {
  std::string arch;
  int chips = 0;
  double latency = 0;         // s, first input to the batch's last output
  double sample_latency = 0;  // s, first input to the first sample's output
  int segments = 0;           // stretches of streaming operators between whole-sequence barriers
  double throughput = 0;      // inferences per second, pipelined
  double energy = 0;          // J per batch (dynamic + leakage)
  double leakage_energy = 0;  // J per batch, included in energy
  double link_energy = 0;     // J per batch, included in energy
  double link_time = 0;       // s per batch, included in latency
  double power = 0;           // W average
  double area = 0;            // m², all chips
  double programming_energy = 0;  // J, once per model
  double reprogramming_energy = 0;  // J per batch, included in energy (mapping.race_reprogram)
  std::vector<StageReport> stages;
  std::vector<OpReport> ops;
  std::vector<ComponentCost> by_component;  // dynamic energy per component, per batch
  std::vector<arch::Assumption> assumptions;  // the keys the figures depend on, with values and sources
  std::vector<std::string> notes;       // the model's rules, as applied
};

PerfReport evaluate_pipeline(const Workload& workload, const arch::ArchSpec& spec);

}  // namespace raceit::perf

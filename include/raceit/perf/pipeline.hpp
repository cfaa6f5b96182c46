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
//   * RACE arrays are partitioned statically into pools (`Workload::race_pools`): copies of one
//     ACAM program, shared by every operator whose program holds the same cells (or one operator's
//     own, mapping.race_sharing=operator); the compiler replicates pools in proportion to demand.
//     An operator's RACE time is, over its programs, the most lookups per copy of its pool × the
//     search interval; operators using one pool at the same time share it: within a segment the
//     pool's lookups per copy bound the row interval, and in steady state (every stage busy) a
//     stage lasts at least the pool's lookups per copy over all its operators. Lookups reach the
//     pool over the mesh: the operands (`PoolUse::operand_bits`) travel from the operator's input
//     tile to the pool's tiles, and the results (its output) from there to the next operator's
//     tile, spread evenly over the pool's tiles. Programs are not rewritten at run time, unless
//     mapping.race_reprogram is on: then each segment with RACE work first rewrites every RACE
//     array with its programs (2 × cells per row column writes of components.crossbar.write_latency,
//     every cell's two thresholds at write_energy) and its operators share all arrays as a pooled
//     resource.
//   * Pooled resources (Gray decoders, digital adders, vector units, SFUs) hold no programs or
//     weights: the operators running at the same time share the chip's instances in proportion to
//     their demand. So does the routers' time carrying traffic to and from RACE pools ("mesh"),
//     which spreads over the whole mesh; other traffic uses the routers tied to the stage.
//   * Throughput (steady state, every stage busy on a different batch): a stage lasts
//     max(tied busy time / f, the total RACE time of each pool its operators use, the chip's total
//     pooled busy time of each pooled resource it uses); throughput = batch / the slowest stage or
//     link transfer.
//   * Latency (rows stream: an operator starts on a token's row as soon as the operator before it
//     has produced it). An operator that needs its inputs' last row first (Q·Kᵀ needs every key:
//     `whole_sequence`; softmax·V does not, as V is complete when K is) starts a new segment; the
//     segments of one sample run one after another. Within a segment operator o takes τ_o per row:
//     its own busiest resource (tied / f, its RACE time, its own pooled busy time) over the rows of
//     the batch. A segment takes Σ τ_o + (tokens − 1) · the row interval, the larger of max τ_o and
//     the segment's total pooled busy time (and each pool's RACE time) per row; the first sample's latency is the sum over
//     segments plus its link transfers, and each further sample of the batch adds 1 / throughput.
//   * Network: each operator's output crosses the mesh from its tile (or its last pool's tiles) to
//     the next operator's tile (`tile`), ceil(output bits / noc.flit_bits) flits × (Manhattan
//     distance between their routers + 1) router hops, priced as noc_flit_hops; operands to RACE
//     pools likewise. Operands are counted per product, as the registers deliver them: no reuse
//     or multicast across the mesh, so this is an upper bound on the traffic.
//   * Energy = Σ priced events + leakage · chips · latency. Weight programming
//     (cells_programmed) is a one-off cost, reported separately, not per inference.
#include <cstdint>
#include <string>
#include <vector>

#include "raceit/core/events.hpp"
#include "raceit/perf/pricing.hpp"

namespace raceit::perf {

// One ACAM program's lookups on the RACE pool that serves it, for the whole batch.
struct PoolUse {
  int pool = 0;                   // index into Workload::race_pools
  std::int64_t lookups = 0;       // each searches every array of one copy
  std::int64_t operand_bits = 0;  // operands sent to the pool
};

// Copies of one program on RACE arrays, spread over consecutive tiles.
struct RacePoolSpec {
  int copies = 1;
  int first_tile = 0;
  int tiles = 1;
};

struct OpDemand {
  std::string name;
  std::string kind;              // e.g. "weight_matmul", "gelu", "softmax", "data_matmul"
  EventCounts events;            // for the whole batch
  std::int64_t crossbars = 0;    // arrays holding this operator's weights (0: no weights)
  std::int64_t output_bits = 0;  // activation bits it produces for the whole batch
  bool whole_sequence = false;   // needs its inputs' last row before its first output row
  std::vector<PoolUse> race;     // its ACAM programs' pools (the last one produces its output)
  int tile = -1;                 // first tile its crossbars sit on (-1: the previous operator's)
};

struct Workload {
  std::string model;
  std::int64_t batch = 1;
  std::int64_t tokens = 1;  // sequence length, for per-token figures
  std::vector<OpDemand> ops;
  std::vector<RacePoolSpec> race_pools = {};
};

struct StageReport {
  int chip = 0;  // first chip the stage sits on
  int last_chip = 0;  // last chip (a stage larger than a chip spans several)
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
  int chips = 0;         // chips one copy of the model's pipeline occupies
  int system_chips = 0;  // chips in the system (mapping.chips, else `chips`)
  int copies = 1;        // copies of the pipeline on the system's chips, on independent inputs
  double latency = 0;         // s, first input to the batch's last output
  double sample_latency = 0;  // s, first input to the first sample's output
  int segments = 0;           // stretches of streaming operators between whole-sequence barriers
  double throughput = 0;      // inferences per second, pipelined, all copies together
  double energy = 0;          // J per batch (dynamic + leakage)
  double leakage_energy = 0;  // J per batch, included in energy
  double link_energy = 0;     // J per batch, included in energy
  double link_time = 0;       // s per batch, included in latency
  std::uint64_t link_bits = 0;  // bits per batch crossing chip-to-chip links
  double power = 0;           // W average
  double area = 0;            // m², the system's chips
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

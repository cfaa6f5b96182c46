#pragma once
// The placement pass: every crossbar array (xbar::tile_layout) and every RACE array holding an
// ACAM program (acam::pack onto the RACE array shape) gets a tile. Tiles fill in operator order,
// crossbars from tile 0 and RACE arrays from each chip's first tile, each with their own cursor (a
// layer-pipelined design keeps an operator's arrays together and near its neighbours); an operator
// needing more than a tile holds spills into the next tiles.
#include <vector>

#include "raceit/compiler/options.hpp"
#include "raceit/compiler/program.hpp"

namespace raceit::compiler {

struct PlacementResult {
  std::vector<TileUse> tiles;  // tiles in use
  std::vector<RacePool> race_pools;
  int chips = 0;
};

// Fills each op's `placement`. Crossbars fill tiles in operator order, packed onto chips stage by
// stage as the pipeline model packs them (a weight matmul that does not fit in what is left of the
// current chip starts the next one); the weight-free ops after a weight matmul belong to its first
// chip. RACE arrays are partitioned statically among pools, each on one chip and serving the
// operators of that chip only (another chip's arrays are reached over the chip links, which a
// lookup does not take): on a chip, operators whose ACAM programs hold the same cells share one
// pool (options.race_share; otherwise each operator's program has its own). Every pool gets one
// copy, and the chip's remaining RACE arrays take further copies, the pool with the most lookups
// per copy first (options.race_replication), so copies follow demand. Pools fill their chip's RACE
// arrays from its first tile, in order of first use. An op without crossbars holds no tiles of its
// own (placement.first_tile −1): its pools are where its lookups go.
// A CrossbarWrite op reserves the crossbars its written operands of one
// sample need: its per-sample cell writes over the cells of an array, rounded up. Error(Config) when tiles hold no crossbars but the
// program has crossbar ops, or no RACE arrays but ACAM ops.
PlacementResult place(std::vector<LoweredOp>& ops, const MappingOptions& options);

struct RaceUse {
  int arrays = 0;  // RACE arrays, summed over the op's ACAM programs
  int spill = 0;   // cells beyond the first array of their bit group, summed likewise
};
// Each ACAM program packed on its own arrays (acam::pack); zero for an op without programs.
RaceUse race_use(const LoweredOp& op, const acam::ArrayShape& shape);

// One ACAM program of an op: its lookups per sample (from op.events) and the RACE arrays one copy
// of it occupies; every lookup searches all of them at once.
struct ProgramDemand {
  std::uint64_t lookups = 0;
  int arrays = 0;
  bool two_var = false;
};
// In the order of the op's programs (softmax: exp, reciprocal, multiply; norm: rsqrt, multiply).
std::vector<ProgramDemand> race_demand(const LoweredOp& op, const acam::ArrayShape& shape);

}  // namespace raceit::compiler

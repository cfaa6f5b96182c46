#include "raceit/compiler/place.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "raceit/acam/packing.hpp"
#include "raceit/core/error.hpp"

namespace raceit::compiler {

namespace {

std::vector<const acam::AcamProgram*> programs_of(const LoweredOp& op) {
  if (const auto* f = std::get_if<FunctionOp>(&op.detail)) return {&f->program};
  if (const auto* s = std::get_if<SoftmaxOp>(&op.detail)) return {&s->exp, &s->reciprocal, &s->multiply};
  if (const auto* n = std::get_if<NormOp>(&op.detail)) return {&n->rsqrt, &n->multiply};
  if (const auto* d = std::get_if<DataMatMulOp>(&op.detail); d && op.engine == Engine::AcamDataMatMul) return {&d->multiply};
  return {};
}

// Hands out `count` units from tiles of `per_tile` each, starting at the cursor.
struct Cursor {
  int tile = 0, used = 0;
  Placement take(int count, int per_tile, std::vector<TileUse>& tiles, std::size_t op, int TileUse::*field) {
    Placement p;
    if (used == per_tile) {
      ++tile;
      used = 0;
    }
    p.first_tile = tile;
    while (count > 0) {
      if (static_cast<int>(tiles.size()) <= tile) tiles.resize(static_cast<std::size_t>(tile) + 1);
      const int here = std::min(count, per_tile - used);
      tiles[static_cast<std::size_t>(tile)].*field += here;
      auto& list = tiles[static_cast<std::size_t>(tile)].ops;
      if (list.empty() || list.back() != static_cast<std::int64_t>(op)) list.push_back(static_cast<std::int64_t>(op));
      used += here;
      count -= here;
      if (count > 0) {
        ++tile;
        used = 0;
      }
    }
    p.tiles = tile - p.first_tile + 1;
    return p;
  }
};

}  // namespace

RaceUse race_use(const LoweredOp& op, const acam::ArrayShape& shape) {
  RaceUse use;
  for (const acam::AcamProgram* program : programs_of(op)) {
    const acam::ArrayPacking p = acam::pack(*program, shape);
    use.arrays += p.arrays;
    use.spill += p.spill;
  }
  return use;
}

std::vector<ProgramDemand> race_demand(const LoweredOp& op, const acam::ArrayShape& shape) {
  const std::vector<const acam::AcamProgram*> programs = programs_of(op);
  if (programs.empty()) return {};
  const std::uint64_t one = op.events.race_1var_lookups, two = op.events.race_2var_lookups;
  // The lookups of each program, as compiler/events.cpp counts them: softmax looks exp up once per
  // element (a quarter of its nibble lookups) and the reciprocal once per row; a norm looks rsqrt
  // up once per row; every 2-var lookup goes to the multiply program.
  std::vector<std::uint64_t> lookups;
  if (std::holds_alternative<SoftmaxOp>(op.detail))
    lookups = {two / 4, one - two / 4, two};
  else if (std::holds_alternative<NormOp>(op.detail))
    lookups = {one, two};
  else if (std::holds_alternative<FunctionOp>(op.detail))
    lookups = {one};
  else
    lookups = {two};
  std::vector<ProgramDemand> out;
  for (std::size_t k = 0; k < programs.size(); ++k)
    out.push_back({.lookups = lookups[k],
                   .arrays = acam::pack(*programs[k], shape).arrays,
                   .two_var = programs[k]->vars == 2});
  return out;
}

namespace {

// Copies of each program beyond the first, while `spare` arrays remain: the program whose copies
// carry the most lookups each gets one more, until the busiest one no longer fits. This
// minimises the slowest program's lookups per copy, so copies end up in proportion to demand.
void replicate(std::vector<LoweredOp>& ops, const acam::ArrayShape& shape, std::int64_t spare) {
  struct Entry {
    std::size_t op, program;
    ProgramDemand demand;
  };
  std::vector<Entry> entries;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const auto demands = race_demand(ops[i], shape);
    for (std::size_t k = 0; k < demands.size(); ++k)
      if (demands[k].lookups > 0 && demands[k].arrays > 0) entries.push_back({i, k, demands[k]});
  }
  const auto per_copy = [&](const Entry& e) {
    return static_cast<double>(e.demand.lookups) / ops[e.op].placement.race_replicas[e.program];
  };
  while (!entries.empty()) {
    const auto busiest = std::max_element(entries.begin(), entries.end(),
                                          [&](const Entry& a, const Entry& b) { return per_copy(a) < per_copy(b); });
    if (busiest->demand.arrays > spare) break;
    spare -= busiest->demand.arrays;
    ++ops[busiest->op].placement.race_replicas[busiest->program];
    ops[busiest->op].placement.race_arrays += busiest->demand.arrays;
  }
}

}  // namespace

PlacementResult place(std::vector<LoweredOp>& ops, const MappingOptions& options) {
  PlacementResult r;
  Cursor crossbars, race;
  const int race_per_tile = options.race_units_per_tile * options.race_arrays_per_unit;
  const int cells_per_array = options.crossbar.rows * options.crossbar.cols;
  // One copy of every ACAM program first.
  std::int64_t race_needed = 0;
  for (LoweredOp& op : ops) {
    const RaceUse use = race_use(op, options.race_array);
    op.placement.race_arrays = use.arrays;
    op.placement.race_spill = use.spill;
    op.placement.race_replicas.assign(race_demand(op, options.race_array).size(), 1);
    race_needed += use.arrays;
  }
  // The chips the crossbars need hold RACE arrays too: the spare ones take further copies.
  std::int64_t crossbar_arrays = 0;
  for (const LoweredOp& op : ops) {
    if (const auto* x = std::get_if<CrossbarOp>(&op.detail)) crossbar_arrays += x->layout.arrays;
    if (op.engine == Engine::CrossbarWrite)
      crossbar_arrays += (op.events.cell_writes + cells_per_array - 1) / cells_per_array;
  }
  if (options.race_replication && race_per_tile > 0 && options.tiles_per_chip > 0 && options.crossbars_per_tile > 0) {
    const std::int64_t chip_crossbars = static_cast<std::int64_t>(options.tiles_per_chip) * options.crossbars_per_tile;
    const std::int64_t chips = std::max<std::int64_t>(1, (crossbar_arrays + chip_crossbars - 1) / chip_crossbars);
    replicate(ops, options.race_array, chips * options.tiles_per_chip * race_per_tile - race_needed);
  }
  for (std::size_t i = 0; i < ops.size(); ++i) {
    LoweredOp& op = ops[i];
    int arrays = 0;
    if (const auto* x = std::get_if<CrossbarOp>(&op.detail)) arrays = x->layout.arrays;
    if (op.engine == Engine::CrossbarWrite)
      arrays = static_cast<int>((op.events.cell_writes + cells_per_array - 1) / cells_per_array);
    if (arrays > 0) {
      if (options.crossbars_per_tile < 1)
        throw Error(ErrorKind::Config, fmt::format("operator '{}' needs crossbars, but tile.crossbars is 0", op.node));
      op.placement = crossbars.take(arrays, options.crossbars_per_tile, r.tiles, i, &TileUse::crossbars);
      op.placement.crossbars = arrays;
      continue;
    }
    if (op.placement.race_arrays == 0) continue;
    if (race_per_tile < 1)
      throw Error(ErrorKind::Config, fmt::format("operator '{}' needs RACE arrays, but tiles have none", op.node));
    Placement placed = race.take(op.placement.race_arrays, race_per_tile, r.tiles, i, &TileUse::race_arrays);
    placed.race_arrays = op.placement.race_arrays;
    placed.race_spill = op.placement.race_spill;
    placed.race_replicas = std::move(op.placement.race_replicas);
    op.placement = std::move(placed);
  }
  r.chips = options.tiles_per_chip > 0
                ? static_cast<int>((r.tiles.size() + static_cast<std::size_t>(options.tiles_per_chip) - 1) / options.tiles_per_chip)
                : 0;
  return r;
}

}  // namespace raceit::compiler

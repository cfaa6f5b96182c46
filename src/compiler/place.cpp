#include "raceit/compiler/place.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "raceit/acam/packing.hpp"
#include "raceit/core/error.hpp"

namespace raceit::compiler {

namespace {

// The ACAM programs an op needs on RACE arrays, with their lookups, as its engine counts them.
std::vector<ProgramUse> programs_of(const LoweredOp& op) {
  return std::visit([&](const auto& detail) { return acam_programs(detail, op.events); }, op.detail);
}

// The crossbar arrays an op occupies (weights, or operands written at run time).
std::int64_t crossbars_of(const LoweredOp& op, int cells_per_array) {
  return std::visit([&](const auto& detail) { return crossbar_arrays(detail, op.events, cells_per_array); }, op.detail);
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
  for (const ProgramUse& use_of_program : programs_of(op)) {
    const acam::ArrayPacking p = acam::pack(*use_of_program.program, shape);
    use.arrays += p.arrays;
    use.spill += p.spill;
  }
  return use;
}

std::vector<ProgramDemand> race_demand(const LoweredOp& op, const acam::ArrayShape& shape) {
  std::vector<ProgramDemand> out;
  for (const ProgramUse& use : programs_of(op))
    out.push_back({.lookups = use.lookups,
                   .arrays = acam::pack(*use.program, shape).arrays,
                   .two_var = use.program->vars == 2});
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
  for (const LoweredOp& op : ops) crossbar_arrays += crossbars_of(op, cells_per_array);
  if (options.race_replication && race_per_tile > 0 && options.tiles_per_chip > 0 && options.crossbars_per_tile > 0) {
    const std::int64_t chip_crossbars = static_cast<std::int64_t>(options.tiles_per_chip) * options.crossbars_per_tile;
    const std::int64_t chips = std::max<std::int64_t>(1, (crossbar_arrays + chip_crossbars - 1) / chip_crossbars);
    replicate(ops, options.race_array, chips * options.tiles_per_chip * race_per_tile - race_needed);
  }
  for (std::size_t i = 0; i < ops.size(); ++i) {
    LoweredOp& op = ops[i];
    const int arrays = static_cast<int>(crossbars_of(op, cells_per_array));
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

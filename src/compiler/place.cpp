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

// Hands out `count` units from tiles of `per_tile` each, starting at the cursor, to the ops `users`.
struct Cursor {
  int tile = 0, used = 0;
  Placement take(int count, int per_tile, std::vector<TileUse>& tiles, const std::vector<std::size_t>& users,
                 int TileUse::*field) {
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
      for (const std::size_t op : users)
        if (std::find(list.begin(), list.end(), static_cast<std::int64_t>(op)) == list.end())
          list.push_back(static_cast<std::int64_t>(op));
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

// Operators whose programs hold the same cells (thresholds are in input codes) can search the
// same arrays.
bool same_cells(const acam::AcamProgram& a, const acam::AcamProgram& b) { return a.vars == b.vars && a.cells == b.cells; }

// One pool per distinct program (options.race_share) or per operator's program; each op's
// placement names the pool serving each of its programs.
struct Pools {
  std::vector<RacePool> pools;
  std::vector<const acam::AcamProgram*> programs;
  std::vector<std::vector<std::size_t>> users;
};

Pools pool_programs(std::vector<LoweredOp>& ops, const MappingOptions& options) {
  Pools r;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    LoweredOp& op = ops[i];
    const RaceUse use = race_use(op, options.race_array);
    op.placement.race_arrays = use.arrays;
    op.placement.race_spill = use.spill;
    op.placement.race_pools.clear();
    const std::vector<ProgramUse> uses = programs_of(op);
    const std::vector<ProgramDemand> demands = race_demand(op, options.race_array);
    for (std::size_t k = 0; k < uses.size(); ++k) {
      const acam::AcamProgram* program = uses[k].program;
      std::size_t pool = r.pools.size();
      if (options.race_share)
        pool = static_cast<std::size_t>(
            std::find_if(r.programs.begin(), r.programs.end(), [&](const auto* p) { return same_cells(*p, *program); }) -
            r.programs.begin());
      if (pool == r.pools.size()) {
        r.pools.push_back({.arrays = demands[k].arrays, .copies = 1, .lookups = 0, .first_tile = -1, .tiles = 0});
        r.programs.push_back(program);
        r.users.emplace_back();
      }
      r.pools[pool].lookups += demands[k].lookups;
      if (r.users[pool].empty() || r.users[pool].back() != i) r.users[pool].push_back(i);
      op.placement.race_pools.push_back(static_cast<int>(pool));
    }
  }
  return r;
}

// Copies of each pool beyond the first, while `spare` arrays remain: the pool whose copies carry
// the most lookups each gets one more, until the busiest one no longer fits. This minimises the
// slowest pool's lookups per copy, so copies end up in proportion to demand.
void replicate(std::vector<RacePool>& pools, std::int64_t spare) {
  const auto per_copy = [](const RacePool& p) { return static_cast<double>(p.lookups) / p.copies; };
  while (true) {
    const auto busiest = std::max_element(pools.begin(), pools.end(), [&](const RacePool& a, const RacePool& b) {
      return (a.arrays > 0 ? per_copy(a) : -1.0) < (b.arrays > 0 ? per_copy(b) : -1.0);
    });
    if (busiest == pools.end() || busiest->arrays == 0 || busiest->lookups == 0 || busiest->arrays > spare) break;
    spare -= busiest->arrays;
    ++busiest->copies;
  }
}


}  // namespace

PlacementResult place(std::vector<LoweredOp>& ops, const MappingOptions& options) {
  PlacementResult r;
  Cursor crossbars, race;
  const int race_per_tile = options.race_units_per_tile * options.race_arrays_per_unit;
  const int cells_per_array = options.crossbar.rows * options.crossbar.cols;
  // One copy of every pool first.
  Pools pools = pool_programs(ops, options);
  std::int64_t race_needed = 0, crossbar_arrays = 0;
  for (const RacePool& p : pools.pools) race_needed += p.arrays;
  for (const LoweredOp& op : ops) crossbar_arrays += crossbars_of(op, cells_per_array);
  // The chips the crossbars need hold RACE arrays too: the spare ones take further copies.
  if (options.race_replication && race_per_tile > 0 && options.tiles_per_chip > 0 && options.crossbars_per_tile > 0) {
    const std::int64_t chip_crossbars = static_cast<std::int64_t>(options.tiles_per_chip) * options.crossbars_per_tile;
    const std::int64_t chips = std::max<std::int64_t>(1, (crossbar_arrays + chip_crossbars - 1) / chip_crossbars);
    replicate(pools.pools, chips * options.tiles_per_chip * race_per_tile - race_needed);
  }
  for (std::size_t i = 0; i < ops.size(); ++i) {
    LoweredOp& op = ops[i];
    const int arrays = static_cast<int>(crossbars_of(op, cells_per_array));
    if (arrays == 0) continue;
    if (options.crossbars_per_tile < 1)
      throw Error(ErrorKind::Config, fmt::format("operator '{}' needs crossbars, but tile.crossbars is 0", op.node));
    const Placement at = crossbars.take(arrays, options.crossbars_per_tile, r.tiles, {i}, &TileUse::crossbars);
    op.placement.first_tile = at.first_tile;
    op.placement.tiles = at.tiles;
    op.placement.crossbars = arrays;
  }
  for (std::size_t k = 0; k < pools.pools.size(); ++k) {
    RacePool& pool = pools.pools[k];
    if (pool.arrays == 0) continue;
    if (race_per_tile < 1)
      throw Error(ErrorKind::Config,
                  fmt::format("operator '{}' needs RACE arrays, but tiles have none", ops[pools.users[k].front()].node));
    const Placement at = race.take(pool.arrays * pool.copies, race_per_tile, r.tiles, pools.users[k], &TileUse::race_arrays);
    pool.first_tile = at.first_tile;
    pool.tiles = at.tiles;
  }
  r.race_pools = std::move(pools.pools);
  r.chips = options.tiles_per_chip > 0
                ? static_cast<int>((r.tiles.size() + static_cast<std::size_t>(options.tiles_per_chip) - 1) / options.tiles_per_chip)
                : 0;
  return r;
}

}  // namespace raceit::compiler

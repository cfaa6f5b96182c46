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

// One pool per distinct program on each chip (options.race_share) or per operator's program; each
// op's placement names the pool serving each of its programs. A pool serves the operators of its
// own chip only: reaching another chip's RACE arrays would cross the chip links.
struct Pools {
  std::vector<RacePool> pools;
  std::vector<const acam::AcamProgram*> programs;
  std::vector<std::vector<std::size_t>> users;
  std::vector<int> chip;
};

Pools pool_programs(std::vector<LoweredOp>& ops, const std::vector<int>& op_chip, const MappingOptions& options) {
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
        for (std::size_t q = 0; q < r.pools.size() && pool == r.pools.size(); ++q)
          if (r.chip[q] == op_chip[i] && same_cells(*r.programs[q], *program)) pool = q;
      if (pool == r.pools.size()) {
        r.pools.push_back({.arrays = demands[k].arrays, .copies = 1, .lookups = 0, .first_tile = -1, .tiles = 0});
        r.programs.push_back(program);
        r.users.emplace_back();
        r.chip.push_back(op_chip[i]);
      }
      r.pools[pool].lookups += demands[k].lookups;
      if (r.users[pool].empty() || r.users[pool].back() != i) r.users[pool].push_back(i);
      op.placement.race_pools.push_back(static_cast<int>(pool));
    }
  }
  return r;
}

// Copies of the pools `which` beyond the first, while `spare` arrays remain: the pool whose copies
// carry the most lookups each gets one more, until the busiest one no longer fits. This minimises
// the slowest pool's lookups per copy, so copies end up in proportion to demand.
void replicate(std::vector<RacePool>& pools, const std::vector<std::size_t>& which, std::int64_t spare) {
  const auto per_copy = [&](std::size_t k) {
    const RacePool& p = pools[k];
    return p.arrays > 0 ? static_cast<double>(p.lookups) / p.copies : -1.0;
  };
  while (!which.empty()) {
    RacePool& busiest = pools[*std::max_element(which.begin(), which.end(),
                                                [&](std::size_t a, std::size_t b) { return per_copy(a) < per_copy(b); })];
    if (busiest.arrays == 0 || busiest.lookups == 0 || busiest.arrays > spare) break;
    spare -= busiest.arrays;
    ++busiest.copies;
  }
}

// Crossbars fill tiles in operator order, stage by stage onto chips as the pipeline packs them: a
// weight matmul that does not fit in what is left of the current chip starts the next one (one
// larger than a chip spans several). Returns each op's chip: its weight matmul's first chip, which
// the weight-free operators after it share.
std::vector<int> place_crossbars(std::vector<LoweredOp>& ops, const MappingOptions& options, PlacementResult& r) {
  const int cells_per_array = options.crossbar.rows * options.crossbar.cols;
  const std::int64_t per_chip = static_cast<std::int64_t>(options.tiles_per_chip) * options.crossbars_per_tile;
  std::vector<int> op_chip(ops.size(), 0);
  Cursor cursor;
  int chip = 0;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    LoweredOp& op = ops[i];
    const int arrays = static_cast<int>(crossbars_of(op, cells_per_array));
    if (arrays > 0) {
      if (options.crossbars_per_tile < 1)
        throw Error(ErrorKind::Config, fmt::format("{}: key 'tile.crossbars': operator '{}' needs crossbars, but tiles have none",
                                                   options.crossbars_source, op.node));
      if (per_chip > 0) {
        const std::int64_t used = static_cast<std::int64_t>(cursor.tile % options.tiles_per_chip) * options.crossbars_per_tile + cursor.used;
        if (used > 0 && used + arrays > per_chip) {
          cursor.tile = (cursor.tile / options.tiles_per_chip + 1) * options.tiles_per_chip;
          cursor.used = 0;
        }
      }
      const Placement at = cursor.take(arrays, options.crossbars_per_tile, r.tiles, {i}, &TileUse::crossbars);
      op.placement.first_tile = at.first_tile;
      op.placement.tiles = at.tiles;
      op.placement.crossbars = arrays;
      if (per_chip > 0) chip = at.first_tile / options.tiles_per_chip;
    }
    op_chip[i] = chip;
  }
  return op_chip;
}

// Each chip's pools, one copy each, then (options.race_replication) the chip's remaining RACE
// arrays as further copies; the pools fill the chip's RACE arrays from its first tile on.
void place_pools(Pools& pools, const std::vector<LoweredOp>& ops, const MappingOptions& options, PlacementResult& r) {
  const int race_per_tile = options.race_units_per_tile * options.race_arrays_per_unit;
  const int chips = pools.chip.empty() ? 0 : *std::max_element(pools.chip.begin(), pools.chip.end()) + 1;
  Cursor cursor;
  for (int chip = 0; chip < chips; ++chip) {
    std::vector<std::size_t> here;
    std::int64_t needed = 0;
    for (std::size_t k = 0; k < pools.pools.size(); ++k)
      if (pools.chip[k] == chip) {
        here.push_back(k);
        needed += pools.pools[k].arrays;
      }
    if (options.race_replication && options.tiles_per_chip > 0 && options.crossbars_per_tile > 0)
      replicate(pools.pools, here, static_cast<std::int64_t>(options.tiles_per_chip) * race_per_tile - needed);
    if (options.tiles_per_chip > 0 && cursor.tile < chip * options.tiles_per_chip) {
      cursor.tile = chip * options.tiles_per_chip;
      cursor.used = 0;
    }
    for (const std::size_t k : here) {
      RacePool& pool = pools.pools[k];
      if (pool.arrays == 0) continue;
      if (race_per_tile < 1)
        throw Error(ErrorKind::Config,
                    fmt::format("operator '{}' needs RACE arrays, but tiles have none", ops[pools.users[k].front()].node));
      const Placement at = cursor.take(pool.arrays * pool.copies, race_per_tile, r.tiles, pools.users[k], &TileUse::race_arrays);
      pool.first_tile = at.first_tile;
      pool.tiles = at.tiles;
    }
  }
}

}  // namespace

PlacementResult place(std::vector<LoweredOp>& ops, const MappingOptions& options) {
  PlacementResult r;
  const std::vector<int> op_chip = place_crossbars(ops, options, r);
  Pools pools = pool_programs(ops, op_chip, options);
  place_pools(pools, ops, options, r);
  r.race_pools = std::move(pools.pools);
  r.chips = options.tiles_per_chip > 0
                ? static_cast<int>((r.tiles.size() + static_cast<std::size_t>(options.tiles_per_chip) - 1) / options.tiles_per_chip)
                : 0;
  return r;
}

}  // namespace raceit::compiler

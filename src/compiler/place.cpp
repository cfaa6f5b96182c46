#include "raceit/compiler/place.hpp"

#include <fmt/format.h>

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

PlacementResult place(std::vector<LoweredOp>& ops, const MappingOptions& options) {
  PlacementResult r;
  Cursor crossbars, race;
  const int race_per_tile = options.race_units_per_tile * options.race_arrays_per_unit;
  const int cells_per_array = options.crossbar.rows * options.crossbar.cols;
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
    const RaceUse use = race_use(op, options.race_array);
    if (use.arrays == 0) continue;
    if (race_per_tile < 1)
      throw Error(ErrorKind::Config, fmt::format("operator '{}' needs RACE arrays, but tiles have none", op.node));
    op.placement = race.take(use.arrays, race_per_tile, r.tiles, i, &TileUse::race_arrays);
    op.placement.race_arrays = use.arrays;
    op.placement.race_spill = use.spill;
  }
  r.chips = options.tiles_per_chip > 0
                ? static_cast<int>((r.tiles.size() + static_cast<std::size_t>(options.tiles_per_chip) - 1) / options.tiles_per_chip)
                : 0;
  return r;
}

}  // namespace raceit::compiler

#include "raceit/compiler/program_io.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "engines/support.hpp"
#include "raceit/acam/functions.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/file_io.hpp"

namespace raceit::compiler {

namespace {

using nlohmann::json;

constexpr const char* kFormat = "raceit-program";
constexpr double kInf = std::numeric_limits<double>::infinity();

json bound(double v) { return std::isinf(v) ? json(nullptr) : json(v); }

// An ACAM range, open where the file has null; lo < hi, as the compiler programs them.
acam::AcamRange read_cell_range(const ProgramField& lo, const ProgramField& hi) {
  const acam::AcamRange r{.lo = lo.bound(-kInf), .hi = hi.bound(kInf)};
  lo.require(r.lo < r.hi, fmt::format("ACAM range ({}, {}) is empty or inverted", r.lo, r.hi));
  return r;
}

json events_json(const EventCounts& e) {
  json j = json::object();
  for (const auto& [name, count] : e.fields()) j[std::string(name)] = count;
  return j;
}
EventCounts read_events(const ProgramField& f) {
  EventCounts e;
  for (const auto& [name, member] : kEventFields) e.*member = f.at(std::string(name)).as<std::uint64_t>();
  return e;
}

}  // namespace

// --- values ------------------------------------------------------------------------------------

json range_json(acam::ValueRange r) { return {r.lo, r.hi}; }
acam::ValueRange read_range(const ProgramField& f, bool may_be_empty) {
  const acam::ValueRange r{.lo = f.at(std::size_t{0}).finite(), .hi = f.at(1).finite()};
  f.require(r.lo < r.hi || (may_be_empty && r.lo == r.hi), fmt::format("range [{}, {}] is not ordered", r.lo, r.hi));
  return r;
}

json quantiser_json(const AffineQuantiser& q) { return {{"scale", q.scale}, {"zero", q.zero}, {"bits", q.bits}}; }
AffineQuantiser read_quantiser(const ProgramField& f) {
  const int bits = f.at("bits").integer(1, 16);
  const AffineQuantiser q{.scale = f.at("scale").positive(), .zero = f.at("zero").as<std::int64_t>(), .bits = bits};
  f.at("zero").require(q.zero >= 0 && q.zero <= q.max_code(), fmt::format("must be 0…{}, got {}", q.max_code(), q.zero));
  return q;
}

json program_json(const acam::AcamProgram& p) {
  json ranges = json::array(), rects = json::array();
  for (const auto& bit : p.cells.ranges_per_bit) {
    json b = json::array();
    for (const auto& r : bit) b.push_back({bound(r.lo), bound(r.hi)});
    ranges.push_back(std::move(b));
  }
  for (const auto& bit : p.cells.rects_per_bit) {
    json b = json::array();
    for (const auto& r : bit) b.push_back({bound(r.x.lo), bound(r.x.hi), bound(r.y.lo), bound(r.y.hi)});
    rects.push_back(std::move(b));
  }
  return {{"function", p.function},
          {"expression", p.expression},
          {"vars", p.vars},
          {"x", {{"bits", p.x.bits}, {"range", range_json(p.x.range)}}},
          {"y", {{"bits", p.y.bits}, {"range", range_json(p.y.range)}}},
          {"out_bits", p.out_bits},
          {"encoding", acam::to_string(p.encoding)},
          {"out_range", range_json(p.out_range)},
          {"out_step", p.out_step},
          {"ranges_per_bit", std::move(ranges)},
          {"rects_per_bit", std::move(rects)},
          {"table", p.table},
          {"reference", p.reference}};
}

namespace {
// A range of an ACAM program's values: ordered, and within ±acam::kMaxValueMagnitude as the
// compiler keeps it.
acam::ValueRange read_acam_range(const ProgramField& f, bool may_be_empty = false) {
  const acam::ValueRange r = read_range(f, may_be_empty);
  f.require(std::abs(r.lo) <= acam::kMaxValueMagnitude && std::abs(r.hi) <= acam::kMaxValueMagnitude,
            fmt::format("range [{}, {}] is beyond ±{:g}", r.lo, r.hi, acam::kMaxValueMagnitude));
  return r;
}
}  // namespace

acam::AcamProgram read_acam_program(const ProgramField& f) {
  acam::AcamProgram p;
  p.function = f.at("function").text();
  p.expression = f.at("expression").text();
  p.vars = f.at("vars").integer(1, 2);
  // The compiler's limits: 1–12 input bits for a 1-var program, 1–6 per input for a 2-var one.
  const int max_bits = p.vars == 1 ? 12 : 6;
  p.x = {.bits = f.at("x").at("bits").integer(1, max_bits), .range = read_acam_range(f.at("x").at("range"))};
  p.y = {.bits = f.at("y").at("bits").integer(p.vars == 1 ? 0 : 1, p.vars == 1 ? 0 : max_bits),
         .range = read_acam_range(f.at("y").at("range"))};
  p.out_bits = f.at("out_bits").integer(1, 12);
  try {
    p.encoding = acam::parse_output_encoding(f.at("encoding").text());
  } catch (const Error& e) {
    throw Error(ErrorKind::Parse, fmt::format("program: field '{}.encoding': {}", f.path, e.what()));
  }
  p.out_range = read_acam_range(f.at("out_range"), true);
  p.out_step = f.at("out_step").non_negative();
  const ProgramField ranges = f.at("ranges_per_bit"), rects = f.at("rects_per_bit");
  const std::size_t bits = static_cast<std::size_t>(p.out_bits);
  ranges.require(ranges.size() == (p.vars == 1 ? bits : 0), fmt::format("needs one list per output bit ({})", p.vars == 1 ? bits : 0));
  rects.require(rects.size() == (p.vars == 2 ? bits : 0), fmt::format("needs one list per output bit ({})", p.vars == 2 ? bits : 0));
  for (std::size_t b = 0; b < ranges.size(); ++b) {
    auto& bit = p.cells.ranges_per_bit.emplace_back();
    for (std::size_t k = 0; k < ranges.at(b).size(); ++k) {
      const ProgramField r = ranges.at(b).at(k);
      bit.push_back(read_cell_range(r.at(std::size_t{0}), r.at(1)));
    }
  }
  for (std::size_t b = 0; b < rects.size(); ++b) {
    auto& bit = p.cells.rects_per_bit.emplace_back();
    for (std::size_t k = 0; k < rects.at(b).size(); ++k) {
      const ProgramField r = rects.at(b).at(k);
      bit.push_back({read_cell_range(r.at(std::size_t{0}), r.at(1)), read_cell_range(r.at(2), r.at(3))});
    }
  }
  const std::size_t inputs = std::size_t{1} << (p.x.bits + p.y.bits);
  const ProgramField table = f.at("table"), reference = f.at("reference");
  table.require(table.size() == inputs, fmt::format("needs one code per input ({}), has {}", inputs, table.size()));
  reference.require(reference.size() == inputs, fmt::format("needs one value per input ({}), has {}", inputs, reference.size()));
  p.table = table.list<std::uint32_t>();
  p.reference = reference.list<double>();
  for (std::size_t k = 0; k < inputs; ++k) {
    table.at(k).require(p.table[k] < (std::uint32_t{1} << p.out_bits), fmt::format("code {} needs more than {} output bits", p.table[k], p.out_bits));
    reference.at(k).require(std::abs(p.reference[k]) <= acam::kMaxValueMagnitude,
                            fmt::format("{} is beyond ±{:g}", p.reference[k], acam::kMaxValueMagnitude));
  }
  return p;
}

json crossbar_config_json(const xbar::CrossbarConfig& c) {
  return {{"rows", c.rows},
          {"cols", c.cols},
          {"w_bits", c.w_bits},
          {"per_channel", c.per_channel},
          {"sign", c.sign == xbar::SignScheme::SeparateArrays ? "separate" : "differential"},
          {"encoding", xbar::encoding_name(c)},
          {"a_bits", c.a_bits},
          {"signed_inputs", c.signed_inputs},
          {"inputs", c.inputs == xbar::InputScheme::BitSerial ? "bit-serial" : "multi-level"},
          {"readout", xbar::readout_name(c)},
          {"analog_combine", c.analog_combine},
          {"full_scale", c.full_scale},
          {"acam_encoding", acam::to_string(c.acam_encoding)},
          {"acam_instances", c.acam_instances},
          {"fused_function", c.fused_function}};
}

xbar::CrossbarConfig read_crossbar_config(const ProgramField& f) {
  xbar::CrossbarConfig c;
  constexpr int kMaxTileSide = 1 << 16;
  c.rows = f.at("rows").integer(1, kMaxTileSide);
  c.cols = f.at("cols").integer(1, kMaxTileSide);
  c.w_bits = f.at("w_bits").as<int>();
  c.per_channel = f.at("per_channel").as<bool>();
  c.sign = f.at("sign").choice({"separate", "differential"}) == "separate" ? xbar::SignScheme::SeparateArrays
                                                                            : xbar::SignScheme::DifferentialPairs;
  c.a_bits = f.at("a_bits").as<int>();
  c.signed_inputs = f.at("signed_inputs").as<bool>();
  c.inputs = f.at("inputs").choice({"bit-serial", "multi-level"}) == "bit-serial" ? xbar::InputScheme::BitSerial
                                                                                   : xbar::InputScheme::MultiLevel;
  c.full_scale = f.at("full_scale").number();
  c.analog_combine = f.at("analog_combine").as<bool>();
  c.acam_instances = f.at("acam_instances").integer(1, kMaxCount);
  c.fused_function = f.at("fused_function").text();
  try {
    xbar::parse_encoding(f.at("encoding").text(), c);
    xbar::parse_readout(f.at("readout").text(), c);
    c.acam_encoding = acam::parse_output_encoding(f.at("acam_encoding").text());
    c.validate();
    if (!c.fused_function.empty()) acam::resolve_function(c.fused_function);
  } catch (const Error& e) {
    throw Error(ErrorKind::Parse, fmt::format("program: field '{}': {}", f.path, e.what()));
  }
  return c;
}

json layout_json(const xbar::TileLayout& t) {
  return {{"magnitude_slices", t.magnitude_slices}, {"level_max", t.level_max},
          {"delta_g_us", t.delta_g_us},             {"groups", t.groups},
          {"columns_per_output", t.columns_per_output}, {"outputs_per_tile", t.outputs_per_tile},
          {"row_blocks", t.row_blocks},             {"col_blocks", t.col_blocks},
          {"arrays", t.arrays},                     {"cells_per_weight", t.cells_per_weight}};
}

namespace {
xbar::TileLayout read_layout_fields(const ProgramField& f) {
  xbar::TileLayout t;
  t.magnitude_slices = f.at("magnitude_slices").integer(1, 16);
  t.level_max = f.at("level_max").integer(1, kMaxCount);
  t.delta_g_us = f.at("delta_g_us").finite();
  t.groups = f.at("groups").integer(1, kMaxCount);
  t.columns_per_output = f.at("columns_per_output").integer(1, kMaxCount);
  t.outputs_per_tile = f.at("outputs_per_tile").integer(1, kMaxCount);
  t.row_blocks = f.at("row_blocks").integer(1, kMaxCount);
  t.col_blocks = f.at("col_blocks").integer(1, kMaxCount);
  t.arrays = f.at("arrays").integer(1, kMaxCount);
  t.cells_per_weight = f.at("cells_per_weight").integer(1, kMaxCount);
  return t;
}
}  // namespace

xbar::TileLayout read_layout(const ProgramField& f, const xbar::CrossbarConfig& config, int in, int out) {
  const xbar::TileLayout stored = read_layout_fields(f);
  const xbar::TileLayout expected = xbar::tile_layout(config, in, out);
  if (stored == expected) return stored;
  // The compiler writes the layout its config gives; an edited file whose layout disagrees would be
  // run with one and costed with the other.
  const json a = layout_json(stored), b = layout_json(expected);
  for (const auto& [key, value] : a.items())
    if (value != b.at(key))
      f.at(key).require(false, fmt::format("{} does not match the crossbar config, which gives {} for a {}x{} matrix",
                                           value.dump(), b.at(key).dump(), in, out));
  return stored;
}


// --- operators ---------------------------------------------------------------------------------

namespace {

json detail_json(const EngineOp& detail) {
  return std::visit([](const auto& d) { return detail_json(d); }, detail);
}

// The detail of engine `e`, read by that engine's unit.
template <std::size_t... I>
EngineOp read_detail(Engine e, const ProgramField& f, std::index_sequence<I...>) {
  using Reader = EngineOp (*)(const ProgramField&);
  static constexpr std::array<Reader, kEngines> readers{[](const ProgramField& field) -> EngineOp {
    return read_detail(Tag<std::variant_alternative_t<I, EngineOp>>{}, field);
  }...};
  return readers.at(static_cast<std::size_t>(e))(f);
}

json placement_json(const Placement& p) {
  return {{"first_tile", p.first_tile}, {"tiles", p.tiles}, {"crossbars", p.crossbars},
          {"race_arrays", p.race_arrays}, {"race_spill", p.race_spill}, {"race_pools", p.race_pools}};
}

Placement read_placement(const ProgramField& f) {
  Placement p{.first_tile = f.at("first_tile").integer(-1, kMaxCount),
              .tiles = f.at("tiles").integer(0, kMaxCount),
              .crossbars = f.at("crossbars").integer(0, kMaxCount),
              .race_arrays = f.at("race_arrays").integer(0, kMaxCount),
              .race_spill = f.at("race_spill").integer(0, kMaxCount),
              .race_pools = {}};
  const ProgramField pools = f.at("race_pools");
  for (std::size_t k = 0; k < pools.size(); ++k) p.race_pools.push_back(pools.at(k).integer(0, kMaxCount));
  return p;
}

json op_json(const LoweredOp& op) {
  return {{"node", op.node},
          {"op", model::to_string(op.op)},
          {"engine", to_string(op.engine())},
          {"note", op.note},
          {"partner", op.partner},
          {"factor", std::holds_alternative<FoldedOp>(op.detail) ? std::get<FoldedOp>(op.detail).factor : 1.0},
          {"detail", detail_json(op.detail)},
          {"events_per_sample", events_json(op.events)},
          {"cells_programmed", op.cells_programmed},
          {"output_elements_per_sample", op.output_elements},
          {"placement", placement_json(op.placement)}};
}

LoweredOp read_op(const ProgramField& f) {
  LoweredOp op;
  op.node = f.at("node").text();
  Engine engine = Engine::None;
  try {
    op.op = model::op_type_from_string(f.at("op").text());
    engine = engine_from_string(f.at("engine").text());
  } catch (const Error& e) {
    throw Error(ErrorKind::Parse, fmt::format("program: operator '{}' ({}): {}", op.node, f.path, e.what()));
  }
  op.note = f.at("note").text();
  op.partner = f.at("partner").as<std::int64_t>();
  op.detail = read_detail(engine, f.at("detail"), std::make_index_sequence<kEngines>{});
  if (auto* folded = std::get_if<FoldedOp>(&op.detail)) folded->factor = f.at("factor").finite();
  op.events = read_events(f.at("events_per_sample"));
  op.cells_programmed = f.at("cells_programmed").as<std::uint64_t>();
  op.output_elements = f.at("output_elements_per_sample").as<std::int64_t>();
  f.at("output_elements_per_sample").require(op.output_elements >= 0, "must not be negative");
  op.placement = read_placement(f.at("placement"));
  return op;
}

}  // namespace

json to_json(const Program& p) {
  json config = json::array(), ranges = json::array(), ops = json::array(), tiles = json::array();
  for (const auto& c : p.config) config.push_back({{"key", c.key}, {"value", c.value}, {"source", c.source}});
  for (const auto& [name, r] : p.ranges) ranges.push_back({{"tensor", name}, {"range", range_json(r)}});
  for (const auto& op : p.ops) ops.push_back(op_json(op));
  for (const auto& t : p.tiles) tiles.push_back({{"crossbars", t.crossbars}, {"race_arrays", t.race_arrays}, {"ops", t.ops}});
  json pools = json::array();
  for (const auto& r : p.race_pools)
    pools.push_back({{"arrays", r.arrays}, {"copies", r.copies}, {"lookups_per_sample", r.lookups},
                     {"first_tile", r.first_tile}, {"tiles", r.tiles}});
  return {{"format", kFormat},
          {"version", p.version},
          {"description", "A model compiled for RACE-IT: the engine, quantisation, ACAM programs, crossbar configuration, "
                          "placement and per-sample hardware events of every graph operator, in graph order. Weights "
                          "stay in the model named here (checked by weights_checksum). ProgramField meanings: docs/compiler.md."},
          {"tool", {{"name", "raceit"}, {"version", p.tool_version}}},
          {"model",
           {{"name", p.model.name},
            {"dataset", p.model.dataset},
            {"graph", p.model.graph_name},
            {"source", p.model.source},
            {"weights_checksum", p.model.weights_checksum}}},
          {"arch", {{"name", p.arch_name}, {"path", p.arch_path}, {"config", std::move(config)}}},
          {"activation_bits", p.activation_bits},
          {"calibration",
           {{"dataset", p.calibration.dataset},
            {"split", p.calibration.split},
            {"samples", p.calibration.samples},
            {"method", p.calibration.method},
            {"percentile", p.calibration.percentile},
            {"ranges", std::move(ranges)}}},
          {"ops", std::move(ops)},
          {"placement", {{"tiles", std::move(tiles)}, {"race_pools", std::move(pools)}, {"chips", p.chips}}}};
}

namespace {
// Every operator's and RACE pool's tiles are among the placement's: nothing placed is -1 with no tiles.
void check_tile_spans(const Program& p, const ProgramField& root) {
  const auto tile_count = static_cast<std::int64_t>(p.tiles.size());
  auto check = [&](const ProgramField& f, std::int64_t first, std::int64_t tiles) {
    f.at("first_tile").require(first < 0 ? first == -1 && tiles == 0 : first + tiles <= tile_count,
                               fmt::format("tiles {} to {} are not among the placement's {} tiles", first,
                                           first + tiles - 1, tile_count));
  };
  for (std::size_t k = 0; k < p.ops.size(); ++k)
    check(root.at("ops").at(k).at("placement"), p.ops[k].placement.first_tile, p.ops[k].placement.tiles);
  for (std::size_t k = 0; k < p.race_pools.size(); ++k)
    check(root.at("placement").at("race_pools").at(k), p.race_pools[k].first_tile, p.race_pools[k].tiles);
}
}  // namespace

Program program_from_json(const json& document) {
  const ProgramField root{.j = document, .path = "$"};
  if (!document.is_object() || !document.contains("format") || document.at("format") != kFormat)
    throw Error(ErrorKind::Parse, fmt::format("not a raceit program (expected \"format\": \"{}\")", kFormat));
  Program p;
  p.version = root.at("version").as<int>();
  if (p.version != kProgramVersion)
    throw Error(ErrorKind::Parse, fmt::format("program version {} cannot be read by this raceit, which reads version {}",
                                              p.version, kProgramVersion));
  p.tool_version = root.at("tool").at("version").text();
  const ProgramField m = root.at("model");
  p.model = {.name = m.at("name").text(),
             .dataset = m.at("dataset").text(),
             .graph_name = m.at("graph").text(),
             .source = m.at("source").text(),
             .weights_checksum = m.at("weights_checksum").text()};
  const ProgramField arch = root.at("arch");
  p.arch_name = arch.at("name").text();
  p.arch_path = arch.at("path").text();
  const ProgramField config = arch.at("config");
  for (std::size_t k = 0; k < config.size(); ++k)
    p.config.push_back({config.at(k).at("key").text(), config.at(k).at("value").text(), config.at(k).at("source").text()});
  p.activation_bits = root.at("activation_bits").integer(1, 16);
  const ProgramField c = root.at("calibration");
  p.calibration = {.dataset = c.at("dataset").text(),
                   .split = c.at("split").text(),
                   .samples = c.at("samples").integer(0, kMaxCount),
                   .method = c.at("method").text(),
                   .percentile = c.at("percentile").finite()};
  c.at("percentile").require(p.calibration.percentile >= 0 && p.calibration.percentile <= 100, "must be 0…100");
  const ProgramField ranges = c.at("ranges");
  for (std::size_t k = 0; k < ranges.size(); ++k)
    p.ranges.emplace_back(ranges.at(k).at("tensor").text(), read_range(ranges.at(k).at("range"), true));
  const ProgramField ops = root.at("ops");
  for (std::size_t k = 0; k < ops.size(); ++k) {
    p.ops.push_back(read_op(ops.at(k)));
    const auto partner = p.ops.back().partner;
    ops.at(k).at("partner").require(partner >= -1 && partner < static_cast<std::int64_t>(ops.size()),
                                    fmt::format("operator index {} is not -1 or one of the {} operators", partner, ops.size()));
  }
  const ProgramField placement = root.at("placement");
  const ProgramField tiles = placement.at("tiles");
  for (std::size_t k = 0; k < tiles.size(); ++k) {
    const ProgramField tile = tiles.at(k);
    p.tiles.push_back({tile.at("crossbars").integer(0, kMaxCount), tile.at("race_arrays").integer(0, kMaxCount),
                       tile.at("ops").list<std::int64_t>()});
    for (std::size_t i = 0; i < p.tiles.back().ops.size(); ++i) {
      const auto op = p.tiles.back().ops[i];
      tile.at("ops").at(i).require(op >= 0 && op < static_cast<std::int64_t>(p.ops.size()),
                                   fmt::format("operator index {} is not one of the {} operators", op, p.ops.size()));
    }
  }
  const ProgramField pools = placement.at("race_pools");
  for (std::size_t k = 0; k < pools.size(); ++k) {
    const ProgramField pool = pools.at(k);
    p.race_pools.push_back({.arrays = pool.at("arrays").integer(0, kMaxCount),
                            .copies = pool.at("copies").integer(1, kMaxCount),
                            .lookups = pool.at("lookups_per_sample").as<std::uint64_t>(),
                            .first_tile = pool.at("first_tile").integer(-1, kMaxCount),
                            .tiles = pool.at("tiles").integer(0, kMaxCount)});
  }
  for (std::size_t k = 0; k < p.ops.size(); ++k)
    for (std::size_t j = 0; j < p.ops[k].placement.race_pools.size(); ++j)
      ops.at(k).at("placement").at("race_pools").at(j).require(
          p.ops[k].placement.race_pools[j] < static_cast<int>(p.race_pools.size()),
          fmt::format("RACE pool {} is not one of the program's {} pools", p.ops[k].placement.race_pools[j], p.race_pools.size()));
  p.chips = placement.at("chips").integer(0, kMaxCount);
  check_tile_spans(p, root);
  return p;
}

void write_program(const std::string& path, const Program& program) {
  write_file_atomic(path, to_json(program).dump(1) + "\n");
}

Program read_program(const std::string& path) { return parse_program(read_file(path), path); }

namespace {
// nlohmann keeps the last of a repeated key: an edited program giving one twice would lose a value silently.
json::parser_callback_t reject_repeated_keys() {
  auto keys = std::make_shared<std::vector<std::set<std::string>>>();
  return [keys](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) keys->emplace_back();
    if (event == json::parse_event_t::object_end) keys->pop_back();
    if (event == json::parse_event_t::key && !keys->back().insert(parsed.get<std::string>()).second)
      throw Error(ErrorKind::Parse, fmt::format("not a valid program: key '{}' appears twice in one object", parsed.get<std::string>()));
    return true;
  };
}
}  // namespace

Program parse_program(std::string_view text, const std::string& path) {
  json document;
  try {
    document = json::parse(text, reject_repeated_keys());
  } catch (const json::exception& e) {
    throw Error(ErrorKind::Parse, fmt::format("{}: not JSON: {}", path, e.what()));
  } catch (const Error& e) {
    throw Error(e.kind(), fmt::format("{}: {}", path, e.what()));
  }
  try {
    return program_from_json(document);
  } catch (const Error& e) {
    throw Error(e.kind(), fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace raceit::compiler

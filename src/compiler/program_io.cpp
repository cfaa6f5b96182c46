#include "raceit/compiler/program_io.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "raceit/core/error.hpp"

namespace raceit::compiler {

namespace {

using nlohmann::json;

constexpr const char* kFormat = "raceit-program";
constexpr double kInf = std::numeric_limits<double>::infinity();

// Reading: every access names the field's path in the document when it fails.
struct Field {
  const json& j;
  std::string path;

  Field at(const std::string& key) const {
    if (!j.is_object() || !j.contains(key)) throw Error(ErrorKind::Parse, fmt::format("program: missing field '{}.{}'", path, key));
    return {j.at(key), path + "." + key};
  }
  Field at(std::size_t k) const {
    if (!j.is_array() || k >= j.size()) throw Error(ErrorKind::Parse, fmt::format("program: missing element {}[{}]", path, k));
    return {j.at(k), fmt::format("{}[{}]", path, k)};
  }
  std::size_t size() const {
    if (!j.is_array()) throw Error(ErrorKind::Parse, fmt::format("program: '{}' must be an array", path));
    return j.size();
  }
  template <class T>
  T as() const {
    try {
      return j.get<T>();
    } catch (const json::exception&) {
      throw Error(ErrorKind::Parse, fmt::format("program: field '{}' has the wrong type ({})", path, j.type_name()));
    }
  }
  std::string text() const { return as<std::string>(); }
  double number() const { return as<double>(); }
  // An open bound: null stands for `infinite` (−∞ for a lower bound, +∞ for an upper one).
  double bound(double infinite) const { return j.is_null() ? infinite : number(); }
};

json bound(double v) { return std::isinf(v) ? json(nullptr) : json(v); }

// --- values ------------------------------------------------------------------------------------

json range_json(acam::ValueRange r) { return {r.lo, r.hi}; }
acam::ValueRange read_range(const Field& f) { return {f.at(std::size_t{0}).number(), f.at(1).number()}; }

json quantiser_json(const AffineQuantiser& q) { return {{"scale", q.scale}, {"zero", q.zero}, {"bits", q.bits}}; }
AffineQuantiser read_quantiser(const Field& f) {
  return {f.at("scale").number(), f.at("zero").as<std::int64_t>(), f.at("bits").as<int>()};
}

json events_json(const EventCounts& e) {
  json j = json::object();
  for (const auto& [name, count] : e.fields()) j[std::string(name)] = count;
  return j;
}
EventCounts read_events(const Field& f) {
  EventCounts e;
  for (const auto& [name, member] : kEventFields) e.*member = f.at(std::string(name)).as<std::uint64_t>();
  return e;
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

acam::AcamProgram read_acam_program(const Field& f) {
  acam::AcamProgram p;
  p.function = f.at("function").text();
  p.expression = f.at("expression").text();
  p.vars = f.at("vars").as<int>();
  p.x = {f.at("x").at("bits").as<int>(), read_range(f.at("x").at("range"))};
  p.y = {f.at("y").at("bits").as<int>(), read_range(f.at("y").at("range"))};
  p.out_bits = f.at("out_bits").as<int>();
  try {
    p.encoding = acam::parse_output_encoding(f.at("encoding").text());
  } catch (const Error& e) {
    throw Error(ErrorKind::Parse, fmt::format("program: field '{}.encoding': {}", f.path, e.what()));
  }
  p.out_range = read_range(f.at("out_range"));
  p.out_step = f.at("out_step").number();
  const Field ranges = f.at("ranges_per_bit"), rects = f.at("rects_per_bit");
  for (std::size_t b = 0; b < ranges.size(); ++b) {
    auto& bit = p.cells.ranges_per_bit.emplace_back();
    for (std::size_t k = 0; k < ranges.at(b).size(); ++k) {
      const Field r = ranges.at(b).at(k);
      bit.push_back({r.at(std::size_t{0}).bound(-kInf), r.at(1).bound(kInf)});
    }
  }
  for (std::size_t b = 0; b < rects.size(); ++b) {
    auto& bit = p.cells.rects_per_bit.emplace_back();
    for (std::size_t k = 0; k < rects.at(b).size(); ++k) {
      const Field r = rects.at(b).at(k);
      bit.push_back({{r.at(std::size_t{0}).bound(-kInf), r.at(1).bound(kInf)}, {r.at(2).bound(-kInf), r.at(3).bound(kInf)}});
    }
  }
  p.table = f.at("table").as<std::vector<std::uint32_t>>();
  p.reference = f.at("reference").as<std::vector<double>>();
  return p;
}

// Crossbar configuration without the run-time noise fields (mode, device, seed).
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
          {"full_scale", c.full_scale},
          {"acam_encoding", acam::to_string(c.acam_encoding)},
          {"acam_instances", c.acam_instances},
          {"fused_function", c.fused_function}};
}

xbar::CrossbarConfig read_crossbar_config(const Field& f) {
  xbar::CrossbarConfig c;
  c.rows = f.at("rows").as<int>();
  c.cols = f.at("cols").as<int>();
  c.w_bits = f.at("w_bits").as<int>();
  c.per_channel = f.at("per_channel").as<bool>();
  c.sign = f.at("sign").text() == "separate" ? xbar::SignScheme::SeparateArrays : xbar::SignScheme::DifferentialPairs;
  c.a_bits = f.at("a_bits").as<int>();
  c.signed_inputs = f.at("signed_inputs").as<bool>();
  c.inputs = f.at("inputs").text() == "bit-serial" ? xbar::InputScheme::BitSerial : xbar::InputScheme::MultiLevel;
  c.full_scale = f.at("full_scale").number();
  c.acam_instances = f.at("acam_instances").as<int>();
  c.fused_function = f.at("fused_function").text();
  try {
    xbar::parse_encoding(f.at("encoding").text(), c);
    xbar::parse_readout(f.at("readout").text(), c);
    c.acam_encoding = acam::parse_output_encoding(f.at("acam_encoding").text());
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

xbar::TileLayout read_layout(const Field& f) {
  xbar::TileLayout t;
  t.magnitude_slices = f.at("magnitude_slices").as<int>();
  t.level_max = f.at("level_max").as<int>();
  t.delta_g_us = f.at("delta_g_us").number();
  t.groups = f.at("groups").as<int>();
  t.columns_per_output = f.at("columns_per_output").as<int>();
  t.outputs_per_tile = f.at("outputs_per_tile").as<int>();
  t.row_blocks = f.at("row_blocks").as<int>();
  t.col_blocks = f.at("col_blocks").as<int>();
  t.arrays = f.at("arrays").as<int>();
  t.cells_per_weight = f.at("cells_per_weight").as<std::int64_t>();
  return t;
}

// --- operators ---------------------------------------------------------------------------------

json detail_json(const OpDetail& detail) {
  if (const auto* x = std::get_if<CrossbarOp>(&detail))
    return {{"kind", "crossbar"},          {"config", crossbar_config_json(x->config)}, {"input", quantiser_json(x->input)},
            {"weight", x->weight},         {"bias", x->bias},
            {"transpose_weight", x->transpose_weight},
            {"in", x->in},                 {"out", x->out},
            {"layout", layout_json(x->layout)}};
  if (const auto* f = std::get_if<FunctionOp>(&detail)) return {{"kind", "function"}, {"program", program_json(f->program)}};
  if (const auto* s = std::get_if<SoftmaxOp>(&detail))
    return {{"kind", "softmax"},
            {"input_scale", s->input_scale},
            {"exp", program_json(s->exp)},
            {"reciprocal", program_json(s->reciprocal)},
            {"multiply", program_json(s->multiply)}};
  if (const auto* n = std::get_if<NormOp>(&detail))
    return {{"kind", "norm"},
            {"rms", n->rms},
            {"epsilon", n->epsilon},
            {"gamma", n->gamma},
            {"beta", n->beta},
            {"input", quantiser_json(n->input)},
            {"centred", quantiser_json(n->centred)},
            {"rsqrt", program_json(n->rsqrt)},
            {"normalised", quantiser_json(n->normalised)},
            {"gamma_q", quantiser_json(n->gamma_q)},
            {"multiply", program_json(n->multiply)}};
  if (const auto* d = std::get_if<DataMatMulOp>(&detail))
    return {{"kind", "data_matmul"},
            {"a_factor", d->a_factor},
            {"b_factor", d->b_factor},
            {"output_factor", d->output_factor},
            {"a", quantiser_json(d->a)},
            {"b", quantiser_json(d->b)},
            {"multiply", program_json(d->multiply)},
            {"crossbar", crossbar_config_json(d->crossbar)}};
  return {{"kind", "none"}};
}

OpDetail read_detail(const Field& f) {
  const std::string kind = f.at("kind").text();
  if (kind == "none") return std::monostate{};
  if (kind == "crossbar")
    return CrossbarOp{read_crossbar_config(f.at("config")),
                      read_quantiser(f.at("input")),
                      f.at("weight").text(),
                      f.at("bias").text(),
                      f.at("transpose_weight").as<bool>(),
                      f.at("in").as<int>(),
                      f.at("out").as<int>(),
                      read_layout(f.at("layout"))};
  if (kind == "function") return FunctionOp{read_acam_program(f.at("program"))};
  if (kind == "softmax")
    return SoftmaxOp{f.at("input_scale").number(), read_acam_program(f.at("exp")), read_acam_program(f.at("reciprocal")),
                     read_acam_program(f.at("multiply"))};
  if (kind == "norm")
    return NormOp{f.at("rms").as<bool>(),
                  f.at("epsilon").number(),
                  f.at("gamma").text(),
                  f.at("beta").text(),
                  read_quantiser(f.at("input")),
                  read_quantiser(f.at("centred")),
                  read_acam_program(f.at("rsqrt")),
                  read_quantiser(f.at("normalised")),
                  read_quantiser(f.at("gamma_q")),
                  read_acam_program(f.at("multiply"))};
  if (kind == "data_matmul")
    return DataMatMulOp{f.at("a_factor").number(),          f.at("b_factor").number(),
                        f.at("output_factor").number(),     read_quantiser(f.at("a")),
                        read_quantiser(f.at("b")),
                        read_acam_program(f.at("multiply")), read_crossbar_config(f.at("crossbar"))};
  throw Error(ErrorKind::Parse, fmt::format("program: field '{}.kind': unknown operator detail '{}'", f.path, kind));
}

json placement_json(const Placement& p) {
  return {{"first_tile", p.first_tile}, {"tiles", p.tiles}, {"crossbars", p.crossbars},
          {"race_arrays", p.race_arrays}, {"race_spill", p.race_spill}, {"race_replicas", p.race_replicas}};
}

Placement read_placement(const Field& f) {
  Placement p{.first_tile = f.at("first_tile").as<int>(),
              .tiles = f.at("tiles").as<int>(),
              .crossbars = f.at("crossbars").as<int>(),
              .race_arrays = f.at("race_arrays").as<int>(),
              .race_spill = f.at("race_spill").as<int>(),
              .race_replicas = {}};
  const Field replicas = f.at("race_replicas");
  for (std::size_t k = 0; k < replicas.size(); ++k) p.race_replicas.push_back(replicas.at(k).as<int>());
  return p;
}

json op_json(const LoweredOp& op) {
  return {{"node", op.node},
          {"op", model::to_string(op.op)},
          {"engine", to_string(op.engine)},
          {"note", op.note},
          {"partner", op.partner},
          {"factor", op.factor},
          {"detail", detail_json(op.detail)},
          {"events_per_sample", events_json(op.events)},
          {"cells_programmed", op.cells_programmed},
          {"output_elements_per_sample", op.output_elements},
          {"placement", placement_json(op.placement)}};
}

LoweredOp read_op(const Field& f) {
  LoweredOp op;
  op.node = f.at("node").text();
  try {
    op.op = model::op_type_from_string(f.at("op").text());
    op.engine = engine_from_string(f.at("engine").text());
  } catch (const Error& e) {
    throw Error(ErrorKind::Parse, fmt::format("program: operator '{}' ({}): {}", op.node, f.path, e.what()));
  }
  op.note = f.at("note").text();
  op.partner = f.at("partner").as<std::int64_t>();
  op.factor = f.at("factor").number();
  op.detail = read_detail(f.at("detail"));
  op.events = read_events(f.at("events_per_sample"));
  op.cells_programmed = f.at("cells_programmed").as<std::uint64_t>();
  op.output_elements = f.at("output_elements_per_sample").as<std::int64_t>();
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
  return {{"format", kFormat},
          {"version", p.version},
          {"description", "A model compiled for RACE-IT: the engine, quantisation, ACAM programs, crossbar configuration, "
                          "placement and per-sample hardware events of every graph operator, in graph order. Weights "
                          "stay in the model named here (checked by weights_checksum). Field meanings: docs/compiler.md."},
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
          {"placement", {{"tiles", std::move(tiles)}, {"chips", p.chips}}}};
}

Program program_from_json(const json& document) {
  const Field root{document, "$"};
  if (!document.is_object() || !document.contains("format") || document.at("format") != kFormat)
    throw Error(ErrorKind::Parse, fmt::format("not a raceit program (expected \"format\": \"{}\")", kFormat));
  Program p;
  p.version = root.at("version").as<int>();
  if (p.version != kProgramVersion)
    throw Error(ErrorKind::Parse, fmt::format("program version {} cannot be read by this raceit, which reads version {}",
                                              p.version, kProgramVersion));
  p.tool_version = root.at("tool").at("version").text();
  const Field m = root.at("model");
  p.model = {m.at("name").text(), m.at("dataset").text(), m.at("graph").text(), m.at("source").text(),
             m.at("weights_checksum").text()};
  const Field arch = root.at("arch");
  p.arch_name = arch.at("name").text();
  p.arch_path = arch.at("path").text();
  const Field config = arch.at("config");
  for (std::size_t k = 0; k < config.size(); ++k)
    p.config.push_back({config.at(k).at("key").text(), config.at(k).at("value").text(), config.at(k).at("source").text()});
  p.activation_bits = root.at("activation_bits").as<int>();
  const Field c = root.at("calibration");
  p.calibration = {c.at("dataset").text(), c.at("split").text(), c.at("samples").as<std::int64_t>(), c.at("method").text(),
                   c.at("percentile").number()};
  const Field ranges = c.at("ranges");
  for (std::size_t k = 0; k < ranges.size(); ++k)
    p.ranges.emplace_back(ranges.at(k).at("tensor").text(), read_range(ranges.at(k).at("range")));
  const Field ops = root.at("ops");
  for (std::size_t k = 0; k < ops.size(); ++k) p.ops.push_back(read_op(ops.at(k)));
  const Field placement = root.at("placement");
  const Field tiles = placement.at("tiles");
  for (std::size_t k = 0; k < tiles.size(); ++k)
    p.tiles.push_back({tiles.at(k).at("crossbars").as<int>(), tiles.at(k).at("race_arrays").as<int>(),
                       tiles.at(k).at("ops").as<std::vector<std::int64_t>>()});
  p.chips = placement.at("chips").as<int>();
  return p;
}

void write_program(const std::string& path, const Program& program) {
  std::ofstream out(path);
  if (!out) throw Error(ErrorKind::Io, fmt::format("{}: cannot open for writing", path));
  out << to_json(program).dump(1) << "\n";
  if (!out) throw Error(ErrorKind::Io, fmt::format("{}: write failed", path));
}

Program read_program(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::Io, fmt::format("{}: cannot open for reading", path));
  json document;
  try {
    document = json::parse(in);
  } catch (const json::parse_error& e) {
    throw Error(ErrorKind::Parse, fmt::format("{}: not JSON: {}", path, e.what()));
  }
  try {
    return program_from_json(document);
  } catch (const Error& e) {
    throw Error(e.kind(), fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace raceit::compiler

#include "raceit/compiler/program.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <cstring>

#include "engines/support.hpp"
#include "raceit/core/error.hpp"

namespace raceit::compiler {

namespace {

template <std::size_t... I>
constexpr std::array<const char*, kEngines> engine_names(std::index_sequence<I...>) {
  return {std::variant_alternative_t<I, EngineOp>::kName...};
}
constexpr std::array<const char*, kEngines> kEngineNames = engine_names(std::make_index_sequence<kEngines>{});

struct Fnv1a {
  std::uint64_t h = 0xcbf29ce484222325ull;
  void bytes(const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t k = 0; k < n; ++k) h = (h ^ b[k]) * 0x100000001b3ull;
  }
  template <class T>
  void value(const T& v) {
    bytes(&v, sizeof v);
  }
};

std::string events_text(const EventCounts& e) {
  std::string s;
  for (const auto& [name, count] : e.fields())
    if (count) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", name, count);
  return s.empty() ? "-" : s;
}

std::string detail_text(const LoweredOp& op) {
  return std::visit([&](const auto& detail) { return detail_text(detail, op); }, op.detail);
}

}  // namespace

std::string range_text(acam::ValueRange r) { return fmt::format("[{:.4g}, {:.4g}]", r.lo, r.hi); }

std::string quantiser_text(const AffineQuantiser& q) {
  return fmt::format("{} bits, scale {:.4g}, zero {}", q.bits, q.scale, q.zero);
}

std::string program_text(const acam::AcamProgram& p) {
  return fmt::format("{} over {} -> {} ({} {})", p.function, range_text(p.x.range), range_text(p.out_range),
                     p.cells.total(), p.vars == 1 ? "ranges" : "rectangles");
}

std::string folded_factors_text(double a, double b, double output) {
  return a != 1 || b != 1 || output != 1
             ? fmt::format("; folded factors a {:.4g}, b {:.4g}, output {:.4g}", a, b, output)
             : "";
}

const char* to_string(Engine e) { return kEngineNames.at(static_cast<std::size_t>(e)); }

Engine engine_from_string(const std::string& text) {
  for (std::size_t k = 0; k < kEngines; ++k)
    if (text == kEngineNames[k]) return static_cast<Engine>(k);
  throw Error(ErrorKind::Parse, fmt::format("unknown engine '{}'", text));
}

EngineOp engine_op(Engine e) {
  static const std::array<EngineOp, kEngines> ops = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<EngineOp, kEngines>{EngineOp(std::in_place_index<I>)...};
  }(std::make_index_sequence<kEngines>{});
  return ops.at(static_cast<std::size_t>(e));
}

EventCounts Program::total_events() const {
  EventCounts total;
  for (const auto& op : ops) total += op.events;
  return total;
}

std::string model_checksum(const model::Graph& graph) {
  Fnv1a f;
  for (const auto& [name, t] : graph.initializers) {
    f.bytes(name.data(), name.size() + 1);
    f.value(static_cast<int>(t.dtype()));
    for (auto d : t.shape()) f.value(d);
    if (t.is_float())
      f.bytes(t.floats().data(), t.floats().size_bytes());
    else
      f.bytes(t.ints().data(), t.ints().size_bytes());
  }
  return fmt::format("fnv1a64:{:016x}", f.h);
}

void check_model(const Program& program, const model::Graph& graph) {
  const std::string what = fmt::format("model '{}' ({})", graph.name, graph.source);
  if (program.ops.size() != graph.nodes.size())
    throw Error(ErrorKind::InvalidArgument, fmt::format("{} has {} operators, the program was compiled for {} from {}", what,
                                                        graph.nodes.size(), program.ops.size(), program.model.source));
  for (std::size_t i = 0; i < graph.nodes.size(); ++i)
    if (program.ops[i].node != graph.nodes[i].name || program.ops[i].op != graph.nodes[i].op)
      throw Error(ErrorKind::InvalidArgument, fmt::format("{}: operator {} is '{}' ({}), the program has '{}' ({})", what, i,
                                                          graph.nodes[i].name, model::to_string(graph.nodes[i].op),
                                                          program.ops[i].node, model::to_string(program.ops[i].op)));
  const std::string checksum = model_checksum(graph);
  if (checksum != program.model.weights_checksum)
    throw Error(ErrorKind::InvalidArgument, fmt::format("{}: weights checksum {} differs from the program's {}: the weights "
                                                        "changed since it was compiled",
                                                        what, checksum, program.model.weights_checksum));
}

std::string Program::config_value(const std::string& key) const {
  for (const auto& c : config)
    if (c.key == key) return c.value;
  return "";
}

std::string to_text(const Program& p) {
  std::string s;
  s += fmt::format("program      raceit-program v{} (raceit {})\n", p.version, p.tool_version);
  s += fmt::format("model        {}{} (graph {} from {}), weights {}\n", p.model.name,
                   p.model.dataset.empty() ? "" : " for " + p.model.dataset, p.model.graph_name, p.model.source,
                   p.model.weights_checksum);
  s += fmt::format("arch         {} ({})\n", p.arch_name, p.arch_path);
  std::string mapping;
  for (const auto& c : p.config)
    if (c.key.starts_with("mapping.")) mapping += fmt::format("{}{}={}", mapping.empty() ? "" : " ", c.key.substr(8), c.value);
  s += fmt::format("mapping      {}\n", mapping);
  if (p.calibration.samples == 0) {
    s += fmt::format("calibration  none: shape-only model, every activation on [-{0}, {0}] (mapping.nominal_range)\n",
                     p.config_value("mapping.nominal_range"));
  } else {
    s += fmt::format("calibration  {} samples of {} ({} split), {}{}\n", p.calibration.samples, p.calibration.dataset,
                     p.calibration.split, p.calibration.method,
                     p.calibration.method == "percentile" ? fmt::format(" {}", p.calibration.percentile) : "");
  }
  int crossbars = 0, race = 0;
  for (const auto& t : p.tiles) {
    crossbars += t.crossbars;
    race += t.race_arrays;
  }
  s += fmt::format("placement    {} tiles on {} chip(s): {} crossbar arrays, {} RACE arrays\n", p.tiles.size(), p.chips,
                   crossbars, race);
  s += fmt::format("events       per sample: {}\n\n", events_text(p.total_events()));
  std::size_t width = 4;
  for (const auto& op : p.ops) width = std::max(width, op.node.size());
  width = std::min<std::size_t>(width, 48);
  s += fmt::format("{:>4}  {:<{}}  {:<12}  {:<16}  {:<9}  {}\n", "#", "node", width, "op", "engine", "tiles", "mapping");
  for (std::size_t i = 0; i < p.ops.size(); ++i) {
    const LoweredOp& op = p.ops[i];
    if (op.engine() == Engine::None) continue;
    const std::string name = op.node.size() > width ? "…" + op.node.substr(op.node.size() - width + 1) : op.node;
    const std::string tiles = op.placement.first_tile < 0 ? "-"
                              : op.placement.tiles == 1
                                  ? std::to_string(op.placement.first_tile)
                                  : fmt::format("{}-{}", op.placement.first_tile, op.placement.first_tile + op.placement.tiles - 1);
    const std::string copies =
        op.placement.race_replicas.empty()
            ? ""
            : fmt::format("; RACE {} arrays, copies per program {}", op.placement.race_arrays,
                          fmt::join(op.placement.race_replicas, "/"));
    s += fmt::format("{:>4}  {:<{}}  {:<12}  {:<16}  {:<9}  {}{}\n", i, name, width, model::to_string(op.op),
                     to_string(op.engine()), tiles, detail_text(op), copies);
    s += fmt::format("{:>4}  {:<{}}  {}\n", "", "", width, events_text(op.events));
  }
  s += fmt::format("\n({} data-movement and shape operators not listed)\n",
                   std::count_if(p.ops.begin(), p.ops.end(), [](const LoweredOp& op) { return op.engine() == Engine::None; }));
  return s;
}

}  // namespace raceit::compiler

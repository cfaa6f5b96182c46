#include "raceit/compiler/program.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <cstring>

#include "raceit/core/error.hpp"

namespace raceit::compiler {

namespace {

constexpr std::array<std::pair<Engine, const char*>, 10> kEngineNames{{
    {Engine::Crossbar, "crossbar"},
    {Engine::AcamFunction, "acam-function"},
    {Engine::AcamSoftmax, "acam-softmax"},
    {Engine::AcamNorm, "acam-norm"},
    {Engine::AcamDataMatMul, "acam-data-matmul"},
    {Engine::CrossbarWrite, "crossbar-write"},
    {Engine::Digital, "digital"},
    {Engine::Fused, "fused"},
    {Engine::Folded, "folded"},
    {Engine::None, "none"},
}};

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

std::string range_text(acam::ValueRange r) { return fmt::format("[{:.4g}, {:.4g}]", r.lo, r.hi); }

std::string quantiser_text(const AffineQuantiser& q) {
  return fmt::format("{} bits, scale {:.4g}, zero {}", q.bits, q.scale, q.zero);
}

std::string program_text(const acam::AcamProgram& p) {
  return fmt::format("{} over {} -> {} ({} {})", p.function, range_text(p.x.range), range_text(p.out_range),
                     p.cells.total(), p.vars == 1 ? "ranges" : "rectangles");
}

std::string detail_text(const LoweredOp& op) {
  if (!op.note.empty() && (op.engine == Engine::Digital || op.engine == Engine::Folded || op.engine == Engine::Fused))
    return op.note;
  if (const auto* x = std::get_if<CrossbarOp>(&op.detail))
    return fmt::format("{}x{} W '{}'{}; x {}; full scale {:.4g}; {} arrays ({}x{} tiles){}", x->in, x->out, x->weight,
                       x->bias.empty() ? "" : " + bias", quantiser_text(x->input), x->config.full_scale, x->layout.arrays,
                       x->layout.row_blocks, x->layout.col_blocks,
                       x->config.fused_function.empty() ? "" : "; readout computes " + x->config.fused_function);
  if (const auto* f = std::get_if<FunctionOp>(&op.detail)) return program_text(f->program);
  if (const auto* s = std::get_if<SoftmaxOp>(&op.detail))
    return fmt::format("{}; {}; x nibble products", program_text(s->exp), program_text(s->reciprocal));
  if (const auto* n = std::get_if<NormOp>(&op.detail))
    return fmt::format("x {}; {}; gamma {}; x nibble products", quantiser_text(n->input), program_text(n->rsqrt),
                       quantiser_text(n->gamma_q));
  if (const auto* d = std::get_if<DataMatMulOp>(&op.detail)) {
    const std::string factors = d->a_factor != 1 || d->b_factor != 1 || d->output_factor != 1
                                    ? fmt::format("; folded factors a {:.4g}, b {:.4g}, output {:.4g}", d->a_factor,
                                                  d->b_factor, d->output_factor)
                                    : "";
    if (op.engine == Engine::CrossbarWrite)
      return fmt::format("a {}; b written into crossbars, full scale {:.4g}{}", quantiser_text(d->a), d->crossbar.full_scale,
                         factors);
    return fmt::format("|a| scale {:.4g}, |b| scale {:.4g} ({}-bit magnitudes){}", d->a.scale, d->b.scale,
                       d->a.bits - 1, factors);
  }
  return op.engine == Engine::Digital ? "FP32 reference kernel" : op.note;
}

std::string events_text(const EventCounts& e) {
  std::string s;
  for (const auto& [name, count] : e.fields())
    if (count) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", name, count);
  return s.empty() ? "-" : s;
}

}  // namespace

const char* to_string(Engine e) {
  for (const auto& [engine, name] : kEngineNames)
    if (engine == e) return name;
  return "?";
}

Engine engine_from_string(const std::string& text) {
  for (const auto& [engine, name] : kEngineNames)
    if (text == name) return engine;
  throw Error(ErrorKind::Parse, fmt::format("unknown engine '{}'", text));
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
  s += fmt::format("placement    {} tiles on {} chip(s): {} crossbar arrays, {} RACE arrays in {} pools ({})\n",
                   p.tiles.size(), p.chips, crossbars, race, p.race_pools.size(),
                   p.config_value("mapping.race_sharing") == "operator" ? "one per operator's program"
                                                                         : "one per distinct program");
  s += fmt::format("events       per sample: {}\n\n", events_text(p.total_events()));
  std::size_t width = 4;
  for (const auto& op : p.ops) width = std::max(width, op.node.size());
  width = std::min<std::size_t>(width, 48);
  s += fmt::format("{:>4}  {:<{}}  {:<12}  {:<16}  {:<9}  {}\n", "#", "node", width, "op", "engine", "tiles", "mapping");
  for (std::size_t i = 0; i < p.ops.size(); ++i) {
    const LoweredOp& op = p.ops[i];
    if (op.engine == Engine::None) continue;
    const std::string name = op.node.size() > width ? "…" + op.node.substr(op.node.size() - width + 1) : op.node;
    const std::string tiles = op.placement.first_tile < 0 ? "-"
                              : op.placement.tiles == 1
                                  ? std::to_string(op.placement.first_tile)
                                  : fmt::format("{}-{}", op.placement.first_tile, op.placement.first_tile + op.placement.tiles - 1);
    std::vector<std::string> pools;
    for (const int k : op.placement.race_pools)
      pools.push_back(fmt::format("#{} ({}×{})", k, p.race_pools.at(static_cast<std::size_t>(k)).copies,
                                  p.race_pools.at(static_cast<std::size_t>(k)).arrays));
    const std::string copies =
        pools.empty() ? "" : fmt::format("; RACE pools {} (copies × arrays)", fmt::join(pools, ", "));
    s += fmt::format("{:>4}  {:<{}}  {:<12}  {:<16}  {:<9}  {}{}\n", i, name, width, model::to_string(op.op),
                     to_string(op.engine), tiles, detail_text(op), copies);
    s += fmt::format("{:>4}  {:<{}}  {}\n", "", "", width, events_text(op.events));
  }
  s += fmt::format("\n({} data-movement and shape operators not listed)\n",
                   std::count_if(p.ops.begin(), p.ops.end(), [](const LoweredOp& op) { return op.engine == Engine::None; }));
  return s;
}

}  // namespace raceit::compiler

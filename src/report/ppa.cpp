#include "raceit/report/ppa.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "raceit/compiler/place.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/units.hpp"
#include "raceit/exec/compile.hpp"
#include "raceit/model/statistics.hpp"
#include "comparison.hpp"

namespace raceit::report {

namespace {

using comparison::seconds;
using comparison::joules;

std::string calibration_of(const compiler::Program& p) {
  if (p.calibration.samples == 0)
    return fmt::format("none (no calibration data): activations on [-{0}, {0}] (mapping.nominal_range)",
                       p.config_value("mapping.nominal_range"));
  return fmt::format("{} {} samples of {}, {}", p.calibration.samples, p.calibration.split, p.calibration.dataset,
                     p.calibration.method);
}

// The layer an operator belongs to: its name up to the first number that follows a letter or a
// dot and ends a name component ("layer3.attn.q" → "layer3", "/blocks.0/attn/MatMul" → "blocks.0");
// operators without one are "input" before the first layer and "output" after it.
std::string layer_of(const std::string& node, bool seen_layer) {
  for (std::size_t i = 1; i < node.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(node[i])) ||
        !(std::isalpha(static_cast<unsigned char>(node[i - 1])) || node[i - 1] == '.'))
      continue;
    std::size_t end = i;
    while (end < node.size() && std::isdigit(static_cast<unsigned char>(node[end]))) ++end;
    if (end == node.size() || node[end] == '.' || node[end] == '/') {
      const std::size_t start = node.find_first_not_of('/');
      return node.substr(start, end - start);
    }
  }
  return seen_layer ? "output" : "input";
}

struct Group {
  std::string name;
  int ops = 0;
  double time = 0, energy = 0;
};

// Operators summed per key, in order of first appearance.
template <class Key>
std::vector<Group> grouped(const std::vector<OpCost>& ops, Key&& key) {
  std::vector<Group> groups;
  for (const auto& op : ops) {
    const std::string k = key(op);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.name == k; });
    if (it == groups.end()) it = groups.insert(groups.end(), Group{.name = k});
    ++it->ops;
    it->time += op.time;
    it->energy += op.energy;
  }
  return groups;
}

std::vector<Group> by_layer(const std::vector<OpCost>& ops) {
  bool seen = false;
  return grouped(ops, [&](const OpCost& op) {
    const std::string layer = layer_of(op.name, seen);
    seen = seen || (layer != "input" && layer != "output");
    return layer;
  });
}

nlohmann::json assumptions_json(const std::vector<arch::Assumption>& assumptions) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : assumptions) out.push_back({{"key", a.key}, {"value", a.value}, {"source", a.source}});
  return out;
}

// A whole-number key of the program's resolved configuration; 0 when the design has none.
int config_int(const compiler::Program& program, const std::string& key) {
  const std::string text = program.config_value(key);
  if (text.empty()) return 0;
  try {
    return std::stoi(text);
  } catch (const std::exception&) {
    throw Error(ErrorKind::InvalidArgument, fmt::format("program: configuration key '{}' is '{}', not a whole number", key, text));
  }
}

std::string ratio(double v) { return v >= 100 ? fmt::format("{:.0f}x", v) : fmt::format("{:.3g}x", v); }

// Operands a matmul of `products` products into `outputs` outputs needs when `tiles` tiles each
// compute a square block of the outputs: per tile √(outputs/tiles) rows and as many columns of k =
// products/outputs operands each, i.e. 2·k·√(outputs·tiles) in all.
double blocked_operands(double products, double outputs, int tiles) {
  if (outputs <= 0 || tiles < 1) return 2 * products;
  return 2 * products / outputs * std::sqrt(outputs * tiles);
}

}  // namespace

perf::Workload workload_of(const compiler::Program& program, std::int64_t batch, std::int64_t tokens) {
  if (batch < 1) throw Error(ErrorKind::InvalidArgument, fmt::format("batch must be at least 1, got {}", batch));
  perf::Workload w;
  w.model = program.model.name;
  w.batch = batch;
  w.tokens = tokens;
  const auto b = static_cast<std::uint64_t>(batch);
  const acam::ArrayShape race_shape{.rows = config_int(program, "race.rows"),
                                    .cells = config_int(program, "race.cells")};
  bool waited = false;  // a data matmul since the last weight matmul already waited for the sequence
  for (const compiler::LoweredOp& op : program.ops) {
    if (op.engine() == compiler::Engine::None || op.engine() == compiler::Engine::Folded ||
        op.engine() == compiler::Engine::Fused)
      continue;
    perf::OpDemand d;
    d.name = op.node;
    d.kind = compiler::to_string(op.engine());
    d.events = op.events;
    d.events *= b;
    d.events.cells_programmed = op.cells_programmed;  // once, not per sample
    d.crossbars = op.placement.crossbars;
    d.output_bits = op.output_elements * program.activation_bits * batch;
    d.tile = op.placement.first_tile;
    if (op.placement.crossbars > 0) waited = false;
    // Q·Kᵀ needs every key row. softmax·V reads V, which a weight matmul before Q·Kᵀ completed, and
    // row i of the probabilities: it streams.
    d.whole_sequence = op.op == model::OpType::DataMatMul && !waited;
    if (d.whole_sequence) waited = true;
    // A lookup searches every array of one copy of its program's pool. Its operands reach the
    // pool's tiles over the mesh: one activation per 1-var lookup and two per element-wise 8×8
    // product (four 2-var lookups), as they reach the arrays from the registers
    // (compiler/events.cpp); a data matmul's pool tiles each compute a square block of the outputs,
    // receiving the block's rows and columns once.
    const auto demand = compiler::race_demand(op, race_shape);
    if (demand.size() != op.placement.race_pools.size())
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("program: operator '{}' has {} ACAM programs but {} RACE pools", op.node, demand.size(),
                              op.placement.race_pools.size()));
    if (!demand.empty()) d.events.race_1var_lookups = d.events.race_2var_lookups = 0;
    for (std::size_t k = 0; k < demand.size(); ++k) {
      const std::uint64_t lookups = demand[k].lookups * b;
      (demand[k].two_var ? d.events.race_2var_lookups : d.events.race_1var_lookups) +=
          lookups * static_cast<std::uint64_t>(demand[k].arrays);
      const auto pool = static_cast<std::size_t>(op.placement.race_pools[k]);
      double operands = static_cast<double>(lookups) / (demand[k].two_var ? 2 : 1);
      if (op.engine() == compiler::Engine::AcamDataMatMul && pool < program.race_pools.size())
        operands = std::min(operands, blocked_operands(static_cast<double>(lookups) / 4,
                                                       static_cast<double>(op.output_elements * batch),
                                                       program.race_pools[pool].tiles));
      d.race.push_back({.pool = op.placement.race_pools[k],
                        .lookups = static_cast<std::int64_t>(lookups),
                        .operand_bits = static_cast<std::int64_t>(std::ceil(operands)) * program.activation_bits});
    }
    w.ops.push_back(std::move(d));
  }
  for (const compiler::RacePool& pool : program.race_pools)
    w.race_pools.push_back({.copies = pool.copies, .first_tile = pool.first_tile, .tiles = pool.tiles});
  return w;
}

CostStudy::CostStudy(std::string model, Options options, model::DataPaths paths)
    : model_(exec::load_for_compile({.model = std::move(model),
                                     .dataset = options.dataset,
                                     .arch = {},
                                     .overrides = {},
                                     .calibration_samples = options.calibration_samples,
                                     .threads = options.threads,
                                     .sequence_length = options.sequence_length,
                                     .calibration_data = options.calibration_data,
                                     .dims = options.dims,
                                     .progress = options.progress,
                                     .past_tokens = options.past_tokens},
                                    paths)),
      gpu_precision_(options.gpu_precision),
      tokens_(model::graph_statistics(model_.graph, model_.sequence_length).tokens) {}

Ppa CostStudy::header(const arch::ArchSpec& spec, std::int64_t batch) const {
  Ppa r;
  r.model = model_.ref.name;
  r.arch = spec.name;
  r.arch_path = spec.path;
  r.kind = arch::to_string(spec.kind);
  r.batch = batch;
  r.tokens = tokens_;
  return r;
}

compiler::Program CostStudy::compile(const arch::ArchSpec& spec) const { return exec::compile_loaded(model_, spec); }

Ppa CostStudy::estimate(const std::string& arch, const std::vector<std::string>& overrides, std::int64_t batch) const {
  const arch::ArchSpec spec = compiler::load_arch(arch::arch_path(arch), overrides);
  if (spec.kind == arch::ArchKind::Gpu) {
    if (batch < 1) throw Error(ErrorKind::InvalidArgument, fmt::format("batch must be at least 1, got {}", batch));
    const perf::GpuEstimate g = perf::estimate_gpu(model_.graph, spec, {.sequence_length = tokens_, .batch = batch, .precision = gpu_precision_});
    Ppa r = header(spec, batch);
    r.mode = fmt::format("{} {}", arch::to_string(g.software), perf::to_string(gpu_precision_));
    r.latency = g.latency;
    r.throughput = g.latency > 0 ? static_cast<double>(batch) / g.latency : 0;
    r.energy = g.energy / static_cast<double>(batch);
    r.power = g.power;
    r.area = spec.gpu.die_area;
    r.calibration = "not needed (roofline of the graph)";
    r.by_component = {{.component = "gpu", .energy = r.energy}};
    for (const perf::GpuOpCost& op : g.ops)
      if (op.time > 0) r.by_op.push_back({op.node, model::to_string(op.op), -1, op.time, 0.0, op.bound});
    r.assumptions = g.assumptions;
    r.notes = g.notes;
    return r;
  }
  return estimate(compile(spec), spec, batch);
}

Ppa CostStudy::estimate(const compiler::Program& program, const arch::ArchSpec& spec, std::int64_t batch) const {
  const perf::PerfReport p = perf::evaluate_pipeline(workload_of(program, batch, tokens_), spec);
  const double per_inference = 1.0 / static_cast<double>(batch);
  Ppa r = header(spec, batch);
  r.latency = p.latency;
  r.throughput = p.throughput;
  r.energy = p.energy * per_inference;
  r.power = p.power;
  r.area = p.area;
  r.chips = p.chips;
  r.system_chips = p.system_chips;
  r.copies = p.copies;
  r.link_energy = p.link_energy * per_inference;
  r.link_bits = static_cast<double>(p.link_bits) * per_inference;
  r.programming_energy = p.programming_energy;
  r.calibration = calibration_of(program);
  for (const auto& c : p.by_component) r.by_component.push_back({c.component, c.energy * per_inference});
  if (p.leakage_energy > 0) r.by_component.push_back({"leakage", p.leakage_energy * per_inference});
  for (const auto& op : p.ops) r.by_op.push_back({op.name, op.kind, op.stage, op.time, op.energy, op.bottleneck});
  r.stages = p.stages;
  r.assumptions = p.assumptions;
  // The mapping keys that decide what the compiler places and how many events it counts.
  // Left out: engines whose alternative needs units the design lacks (a digital function needs
  // SFUs), fusion when nothing could fuse, and the nominal range, which sizes programs without
  // changing the arrays they occupy.
  std::vector<std::string> mapping = {"mapping.activation_bits", "mapping.weight_encoding", "mapping.weight_sign",
                                      "mapping.scale_fold"};
  // Analog slicing keeps a weight's magnitude in one cell: fewer weight bits change nothing, more
  // do not fit.
  if (program.config_value("mapping.weight_encoding") != "analog-slice") mapping.push_back("mapping.weight_bits");
  // Combining in analog merges error cells and signs; a differential pair of single cells has neither.
  if (program.config_value("mapping.weight_encoding") == "analog-slice" || program.config_value("mapping.weight_sign") == "separate")
    mapping.push_back("mapping.analog_combine");
  if (spec.imc.readout == arch::Readout::Acam || spec.imc.race_units > 0) mapping.push_back("mapping.acam_encoding");
  if (spec.imc.sfus > 0) mapping.insert(mapping.end(), {"mapping.function", "mapping.softmax", "mapping.layernorm"});
  if (spec.imc.vector_units > 0 || spec.imc.race_units > 0) mapping.push_back("mapping.data_matmul");
  if (std::any_of(program.ops.begin(), program.ops.end(), [](const auto& op) { return op.engine() == compiler::Engine::Fused; }))
    mapping.push_back("mapping.fuse");
  if (spec.imc.race_units > 0) mapping.push_back(spec.imc.race_reprogram ? "mapping.race_reprogram" : "mapping.race_replication");
  if (spec.imc.race_units > 0 && !spec.imc.race_reprogram) mapping.push_back("mapping.race_reprogram");
  if (program.calibration.samples > 0) {
    mapping.push_back("mapping.calibration");
    if (program.calibration.method == "percentile") mapping.push_back("mapping.percentile");
  }
  for (arch::Assumption& a : arch::assumptions_of(spec, mapping)) r.assumptions.push_back(std::move(a));
  r.notes = p.notes;
  r.notes.push_back("calibration: " + r.calibration);
  r.notes.push_back(fmt::format("batch = {}, tokens per sample = {}", batch, tokens_));
  return r;
}

nlohmann::json to_json(const Ppa& r) {
  nlohmann::json components = nlohmann::json::array(), ops = nlohmann::json::array(), stages = nlohmann::json::array();
  for (const auto& c : r.by_component) components.push_back({{"component", c.component}, {"energy_j", c.energy}});
  for (const auto& op : r.by_op)
    ops.push_back({{"name", op.name},
                   {"kind", op.kind},
                   {"stage", op.stage},
                   {"time_s", op.time},
                   {"energy_j", op.energy},
                   {"bottleneck", op.bottleneck}});
  nlohmann::json layers = nlohmann::json::array();
  for (const Group& g : by_layer(r.by_op))
    layers.push_back({{"layer", g.name}, {"ops", g.ops}, {"time_s", g.time}, {"energy_j", g.energy}});
  for (const auto& s : r.stages)
    stages.push_back({{"chip", s.chip},
                      {"crossbars", s.crossbars},
                      {"time_s", s.time},
                      {"bottleneck", s.bottleneck},
                      {"ops", s.ops}});
  return {{"model", r.model},
          {"arch", r.arch},
          {"arch_path", r.arch_path},
          {"kind", r.kind},
          {"gpu_mode", r.mode},
          {"batch", r.batch},
          {"tokens", r.tokens},
          {"latency_s", r.latency},
          {"latency_per_token_s", r.latency / static_cast<double>(std::max<std::int64_t>(r.tokens, 1))},
          {"throughput_inf_per_s", r.throughput},
          {"energy_j", r.energy},
          {"power_w", r.power},
          {"area_mm2", r.area * 1e6},
          {"chips", r.chips},
          {"system_chips", r.system_chips},
          {"pipeline_copies", r.copies},
          {"programming_energy_j", r.programming_energy},
          {"calibration", r.calibration},
          {"breakdown", {{"by_component", components}, {"by_layer", layers}, {"by_op", ops}, {"stages", stages}}},
          {"assumptions", assumptions_json(r.assumptions)},
          {"notes", r.notes}};
}

std::string to_text(const Ppa& r) {
  std::string s;
  s += fmt::format("{} on {}{} ({}), batch {}, {} tokens per sample\n", r.model, r.arch,
                   r.mode.empty() ? "" : " [" + r.mode + "]", r.arch_path, r.batch, r.tokens);
  s += fmt::format("latency      {} per batch ({} per token)\n", seconds(r.latency),
                   seconds(r.latency / static_cast<double>(std::max<std::int64_t>(r.tokens, 1))));
  s += fmt::format("throughput   {:.4g} inferences/s{}\n", r.throughput, r.kind == "imc" ? " (layer-pipelined)" : "");
  s += fmt::format(
      "energy       {} per inference{}\n", joules(r.energy),
      r.programming_energy > 0 ? fmt::format("; programming the weights once: {}", joules(r.programming_energy)) : "");
  s += fmt::format("power        {:.4g} W\n", r.power);
  s += fmt::format("area         {:.4g} mm² ({} chip{}{})\n", r.area * 1e6, r.system_chips, r.system_chips == 1 ? "" : "s",
                   r.system_chips == r.chips ? ""
                                             : fmt::format(": {} cop{} of the model's {}-chip pipeline", r.copies,
                                                           r.copies == 1 ? "y" : "ies", r.chips));
  s += fmt::format("calibration  {}\n", r.calibration);

  s += "\nenergy per inference by component\n";
  double total = 0;
  for (const auto& c : r.by_component) total += c.energy;
  for (const auto& c : r.by_component)
    s += fmt::format("  {:<14} {:>12}  {:5.1f}%\n", c.component, joules(c.energy),
                     total > 0 ? 100 * c.energy / total : 0.0);

  // Time and energy per engine (IMC) or operator type (GPU), and per layer.
  const bool imc = r.kind == "imc";
  for (const auto& [title, groups] :
       {std::pair{imc ? "engine" : "operator", grouped(r.by_op, [](const OpCost& op) { return op.kind; })},
        std::pair{"layer", by_layer(r.by_op)}}) {
    s += fmt::format("\n{:<18} {:>5} {:>12} {:>14}\n", title, "ops", "busy time", imc ? "energy/batch" : "");
    for (const Group& g : groups)
      s += fmt::format("{:<18} {:>5} {:>12} {:>14}\n", g.name, g.ops, seconds(g.time), imc ? joules(g.energy) : "");
  }
  if (!r.stages.empty()) {
    const auto slowest = std::max_element(r.stages.begin(), r.stages.end(),
                                          [](const auto& a, const auto& b) { return a.time < b.time; });
    s += fmt::format("\n{} pipeline stages; slowest: stage {} ({}, {}, bottleneck {})\n", r.stages.size(),
                     slowest - r.stages.begin(), slowest->ops.front(), seconds(slowest->time), slowest->bottleneck);
  }
  s += "\nassumptions (keys the figures depend on)\n";
  for (const auto& a : r.assumptions) s += fmt::format("  {} = {} ({})\n", a.key, a.value, a.source);
  s += "\nmodel\n";
  for (const auto& n : r.notes) s += "  " + n + "\n";
  return s;
}

nlohmann::json comparison_json(const std::vector<Ppa>& results) {
  const Ppa& ref = comparison::reference(results);
  return {{"model", ref.model},
          {"batch", ref.batch},
          {"tokens", ref.tokens},
          {"reference", ref.arch},
          {"ratios",
           "speedup = latency / the reference's latency; "
           "throughput_gain = the reference's throughput / "
           "throughput; energy_ratio = energy / the reference's "
           "energy (all > 1: the reference is better)"},
          {"archs", comparison::with_ratios<Ppa>(
                        results, {{.key = "speedup", .of = [](const Ppa& r, const Ppa& ref) { return r.latency / ref.latency; }},
                                  {.key = "throughput_gain",
                                   .of = [](const Ppa& r, const Ppa& ref) { return ref.throughput / r.throughput; }},
                                  {.key = "energy_ratio", .of = [](const Ppa& r, const Ppa& ref) { return r.energy / ref.energy; }}})}};
}

std::string comparison_text(const std::vector<Ppa>& results) {
  const Ppa& ref = comparison::reference(results);
  std::string s = fmt::format(
      "{}, batch {}, {} tokens per sample; ratios: the other "
      "design over {} (> 1: {} is better)\n\n",
      ref.model, ref.batch, ref.tokens, ref.arch, ref.arch);
  s += fmt::format(
      "{:<20} {:>5} {:>11} {:>13} {:>11} {:>9} {:>11} {:>8} "
      "{:>11} {:>11} {:>11}\n",
      "arch", "kind", "latency", "throughput/s", "energy/inf", "power W", "area mm²", "chips", "speed-up", "thr. gain",
      "energy");
  for (const Ppa& r : results)
    s += fmt::format(
        "{:<20} {:>5} {:>11} {:>13.4g} {:>11} {:>9.4g} {:>11.4g} {:>8} {:>11} "
        "{:>11} {:>11}\n",
        comparison::arch_label(r.arch, r.mode), r.kind, seconds(r.latency), r.throughput, joules(r.energy), r.power, r.area * 1e6, r.chips,
        ratio(r.latency / ref.latency), ratio(ref.throughput / r.throughput), ratio(r.energy / ref.energy));
  return s;
}

}  // namespace raceit::report

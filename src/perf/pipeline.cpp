#include "raceit/perf/pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "raceit/core/error.hpp"
#include "raceit/perf/components.hpp"

namespace raceit::perf {

namespace {

// Resources without weights or programs: the operators running at once share the chip's
// instances. (Gray decoders serve RACE arrays as well as readout columns; their busy time is small
// either way.) RACE arrays hold their programs: each operator has its own (OpDemand::race_lookups).
bool is_pooled(const std::string& component) {
  return component == "gray_decoder" || component == "adder" || component == "vector_unit" || component == "sfu";
}

struct Bound {
  double time = 0;
  std::string resource;
  void raise(double t, const std::string& r) {
    if (t > time) {
      time = t;
      resource = r;
    }
  }
};

using BusyMap = std::map<std::string, double>;  // resource → busy time over one
                                                // chip's instances

void add_busy(BusyMap& total, const EventPricing& p) {
  for (const ResourceBound& r : p.resources) total[r.component] += r.busy_time;
}

// Tied resources on a `fraction` of the chip, RACE arrays at `race` (the operator's own arrays;
// negative: rewritten at run time, so pooled), pooled ones at the busy time `pool` gives them
// (nullptr: their own busy time).
Bound bound_of(const EventPricing& p, double fraction, double race, const BusyMap* pool) {
  Bound b;
  for (const ResourceBound& r : p.resources) {
    if (r.busy_time <= 0) continue;
    if (r.component == "race_array" && race >= 0)
      b.raise(race, r.component);
    else if (is_pooled(r.component) || r.component == "race_array")
      b.raise(pool ? pool->at(r.component) : r.busy_time, r.component);
    else
      b.raise(r.busy_time / fraction, r.component);
  }
  return b;
}

// Router hops of `flits` sent from tile `from` to tile `to` of a mesh (both on one chip).
std::uint64_t mesh_hops(const arch::ImcSpec& c, int from, int to, std::uint64_t flits) {
  const int routers = (c.tiles + c.tiles_per_router - 1) / c.tiles_per_router;
  const int side = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(routers))));
  const int a = (from % c.tiles) / c.tiles_per_router, b = (to % c.tiles) / c.tiles_per_router;
  const int distance = std::abs(a % side - b % side) + std::abs(a / side - b / side);
  return flits * static_cast<std::uint64_t>(distance + 1);
}

// The component a components.NAME group prices.
std::vector<std::string> priced_components(const std::string& group) {
  if (group == "acam") return {"acam_readout", "race_array"};
  if (group == "xor") return {"gray_decoder"};
  if (group == "sram" || group == "edram") return {"buffer"};
  return {group};
}

// The architecture keys this result depends on: perturbing any of them changes it. Left out:
// technology.clock (component latencies are given in seconds), single-choice keys, counts of
// units the design has none of, and costs of actions that never happen or never bound a time.
std::vector<std::string> hardware_keys(const arch::ArchSpec& spec, const ResolvedArch& arch,
                                       const std::map<std::string, double>& charged,
                                       const std::set<std::string>& bottlenecks, const PerfReport& r,
                                       bool run_time_writes) {
  const ParamSet& p = spec.params;
  const arch::ImcSpec& c = spec.imc;
  std::vector<std::string> keys;
  for (const auto& s : p.specs()) {
    const std::string& key = s.key;
    if (!p.has(key) || key == "kind" || key == "technology.clock" || key == "noc.topology" || key.starts_with("mapping.") ||
        key.starts_with("gpu."))
      continue;
    if (!key.starts_with("components.")) {
      // A count of zero names units the design lacks; adding some needs their costs.
      if (s.choices.empty() && p.number(key) == 0) continue;
      // Links cost area and leakage if the source gives any, and carry activations across chips.
      const ResolvedComponent* link = arch.find("link");
      if (key == "chip.links" && r.chips == 1 && !(link && (link->area > 0 || link->leakage > 0))) continue;
      // A choice whose alternative needs cost groups the file does not have.
      if (key == "tile.buffer_kind" && !(p.has("components.sram.energy") || p.has("components.sram.power")) !=
                                           !(p.has("components.edram.energy") || p.has("components.edram.power")))
        continue;
      if (key == "crossbar.readout" && !(p.has("components.adc.latency") && p.has("components.acam.latency"))) continue;
      // Analog slicing stores a weight's magnitude in one cell whatever the cell holds beyond it.
      if (key == "crossbar.bits_per_cell" && p.word("mapping.weight_encoding") == "analog-slice") continue;
      keys.push_back(key);
      continue;
    }
    const std::string group = key.substr(11, key.find('.', 11) - 11), field = key.substr(key.rfind('.') + 1);
    bool present = false, used = false, bounding = false;
    double area = 0, leakage = 0;
    for (const std::string& name : priced_components(group)) {
      const ResolvedComponent* rc = arch.find(name);
      if (!rc) continue;
      present = true;
      used = used || charged.count(name) > 0;
      bounding = bounding || bottlenecks.count(name) > 0;
      area += rc->area;
      leakage += rc->leakage;
    }
    if (!present) continue;
    const auto& specs = p.specs();
    const std::string power_key = "components." + group + ".power";
    const bool by_power = std::any_of(specs.begin(), specs.end(), [&](const ParamSpec& k) { return k.key == power_key; }) &&
                          p.has(power_key);
    bool depends = true;
    if (field == "energy" || field == "power" || field == "energy_per_bit")
      depends = used;
    else if (field == "latency" || field == "bandwidth")
      // The read time is the slower of settling and conversion; it sets the crossbar's and DACs' energy.
      depends = group == "crossbar" ? c.crossbar.latency >= read_time(c) && (used || bottlenecks.count("crossbar"))
                : group == "dac"    ? false
                : group == "link"   ? used
                : group == "acam" || group == "adc"
                    ? used && (read_time(c) >= c.crossbar.latency || bounding)
                    : bounding || (by_power && used);
    else if (field == "node")
      depends = used || area > 0 || leakage > 0;
    else if (field == "vdd")  // scales energy and leakage, not area
      depends = used || leakage > 0;
    else if (field == "write_energy")
      depends = r.programming_energy > 0;
    else if (field == "write_latency")
      depends = run_time_writes || (c.race_reprogram && r.reprogramming_energy > 0);
    else if (group == "acam")
      depends = c.acam.model == arch::AcamModel::Lumped ? field != "row_energy" && field != "line_energy" && field != "row_area"
                                                  : !field.starts_with("lumped");
    if (depends) keys.push_back(key);
  }
  return keys;
}

}  // namespace

PerfReport evaluate_pipeline(const Workload& w, const arch::ArchSpec& spec) {
  if (spec.kind != arch::ArchKind::Imc)
    throw Error(ErrorKind::Unsupported, "'" + spec.name + "' is a GPU: use the roofline estimate (perf/gpu.hpp)");
  if (w.ops.empty()) throw Error(ErrorKind::InvalidArgument, "workload '" + w.model + "' has no operators");
  if (w.batch < 1 || w.tokens < 1)
    throw Error(ErrorKind::InvalidArgument, fmt::format("workload '{}': batch and tokens must be at least 1", w.model));
  const ResolvedArch arch = resolve(spec);
  const double chip_crossbars = static_cast<double>(arch.crossbars);
  PerfReport r;
  r.arch = spec.name;

  // Stages and their operators.
  std::vector<std::vector<std::size_t>> stage_ops;
  std::vector<std::int64_t> stage_crossbars;
  for (std::size_t i = 0; i < w.ops.size(); ++i) {
    const OpDemand& op = w.ops[i];
    if (op.crossbars > 0 || stage_ops.empty()) {
      if (op.crossbars > 0 && !stage_ops.empty() && stage_crossbars.back() == 0) {
        stage_crossbars.back() = op.crossbars;  // leading weight-free operators join the first stage
      } else {
        stage_ops.emplace_back();
        stage_crossbars.push_back(op.crossbars);
      }
    }
    stage_ops.back().push_back(i);
  }
  if (stage_crossbars.front() == 0)
    throw Error(ErrorKind::InvalidArgument, "workload '" + w.model + "' has no weight matmul to place on crossbars");

  // Layer-contiguous packing onto chips.
  double used = 0;
  int chip = 0;
  std::vector<int> stage_chip, stage_last_chip;
  std::vector<double> stage_fraction;
  for (std::int64_t c : stage_crossbars) {
    const double need = static_cast<double>(c);
    if (used > 0 && used + need > chip_crossbars) {
      ++chip;
      used = 0;
    }
    stage_chip.push_back(chip);
    const int spans = static_cast<int>(std::ceil(need / chip_crossbars));
    if (spans > 1) {
      chip += spans - 1;
      used = need - (spans - 1) * chip_crossbars;
    } else {
      used += need;
    }
    stage_last_chip.push_back(chip);
    // A stage spanning chips owns all of each; otherwise its share of one chip.
    stage_fraction.push_back(std::max(1.0, std::ceil(need / chip_crossbars)) * std::min(1.0, need / chip_crossbars));
  }
  r.chips = chip + 1;

  // Price every operator once; pooled busy time per chip (steady state) and per
  // segment (latency).
  std::vector<EventPricing> priced;
  std::vector<int> op_stage(w.ops.size()), op_segment(w.ops.size());
  std::map<int, BusyMap> chip_pool;
  std::map<std::pair<int, int>, BusyMap> segment_pool;  // (segment, chip)
  std::map<std::string, double> component_energy;
  std::vector<double> race_time(w.ops.size(), 0.0);
  std::set<int> race_segments;  // segments with RACE work (mapping.race_reprogram)
  const ResolvedComponent* race_array = arch.find("race_array");
  int segment = 0;
  std::uint64_t cells_programmed = 0;
  int tile = 0;
  for (std::size_t s = 0; s < stage_ops.size(); ++s)
    for (std::size_t i : stage_ops[s]) {
      const OpDemand& op = w.ops[i];
      EventCounts events = op.events;
      cells_programmed += events.cells_programmed;
      events.cells_programmed = 0;
      // Its output travels to the next operator's tile.
      if (op.tile >= 0) tile = op.tile;
      int next = tile;
      for (std::size_t j = i + 1; j < w.ops.size(); ++j)
        if (w.ops[j].tile >= 0) {
          next = w.ops[j].tile;
          break;
        }
      if (op.output_bits > 0)
        events.noc_flit_hops += mesh_hops(spec.imc, tile, next,
                                          (static_cast<std::uint64_t>(op.output_bits) + spec.imc.flit_bits - 1) /
                                              static_cast<std::uint64_t>(spec.imc.flit_bits));
      const bool looks_up = events.race_1var_lookups + events.race_2var_lookups > 0;
      if (spec.imc.race_reprogram) {
        race_time[i] = -1;  // pooled: each segment rewrites the arrays with its programs
      } else if (looks_up) {
        if (op.race_lookups <= 0 || !race_array)
          throw Error(ErrorKind::InvalidArgument,
                      fmt::format("workload '{}': operator '{}' looks up RACE arrays but holds none", w.model, op.name));
        race_time[i] = static_cast<double>(op.race_lookups) * race_array->actions.front().interval;
      }
      priced.push_back(price_events(spec, arch, events));
      if (w.ops[i].whole_sequence && i > 0) ++segment;
      op_stage[i] = static_cast<int>(s);
      op_segment[i] = segment;
      if (looks_up) race_segments.insert(segment);
      add_busy(chip_pool[stage_chip[s]], priced.back());
      add_busy(segment_pool[{segment, stage_chip[s]}], priced.back());
      r.energy += priced.back().total_energy;
      for (const ComponentCost& c : priced.back().components) component_energy[c.component] += c.energy;
    }
  r.segments = segment + 1;
  r.programming_energy = price_events(spec, arch, EventCounts{.cells_programmed = cells_programmed}).total_energy;

  // Steady state: stage times and link transfers.
  double slowest = 0;
  for (std::size_t s = 0; s < stage_ops.size(); ++s) {
    StageReport stage;
    stage.chip = stage_chip[s];
    stage.crossbars = stage_crossbars[s];
    EventPricing total;
    BusyMap busy;
    for (std::size_t i : stage_ops[s]) {
      add_busy(busy, priced[i]);
      stage.ops.push_back(w.ops[i].name);
    }
    double race = spec.imc.race_reprogram ? -1 : 0;
    for (std::size_t i : stage_ops[s]) race = std::max(race, race_time[i]);
    for (const auto& [component, time] : busy) total.resources.push_back({component, 0, time});
    const Bound b = bound_of(total, stage_fraction[s], race, &chip_pool.at(stage.chip));
    stage.time = b.time;
    stage.bottleneck = b.resource;
    slowest = std::max(slowest, stage.time);
    // Activations leaving the chip cross a link before the next stage.
    if (s + 1 < stage_ops.size() && stage_chip[s + 1] != stage_last_chip[s]) {
      const auto bits = static_cast<std::uint64_t>(w.ops[stage_ops[s].back()].output_bits);
      const EventPricing link = price_events(spec, arch, EventCounts{.link_bits = bits});
      const double link_time = link.latency_lower_bound;
      r.link_energy += link.total_energy;
      r.link_time += link_time;
      slowest = std::max(slowest, link_time);
      component_energy["link"] += link.total_energy;
    }
    r.stages.push_back(std::move(stage));
  }
  // Run-time reprogramming (mapping.race_reprogram): before each segment with RACE work every
  // RACE array is rewritten with that segment's programs, two thresholds per cell, one cell
  // position (all rows at once) per write; the arrays are shared by every stage, so a batch
  // rewrites them once per such segment.
  double rewrite_time = 0;
  if (spec.imc.race_reprogram && race_array && !race_segments.empty()) {
    const double n = static_cast<double>(race_segments.size());
    const double cells = static_cast<double>(arch.race_arrays) * r.chips * spec.imc.race_rows * spec.imc.race_cells * 2;
    rewrite_time = n * 2 * spec.imc.race_cells * spec.imc.write_latency;
    r.reprogramming_energy = n * cells * spec.imc.write_energy;
    r.energy += r.reprogramming_energy;
    component_energy["race_array"] += r.reprogramming_energy;
    slowest += rewrite_time;
  }
  r.throughput = slowest > 0 ? static_cast<double>(w.batch) / slowest : 0;

  // Latency: rows stream through each segment; segments follow one another.
  const double rows = static_cast<double>(w.batch * w.tokens);
  // An operator's own work fills the pipeline; the row interval is its slowest operator or the
  // segment's pooled work on one chip, whichever is longer.
  std::vector<double> fill(static_cast<std::size_t>(r.segments), 0.0), row_bottleneck(fill);
  for (std::size_t i = 0; i < w.ops.size(); ++i) {
    const int s = op_stage[i];
    const Bound b = bound_of(priced[i], stage_fraction[static_cast<std::size_t>(s)], race_time[i], nullptr);
    r.ops.push_back({w.ops[i].name, w.ops[i].kind, s, op_segment[i], b.time, priced[i].total_energy, b.resource});
    const auto k = static_cast<std::size_t>(op_segment[i]);
    fill[k] += b.time / rows;
    row_bottleneck[k] = std::max(row_bottleneck[k], b.time / rows);
  }
  for (const auto& [where, busy] : segment_pool)
    for (const auto& [component, time] : busy)
      if (is_pooled(component) || (spec.imc.race_reprogram && component == "race_array"))
        row_bottleneck[static_cast<std::size_t>(where.first)] =
            std::max(row_bottleneck[static_cast<std::size_t>(where.first)], time / rows);
  for (std::size_t k = 0; k < fill.size(); ++k)
    r.sample_latency += fill[k] + static_cast<double>(w.tokens - 1) * row_bottleneck[k];
  r.sample_latency += r.link_time / static_cast<double>(w.batch) + rewrite_time;
  r.latency = r.sample_latency + (r.throughput > 0 ? static_cast<double>(w.batch - 1) / r.throughput : 0.0);

  r.leakage_energy = arch.leakage_power * r.chips * r.latency;
  r.energy += r.link_energy + r.leakage_energy;
  r.power = r.latency > 0 ? r.energy / r.latency : 0;
  r.area = arch.area * r.chips;
  for (const ResolvedComponent& c : arch.components) {
    const auto it = component_energy.find(c.name);
    if (it != component_energy.end()) r.by_component.push_back({c.name, it->second});
  }
  std::set<std::string> bottlenecks;
  for (const auto& op : r.ops) bottlenecks.insert(op.bottleneck);
  // Only the slowest stage sets the throughput.
  const auto slowest_stage = std::max_element(r.stages.begin(), r.stages.end(),
                                              [](const StageReport& a, const StageReport& b) { return a.time < b.time; });
  if (slowest_stage != r.stages.end()) bottlenecks.insert(slowest_stage->bottleneck);
  bool run_time_writes = false;
  for (const auto& op : w.ops) run_time_writes = run_time_writes || op.events.cell_writes > 0;
  r.assumptions = arch::assumptions_of(spec, hardware_keys(spec, arch, component_energy, bottlenecks, r, run_time_writes));
  r.notes = {
      "stages: one per weight matmul with the operators that follow it; no replication of stages",
      "tied resources (crossbars, DACs, converters, shift-adds, buffers, buses, registers, routers): a stage owns "
      "the fraction of each that its crossbars fill",
      spec.imc.race_reprogram
          ? fmt::format("RACE arrays: rewritten with each segment's programs at run time and shared by its operators "
                        "({} rewrites per batch, priced as RRAM writes)",
                        race_segments.size())
          : "RACE arrays: partitioned among the ACAM programs, replicated in proportion to demand at compile time; no "
            "run-time reprogramming",
      "pooled resources (Gray decoders, adders, vector units, SFUs): shared by the operators running at once in "
      "proportion to their demand",
      fmt::format("latency: {} rows per sample stream through each of {} segments (Q·Kᵀ waits for the last key "
                  "row); throughput: every stage busy",
                  w.tokens, r.segments),
      "chips: stages packed in order; weight programming excluded from inference energy"};
  return r;
}

}  // namespace raceit::perf

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
// either way.) "mesh" is the routers' time carrying traffic to and from RACE pools, which spreads
// over the whole mesh; an operator's other traffic goes to its neighbour through the routers of
// its own tiles. RACE arrays hold their programs: operators share the pools of their programs
// (OpDemand::race).
bool is_pooled(const std::string& component) {
  return component == "gray_decoder" || component == "adder" || component == "vector_unit" || component == "sfu" ||
         component == "mesh";
}

// Adds the pricing of an operator's traffic to its RACE pools: its energy as the routers', its
// router time as the pooled resource "mesh".
void add_pool_traffic(EventPricing& op, const EventPricing& traffic) {
  op.total_energy += traffic.total_energy;
  for (const ComponentCost& c : traffic.components) {
    const auto it = std::find_if(op.components.begin(), op.components.end(),
                                 [&](const ComponentCost& o) { return o.component == c.component; });
    if (it == op.components.end())
      op.components.push_back(c);
    else
      it->energy += c.energy;
  }
  for (const ResourceBound& r : traffic.resources)
    op.resources.push_back({r.component == "router" ? "mesh" : r.component, r.instances, r.busy_time});
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

// Router hops of `flits` spread evenly over the pool's tiles, each share between its tile and `at`.
std::uint64_t pool_hops(const arch::ImcSpec& c, const RacePoolSpec& pool, int at, std::uint64_t flits) {
  if (pool.tiles == 0) return 0;  // a program without cells (a constant) holds no arrays
  std::uint64_t hops = 0;
  for (int t = pool.first_tile; t < pool.first_tile + pool.tiles; ++t) hops += mesh_hops(c, t, at, flits);
  return (hops + static_cast<std::uint64_t>(pool.tiles) / 2) / static_cast<std::uint64_t>(pool.tiles);
}

std::uint64_t flits_of(const arch::ImcSpec& c, std::int64_t bits) {
  return (static_cast<std::uint64_t>(bits) + static_cast<std::uint64_t>(c.flit_bits) - 1) / static_cast<std::uint64_t>(c.flit_bits);
}

// Checks every pool an operator uses exists and has a copy.
void check_pools(const Workload& w, const OpDemand& op) {
  for (const PoolUse& u : op.race)
    if (u.pool < 0 || u.pool >= static_cast<int>(w.race_pools.size()) ||
        w.race_pools[static_cast<std::size_t>(u.pool)].copies < 1 || w.race_pools[static_cast<std::size_t>(u.pool)].tiles < 0)
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("workload '{}': operator '{}' uses RACE pool {}, which the workload does not hold", w.model,
                              op.name, u.pool));
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
      bounding = bounding || bottlenecks.count(name) > 0 || (name == "router" && bottlenecks.count("mesh") > 0);
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

// Weight-matmul stages: each weight matmul with the operators that follow it, packed in order
// onto chips.
struct Stages {
  std::vector<std::vector<std::size_t>> ops;
  std::vector<std::int64_t> crossbars;
  std::vector<int> chip, last_chip;
  std::vector<double> fraction;  // of its chip's tied resources the stage owns
  int chips = 0;
};

Stages form_stages(const Workload& w) {
  Stages st;
  for (std::size_t i = 0; i < w.ops.size(); ++i) {
    const OpDemand& op = w.ops[i];
    if (op.crossbars > 0 || st.ops.empty()) {
      if (op.crossbars > 0 && !st.ops.empty() && st.crossbars.back() == 0) {
        st.crossbars.back() = op.crossbars;  // leading weight-free operators join the first stage
      } else {
        st.ops.emplace_back();
        st.crossbars.push_back(op.crossbars);
      }
    }
    st.ops.back().push_back(i);
  }
  if (st.crossbars.front() == 0)
    throw Error(ErrorKind::InvalidArgument, "workload '" + w.model + "' has no weight matmul to place on crossbars");
  return st;
}

// Layer-contiguous packing onto chips.
void pack_onto_chips(Stages& st, double chip_crossbars) {
  double used = 0;
  int chip = 0;
  for (std::int64_t c : st.crossbars) {
    const double need = static_cast<double>(c);
    if (used > 0 && used + need > chip_crossbars) {
      ++chip;
      used = 0;
    }
    st.chip.push_back(chip);
    const int spans = static_cast<int>(std::ceil(need / chip_crossbars));
    if (spans > 1) {
      chip += spans - 1;
      used = need - (spans - 1) * chip_crossbars;
    } else {
      used += need;
    }
    st.last_chip.push_back(chip);
    // A stage spanning chips owns all of each; otherwise its share of one chip.
    st.fraction.push_back(std::max(1.0, std::ceil(need / chip_crossbars)) * std::min(1.0, need / chip_crossbars));
  }
  st.chips = chip + 1;
}

// Every operator priced once, with its busy time pooled per chip (steady state) and per segment
// (latency).
struct PricedOps {
  std::vector<EventPricing> priced;
  std::vector<int> stage, segment;
  std::map<int, BusyMap> chip_pool;
  std::map<std::pair<int, int>, BusyMap> segment_pool;  // (segment, chip)
  std::map<std::string, double> component_energy;
  std::vector<double> race_time;
  std::vector<double> pool_time;                          // every operator's lookups per copy × interval
  std::map<std::pair<int, int>, double> segment_pool_time;  // (segment, pool) → the same, its operators'
  std::set<int> race_segments;  // segments with RACE work (mapping.race_reprogram)
  std::uint64_t cells_programmed = 0;
  int segments = 0;
  double energy = 0;
};

// Operator i's traffic: operands travel from its input tile to its pools; its output, from the
// last pool (or its own tile) to the next operator's tile. The traffic within its own tiles goes
// into `events`; the returned traffic to and from pools is priced as the pooled "mesh".
EventCounts route_traffic(const Workload& w, const arch::ImcSpec& c, std::size_t i, int tile, EventCounts& events) {
  const OpDemand& op = w.ops[i];
  int next = tile;
  for (std::size_t j = i + 1; j < w.ops.size(); ++j)
    if (w.ops[j].tile >= 0) {
      next = w.ops[j].tile;
      break;
    }
  EventCounts pool_traffic;
  for (const PoolUse& u : op.race)
    pool_traffic.noc_flit_hops +=
        pool_hops(c, w.race_pools[static_cast<std::size_t>(u.pool)], tile, flits_of(c, u.operand_bits));
  if (op.output_bits > 0 && op.race.empty())
    events.noc_flit_hops += mesh_hops(c, tile, next, flits_of(c, op.output_bits));
  else if (op.output_bits > 0)
    pool_traffic.noc_flit_hops +=
        pool_hops(c, w.race_pools[static_cast<std::size_t>(op.race.back().pool)], next, flits_of(c, op.output_bits));
  return pool_traffic;
}

// Operator i's time on its RACE pools: its lookups per copy × the array's interval.
void add_race_time(const Workload& w, const ResolvedComponent& race_array, std::size_t i, int segment, PricedOps& p) {
  for (const PoolUse& u : w.ops[i].race) {
    const double t = static_cast<double>(u.lookups) / w.race_pools[static_cast<std::size_t>(u.pool)].copies *
                     race_array.actions.front().interval;
    p.race_time[i] = std::max(p.race_time[i], t);
    p.pool_time[static_cast<std::size_t>(u.pool)] += t;
    p.segment_pool_time[{segment, u.pool}] += t;
  }
}

PricedOps price_operators(const Workload& w, const arch::ArchSpec& spec, const ResolvedArch& arch, const Stages& st) {
  PricedOps p{.priced = {},
              .stage = std::vector<int>(w.ops.size()),
              .segment = std::vector<int>(w.ops.size()),
              .chip_pool = {},
              .segment_pool = {},
              .component_energy = {},
              .race_time = std::vector<double>(w.ops.size(), 0.0),
              .pool_time = std::vector<double>(w.race_pools.size(), 0.0),
              .segment_pool_time = {},
              .race_segments = {},
              .cells_programmed = 0,
              .segments = 0,
              .energy = 0};
  const ResolvedComponent* race_array = arch.find("race_array");
  int segment = 0;
  int tile = 0;
  for (std::size_t s = 0; s < st.ops.size(); ++s)
    for (std::size_t i : st.ops[s]) {
      const OpDemand& op = w.ops[i];
      check_pools(w, op);
      EventCounts events = op.events;
      p.cells_programmed += events.cells_programmed;
      events.cells_programmed = 0;
      if (op.whole_sequence && i > 0) ++segment;
      if (op.tile >= 0) tile = op.tile;
      const EventCounts pool_traffic = route_traffic(w, spec.imc, i, tile, events);
      const bool looks_up = events.race_1var_lookups + events.race_2var_lookups > 0;
      if ((looks_up && op.race.empty() && !spec.imc.race_reprogram) || (!op.race.empty() && !race_array))
        throw Error(ErrorKind::InvalidArgument,
                    fmt::format("workload '{}': operator '{}' looks up RACE arrays but holds none", w.model, op.name));
      if (race_array) add_race_time(w, *race_array, i, segment, p);
      if (spec.imc.race_reprogram) p.race_time[i] = -1;  // pooled: each segment rewrites the arrays with its programs
      p.priced.push_back(price_events(spec, arch, events));
      if (pool_traffic.noc_flit_hops > 0) add_pool_traffic(p.priced.back(), price_events(spec, arch, pool_traffic));
      p.stage[i] = static_cast<int>(s);
      p.segment[i] = segment;
      if (looks_up) p.race_segments.insert(segment);
      add_busy(p.chip_pool[st.chip[s]], p.priced.back());
      add_busy(p.segment_pool[{segment, st.chip[s]}], p.priced.back());
      p.energy += p.priced.back().total_energy;
      for (const ComponentCost& c : p.priced.back().components) p.component_energy[c.component] += c.energy;
    }
  p.segments = segment + 1;
  return p;
}

// Steady state: stage times and link transfers; returns the slowest stage or transfer.
double steady_state(const Workload& w, const arch::ArchSpec& spec, const ResolvedArch& arch, const Stages& st,
                    PricedOps& p, PerfReport& r) {
  double slowest = 0;
  for (std::size_t s = 0; s < st.ops.size(); ++s) {
    StageReport stage;
    stage.chip = st.chip[s];
    stage.last_chip = st.last_chip[s];
    stage.crossbars = st.crossbars[s];
    EventPricing total;
    BusyMap busy;
    for (std::size_t i : st.ops[s]) {
      add_busy(busy, p.priced[i]);
      stage.ops.push_back(w.ops[i].name);
    }
    // Every stage runs at once: a pool's copies serve all the operators using it.
    double race = spec.imc.race_reprogram ? -1 : 0;
    if (!spec.imc.race_reprogram)
      for (std::size_t i : st.ops[s])
        for (const PoolUse& u : w.ops[i].race) race = std::max(race, p.pool_time[static_cast<std::size_t>(u.pool)]);
    for (const auto& [component, time] : busy) total.resources.push_back({component, 0, time});
    const Bound b = bound_of(total, st.fraction[s], race, &p.chip_pool.at(stage.chip));
    stage.time = b.time;
    stage.bottleneck = b.resource;
    slowest = std::max(slowest, stage.time);
    // Activations leaving the chip cross a link before the next stage.
    if (s + 1 < st.ops.size() && st.chip[s + 1] != st.last_chip[s]) {
      const auto bits = static_cast<std::uint64_t>(w.ops[st.ops[s].back()].output_bits);
      const EventPricing link = price_events(spec, arch, EventCounts{.link_bits = bits});
      const double link_time = link.latency_lower_bound;
      r.link_energy += link.total_energy;
      r.link_time += link_time;
      r.link_bits += bits;
      slowest = std::max(slowest, link_time);
      p.component_energy["link"] += link.total_energy;
    }
    r.stages.push_back(std::move(stage));
  }
  return slowest;
}

// Run-time reprogramming (mapping.race_reprogram): before each segment with RACE work every
// RACE array is rewritten with that segment's programs, two thresholds per cell, one cell
// position (all rows at once) per write; the arrays are shared by every stage, so a batch
// rewrites them once per such segment. Returns the time the rewrites take per batch.
double rewrite_race_arrays(const arch::ArchSpec& spec, const ResolvedArch& arch, PricedOps& p, PerfReport& r) {
  if (!spec.imc.race_reprogram || !arch.find("race_array") || p.race_segments.empty()) return 0;
  const double n = static_cast<double>(p.race_segments.size());
  const double cells = static_cast<double>(arch.race_arrays) * r.chips * spec.imc.race_rows * spec.imc.race_cells * 2;
  r.reprogramming_energy = n * cells * spec.imc.write_energy;
  r.energy += r.reprogramming_energy;
  p.component_energy["race_array"] += r.reprogramming_energy;
  return n * 2 * spec.imc.race_cells * spec.imc.write_latency;
}

// Latency: rows stream through each segment; segments follow one another. An operator's own work
// fills the pipeline; the row interval is its slowest operator or the segment's pooled work on
// one chip, whichever is longer.
void add_latency(const Workload& w, const arch::ArchSpec& spec, const Stages& st, const PricedOps& p,
                 double rewrite_time, PerfReport& r) {
  const double rows = static_cast<double>(w.batch * w.tokens);
  std::vector<double> fill(static_cast<std::size_t>(r.segments), 0.0), row_bottleneck(fill);
  for (std::size_t i = 0; i < w.ops.size(); ++i) {
    const int s = p.stage[i];
    const Bound b = bound_of(p.priced[i], st.fraction[static_cast<std::size_t>(s)], p.race_time[i], nullptr);
    r.ops.push_back({w.ops[i].name, w.ops[i].kind, s, p.segment[i], b.time, p.priced[i].total_energy, b.resource});
    const auto k = static_cast<std::size_t>(p.segment[i]);
    fill[k] += b.time / rows;
    row_bottleneck[k] = std::max(row_bottleneck[k], b.time / rows);
  }
  if (!spec.imc.race_reprogram)
    for (const auto& [where, time] : p.segment_pool_time)
      row_bottleneck[static_cast<std::size_t>(where.first)] =
          std::max(row_bottleneck[static_cast<std::size_t>(where.first)], time / rows);
  for (const auto& [where, busy] : p.segment_pool)
    for (const auto& [component, time] : busy)
      if (is_pooled(component) || (spec.imc.race_reprogram && component == "race_array"))
        row_bottleneck[static_cast<std::size_t>(where.first)] =
            std::max(row_bottleneck[static_cast<std::size_t>(where.first)], time / rows);
  for (std::size_t k = 0; k < fill.size(); ++k)
    r.sample_latency += fill[k] + static_cast<double>(w.tokens - 1) * row_bottleneck[k];
  r.sample_latency += r.link_time / static_cast<double>(w.batch) + rewrite_time;
  r.latency = r.sample_latency + (r.throughput > 0 ? static_cast<double>(w.batch - 1) / r.throughput : 0.0);
}

// Chip-level totals and the hardware keys the result depends on.
void add_totals(const Workload& w, const arch::ArchSpec& spec, const ResolvedArch& arch, const PricedOps& p,
                PerfReport& r) {
  // The system's chips leak while its copies work; each copy's batch bears its share.
  r.leakage_energy = arch.leakage_power * r.system_chips * r.latency / r.copies;
  r.energy += r.link_energy + r.leakage_energy;
  r.power = r.latency > 0 ? r.copies * r.energy / r.latency : 0;
  r.area = arch.area * r.system_chips;
  for (const ResolvedComponent& c : arch.components) {
    const auto it = p.component_energy.find(c.name);
    if (it != p.component_energy.end()) r.by_component.push_back({c.name, it->second});
  }
  std::set<std::string> bottlenecks;
  for (const auto& op : r.ops) bottlenecks.insert(op.bottleneck);
  // Only the slowest stage sets the throughput.
  const auto slowest_stage = std::max_element(r.stages.begin(), r.stages.end(),
                                              [](const StageReport& a, const StageReport& b) { return a.time < b.time; });
  if (slowest_stage != r.stages.end()) bottlenecks.insert(slowest_stage->bottleneck);
  bool run_time_writes = false;
  for (const auto& op : w.ops) run_time_writes = run_time_writes || op.events.cell_writes > 0;
  r.assumptions =
      arch::assumptions_of(spec, hardware_keys(spec, arch, p.component_energy, bottlenecks, r, run_time_writes));
}

std::vector<std::string> pipeline_notes(const Workload& w, const arch::ArchSpec& spec, const PricedOps& p,
                                        const PerfReport& r) {
  return {
      "stages: one per weight matmul with the operators that follow it; no replication of stages",
      "tied resources (crossbars, DACs, converters, shift-adds, buffers, buses, registers, routers): a stage owns "
      "the fraction of each that its crossbars fill",
      spec.imc.race_reprogram
          ? fmt::format("RACE arrays: rewritten with each segment's programs at run time and shared by its operators "
                        "({} rewrites per batch, priced as RRAM writes)",
                        p.race_segments.size())
          : "RACE arrays: partitioned on each chip into pools of identical ACAM programs, replicated in proportion "
            "to the chip's demand at compile time; a pool serves its chip's operators only, those using it at once "
            "share it, and reach it over the mesh; no run-time reprogramming",
      "pooled resources (Gray decoders, adders, vector units, SFUs, the routers' time for traffic to RACE pools "
      "('mesh')): shared by the operators running at once in proportion to their demand",
      fmt::format("latency: {} rows per sample stream through each of {} segments (Q·Kᵀ waits for the last key "
                  "row); throughput: every stage busy",
                  w.tokens, r.segments),
      r.copies > 1 || r.system_chips > r.chips
          ? fmt::format("chips: stages packed in order onto {} chips; the system's {} chips (mapping.chips) hold {} "
                        "copies of that pipeline, on independent inputs; weight programming excluded from inference "
                        "energy",
                        r.chips, r.system_chips, r.copies)
          : "chips: stages packed in order; weight programming excluded from inference energy"};
}

}  // namespace

PerfReport evaluate_pipeline(const Workload& w, const arch::ArchSpec& spec) {
  if (spec.kind != arch::ArchKind::Imc)
    throw Error(ErrorKind::Unsupported, "'" + spec.name + "' is a GPU: use the roofline estimate (perf/gpu.hpp)");
  if (w.ops.empty()) throw Error(ErrorKind::InvalidArgument, "workload '" + w.model + "' has no operators");
  if (w.batch < 1 || w.tokens < 1)
    throw Error(ErrorKind::InvalidArgument, fmt::format("workload '{}': batch and tokens must be at least 1", w.model));
  const ResolvedArch arch = resolve(spec);
  PerfReport r;
  r.arch = spec.name;
  Stages stages = form_stages(w);
  pack_onto_chips(stages, static_cast<double>(arch.crossbars));
  r.chips = stages.chips;
  // A system of mapping.chips chips runs as many copies of the pipeline as fit.
  r.system_chips = spec.imc.system_chips > 0 ? spec.imc.system_chips : r.chips;
  if (r.system_chips < r.chips)
    throw Error(ErrorKind::Config, fmt::format("model '{}' needs {} chips of '{}', but mapping.chips is {}", w.model,
                                               r.chips, spec.name, r.system_chips));
  r.copies = r.system_chips / r.chips;
  PricedOps priced = price_operators(w, spec, arch, stages);
  r.segments = priced.segments;
  r.energy = priced.energy;
  r.programming_energy = price_events(spec, arch, EventCounts{.cells_programmed = priced.cells_programmed}).total_energy;
  double slowest = steady_state(w, spec, arch, stages, priced, r);
  const double rewrite_time = rewrite_race_arrays(spec, arch, priced, r);
  slowest += rewrite_time;
  r.throughput = slowest > 0 ? static_cast<double>(w.batch) / slowest : 0;
  add_latency(w, spec, stages, priced, rewrite_time, r);
  r.throughput *= r.copies;
  add_totals(w, spec, arch, priced, r);
  r.notes = pipeline_notes(w, spec, priced, r);
  return r;
}

}  // namespace raceit::perf

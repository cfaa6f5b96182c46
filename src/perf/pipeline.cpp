#include "raceit/perf/pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "raceit/core/error.hpp"

namespace raceit::perf {

namespace {

// Resources without weights: the operators running at once share the chip's
// instances. (Gray decoders serve RACE arrays as well as readout columns; their
// busy time is small either way.)
bool is_pooled(const std::string& component) {
  return component == "race_array" || component == "gray_decoder" || component == "adder" ||
         component == "vector_unit" || component == "sfu";
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

// Tied resources on a `fraction` of the chip; pooled ones at the busy time
// `pool` gives them.
Bound bound_of(const EventPricing& p, double fraction, const BusyMap& pool) {
  Bound b;
  for (const ResourceBound& r : p.resources) {
    if (r.busy_time <= 0) continue;
    b.raise(is_pooled(r.component) ? pool.at(r.component) : r.busy_time / fraction, r.component);
  }
  return b;
}

}  // namespace

PerfReport evaluate_pipeline(const Workload& w, const ArchSpec& spec) {
  if (spec.kind != ArchKind::Imc)
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
  int segment = 0;
  std::uint64_t cells_programmed = 0;
  for (std::size_t s = 0; s < stage_ops.size(); ++s)
    for (std::size_t i : stage_ops[s]) {
      EventCounts events = w.ops[i].events;
      cells_programmed += events.cells_programmed;
      events.cells_programmed = 0;
      priced.push_back(price_events(spec, arch, events));
      if (w.ops[i].whole_sequence && i > 0) ++segment;
      op_stage[i] = static_cast<int>(s);
      op_segment[i] = segment;
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
    for (const auto& [component, time] : busy) total.resources.push_back({component, 0, time});
    const Bound b = bound_of(total, stage_fraction[s], chip_pool.at(stage.chip));
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
  r.throughput = slowest > 0 ? static_cast<double>(w.batch) / slowest : 0;

  // Latency: rows stream through each segment; segments follow one another.
  const double rows = static_cast<double>(w.batch * w.tokens);
  std::vector<double> fill(static_cast<std::size_t>(r.segments), 0.0), row_bottleneck(fill);
  for (std::size_t i = 0; i < w.ops.size(); ++i) {
    const int s = op_stage[i];
    const Bound b = bound_of(priced[i], stage_fraction[static_cast<std::size_t>(s)],
                             segment_pool.at({op_segment[i], stage_chip[static_cast<std::size_t>(s)]}));
    r.ops.push_back({w.ops[i].name, w.ops[i].kind, s, op_segment[i], b.time, priced[i].total_energy, b.resource});
    const auto k = static_cast<std::size_t>(op_segment[i]);
    fill[k] += b.time / rows;
    row_bottleneck[k] = std::max(row_bottleneck[k], b.time / rows);
  }
  for (std::size_t k = 0; k < fill.size(); ++k)
    r.sample_latency += fill[k] + static_cast<double>(w.tokens - 1) * row_bottleneck[k];
  r.sample_latency += r.link_time / static_cast<double>(w.batch);
  r.latency = r.sample_latency + (r.throughput > 0 ? static_cast<double>(w.batch - 1) / r.throughput : 0.0);

  r.leakage_energy = arch.leakage_power * r.chips * r.latency;
  r.energy += r.link_energy + r.leakage_energy;
  r.power = r.latency > 0 ? r.energy / r.latency : 0;
  r.area = arch.area * r.chips;
  for (const ResolvedComponent& c : arch.components) {
    const auto it = component_energy.find(c.name);
    if (it != component_energy.end()) r.by_component.push_back({c.name, it->second});
  }
  const ParamSet& p = spec.params;
  for (const auto& spec_key : p.specs()) {
    if (!p.has(spec_key.key)) continue;
    const ParamValue& v = p.value(spec_key.key);
    r.assumptions.push_back(fmt::format("{} = {} ({})", spec_key.key, v.text, v.source));
  }
  r.assumptions.push_back(
      "stages: one per weight matmul with the operators "
      "that follow it; no replication");
  r.assumptions.push_back(
      "tied resources (crossbars, DACs, converters, shift-adds, buffers, "
      "buses, registers): a stage owns the "
      "fraction of each that its crossbars fill");
  r.assumptions.push_back(
      "pooled resources (RACE arrays, Gray decoders, adders, vector units, "
      "SFUs): shared by the operators running at once in "
      "proportion to their demand");
  r.assumptions.push_back(
      fmt::format("latency: {} rows per sample stream through each of {} "
                  "segments (Q·Kᵀ and softmax·V wait for the last key/value "
                  "row); throughput: every stage busy",
                  w.tokens, r.segments));
  r.assumptions.push_back(
      "chips: stages packed in order; weight programming "
      "excluded from inference energy");
  return r;
}

}  // namespace raceit::perf

#include "raceit/perf/pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>

#include "raceit/core/error.hpp"

namespace raceit::perf {

namespace {

// Busiest resource of `p` when the stage owns `fraction` of each component's instances.
std::pair<double, std::string> bottleneck(const EventPricing& p, double fraction) {
  double time = 0;
  std::string name;
  for (const ResourceBound& r : p.resources)
    if (r.busy_time / fraction > time) {
      time = r.busy_time / fraction;
      name = r.component;
    }
  return {time, name};
}

}  // namespace

PerfReport evaluate_pipeline(const Workload& w, const ArchSpec& spec) {
  if (spec.kind != ArchKind::Imc)
    throw Error(ErrorKind::Unsupported, "'" + spec.name + "' is a GPU: use the roofline estimate (perf/gpu.hpp)");
  if (w.ops.empty()) throw Error(ErrorKind::InvalidArgument, "workload '" + w.model + "' has no operators");
  const ResolvedArch arch = resolve(spec);
  const double chip_crossbars = static_cast<double>(arch.crossbars);
  PerfReport r;
  r.arch = spec.name;

  // Stages and their operators.
  std::vector<std::vector<const OpDemand*>> stage_ops;
  std::vector<std::int64_t> stage_crossbars;
  for (const OpDemand& op : w.ops) {
    if (op.crossbars > 0 || stage_ops.empty()) {
      if (op.crossbars > 0 && !stage_ops.empty() && stage_crossbars.back() == 0) {
        stage_crossbars.back() = op.crossbars;  // leading weight-free operators join the first stage
      } else {
        stage_ops.emplace_back();
        stage_crossbars.push_back(op.crossbars);
      }
    }
    stage_ops.back().push_back(&op);
  }
  if (stage_crossbars.front() == 0)
    throw Error(ErrorKind::InvalidArgument, "workload '" + w.model + "' has no weight matmul to place on crossbars");

  // Layer-contiguous packing onto chips.
  double used = 0;
  int chip = 0;
  std::vector<int> stage_chip, stage_last_chip;
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
  }
  r.chips = chip + 1;

  std::map<std::string, double> component_energy;
  double slowest = 0;
  for (std::size_t s = 0; s < stage_ops.size(); ++s) {
    StageReport stage;
    stage.chip = stage_chip[s];
    stage.crossbars = stage_crossbars[s];
    // A stage spanning chips owns all of each; otherwise its share of one chip.
    const double fraction = std::max(1.0, std::ceil(stage.crossbars / chip_crossbars)) *
                            std::min(1.0, stage.crossbars / chip_crossbars);
    EventCounts total;
    for (const OpDemand* op : stage_ops[s]) {
      EventCounts events = op->events;
      r.programming_energy += price_events(spec, arch, EventCounts{.cells_programmed = events.cells_programmed}).total_energy;
      events.cells_programmed = 0;
      const EventPricing p = price_events(spec, arch, events);
      const auto [time, name] = bottleneck(p, fraction);
      r.ops.push_back({op->name, op->kind, static_cast<int>(s), time, p.total_energy, name});
      r.energy += p.total_energy;
      for (const ComponentCost& c : p.components) component_energy[c.component] += c.energy;
      total += events;
      stage.ops.push_back(op->name);
    }
    std::tie(stage.time, stage.bottleneck) = bottleneck(price_events(spec, arch, total), fraction);
    r.latency += stage.time;
    slowest = std::max(slowest, stage.time);
    // Activations leaving the chip cross a link before the next stage.
    if (s + 1 < stage_ops.size() && stage_chip[s + 1] != stage_last_chip[s]) {
      const auto bits = static_cast<std::uint64_t>(stage_ops[s].back()->output_bits);
      const EventPricing link = price_events(spec, arch, EventCounts{.link_bits = bits});
      const double link_time = bottleneck(link, 1.0).first;
      r.link_energy += link.total_energy;
      r.link_time += link_time;
      slowest = std::max(slowest, link_time);
      component_energy["link"] += link.total_energy;
    }
    r.stages.push_back(std::move(stage));
  }
  r.latency += r.link_time;
  r.leakage_energy = arch.leakage_power * r.chips * r.latency;
  r.energy += r.link_energy + r.leakage_energy;
  r.throughput = slowest > 0 ? static_cast<double>(w.batch) / slowest : 0;
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
  r.assumptions.push_back("stages: one per weight matmul with the operators that follow it; no replication");
  r.assumptions.push_back("allocation: a stage owns the fraction of every tile component that its crossbars fill");
  r.assumptions.push_back("chips: stages packed in order; weight programming excluded from inference energy");
  return r;
}

}  // namespace raceit::perf

#include "raceit/perf/pricing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "raceit/core/error.hpp"
#include "raceit/perf/components.hpp"

namespace raceit::perf {

namespace {

struct Charge {
  const char* component;
  const char* action;
  double per_event;  // actions per event
};

// The component actions one event of each kind charges (see pricing.hpp).
std::vector<Charge> charges(std::string_view event, const arch::ImcSpec& c) {
  const double readout_xors = c.readout_bits - 1, race_xors = c.race_rows - 1;
  if (event == "array_reads") return {{.component = "crossbar", .action = "read", .per_event = 1}};
  if (event == "dac_conversions") return {{.component = "dac", .action = "convert", .per_event = 1}};
  if (event == "adc_conversions") return {{.component = "adc", .action = "convert", .per_event = 1}};
  if (event == "adc_clipped") return {};
  if (event == "acam_searches")
    return {{.component = "acam_readout", .action = "search", .per_event = 1},
            {.component = "gray_decoder", .action = "xor", .per_event = readout_xors}};
  if (event == "shift_adds") return {{.component = "shift_add", .action = "add", .per_event = 1}};
  // A design without dedicated adders (PUMA) adds on its vector units.
  if (event == "digital_adds")
    return {c.adders == 0 && c.vector_units > 0 ? Charge{.component = "vector_unit", .action = "op", .per_event = 1}
                                                : Charge{.component = "adder", .action = "add", .per_event = 1}};
  if (event == "cells_programmed" || event == "cell_writes")
    return {{.component = "crossbar", .action = "write", .per_event = 1}};
  if (event == "race_1var_lookups")
    return {{.component = "race_array", .action = "lookup_1var", .per_event = 1},
            {.component = "gray_decoder", .action = "xor", .per_event = race_xors}};
  if (event == "race_2var_lookups")
    return {{.component = "race_array", .action = "lookup_2var", .per_event = 1},
            {.component = "gray_decoder", .action = "xor", .per_event = race_xors}};
  if (event == "buffer_accesses")
    return {{.component = "buffer", .action = "access", .per_event = 1},
            {.component = "tile_bus", .action = "transfer", .per_event = 1}};
  if (event == "register_accesses") return {{.component = "register", .action = "access", .per_event = 1}};
  if (event == "noc_flit_hops") return {{.component = "router", .action = "hop", .per_event = 1}};
  if (event == "link_bits") return {{.component = "link", .action = "bit", .per_event = 1}};
  if (event == "vector_ops") return {{.component = "vector_unit", .action = "op", .per_event = 1}};
  if (event == "sfu_ops") return {{.component = "sfu", .action = "evaluate", .per_event = 1}};
  throw Error(ErrorKind::Internal, fmt::format("no pricing for event kind '{}'", event));
}

}  // namespace

EventPricing price_events(const arch::ArchSpec& spec, const EventCounts& counts) {
  if (spec.kind != arch::ArchKind::Imc)
    throw Error(ErrorKind::Unsupported,
                fmt::format("'{}' is a GPU: GPUs are costed by their roofline, not per hardware event", spec.name));
  return price_events(spec, resolve(spec), counts);
}

EventPricing price_events(const arch::ArchSpec& spec, const ResolvedArch& arch, const EventCounts& counts) {
  std::map<std::string, double> energy, busy;  // per component
  EventPricing p;
  for (const auto& [event, count] : counts.fields()) {
    if (count == 0) continue;
    EventCost cost{.event = std::string(event), .count = count, .energy_per_event = 0, .energy = 0};
    for (const Charge& charge : charges(event, spec.imc)) {
      const ResolvedComponent* c = arch.find(charge.component);
      if (!c)
        throw Error(ErrorKind::InvalidArgument,
                    fmt::format("architecture '{}' has no {}, but the events include {} {}", spec.name,
                                charge.component, count, event));
      const Action& a = c->action(charge.action);
      const double actions = static_cast<double>(count) * charge.per_event;
      cost.energy_per_event += charge.per_event * a.energy;
      energy[c->name] += actions * a.energy;
      busy[c->name] += actions * a.interval / c->instances;
    }
    cost.energy = static_cast<double>(count) * cost.energy_per_event;
    p.total_energy += cost.energy;
    p.events.push_back(std::move(cost));
  }
  for (const auto& c : arch.components) {
    const auto it = energy.find(c.name);
    if (it == energy.end()) continue;
    p.components.push_back({c.name, it->second});
    const double t = busy[c.name];
    p.resources.push_back({c.name, c.instances, t});
    if (t > p.latency_lower_bound) {
      p.latency_lower_bound = t;
      p.bottleneck = c.name;
    }
  }
  return p;
}

}  // namespace raceit::perf

#pragma once
// Event pricing: what a set of hardware events (core/events.hpp) costs on an IMC architecture.
// This is what the performance model calls once it has counted the events of a compiled program.
//
// Each event kind charges one or more component actions:
//   array_reads → crossbar read          dac_conversions → dac      adc_conversions → adc
//   acam_searches → acam_readout search + (readout_bits − 1) Gray-decoder XORs
//   race_1var_lookups / race_2var_lookups → race_array lookup + (race.rows − 1) XORs
//   shift_adds → shift_add   digital_adds → adder (vector_unit without adders)   cells_programmed, cell_writes → crossbar write
//   buffer_accesses → buffer + tile_bus   register_accesses → register
//   noc_flit_hops → router   link_bits → link   vector_ops → vector_unit   sfu_ops → sfu
//   adc_clipped costs nothing extra (those conversions are in adc_conversions).
// Energies are dynamic; leakage (ResolvedArch::leakage_power) accrues with run time, which only
// the performance model knows. cells_programmed is priced like any event: price weight
// programming in its own call when it is a one-off step rather than part of an inference.
#include <cstdint>
#include <string>
#include <vector>

#include "raceit/core/events.hpp"
#include "raceit/arch/arch.hpp"
#include "raceit/perf/components.hpp"

namespace raceit::perf {

struct EventCost {
  std::string event;        // an EventCounts field name
  std::uint64_t count = 0;
  double energy_per_event = 0;  // J, summed over the actions it charges
  double energy = 0;            // J
};

struct ComponentCost {
  std::string component;
  double energy = 0;  // J
};

// How long a resource is busy if the events spread evenly over all its instances: no schedule
// can finish sooner.
struct ResourceBound {
  std::string component;
  double instances = 0;
  double busy_time = 0;  // s
};

struct EventPricing {
  std::vector<EventCost> events;          // event kinds with a nonzero count, in EventCounts order
  std::vector<ComponentCost> components;  // components charged, in the chip's component order
  std::vector<ResourceBound> resources;   // same order
  double total_energy = 0;                // J
  double latency_lower_bound = 0;         // s: the busiest resource's busy time
  std::string bottleneck;                 // that resource
};

// Prices `counts` on `spec`. Throws Error(Unsupported) for a GPU and Error(InvalidArgument) when
// an event needs a component the architecture lacks (adc_conversions on an ACAM-readout chip).
EventPricing price_events(const arch::ArchSpec& spec, const EventCounts& counts);
// The same with the architecture already resolved (resolve(spec)), for pricing many event sets.
EventPricing price_events(const arch::ArchSpec& spec, const ResolvedArch& arch, const EventCounts& counts);

}  // namespace raceit::perf

#pragma once
// The component library and chip roll-up: the evaluator half of the Timeloop split. From an
// arch::ArchSpec it resolves every component of an IMC chip — how many instances, the energy and busy
// time of each action, area and leakage — at the chip's technology, and sums area and peak power.
//
// Technology scaling (applied when a component's source node or voltage differs from the chip's):
//   energy  ×= (L / L_src) · (V / V_src)²   dynamic energy C·V², capacitance ∝ feature size L
//   area    ×= (L / L_src)²
//   leakage ×= (L / L_src) · (V / V_src)    leakage current ∝ device width, power = I·V
//   latency unchanged: analog settling (crossbar read, ACAM search) and converter rates do not
//   follow gate delay, and digital units are clocked.
// Size scaling: crossbar energy, area and leakage ∝ cells; DAC and ADC energy, area and leakage
// ∝ 2^bits and ADC latency ∝ bits (SAR, as in Accelergy); register and buffer instances ∝ capacity (a
// 64 KB buffer costs what 64 KB / capacity reference buffers cost); ACAM costs follow the
// searched cells and rows (components.acam.model). RRAM write energy is device physics and is not
// scaled.
#include <string>
#include <vector>

#include "raceit/arch/arch.hpp"

namespace raceit::perf {

// How long one crossbar read (one input bit plane) lasts: the array is driven until its readout
// converters have converted every column, ceil(cols / converters) conversions each, and at least
// the array's own settling time (components.crossbar.latency). An ADC converts in its latency ×
// bits / its reference bits (SAR), a Compute-ACAM column in one search. The crossbar's and the
// DACs' energy per read is their power × this time where their source gives power.
double conversion_time(const arch::ImcSpec& c);
double read_time(const arch::ImcSpec& c);

struct TechnologyScale {
  double energy = 1, area = 1, leakage = 1;
};
TechnologyScale technology_scale(double node_from, double vdd_from, double node_to, double vdd_to);

// One thing a component does, priced at the chip's technology.
struct Action {
  std::string name;       // "read", "convert", "lookup_2var", …
  double energy = 0;      // J per event
  double interval = 0;    // s one instance is busy per event
};

struct ResolvedComponent {
  std::string name;         // "crossbar", "adc", "race_array", …
  std::string description;  // what an instance is and where its numbers come from
  double instances = 0;     // per chip; fractional for capacity-scaled storage and shared routers
  std::vector<Action> actions;  // actions.front() is the working mode the peak power assumes
  double area = 0;          // m² per instance
  double leakage = 0;       // W per instance
  bool in_tile = true;      // part of a tile (false: chip-level, such as links)

  const Action& action(const std::string& name) const;  // throws Error(Internal) if absent
  double total_area() const { return instances * area; }
  double total_leakage() const { return instances * leakage; }
  // Every instance busy in its working mode at its rate, plus leakage.
  double peak_power() const;
};

struct ResolvedArch {
  std::string name;
  arch::ArchKind kind = arch::ArchKind::Imc;
  // IMC hardware counts per chip.
  long long tiles = 0, crossbars = 0, dacs = 0, converters = 0, race_arrays = 0, routers = 0;
  std::vector<ResolvedComponent> components;  // those with at least one instance
  double area = 0;           // m² per chip (GPU: die area)
  double peak_power = 0;     // W per chip (GPU: TDP)
  double leakage_power = 0;  // W per chip
  double tile_area = 0, tile_peak_power = 0;  // per tile, shared routers pro rata

  // The component named, or nullptr if the chip has none.
  const ResolvedComponent* find(const std::string& name) const;
};

// Resolves an architecture that load_arch accepted. A GPU has no components: its area is the die
// and its peak power the TDP.
ResolvedArch resolve(const arch::ArchSpec& spec);

}  // namespace raceit::perf

#include "raceit/perf/components.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "raceit/core/error.hpp"

namespace raceit::perf {

TechnologyScale technology_scale(double node_from, double vdd_from, double node_to, double vdd_to) {
  const double l = node_to / node_from, v = vdd_to / vdd_from;
  return {.energy = l * v * v, .area = l * l, .leakage = l * v};
}

const Action& ResolvedComponent::action(const std::string& action_name) const {
  for (const auto& a : actions)
    if (a.name == action_name) return a;
  throw Error(ErrorKind::Internal, fmt::format("component '{}' has no action '{}'", name, action_name));
}

double ResolvedComponent::peak_power() const {
  const Action& working = actions.front();
  return instances * (working.energy / working.interval + leakage);
}

const ResolvedComponent* ResolvedArch::find(const std::string& component_name) const {
  for (const auto& c : components)
    if (c.name == component_name) return &c;
  return nullptr;
}

namespace {

// Search energy of an ACAM array or column: `cells` cells on `rows` match lines, `inputs` data
// lines driven; `cell_factor` > 1 for 2-input cells. The lumped figure is for a readout column,
// one cell per row: it splits into cell_energy per cell and the rest per row (sense amplifier and
// precharge), so an array with many cells per row is not charged a row's periphery per cell.
double acam_search_energy(const arch::AcamSpec& a, double cells, double rows, int inputs, double cell_factor) {
  if (a.model == arch::AcamModel::Lumped)
    return cells * cell_factor * a.cell_energy + rows * std::max(0.0, a.lumped_energy / a.lumped_cells - a.cell_energy);
  return cells * cell_factor * a.cell_energy + rows * a.row_energy + inputs * a.line_energy;
}

double acam_area(const arch::AcamSpec& a, double cells, double rows, double cell_factor) {
  if (a.model == arch::AcamModel::Lumped)
    return cells * cell_factor * a.cell_area + rows * std::max(0.0, a.lumped_area / a.lumped_cells - a.cell_area);
  return cells * cell_factor * a.cell_area + rows * a.row_area;
}

// Energy of one event that keeps a component busy for `duration`: the source's per-event energy,
// or its power over the duration.
double event_energy(const arch::ComponentSpec& s, double duration) { return s.power > 0 ? s.power * duration : s.energy; }

}  // namespace

double conversion_time(const arch::ImcSpec& c) {
  return c.readout == arch::Readout::Adc ? c.adc.latency * c.readout_bits / c.adc.size : c.acam.latency;
}

double read_time(const arch::ImcSpec& c) {
  const double conversions = std::ceil(static_cast<double>(c.cols) / c.columns_per_conversion / c.converters);
  return std::max(c.crossbar.latency, conversions * conversion_time(c));
}

namespace {

class Builder {
 public:
  explicit Builder(const arch::ArchSpec& spec) : spec_(spec), c_(spec.imc) {}

  std::vector<ResolvedComponent> build() {
    const double tiles = c_.tiles;
    const double crossbars = tiles * c_.crossbars;
    const double converters = crossbars * c_.converters;
    add_crossbars(crossbars);
    // A DAC drives its row for the whole read.
    add_for("dac", fmt::format("{}-bit input DAC, one per crossbar row", c_.dac_bits), crossbars * c_.rows, c_.dac,
            "convert", read_time(c_), std::exp2(c_.dac_bits - c_.dac.size));
    if (c_.readout == arch::Readout::Adc) {
      add("adc", fmt::format("{}-bit SAR ADC, {} per crossbar", c_.readout_bits, c_.converters), converters,
          c_.adc, "convert", std::exp2(c_.readout_bits - c_.adc.size), c_.readout_bits / c_.adc.size);
    } else {
      add_acam_readout(converters);
    }
    const double race_arrays = tiles * c_.race_units * c_.race_arrays;
    if (race_arrays > 0) add_race_arrays(race_arrays);
    // Gray decoding: bits − 1 XORs per ACAM output (race-it.md §1.4, 7 per 8-bit output).
    const double xors = race_arrays * (c_.race_rows - 1) +
                        (c_.readout == arch::Readout::Acam ? converters * (c_.readout_bits - 1) : 0);
    if (xors > 0) add("gray_decoder", "XOR gate decoding Gray-coded ACAM outputs", xors, c_.xor_gate, "xor");
    if (c_.shift_adds > 0) add("shift_add", "shift-and-add unit", tiles * c_.shift_adds, c_.shift_add, "add");
    if (c_.adders > 0) add("adder", "digital adder", tiles * c_.adders, c_.adder, "add");
    if (c_.vector_units > 0)
      add("vector_unit", "digital vector-unit lane", tiles * c_.vector_units, c_.vector_unit, "op");
    if (c_.sfus > 0) add("sfu", "digital special-function unit", tiles * c_.sfus, c_.sfu, "evaluate");
    if (c_.register_bytes > 0)
      add("register", fmt::format("register file of {} (tile total {})",
                                  format_quantity(c_.register_file.size, Dimension::Bytes),
                                  format_quantity(c_.register_bytes, Dimension::Bytes)),
          tiles * c_.register_bytes / c_.register_file.size, c_.register_file, "access");
    if (c_.buffer_bytes > 0)
      add("buffer", fmt::format("{} buffer block of {} (tile total {})",
                                c_.buffer_kind == arch::BufferKind::Sram ? "SRAM" : "eDRAM",
                                format_quantity(c_.buffer.size, Dimension::Bytes),
                                format_quantity(c_.buffer_bytes, Dimension::Bytes)),
          tiles * c_.buffer_bytes / c_.buffer.size, c_.buffer, "access");
    add("tile_bus", "bus between a tile's buffer and its crossbars", tiles, c_.tile_bus, "transfer");
    add("router", fmt::format("mesh router shared by {} tile(s)", c_.tiles_per_router),
        tiles / c_.tiles_per_router, c_.router, "hop");
    if (c_.links > 0) {
      add("link", fmt::format("chip-to-chip link, {}", format_quantity(1.0 / c_.link.latency, Dimension::DataRate)),
          c_.links, c_.link, "bit");
      out_.back().in_tile = false;
    }
    return std::move(out_);
  }

 private:
  // `factor` scales energy, area and leakage (2^bits for converters), `latency_factor` the busy time.
  void add(const std::string& name, const std::string& description, double instances, const arch::ComponentSpec& s,
           const std::string& action, double factor = 1, double latency_factor = 1) {
    add_for(name, description, instances, s, action, s.latency * latency_factor, factor);
  }
  // The same for an event that keeps an instance busy for `busy` rather than its own latency.
  void add_for(const std::string& name, const std::string& description, double instances, const arch::ComponentSpec& s,
               const std::string& action, double busy, double factor) {
    const TechnologyScale t = technology_scale(s.node, s.vdd, spec_.node, spec_.vdd);
    out_.push_back({name,
                    description,
                    instances,
                    {{.name = action, .energy = event_energy(s, busy) * factor * t.energy, .interval = busy}},
                    s.area * factor * t.area,
                    s.leakage * factor * t.leakage});
  }

  void add_crossbars(double crossbars) {
    const arch::ComponentSpec& s = c_.crossbar;
    const double cells = static_cast<double>(c_.rows) * c_.cols;
    const double g = cells / s.size;
    const TechnologyScale t = technology_scale(s.node, s.vdd, spec_.node, spec_.vdd);
    // A read lasts until the converters have taken every column (read_time).
    const double read = read_time(c_);
    out_.push_back({"crossbar",
                    fmt::format("{}x{} RRAM array, {} bit(s) per cell, {} per read", c_.rows, c_.cols, c_.bits_per_cell,
                                format_quantity(read, Dimension::Time)),
                    crossbars,
                    {{.name = "read", .energy = event_energy(s, read) * g * t.energy, .interval = read},
                     // A column's cells are programmed together.
                     {.name = "write", .energy = c_.write_energy, .interval = c_.write_latency / c_.rows}},
                    s.area * g * t.area,
                    s.leakage * g * t.leakage});
  }

  // An ACAM column used as an ADC: a Gray identity needs 2^(bits−1) ranges (binary 2^bits − 1), one
  // range per row.
  void add_acam_readout(double columns) {
    const arch::AcamSpec& a = c_.acam;
    const double ranges =
        (c_.gray_readout ? std::exp2(c_.readout_bits - 1) : std::exp2(c_.readout_bits) - 1) + c_.acam_spare_ranges;
    const TechnologyScale t = technology_scale(a.node, a.vdd, spec_.node, spec_.vdd);
    out_.push_back(
        {"acam_readout",
         fmt::format("{}-bit Compute-ACAM readout column ({} ranges), {} per crossbar", c_.readout_bits, ranges,
                     c_.converters),
         columns,
         {{.name = "search", .energy = acam_search_energy(a, ranges, ranges, 1, 1) * t.energy, .interval = a.latency}},
         acam_area(a, ranges, ranges, 1) * t.area,
         ranges * a.leakage * t.leakage});
  }

  // RACE arrays are built of 2-input cells; a 1-variable lookup drives one of the two inputs.
  void add_race_arrays(double arrays) {
    const arch::AcamSpec& a = c_.acam;
    const double cells = static_cast<double>(c_.race_rows) * c_.race_cells;
    const TechnologyScale t = technology_scale(a.node, a.vdd, spec_.node, spec_.vdd);
    out_.push_back({"race_array",
                    fmt::format("{}x{} RACE array, {} per RACE unit", c_.race_rows, c_.race_cells, c_.race_arrays),
                    arrays,
                    {{.name = "lookup_2var",
                      .energy = acam_search_energy(a, cells, c_.race_rows, 2, a.two_var_factor) * t.energy,
                      .interval = a.latency},
                     {.name = "lookup_1var",
                      .energy = acam_search_energy(a, cells, c_.race_rows, 1, 1) * t.energy,
                      .interval = a.latency}},
                    acam_area(a, cells, c_.race_rows, a.two_var_factor) * t.area,
                    cells * a.leakage * t.leakage});
  }

  const arch::ArchSpec& spec_;
  const arch::ImcSpec& c_;
  std::vector<ResolvedComponent> out_;
};

}  // namespace

ResolvedArch resolve(const arch::ArchSpec& spec) {
  ResolvedArch r;
  r.name = spec.name;
  r.kind = spec.kind;
  if (spec.kind == arch::ArchKind::Gpu) {
    r.area = spec.gpu.die_area;
    r.peak_power = spec.gpu.tdp;
    return r;
  }
  const arch::ImcSpec& c = spec.imc;
  r.tiles = c.tiles;
  r.crossbars = r.tiles * c.crossbars;
  r.dacs = r.crossbars * c.rows;
  r.converters = r.crossbars * c.converters;
  r.race_arrays = r.tiles * c.race_units * c.race_arrays;
  r.routers = (r.tiles + c.tiles_per_router - 1) / c.tiles_per_router;
  for (auto& component : Builder(spec).build()) {
    if (component.instances <= 0) continue;
    r.area += component.total_area();
    r.peak_power += component.peak_power();
    r.leakage_power += component.total_leakage();
    if (component.in_tile) {
      r.tile_area += component.total_area() / r.tiles;
      r.tile_peak_power += component.peak_power() / r.tiles;
    }
    r.components.push_back(std::move(component));
  }
  return r;
}

}  // namespace raceit::perf

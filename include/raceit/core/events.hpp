#pragma once
// Hardware event counts: what a functional run did, in units the cost model prices (a read of
// one array, one conversion, one search…). Every engine returns them; the cost model consumes
// them. Add a field here (and to kEventFields) rather than passing loose numbers around.
#include <array>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace raceit {

struct EventCounts {
  std::uint64_t array_reads = 0;       // crossbar array activations (one per input bit plane)
  std::uint64_t dac_conversions = 0;   // input rows driven, per read
  std::uint64_t adc_conversions = 0;   // column conversions by an ADC
  std::uint64_t adc_clipped = 0;       // … of which saturated at full scale
  std::uint64_t acam_searches = 0;     // crossbar column conversions by a Compute-ACAM readout
  std::uint64_t shift_adds = 0;        // converted values shifted and accumulated
  std::uint64_t digital_adds = 0;      // tile partial sums, zero-point corrections
  std::uint64_t cells_programmed = 0;  // RRAM cells written (once per model, not per inference)
  std::uint64_t cell_writes = 0;       // RRAM cells written at run time (operands written into crossbars)
  std::uint64_t race_1var_lookups = 0;  // RACE array searches in 1-variable mode (f(x))
  std::uint64_t race_2var_lookups = 0;  // RACE array searches in 2-variable mode (nibble products)
  std::uint64_t buffer_accesses = 0;    // tile SRAM/eDRAM buffer reads and writes, 256 bits each
  std::uint64_t register_accesses = 0;  // tile register reads and writes, 256 bits each
  std::uint64_t noc_flit_hops = 0;      // on-chip network flits times the routers each crosses
  std::uint64_t link_bits = 0;          // bits sent over chip-to-chip links
  std::uint64_t vector_ops = 0;         // digital vector-unit lane operations (baselines)
  std::uint64_t sfu_ops = 0;            // digital special-function evaluations (baselines)

  // Every field by name, in declaration order.
  std::vector<std::pair<std::string_view, std::uint64_t>> fields() const;
  // The field called `name`, writable; nullptr for an unknown name.
  std::uint64_t* field(std::string_view name);
  EventCounts& operator+=(const EventCounts& o);
  EventCounts& operator*=(std::uint64_t factor);  // every count, e.g. per sample to per batch
  bool operator==(const EventCounts&) const = default;
};

inline constexpr std::array<std::pair<std::string_view, std::uint64_t EventCounts::*>, 17> kEventFields{{
    {"array_reads", &EventCounts::array_reads},
    {"dac_conversions", &EventCounts::dac_conversions},
    {"adc_conversions", &EventCounts::adc_conversions},
    {"adc_clipped", &EventCounts::adc_clipped},
    {"acam_searches", &EventCounts::acam_searches},
    {"shift_adds", &EventCounts::shift_adds},
    {"digital_adds", &EventCounts::digital_adds},
    {"cells_programmed", &EventCounts::cells_programmed},
    {"cell_writes", &EventCounts::cell_writes},
    {"race_1var_lookups", &EventCounts::race_1var_lookups},
    {"race_2var_lookups", &EventCounts::race_2var_lookups},
    {"buffer_accesses", &EventCounts::buffer_accesses},
    {"register_accesses", &EventCounts::register_accesses},
    {"noc_flit_hops", &EventCounts::noc_flit_hops},
    {"link_bits", &EventCounts::link_bits},
    {"vector_ops", &EventCounts::vector_ops},
    {"sfu_ops", &EventCounts::sfu_ops},
}};

inline std::vector<std::pair<std::string_view, std::uint64_t>> EventCounts::fields() const {
  std::vector<std::pair<std::string_view, std::uint64_t>> v;
  for (const auto& [name, member] : kEventFields) v.emplace_back(name, this->*member);
  return v;
}

inline std::uint64_t* EventCounts::field(std::string_view name) {
  for (const auto& [n, member] : kEventFields)
    if (n == name) return &(this->*member);
  return nullptr;
}

inline EventCounts& EventCounts::operator+=(const EventCounts& o) {
  for (const auto& [name, member] : kEventFields) this->*member += o.*member;
  return *this;
}

inline EventCounts& EventCounts::operator*=(std::uint64_t factor) {
  for (const auto& [name, member] : kEventFields) this->*member *= factor;
  return *this;
}

}  // namespace raceit

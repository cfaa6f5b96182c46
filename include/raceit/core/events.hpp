#pragma once
// Hardware event counts: what a functional run did, in units the cost model prices (a read of
// one array, one conversion, one search…). Every engine returns them; the cost model consumes
// them. Add a field here (and to fields()) rather than passing loose numbers around.
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

  std::vector<std::pair<std::string_view, std::uint64_t>> fields() const {
    return {{"array_reads", array_reads},         {"dac_conversions", dac_conversions},
            {"adc_conversions", adc_conversions}, {"adc_clipped", adc_clipped},
            {"acam_searches", acam_searches},     {"shift_adds", shift_adds},
            {"digital_adds", digital_adds},       {"cells_programmed", cells_programmed},
            {"cell_writes", cell_writes},
            {"race_1var_lookups", race_1var_lookups}, {"race_2var_lookups", race_2var_lookups},
            {"buffer_accesses", buffer_accesses}, {"register_accesses", register_accesses},
            {"noc_flit_hops", noc_flit_hops},     {"link_bits", link_bits},
            {"vector_ops", vector_ops},           {"sfu_ops", sfu_ops}};
  }
  EventCounts& operator+=(const EventCounts& o) {
    array_reads += o.array_reads;
    dac_conversions += o.dac_conversions;
    adc_conversions += o.adc_conversions;
    adc_clipped += o.adc_clipped;
    acam_searches += o.acam_searches;
    shift_adds += o.shift_adds;
    digital_adds += o.digital_adds;
    cells_programmed += o.cells_programmed;
    cell_writes += o.cell_writes;
    race_1var_lookups += o.race_1var_lookups;
    race_2var_lookups += o.race_2var_lookups;
    buffer_accesses += o.buffer_accesses;
    register_accesses += o.register_accesses;
    noc_flit_hops += o.noc_flit_hops;
    link_bits += o.link_bits;
    vector_ops += o.vector_ops;
    sfu_ops += o.sfu_ops;
    return *this;
  }
  bool operator==(const EventCounts&) const = default;
};

}  // namespace raceit

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
  std::uint64_t acam_searches = 0;     // column conversions / lookups by a Compute-ACAM
  std::uint64_t shift_adds = 0;        // converted values shifted and accumulated
  std::uint64_t digital_adds = 0;      // tile partial sums, zero-point corrections
  std::uint64_t cells_programmed = 0;  // RRAM cells written (once per model, not per inference)

  std::vector<std::pair<std::string_view, std::uint64_t>> fields() const {
    return {{"array_reads", array_reads},         {"dac_conversions", dac_conversions},
            {"adc_conversions", adc_conversions}, {"adc_clipped", adc_clipped},
            {"acam_searches", acam_searches},     {"shift_adds", shift_adds},
            {"digital_adds", digital_adds},       {"cells_programmed", cells_programmed}};
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
    return *this;
  }
  bool operator==(const EventCounts&) const = default;
};

}  // namespace raceit

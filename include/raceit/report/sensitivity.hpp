#pragma once
// One-at-a-time sensitivity (`raceit sensitivity`): how each configuration key, varied alone from
// an architecture's value, moves latency, energy and the ratios against another design, ranked
// by how far it moves them. By default every key the cost model names in its assumptions is
// halved and doubled (whole numbers stay whole), and a key with a set of choices takes each other
// choice.
#include <optional>
#include <string>
#include <vector>

#include "raceit/core/units.hpp"
#include "raceit/report/ppa.hpp"

namespace raceit::report {

// A value in base units as a user writes it, readable and exact to 6 digits: "50 ns", "11 nm"
// (a plain number when dimensionless).
std::string quantity_text(double value, Dimension dimension);

struct VaryKey {
  std::string key = {};
  std::vector<std::string> values;  // as a user writes them ("64", "50ns", "digital")
};

struct SensitivityValue {
  std::string text = {};
  bool ok = true;
  std::string error = {};  // when the architecture rejects the value or the model does not fit
  double latency = 0, energy = 0;
};

struct SensitivityKey {
  std::string key = {}, base_text = {}, source = {};
  std::vector<SensitivityValue> values = {};
  // Relative changes against the base (−0.25 = 25% lower), smallest and largest over the values.
  double latency_low = 0, latency_high = 0, energy_low = 0, energy_high = 0;
  std::string latency_low_at = {}, latency_high_at = {}, energy_low_at = {}, energy_high_at = {};  // the values that give them
  double swing() const { return std::max(latency_high - latency_low, energy_high - energy_low); }
};

struct Sensitivity {
  Ppa base = {};
  std::optional<Ppa> vs = {};             // the design the ratios are against
  std::vector<SensitivityKey> keys = {};  // ranked, largest swing first
};

// Every key the base result's assumptions name ("KEY = VALUE (SOURCE)"), with its default
// variations; keys whose value is zero, and so cannot be scaled, are left out.
std::vector<VaryKey> default_variations(const Ppa& base, const arch::ArchSpec& spec);

// `arch` with `overrides` is the base design; each key is varied alone. `vs` ("": none) is costed
// once. Error(Config) for a key the architecture does not have.
Sensitivity sensitivity(const CostStudy& study, const std::string& arch, const std::vector<std::string>& overrides,
                        std::int64_t batch, const std::string& vs, std::vector<VaryKey> vary);

nlohmann::json to_json(const Sensitivity& s);
std::string to_text(const Sensitivity& s);
// A page with the tornado charts of latency and energy (and of the ratios against `vs`).
std::string sensitivity_html(const Sensitivity& s);

}  // namespace raceit::report

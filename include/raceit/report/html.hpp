#pragma once
// Reports people would rather look at: one self-contained HTML file with SVG charts (no scripts
// or styles from elsewhere) for a ppa result, a sweep, or a sensitivity study, and CSV for a sweep.
// Every drawn number also sits, unrounded, in a data-value attribute of its SVG element, so the
// figures can be checked against the data they were drawn from.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "raceit/arch/arch.hpp"
#include "raceit/report/ppa.hpp"

namespace raceit::report {

// What one design point measured.
struct PointMetrics {
  double latency = 0;     // s per batch
  double throughput = 0;  // inferences/s
  double energy = 0;      // J per inference
  double power = 0;       // W
  double area = 0;        // m²
  int chips = 0;
  std::optional<double> accuracy_fp32 = {}, accuracy_ideal = {}, accuracy_mean = {}, accuracy_std = {};
  std::vector<double> accuracy_per_seed = {};
  std::vector<std::uint64_t> seeds = {};
  std::string detail = {};  // figure_data(…) as JSON text; empty when the point has none
};

// The data a design point's breakdown figures draw: to_json(ppa) plus "area_by_component"
// ([{component, area_mm2}], all chips).
nlohmann::json figure_data(const Ppa& ppa, const arch::ArchSpec& spec);

// One page for one ppa result: headline figures; energy and area by component, energy by layer,
// latency per pipeline stage.
std::string ppa_html(const nlohmann::json& figure_data);

struct SweepRow {
  std::size_t index = 0;
  std::map<std::string, std::string> settings = {};  // column → value
  std::string status = {};                           // done | error | pending
  std::string error = {};
  PointMetrics metrics = {};
  std::string config_hash = {}, started = {};
  double seconds = 0;
  int rank = 0;
};

struct SweepTable {
  std::string source = {};                        // the store
  std::string spec_path = {}, spec_text = {}, plan_hash = {}, tool_version = {}, created = {};
  std::vector<std::string> axes = {}, columns = {};    // varying settings; every setting column
  bool accuracy = false;
  std::vector<SweepRow> rows = {};
};

// Pareto-optimal rows: no other row is at least as good in every objective and better in one.
// Objectives: latency and energy (lower is better) and, when `with_accuracy`, accuracy_mean
// (higher is better). Rows without results are never optimal.
std::vector<bool> pareto_optimal(const std::vector<SweepRow>& rows, bool with_accuracy);

// The sweep report: the Pareto front of latency vs energy (and accuracy vs energy), accuracy vs
// each noise axis with error bars over seeds, every numeric axis against latency and energy, the
// breakdowns of the front's extreme points, and the table of every point.
std::string sweep_html(const SweepTable& table);
// One line per point: index, every setting column, status, error, the results, provenance.
std::string sweep_csv(const SweepTable& table);

}  // namespace raceit::report

// The reports drawn from real sweeps: every number a figure draws equals the store's.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "raceit/report/html.hpp"
#include "raceit/sweep/run.hpp"

namespace raceit::sweep {

namespace {

std::string temp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("raceit_report_" + std::to_string(::getpid()) + "_" + name)).string();
}

// Runs a spec into a fresh store and reads it back.
report::SweepTable run(const std::string& name, const std::string& text, int jobs = 1) {
  const std::string spec_path = temp(name + ".yaml"), store = temp(name + ".db");
  std::ofstream(spec_path) << text;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(store + suffix);
  const SweepSpec spec = load_sweep_spec(spec_path);
  const RunSummary s = run_sweep(spec, {.store = store, .jobs = jobs, .threads = 1});
  EXPECT_EQ(s.ran, spec.points.size());
  report::SweepTable t = read_store(store);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(store + suffix);
  std::filesystem::remove(spec_path);
  return t;
}

// The attributes of every element of one chart (by id) that carries `attribute`.
std::vector<std::map<std::string, std::string>> marks(const std::string& html, const std::string& chart,
                                                      const std::string& attribute) {
  const auto start = html.find("<svg id=\"" + chart + "\"");
  EXPECT_NE(start, std::string::npos) << "no chart " << chart;
  if (start == std::string::npos) return {};
  const std::string svg = html.substr(start, html.find("</svg>", start) - start);
  std::vector<std::map<std::string, std::string>> out;
  const std::regex element("<[a-z]+ ([^>]*" + attribute + "=[^>]*)>");
  const std::regex attr("([a-z-]+)=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), element); it != std::sregex_iterator(); ++it) {
    std::map<std::string, std::string> m;
    const std::string a = (*it)[1];
    for (auto at = std::sregex_iterator(a.begin(), a.end(), attr); at != std::sregex_iterator(); ++at) m[(*at)[1]] = (*at)[2];
    out.push_back(m);
  }
  return out;
}

const std::string kCost = "model: bert-base\naxes:\n  crossbar.rows: [64, 128]\n  tile.race_units: [1, 4]\n";

}  // namespace

// Hand-checked fronts: (1,4) (2,2) (4,1) trade off; (3,3) is beaten by (2,2); (2,2) repeated
// is beaten by neither copy; a point without results is never on the front.
TEST(SweepReport, ParetoFront) {
  auto row = [](double l, double e, std::optional<double> acc = std::nullopt, std::string status = "done") {
    return report::SweepRow{.status = status, .metrics = {.latency = l, .energy = e, .accuracy_mean = acc}};
  };
  const std::vector<report::SweepRow> rows = {row(1, 4), row(2, 2), row(4, 1), row(3, 3), row(2, 2), row(0.5, 0.5, {}, "error")};
  EXPECT_EQ(report::pareto_optimal(rows, false), (std::vector<bool>{true, true, true, false, true, false}));
  // With accuracy, (3,3) survives when it is the most accurate.
  const std::vector<report::SweepRow> acc = {row(1, 4, 0.5), row(2, 2, 0.6), row(3, 3, 0.9), row(3, 3, 0.8)};
  EXPECT_EQ(report::pareto_optimal(acc, true), (std::vector<bool>{true, true, true, false}));
}

// A cost sweep: the Pareto chart's marks are the store's latency and energy, point by point; the
// cost-along-axis charts too; the breakdown bars are the stored breakdown's; the CSV has them exactly.
TEST(SweepReport, FiguresEqualTheStore) {
  const report::SweepTable t = run("cost", kCost, 2);
  ASSERT_EQ(t.rows.size(), 4u);
  for (const auto& r : t.rows) ASSERT_EQ(r.status, "done") << r.error;
  // More RACE units: no slower.
  EXPECT_LE(t.rows[1].metrics.latency, t.rows[0].metrics.latency);
  const std::string html = report::sweep_html(t);
  const auto pareto = marks(html, "pareto-latency-energy", "data-point");
  ASSERT_EQ(pareto.size(), 4u);
  for (const auto& m : pareto) {
    const auto& r = t.rows.at(std::stoul(m.at("data-point")));
    EXPECT_EQ(std::stod(m.at("data-x")), r.metrics.latency);
    EXPECT_EQ(std::stod(m.at("data-y")), r.metrics.energy);
  }
  for (const char* chart : {"axis-crossbar.rows-latency", "axis-tile.race_units-energy"}) {
    const auto ms = marks(html, chart, "data-point");
    ASSERT_EQ(ms.size(), 4u) << chart;
    for (const auto& m : ms) {
      const auto& r = t.rows.at(std::stoul(m.at("data-point")));
      EXPECT_EQ(std::stod(m.at("data-y")), std::string(chart).ends_with("latency") ? r.metrics.latency : r.metrics.energy);
    }
  }
  // Breakdown of the fastest point.
  std::size_t fastest = 0;
  for (std::size_t i = 0; i < t.rows.size(); ++i)
    if (t.rows[i].metrics.latency < t.rows[fastest].metrics.latency) fastest = i;
  const nlohmann::json d = nlohmann::json::parse(t.rows[fastest].metrics.detail);
  const auto bars = marks(html, fmt::format("point-{}-energy-component", fastest), "data-value");
  ASSERT_EQ(bars.size(), d["breakdown"]["by_component"].size());
  double sum = 0;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    EXPECT_EQ(bars[i].at("data-label"), d["breakdown"]["by_component"][i]["component"]);
    EXPECT_EQ(std::stod(bars[i].at("data-value")), d["breakdown"]["by_component"][i]["energy_j"].get<double>());
    sum += std::stod(bars[i].at("data-value"));
  }
  EXPECT_NEAR(sum, t.rows[fastest].metrics.energy, 1e-9 * sum);  // the components add up to the total
  const auto area = marks(html, fmt::format("point-{}-area-component", fastest), "data-value");
  double area_sum = 0;
  for (const auto& a : area) area_sum += std::stod(a.at("data-value"));
  EXPECT_NEAR(area_sum, t.rows[fastest].metrics.area * 1e6, 1e-6 * area_sum);
  EXPECT_EQ(marks(html, fmt::format("point-{}-latency-stage", fastest), "data-value").size(), d["breakdown"]["stages"].size());
  // The tornado around point 0: crossbar.rows moves to point 2, race_units to point 1.
  const auto tornado = marks(html, "tornado-latency", "data-key");
  ASSERT_EQ(tornado.size(), 2u);
  for (const auto& m : tornado) {
    const std::size_t other = m.at("data-key") == "crossbar.rows" ? 2 : 1;
    const double change = t.rows[other].metrics.latency / t.rows[0].metrics.latency - 1;
    EXPECT_DOUBLE_EQ(std::stod(change < 0 ? m.at("data-low") : m.at("data-high")), change);
  }

  const std::string csv = report::sweep_csv(t);
  std::istringstream lines(csv);
  std::string header, line;
  std::getline(lines, header);
  EXPECT_EQ(header.rfind("index,model,arch,crossbar.rows,tile.race_units,status,error,latency_s,", 0), 0u) << header;
  for (const auto& r : t.rows) {
    std::getline(lines, line);
    std::vector<std::string> f;
    std::stringstream fields(line);
    for (std::string x; std::getline(fields, x, ',');) f.push_back(x);
    ASSERT_GT(f.size(), 9u);
    EXPECT_EQ(std::stoul(f[0]), r.index);
    EXPECT_EQ(f[5], "done");
    EXPECT_EQ(std::stod(f[7]), r.metrics.latency);
    EXPECT_EQ(std::stod(f[9]), r.metrics.energy);
  }
}

// An accuracy sweep over a noise axis and seeds: the noise chart's points are the mean and the
// sample standard deviation over the seeds of the store's accuracies; more noise, lower accuracy.
TEST(SweepReport, AccuracyAgainstNoiseWithErrorBars) {
  const report::SweepTable t =
      run("noise", "model: vit-digits\naccuracy: {limit: 40, calibration: 8}\naxes:\n  std_scale: [0, 3]\n  seeds: [1, 2]\n");
  ASSERT_EQ(t.rows.size(), 4u);
  for (const auto& r : t.rows) {
    ASSERT_EQ(r.status, "done") << r.error;
    ASSERT_TRUE(r.metrics.accuracy_mean.has_value());
    EXPECT_EQ(r.metrics.seeds.size(), 1u);
  }
  EXPECT_EQ(t.rows[0].metrics.seeds[0], 1u);
  EXPECT_EQ(t.rows[1].metrics.seeds[0], 2u);
  // No noise: every seed equals the ideal run.
  for (int i = 0; i < 2; ++i) EXPECT_EQ(*t.rows[i].metrics.accuracy_mean, *t.rows[i].metrics.accuracy_ideal);
  const std::string html = report::sweep_html(t);
  const auto ms = marks(html, "noise-std_scale", "data-x");
  ASSERT_EQ(ms.size(), 2u);
  for (const auto& m : ms) {
    const std::size_t first = std::stod(m.at("data-x")) == 0 ? 0 : 2;
    const double a = *t.rows[first].metrics.accuracy_mean, b = *t.rows[first + 1].metrics.accuracy_mean;
    // Two seeds: the mean, and a sample standard deviation of |a − b| / √2.
    EXPECT_NEAR(std::stod(m.at("data-y")), (a + b) / 2, 1e-12);
    EXPECT_NEAR(std::stod(m.at("data-error")), std::abs(a - b) / std::sqrt(2.0), 1e-12);
  }
  EXPECT_LT(std::stod(ms[1].at("data-y")), std::stod(ms[0].at("data-y")));
  EXPECT_EQ(marks(html, "pareto-accuracy-energy", "data-point").size(), 4u);
}

}  // namespace raceit::sweep

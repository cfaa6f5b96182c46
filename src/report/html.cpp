#include "raceit/report/html.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "raceit/core/error.hpp"
#include "raceit/core/units.hpp"
#include "raceit/device/rram.hpp"
#include "raceit/perf/components.hpp"
#include "svg.hpp"

namespace raceit::report {

namespace {

constexpr std::size_t kMaxSeries = 8;
const std::vector<std::string> kPalette = {"#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"};

bool done(const SweepRow& r) { return r.status == "done"; }

// A setting's value as a number ("64", "0.5", "100ns" → SI), if it is one.
std::optional<double> numeric(const std::string& text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size()) return v;
    return parse_quantity_any(text).value;
  } catch (...) {
    return std::nullopt;
  }
}

bool is_noise_key(const std::string& key) {
  const auto& specs = device::rram_param_specs();
  return std::any_of(specs.begin(), specs.end(), [&](const ParamSpec& s) { return s.key == key; });
}

std::vector<svg::Bar> bars_of(const nlohmann::json& list, const char* label, const char* value) {
  std::vector<svg::Bar> bars;
  for (const auto& item : list) bars.push_back({.label = item.at(label).get<std::string>(), .value = item.at(value).get<double>()});
  return bars;
}

double largest(const std::vector<svg::Bar>& bars) {
  double m = 0;
  for (const auto& b : bars) m = std::max(m, std::abs(b.value));
  return m;
}

std::string headline(const nlohmann::json& d) {
  const svg::Unit t = svg::unit_for(d.at("latency_s").get<double>(), "s");
  const svg::Unit e = svg::unit_for(d.at("energy_j").get<double>(), "J");
  return svg::table({"model", "arch", "batch", "tokens", "latency", "throughput", "energy / inference", "power", "area",
                     "chips"},
                    {{d.at("model").get<std::string>(), d.at("arch").get<std::string>(), std::to_string(d.at("batch").get<long>()),
                      std::to_string(d.at("tokens").get<long>()), svg::with_unit(d.at("latency_s").get<double>(), t),
                      fmt::format("{:.4g} /s", d.at("throughput_inf_per_s").get<double>()),
                      svg::with_unit(d.at("energy_j").get<double>(), e), fmt::format("{:.4g} W", d.at("power_w").get<double>()),
                      fmt::format("{:.4g} mm²", d.at("area_mm2").get<double>()), std::to_string(d.at("chips").get<int>())}},
                    {false, false, true, true, true, true, true, true, true, true});
}

// The breakdown figures of one design point (figure_data); `id` prefixes the charts' ids.
std::string breakdowns(const nlohmann::json& d, const std::string& id) {
  const nlohmann::json& b = d.at("breakdown");
  std::string s = "<div class=\"charts\">\n";
  const auto energy = bars_of(b.at("by_component"), "component", "energy_j");
  s += svg::bar_chart(id + "-energy-component", "Energy per inference by component",
                      {.label = "energy per inference", .unit = svg::unit_for(largest(energy), "J")}, energy, "energy");
  const auto area = bars_of(d.at("area_by_component"), "component", "area_mm2");
  s += svg::bar_chart(id + "-area-component", "Area by component (all chips)",
                      {.label = "area", .unit = {.factor = 1, .symbol = "mm²"}}, area, "area");
  const auto layers = bars_of(b.at("by_layer"), "layer", "energy_j");
  if (largest(layers) > 0)
    s += svg::bar_chart(id + "-energy-layer", fmt::format("Energy per batch of {} by layer", d.at("batch").get<long>()),
                        {.label = "energy per batch", .unit = svg::unit_for(largest(layers), "J")}, layers, "energy");
  std::vector<svg::Bar> stages;
  for (std::size_t i = 0; i < b.at("stages").size(); ++i) {
    const auto& st = b.at("stages")[i];
    const auto& ops = st.at("ops");
    stages.push_back({.label = fmt::format("{}: {}", i, ops.empty() ? "" : ops.front().get<std::string>()),
                      .value = st.at("time_s").get<double>()});
  }
  if (!stages.empty())
    s += svg::bar_chart(id + "-latency-stage", "Busy time per pipeline stage (stage: first operator)",
                        {.label = "busy time per batch", .unit = svg::unit_for(largest(stages), "s")}, stages, "stage time");
  else {
    const auto ops = bars_of(b.at("by_op"), "name", "time_s");
    s += svg::bar_chart(id + "-latency-op", "Time per kernel", {.label = "time", .unit = svg::unit_for(largest(ops), "s")},
                        ops, "kernel time");
  }
  return s + "</div>\n";
}

std::string point_label(const SweepRow& r, const std::vector<std::string>& axes) {
  std::string label = fmt::format("#{}", r.index);
  for (const auto& a : axes) {
    const auto it = r.settings.find(a);
    if (it != r.settings.end()) label += fmt::format(" {}={}", a, it->second);
  }
  return label;
}

// Groups of rows that agree on every axis but `except`: the series of a chart over `except`.
std::vector<std::pair<std::string, std::vector<const SweepRow*>>> series_over(const SweepTable& t,
                                                                               const std::set<std::string>& except) {
  std::vector<std::pair<std::string, std::vector<const SweepRow*>>> groups;
  for (const SweepRow& r : t.rows) {
    if (!done(r)) continue;
    std::string name;
    for (const auto& a : t.axes)
      if (!except.count(a)) name += (name.empty() ? "" : ", ") + a + "=" + r.settings.at(a);
    if (name.empty()) name = "all points";
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == name; });
    if (it == groups.end()) it = groups.insert(groups.end(), {name, {}});
    it->second.push_back(&r);
  }
  return groups;
}

std::string limited_note(std::size_t groups) {
  return groups > kMaxSeries ? fmt::format("<p>The first {} of {} series are drawn; the CSV has every point.</p>\n", kMaxSeries, groups)
                             : "";
}

bool spans_decades(const std::vector<double>& v) {
  double lo = INFINITY, hi = 0;
  for (double x : v)
    if (x > 0) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
  return hi > 0 && hi / lo > 20;
}

std::string pareto_section(const SweepTable& t) {
  const std::vector<bool> front2 = pareto_optimal(t.rows, false);
  const std::vector<bool> front3 = pareto_optimal(t.rows, true);
  svg::Series others{.name = "other points", .colour = "#9a9a9a"}, front{.name = "Pareto front", .colour = "#ff7f0e", .lines = true};
  std::vector<double> lat, en;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const SweepRow& r = t.rows[i];
    if (!done(r)) continue;
    svg::Series& s = front2[i] ? front : others;
    s.x.push_back(r.metrics.latency);
    s.y.push_back(r.metrics.energy);
    s.ids.push_back(static_cast<long>(r.index));
    s.labels.push_back(point_label(r, t.axes));
    lat.push_back(r.metrics.latency);
    en.push_back(r.metrics.energy);
  }
  if (lat.empty()) return "<p>No point has results yet.</p>\n";
  const auto max_of = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };
  std::string s = "<h2>Pareto front</h2>\n<div class=\"charts\">\n";
  s += svg::xy_chart("pareto-latency-energy", "Energy vs latency (lower left is better)",
                     {.label = "latency per batch", .unit = svg::unit_for(max_of(lat), "s"), .log = spans_decades(lat)},
                     {.label = "energy per inference", .unit = svg::unit_for(max_of(en), "J"), .log = spans_decades(en)},
                     {others, front});
  if (t.accuracy) {
    svg::Series o3{.name = "other points", .colour = "#9a9a9a"}, f3{.name = "Pareto front (latency, energy, accuracy)", .colour = "#ff7f0e"};
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
      const SweepRow& r = t.rows[i];
      if (!done(r) || !r.metrics.accuracy_mean) continue;
      svg::Series& sr = front3[i] ? f3 : o3;
      sr.x.push_back(r.metrics.energy);
      sr.y.push_back(*r.metrics.accuracy_mean);
      sr.error.push_back(r.metrics.accuracy_std.value_or(0));
      sr.ids.push_back(static_cast<long>(r.index));
      sr.labels.push_back(point_label(r, t.axes));
    }
    s += svg::xy_chart("pareto-accuracy-energy", "Accuracy vs energy (± std over seeds; upper left is better)",
                       {.label = "energy per inference", .unit = svg::unit_for(max_of(en), "J"), .log = spans_decades(en)},
                       {.label = "accuracy", .unit = {}}, {o3, f3});
  }
  return s + "</div>\n";
}

// Mean and sample standard deviation over every seed of the rows.
std::pair<double, double> pooled_accuracy(const std::vector<const SweepRow*>& rows) {
  std::vector<double> v;
  for (const SweepRow* r : rows) {
    if (!r->metrics.accuracy_per_seed.empty())
      v.insert(v.end(), r->metrics.accuracy_per_seed.begin(), r->metrics.accuracy_per_seed.end());
    else if (r->metrics.accuracy_mean)
      v.push_back(*r->metrics.accuracy_mean);
  }
  if (v.empty()) return {NAN, 0};
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return {mean, v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0};
}

// Accuracy against each noise axis, pooled over the seeds axis and each point's seeds.
std::string noise_section(const SweepTable& t) {
  if (!t.accuracy) return "";
  std::string s;
  for (const auto& axis : t.axes) {
    if (!is_noise_key(axis)) continue;
    const auto groups = series_over(t, {axis, "seed"});
    std::vector<svg::Series> series;
    for (std::size_t g = 0; g < groups.size() && g < kMaxSeries; ++g) {
      svg::Series line{.name = groups[g].first, .colour = kPalette[g % kPalette.size()], .lines = true};
      std::map<double, std::vector<const SweepRow*>> by_value;
      for (const SweepRow* r : groups[g].second)
        if (const auto v = numeric(r->settings.at(axis))) by_value[*v].push_back(r);
      for (const auto& [x, rows] : by_value) {
        const auto [mean, sd] = pooled_accuracy(rows);
        if (std::isnan(mean)) continue;
        line.x.push_back(x);
        line.y.push_back(mean);
        line.error.push_back(sd);
        line.ids.push_back(rows.size() == 1 ? static_cast<long>(rows.front()->index) : -1);
        line.labels.push_back(fmt::format("{} = {}: accuracy {:.4f} ± {:.4f} ({} point(s))", axis, x, mean, sd, rows.size()));
      }
      series.push_back(std::move(line));
    }
    if (s.empty()) s = "<h2>Accuracy under device noise</h2>\n<div class=\"charts\">\n";
    s += svg::xy_chart("noise-" + axis, fmt::format("Accuracy vs {} (mean ± sample std over seeds)", axis),
                       {.label = axis, .unit = {}}, {.label = "accuracy", .unit = {}}, series);
    s += limited_note(groups.size());
  }
  return s.empty() ? s : s + "</div>\n";
}

// Latency and energy against each numeric design axis.
std::string axes_section(const SweepTable& t) {
  std::string s;
  for (const auto& axis : t.axes) {
    if (is_noise_key(axis) || axis == "seed") continue;
    const auto groups = series_over(t, {axis, "seed"});
    bool all_numeric = !groups.empty();
    for (const auto& g : groups)
      for (const SweepRow* r : g.second) all_numeric = all_numeric && numeric(r->settings.at(axis)).has_value();
    if (!all_numeric) continue;
    for (const auto& [metric, base, label] : {std::tuple{"latency", "s", "latency per batch"},
                                              std::tuple{"energy", "J", "energy per inference"}}) {
      std::vector<svg::Series> series;
      double top = 0;
      for (std::size_t g = 0; g < groups.size() && g < kMaxSeries; ++g) {
        svg::Series line{.name = groups[g].first, .colour = kPalette[g % kPalette.size()], .lines = true};
        for (const SweepRow* r : groups[g].second) {
          const double y = std::string(metric) == "latency" ? r->metrics.latency : r->metrics.energy;
          line.x.push_back(*numeric(r->settings.at(axis)));
          line.y.push_back(y);
          line.ids.push_back(static_cast<long>(r->index));
          line.labels.push_back(point_label(*r, t.axes));
          top = std::max(top, y);
        }
        series.push_back(std::move(line));
      }
      if (s.empty()) s = "<h2>Cost along each axis</h2>\n<div class=\"charts\">\n";
      s += svg::xy_chart(fmt::format("axis-{}-{}", axis, metric), fmt::format("{} vs {}", label, axis),
                         {.label = axis, .unit = {}}, {.label = label, .unit = svg::unit_for(top, base)}, series);
    }
    s += limited_note(groups.size());
  }
  return s.empty() ? s : s + "</div>\n";
}

// One-at-a-time sensitivity around the first point: for each axis, the points that differ from
// it in that axis alone.
std::string tornado_section(const SweepTable& t) {
  const SweepRow* base = nullptr;
  for (const SweepRow& r : t.rows)
    if (done(r)) {
      base = &r;
      break;
    }
  if (!base || t.axes.empty()) return "";
  std::vector<std::string> metrics = {"latency", "energy"};
  if (t.accuracy) metrics.push_back("accuracy");
  std::string s;
  for (const std::string& metric : metrics) {
    auto value = [&](const SweepRow& r) {
      if (metric == "latency") return r.metrics.latency;
      if (metric == "energy") return r.metrics.energy;
      return r.metrics.accuracy_mean.value_or(NAN);
    };
    std::vector<svg::TornadoBar> bars;
    for (const auto& axis : t.axes) {
      svg::TornadoBar bar{.label = axis};
      double lo = INFINITY, hi = -INFINITY;
      for (const SweepRow& r : t.rows) {
        if (!done(r) || &r == base) continue;
        const bool one_off = std::all_of(t.axes.begin(), t.axes.end(), [&](const std::string& a) {
          return a == axis || r.settings.at(a) == base->settings.at(a);
        });
        const double change = value(r) / value(*base) - 1;
        if (!one_off || !std::isfinite(change)) continue;
        if (change < lo) {
          lo = change;
          bar.low = change;
          bar.low_text = r.settings.at(axis);
        }
        if (change > hi) {
          hi = change;
          bar.high = change;
          bar.high_text = r.settings.at(axis);
        }
      }
      if (std::isfinite(lo)) bars.push_back(bar);
    }
    if (bars.empty()) continue;
    std::sort(bars.begin(), bars.end(), [](const auto& a, const auto& b) { return a.high - a.low > b.high - b.low; });
    if (s.empty())
      s = fmt::format("<h2>Sensitivity around point #{} ({})</h2>\n<p>Each bar: the points that differ from it in one "
                      "axis only, from the lowest to the highest change of the metric (on the right: the axis values that give them).</p>\n<div class=\"charts\">\n",
                      base->index, svg::escape(point_label(*base, t.axes)));
    s += svg::tornado_chart("tornado-" + metric, "Change of " + metric + " by axis", metric, bars);
  }
  return s.empty() ? s : s + "</div>\n";
}

std::string details_section(const SweepTable& t) {
  // The extremes: lowest latency, lowest energy, highest accuracy.
  const SweepRow *fastest = nullptr, *leanest = nullptr, *best = nullptr;
  for (const SweepRow& r : t.rows) {
    if (!done(r) || r.metrics.detail.empty()) continue;
    if (!fastest || r.metrics.latency < fastest->metrics.latency) fastest = &r;
    if (!leanest || r.metrics.energy < leanest->metrics.energy) leanest = &r;
    if (r.metrics.accuracy_mean && (!best || *r.metrics.accuracy_mean > *best->metrics.accuracy_mean)) best = &r;
  }
  std::string s;
  std::set<std::size_t> shown;
  for (const auto& [what, r] : {std::pair{"lowest latency", fastest}, std::pair{"lowest energy", leanest},
                                std::pair{"highest accuracy", best}}) {
    if (!r || !shown.insert(r->index).second) continue;
    const nlohmann::json d = nlohmann::json::parse(r->metrics.detail);
    s += fmt::format("<h3 id=\"point-{}\">Point {} ({}): {}</h3>\n", r->index, r->index, what, svg::escape(point_label(*r, t.axes)));
    s += headline(d) + breakdowns(d, fmt::format("point-{}", r->index));
  }
  return s.empty() ? s : "<h2>Breakdowns</h2>\n" + s;
}

std::string points_table(const SweepTable& t) {
  std::vector<std::string> header = {"#"};
  std::vector<bool> num = {true};
  for (const auto& c : t.columns) {
    header.push_back(c);
    num.push_back(false);
  }
  for (const char* h : {"status", "latency s", "energy J", "throughput /s", "power W", "area mm²", "chips"}) {
    header.push_back(h);
    num.push_back(std::string(h) != "status");
  }
  if (t.accuracy)
    for (const char* h : {"accuracy", "± std"}) {
      header.push_back(h);
      num.push_back(true);
    }
  std::vector<std::vector<std::string>> rows;
  for (const SweepRow& r : t.rows) {
    std::vector<std::string> row = {std::to_string(r.index)};
    for (const auto& c : t.columns) row.push_back(r.settings.count(c) ? r.settings.at(c) : "");
    const PointMetrics& m = r.metrics;
    row.push_back(r.status == "error" ? "error: " + r.error : r.status);
    for (double v : {m.latency, m.energy, m.throughput, m.power, m.area * 1e6})
      row.push_back(done(r) ? fmt::format("{:.4g}", v) : "");
    row.push_back(done(r) ? std::to_string(m.chips) : "");
    if (t.accuracy) {
      row.push_back(m.accuracy_mean ? fmt::format("{:.4f}", *m.accuracy_mean) : "");
      row.push_back(m.accuracy_std ? fmt::format("{:.4f}", *m.accuracy_std) : "");
    }
    rows.push_back(std::move(row));
  }
  return "<h2>Every point</h2>\n" + svg::table(header, rows, num);
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string s = "\"";
  for (char c : text) s += c == '"' ? std::string("\"\"") : std::string(1, c);
  return s + "\"";
}

}  // namespace

nlohmann::json figure_data(const Ppa& ppa, const arch::ArchSpec& spec) {
  nlohmann::json j = to_json(ppa);
  nlohmann::json area = nlohmann::json::array();
  const perf::ResolvedArch arch = perf::resolve(spec);
  if (arch.components.empty()) area.push_back({{"component", spec.kind == arch::ArchKind::Gpu ? "gpu die" : "chip"}, {"area_mm2", ppa.area * 1e6}});
  for (const perf::ResolvedComponent& c : arch.components)
    area.push_back({{"component", c.name}, {"area_mm2", c.total_area() * ppa.chips * 1e6}});
  j["area_by_component"] = area;
  return j;
}

std::string ppa_html(const nlohmann::json& d) {
  std::string body = headline(d) + breakdowns(d, "ppa");
  body += "<h2>Assumptions</h2>\n<pre>";
  for (const auto& a : d.at("assumptions"))
    body += svg::escape(fmt::format("{} = {} ({})", a.at("key").get<std::string>(), a.at("value").get<std::string>(),
                                    a.at("source").get<std::string>())) +
            "\n";
  for (const auto& n : d.value("notes", nlohmann::json::array())) body += svg::escape(n.get<std::string>()) + "\n";
  body += "</pre>\n";
  return svg::page(fmt::format("{} on {}: performance, power and area", d.at("model").get<std::string>(),
                               d.at("arch").get<std::string>()),
                   body);
}

std::vector<bool> pareto_optimal(const std::vector<SweepRow>& rows, bool with_accuracy) {
  auto objectives = [&](const SweepRow& r) {
    std::vector<double> o = {r.metrics.latency, r.metrics.energy};
    if (with_accuracy) o.push_back(-r.metrics.accuracy_mean.value_or(-INFINITY));
    return o;
  };
  std::vector<bool> optimal(rows.size(), false);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!done(rows[i])) continue;
    const auto a = objectives(rows[i]);
    optimal[i] = std::none_of(rows.begin(), rows.end(), [&](const SweepRow& other) {
      if (!done(other) || &other == &rows[i]) return false;
      const auto b = objectives(other);
      bool no_worse = true, better = false;
      for (std::size_t k = 0; k < a.size(); ++k) {
        no_worse = no_worse && b[k] <= a[k];
        better = better || b[k] < a[k];
      }
      return no_worse && better;
    });
  }
  return optimal;
}

std::string sweep_html(const SweepTable& t) {
  std::size_t finished = 0, failed = 0;
  for (const SweepRow& r : t.rows) {
    finished += done(r);
    failed += r.status == "error";
  }
  std::string body = fmt::format(
      "<p>Store <code>{}</code>, spec <code>{}</code>, created {} by raceit {}, plan {}: {} points, {} with results, {} "
      "failed, {} pending. Axes: {}.</p>\n",
      svg::escape(t.source), svg::escape(t.spec_path), svg::escape(t.created), svg::escape(t.tool_version),
      svg::escape(t.plan_hash), t.rows.size(), finished, failed, t.rows.size() - finished - failed,
      svg::escape(fmt::format("{}", fmt::join(t.axes, ", "))));
  body += pareto_section(t) + noise_section(t) + axes_section(t) + tornado_section(t) + details_section(t) + points_table(t);
  body += "<h2>Spec</h2>\n<pre>" + svg::escape(t.spec_text) + "</pre>\n";
  return svg::page(fmt::format("Sweep {}", std::filesystem::path(t.spec_path).filename().string()), body);
}

std::string sweep_csv(const SweepTable& t) {
  std::vector<std::string> header = {"index"};
  header.insert(header.end(), t.columns.begin(), t.columns.end());
  for (const char* h : {"status", "error", "latency_s", "throughput_inf_per_s", "energy_j", "power_w", "area_mm2", "chips",
                        "accuracy_fp32", "accuracy_ideal", "accuracy_mean", "accuracy_std", "accuracy_per_seed", "seeds",
                        "config_hash", "tool_version", "started_utc", "seconds", "rank"})
    header.push_back(h);
  std::string s;
  for (std::size_t i = 0; i < header.size(); ++i) s += (i ? "," : "") + csv_field(header[i]);
  s += "\n";
  auto opt = [](const std::optional<double>& v) { return v ? svg::exact(*v) : std::string(); };
  for (const SweepRow& r : t.rows) {
    const PointMetrics& m = r.metrics;
    std::vector<std::string> row = {std::to_string(r.index)};
    for (const auto& c : t.columns) row.push_back(r.settings.count(c) ? r.settings.at(c) : "");
    row.push_back(r.status);
    row.push_back(r.error);
    for (double v : {m.latency, m.throughput, m.energy, m.power, m.area * 1e6}) row.push_back(done(r) ? svg::exact(v) : "");
    row.push_back(done(r) ? std::to_string(m.chips) : "");
    for (const auto& v : {m.accuracy_fp32, m.accuracy_ideal, m.accuracy_mean, m.accuracy_std}) row.push_back(opt(v));
    std::string per_seed, seeds;
    for (double a : m.accuracy_per_seed) per_seed += (per_seed.empty() ? "" : " ") + svg::exact(a);
    for (auto seed : m.seeds) seeds += (seeds.empty() ? "" : " ") + std::to_string(seed);
    row.insert(row.end(), {per_seed, seeds, r.config_hash, r.status == "pending" ? "" : t.tool_version, r.started,
                           r.status == "pending" ? "" : svg::exact(r.seconds),
                           r.status == "pending" ? "" : std::to_string(r.rank)});
    for (std::size_t i = 0; i < row.size(); ++i) s += (i ? "," : "") + csv_field(row[i]);
    s += "\n";
  }
  return s;
}

}  // namespace raceit::report

#include "svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace raceit::report::svg {

namespace {

constexpr double kWidth = 620;
constexpr std::array<const char*, 8> kPalette = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                 "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

std::string number(double v) { return fmt::format("{:.4g}", v); }

// A linear or logarithmic map from shown values to pixels, with its tick positions.
struct Scale {
  double lo = 0, hi = 1;
  bool log = false;
  double p0 = 0, p1 = 1;
  std::vector<double> ticks = {};

  double operator()(double v) const {
    const double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
    return p0 + t * (p1 - p0);
  }
};

double nice_step(double range) {
  const double raw = range / 5;
  const double decade = std::pow(10, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0})
    if (m * decade >= raw) return m * decade;
  return 10 * decade;
}

// A scale over `values` (shown units) onto [p0, p1], widened to tick marks.
Scale fit(std::vector<double> values, bool log, double p0, double p1, bool from_zero) {
  Scale s{.log = log, .p0 = p0, .p1 = p1};
  std::erase_if(values, [&](double v) { return !std::isfinite(v) || (log && v <= 0); });
  if (values.empty()) values = {log ? 1.0 : 0.0};
  double lo = *std::min_element(values.begin(), values.end()), hi = *std::max_element(values.begin(), values.end());
  if (log) {
    s.lo = std::pow(10, std::floor(std::log10(lo)));
    s.hi = std::pow(10, std::ceil(std::log10(hi)));
    if (s.hi <= s.lo) s.hi = s.lo * 10;
    const bool few = std::log10(s.hi / s.lo) < 2.5;
    for (double d = s.lo; d <= s.hi * 1.0001; d *= 10)
      for (const double m : {1.0, 2.0, 5.0})
        if ((m == 1.0 || few) && d * m <= s.hi * 1.0001) s.ticks.push_back(d * m);
    return s;
  }
  if (from_zero) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  if (hi - lo <= std::abs(hi) * 1e-12) {
    const double pad = hi == 0 ? 1 : std::abs(hi) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double step = nice_step(hi - lo);
  s.lo = std::floor(lo / step + 1e-9) * step;
  s.hi = std::ceil(hi / step - 1e-9) * step;
  for (double t = s.lo; t <= s.hi + step * 1e-6; t += step) s.ticks.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  return s;
}

std::string axis_title(const Axis& a) {
  return a.unit.symbol.empty() ? escape(a.label) : fmt::format("{} ({})", escape(a.label), escape(a.unit.symbol));
}

std::string open_svg(const std::string& id, double height, const std::string& title) {
  return fmt::format(
      "<svg id=\"{0}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{1}\" height=\"{2}\" "
      "viewBox=\"0 0 {1} {2}\" role=\"img\" aria-label=\"{3}\">\n<text class=\"title\" x=\"{4}\" y=\"18\">{3}</text>\n",
      escape(id), kWidth, height, escape(title), kWidth / 2);
}

// Legend entries in one row under the title.
std::string legend(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string s = "<g class=\"legend\">";
  double x = 70;
  for (const auto& [name, colour] : entries) {
    s += fmt::format("<rect x=\"{}\" y=\"28\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"38\">{}</text>", x,
                     colour, x + 16, escape(name));
    x += 30 + 7.0 * static_cast<double>(name.size());
  }
  return s + "</g>\n";
}

std::string x_axis(const Scale& x, double y0, const Axis& axis, double y_top) {
  std::string s = fmt::format("<g class=\"axis x\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", x.p0, y0, x.p1, y0);
  for (const double t : x.ticks)
    s += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/><text x=\"{0}\" y=\"{3}\" "
        "text-anchor=\"middle\">{4}</text>",
        x(t), y_top, y0, y0 + 16, number(t));
  return s + fmt::format("<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>\n",
                         (x.p0 + x.p1) / 2, y0 + 36, axis_title(axis));
}

std::string y_axis(const Scale& y, double x0, const Axis& axis, double x_right) {
  std::string s = fmt::format("<g class=\"axis y\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", x0, y.p0, x0, y.p1);
  for (const double t : y.ticks)
    s += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/><text x=\"{3}\" y=\"{4}\" "
        "text-anchor=\"end\">{5}</text>",
        x0, y(t), x_right, x0 - 6, y(t) + 4, number(t));
  return s + fmt::format(
                 "<text class=\"label\" transform=\"translate(16,{}) rotate(-90)\" text-anchor=\"middle\">{}</text></g>\n",
                 (y.p0 + y.p1) / 2, axis_title(axis));
}

std::string shortened(const std::string& label, std::size_t n) {
  return label.size() <= n ? label : label.substr(0, n - 1) + "…";
}

}  // namespace

std::string escape(std::string_view text) {
  std::string s;
  for (const char c : text) {
    switch (c) {
      case '&': s += "&amp;"; break;
      case '<': s += "&lt;"; break;
      case '>': s += "&gt;"; break;
      case '"': s += "&quot;"; break;
      case '\'': s += "&#39;"; break;
      default: s += c;
    }
  }
  return s;
}

std::string exact(double value) {
  for (int digits = 15; digits <= 17; ++digits) {
    const std::string s = fmt::format("{:.{}g}", value, digits);
    if (std::stod(s) == value) return s;
  }
  return fmt::format("{:.17g}", value);
}

Unit unit_for(double largest, const std::string& base) {
  static const std::array<std::pair<double, const char*>, 9> prefixes = {
      {{1e-15, "f"}, {1e-12, "p"}, {1e-9, "n"}, {1e-6, "u"}, {1e-3, "m"}, {1, ""}, {1e3, "k"}, {1e6, "M"}, {1e9, "G"}}};
  largest = std::abs(largest);
  auto chosen = prefixes[5];
  if (largest > 0 && std::isfinite(largest))
    for (const auto& p : prefixes)
      if (largest >= p.first * 0.9999) chosen = p;
  const std::string prefix = std::string(chosen.second) == "u" ? "µ" : chosen.second;
  return {.factor = 1 / chosen.first, .symbol = prefix + base};
}

std::string with_unit(double value, const Unit& unit) {
  return unit.symbol.empty() ? number(value * unit.factor) : number(value * unit.factor) + " " + unit.symbol;
}

std::string bar_chart(const std::string& id, const std::string& title, const Axis& axis, const std::vector<Bar>& bars,
                      const std::string& legend_name) {
  constexpr double left = 170, right = kWidth - 80, top = 50, row = 20;
  const double bottom = top + row * static_cast<double>(std::max<std::size_t>(bars.size(), 1));
  std::vector<double> shown;
  for (const Bar& b : bars) shown.push_back(b.value * axis.unit.factor);
  const Scale x = fit(shown, false, left, right, true);
  std::string s = open_svg(id, bottom + 50, title) + legend({{legend_name, kPalette[0]}}) + x_axis(x, bottom, axis, top);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double y = top + row * static_cast<double>(i);
    const double x0 = x(0), x1 = x(shown[i]);
    s += fmt::format(
        "<g class=\"bar\"><title>{0}: {1}</title><text x=\"{2}\" y=\"{3}\" text-anchor=\"end\">{4}</text>"
        "<rect data-label=\"{0}\" data-value=\"{5}\" x=\"{6}\" y=\"{7}\" width=\"{8}\" height=\"{9}\" fill=\"{10}\"/>"
        "<text class=\"value\" x=\"{11}\" y=\"{3}\">{1}</text></g>\n",
        escape(b.label), escape(with_unit(b.value, axis.unit)), left - 6, y + row * 0.7, escape(shortened(b.label, 26)),
        exact(b.value), std::min(x0, x1), y + 2, std::abs(x1 - x0), row - 4, kPalette[0], std::max(x0, x1) + 4);
  }
  return s + "</svg>\n";
}

std::string xy_chart(const std::string& id, const std::string& title, const Axis& x_axis_spec, const Axis& y_axis_spec,
                     const std::vector<Series>& series) {
  constexpr double left = 80, right = kWidth - 20, top = 50, bottom = 330;
  std::vector<double> xs, ys;
  for (const Series& s : series)
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      xs.push_back(s.x[i] * x_axis_spec.unit.factor);
      const double e = s.error.empty() ? 0 : s.error[i];
      ys.push_back((s.y[i] + e) * y_axis_spec.unit.factor);
      ys.push_back((s.y[i] - e) * y_axis_spec.unit.factor);
    }
  const Scale x = fit(xs, x_axis_spec.log, left, right, false);
  const Scale y = fit(ys, y_axis_spec.log, bottom, top, false);
  std::vector<std::pair<std::string, std::string>> entries;
  for (const Series& s : series) entries.push_back({s.name, s.colour});
  std::string out = open_svg(id, bottom + 50, title) + legend(entries) + x_axis(x, bottom, x_axis_spec, top) +
                    y_axis(y, left, y_axis_spec, right);
  auto px = [&](double v) { return x(v * x_axis_spec.unit.factor); };
  auto py = [&](double v) { return y(v * y_axis_spec.unit.factor); };
  for (const Series& s : series) {
    out += fmt::format("<g class=\"series\" data-series=\"{}\">", escape(s.name));
    std::vector<std::size_t> order(s.x.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return s.x[a] < s.x[b]; });
    if (s.lines && order.size() > 1) {
      std::string points;
      for (const std::size_t i : order) points += fmt::format("{:.2f},{:.2f} ", px(s.x[i]), py(s.y[i]));
      out += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>", s.colour, points);
    }
    for (const std::size_t i : order) {
      const double cx = px(s.x[i]), cy = py(s.y[i]);
      const std::string tip = i < s.labels.size() ? s.labels[i] : "";
      const long point = i < s.ids.size() ? s.ids[i] : -1;
      const double e = s.error.empty() ? 0 : s.error[i];
      out += fmt::format("<g class=\"mark\" data-point=\"{}\" data-x=\"{}\" data-y=\"{}\"{}><title>{}</title>", point,
                         exact(s.x[i]), exact(s.y[i]), s.error.empty() ? "" : fmt::format(" data-error=\"{}\"", exact(e)),
                         escape(tip));
      if (e > 0)
        out += fmt::format(
            "<line class=\"errorbar\" stroke=\"{0}\" x1=\"{1}\" y1=\"{2}\" x2=\"{1}\" y2=\"{3}\"/>"
            "<line class=\"errorbar\" stroke=\"{0}\" x1=\"{4}\" y1=\"{2}\" x2=\"{5}\" y2=\"{2}\"/>"
            "<line class=\"errorbar\" stroke=\"{0}\" x1=\"{4}\" y1=\"{3}\" x2=\"{5}\" y2=\"{3}\"/>",
            s.colour, cx, py(s.y[i] - e), py(s.y[i] + e), cx - 4, cx + 4);
      if (s.markers) out += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"4\" fill=\"{}\"/>", cx, cy, s.colour);
      out += "</g>";
    }
    out += "</g>\n";
  }
  return out + "</svg>\n";
}

std::string tornado_chart(const std::string& id, const std::string& title, const std::string& metric,
                          const std::vector<TornadoBar>& bars) {
  constexpr double left = 200, right = kWidth - 90, top = 50, row = 22;
  const double bottom = top + row * static_cast<double>(std::max<std::size_t>(bars.size(), 1));
  std::vector<double> shown = {0};
  for (const TornadoBar& b : bars) {
    shown.push_back(100 * std::abs(b.low));
    shown.push_back(-100 * std::abs(b.low));
    shown.push_back(100 * std::abs(b.high));
    shown.push_back(-100 * std::abs(b.high));
  }
  const Scale x = fit(shown, false, left, right, true);
  const char* low_colour = kPalette[0];
  const char* high_colour = kPalette[1];
  std::string s = open_svg(id, bottom + 50, title) +
                  legend({{"lowest change", low_colour}, {"highest change", high_colour}}) +
                  x_axis(x, bottom, {.label = "change of " + metric, .unit = {.factor = 1, .symbol = "%"}}, top);
  s += fmt::format("<line class=\"zero\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>", x(0), top - 4, bottom);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const TornadoBar& b = bars[i];
    const double y = top + row * static_cast<double>(i);
    s += fmt::format("<g class=\"tornado\" data-key=\"{}\" data-low=\"{}\" data-high=\"{}\"><title>{}: {:+.3g}% at {}, {:+.3g}% at {}</title>"
                     "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                     escape(b.label), exact(b.low), exact(b.high), escape(b.label), 100 * b.low, escape(b.low_text),
                     100 * b.high, escape(b.high_text), left - 6, y + row * 0.7, escape(shortened(b.label, 30)));
    // The larger bar first, so the smaller one stays visible when both go the same way.
    std::vector<std::tuple<double, const char*, std::string>> parts = {{b.low, low_colour, b.low_text},
                                                                       {b.high, high_colour, b.high_text}};
    if (std::abs(b.low) < std::abs(b.high)) std::swap(parts[0], parts[1]);
    for (const auto& [v, colour, text] : parts) {
      const double x0 = x(0), x1 = x(100 * v);
      s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>", std::min(x0, x1), y + 3,
                       std::max(std::abs(x1 - x0), 0.5), row - 6, colour);
    }
    s += fmt::format("<text class=\"value\" x=\"{}\" y=\"{}\">{} | {}</text></g>\n", right + 4, y + row * 0.7,
                     escape(shortened(b.low_text, 8)), escape(shortened(b.high_text, 8)));
  }
  return s + "</svg>\n";
}

std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& numeric) {
  std::string s = "<table class=\"sortable\"><thead><tr>";
  for (std::size_t c = 0; c < header.size(); ++c)
    s += fmt::format("<th{}>{}</th>", c < numeric.size() && numeric[c] ? " class=\"num\"" : "", escape(header[c]));
  s += "</tr></thead><tbody>\n";
  for (const auto& r : rows) {
    s += "<tr>";
    for (std::size_t c = 0; c < r.size(); ++c)
      s += fmt::format("<td{}>{}</td>", c < numeric.size() && numeric[c] ? " class=\"num\"" : "", escape(r[c]));
    s += "</tr>\n";
  }
  return s + "</tbody></table>\n";
}

std::string page(const std::string& title, const std::string& body) {
  return fmt::format(R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{0}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1500px; }}
h1 {{ font-size: 20px; }} h2 {{ font-size: 17px; margin-top: 28px; }} h3 {{ font-size: 15px; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 12px; }}
svg.chart {{ background: #fff; border: 1px solid #ddd; font: 11px sans-serif; }}
svg .title {{ font-size: 13px; font-weight: bold; text-anchor: middle; }}
svg .axis line {{ stroke: #444; }} svg .grid {{ stroke: #e4e4e4 !important; }} svg .zero {{ stroke: #444; }}
svg .label {{ font-size: 12px; }} svg .errorbar {{ stroke-width: 1.5; }}
table {{ border-collapse: collapse; font-size: 12px; }} th, td {{ border: 1px solid #ccc; padding: 2px 6px; }}
th {{ background: #f0f0f0; cursor: pointer; }} td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
pre {{ background: #f6f6f6; padding: 8px; overflow-x: auto; }}
</style></head>
<body>
<h1>{0}</h1>
{1}
<script>
"use strict";
// Click a column header to sort by it (numbers as numbers).
for (const table of document.querySelectorAll("table.sortable")) {{
  const headers = Array.from(table.tHead.rows[0].cells);
  headers.forEach((th, column) => th.addEventListener("click", () => {{
    const numeric = th.classList.contains("num");
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    const key = (row) => {{ const t = row.cells[column].textContent; return numeric ? (parseFloat(t) || 0) : t; }};
    const ascending = th.dataset.order !== "asc";
    rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * (ascending ? 1 : -1));
    th.dataset.order = ascending ? "asc" : "desc";
    rows.forEach((row) => body.appendChild(row));
  }}));
}}
document.body.dataset.ready = "1";
</script>
</body></html>
)",
                     escape(title), body);
}

}  // namespace raceit::report::svg

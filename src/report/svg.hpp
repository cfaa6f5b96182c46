#pragma once
// SVG charts for the HTML reports (html.cpp, sensitivity.cpp): horizontal bars, x–y plots
// (markers, lines, error bars) and tornado charts, each with axes, units, a legend and a
// <title> tooltip per mark. Every mark carries its unrounded values in data-* attributes.
#include <string>
#include <string_view>
#include <vector>

namespace raceit::report::svg {

std::string escape(std::string_view text);  // for HTML/XML text and attributes
std::string exact(double value);            // shortest text that reads back as the same double

// A display unit: shown = value × factor, written with `symbol` ("ms", "mJ", "mm²").
struct Unit {
  double factor = 1;
  std::string symbol = {};
};
// The SI prefix that makes `largest` (in base units, e.g. s or J) read between 1 and 1000.
Unit unit_for(double largest, const std::string& base);
// A value in its unit, 4 significant digits: "2.01 ms".
std::string with_unit(double value, const Unit& unit);

struct Axis {
  std::string label = {};  // what is measured, without the unit
  Unit unit = {};
  bool log = false;
};

struct Bar {
  std::string label = {};
  double value = 0;  // base units
};
// Horizontal bars, one per label, from zero.
std::string bar_chart(const std::string& id, const std::string& title, const Axis& axis, const std::vector<Bar>& bars,
                      const std::string& legend);

struct Series {
  std::string name = {};
  std::string colour = {};
  std::vector<double> x = {}, y = {};  // base units
  std::vector<double> error = {};      // ± half-widths of error bars (empty: none)
  std::vector<std::string> labels = {};  // tooltip per point
  std::vector<long> ids = {};            // data-point per point (e.g. the sweep point index; −1: none)
  bool lines = false;               // join the points in x order
  bool markers = true;
};
// Markers and/or lines on shared axes; log axes need positive values.
std::string xy_chart(const std::string& id, const std::string& title, const Axis& x, const Axis& y,
                     const std::vector<Series>& series);

struct TornadoBar {
  std::string label = {};       // the key
  double low = 0, high = 0;     // relative change of the metric at the two ends (−0.2 = −20%)
  std::string low_text = {}, high_text = {};  // the values that give them
};
// Bars from the smallest to the largest relative change of a metric, largest swing first.
std::string tornado_chart(const std::string& id, const std::string& title, const std::string& metric,
                          const std::vector<TornadoBar>& bars);

// A self-contained page: the title, a style sheet, the sections (HTML) and a small script that
// sorts tables and marks the page ready (body data-ready="1").
std::string page(const std::string& title, const std::string& body);

// An HTML table; `numeric` columns are right-aligned and sortable as numbers.
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  const std::vector<bool>& numeric);

}  // namespace raceit::report::svg

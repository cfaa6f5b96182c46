#include "raceit/core/units.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

#include "raceit/core/error.hpp"

namespace raceit {

namespace {

struct UnitSymbol {
  std::string_view symbol;
  Dimension dimension;
  double factor = 1.0;     // to SI base units, before any prefix
  int prefix_power = 1;    // a prefix of 10^k scales the value by 10^(k·prefix_power) (2 for areas)
  bool binary = false;     // byte prefixes K/M/G/T mean powers of 1024
};

// Longest symbols first so that "bps" is tried before "s" and "m2" before "m".
constexpr std::array kUnits{
    UnitSymbol{.symbol = "FLOPS", .dimension = Dimension::OpRate},
    UnitSymbol{.symbol = "J/bit", .dimension = Dimension::EnergyPerBit},
    UnitSymbol{.symbol = "OPS", .dimension = Dimension::OpRate},
    // Bandwidths in bytes per second use decimal prefixes, as vendors quote them (3.35 TB/s).
    UnitSymbol{.symbol = "B/s", .dimension = Dimension::DataRate, .factor = 8.0},
    UnitSymbol{.symbol = "J/b", .dimension = Dimension::EnergyPerBit},
    UnitSymbol{.symbol = "bps", .dimension = Dimension::DataRate},
    UnitSymbol{.symbol = "b/s", .dimension = Dimension::DataRate},
    UnitSymbol{.symbol = "Ohm", .dimension = Dimension::Resistance},
    UnitSymbol{.symbol = "ohm", .dimension = Dimension::Resistance},
    UnitSymbol{.symbol = "Hz", .dimension = Dimension::Frequency},
    UnitSymbol{.symbol = "m2", .dimension = Dimension::Area, .prefix_power = 2},
    UnitSymbol{.symbol = "iB", .dimension = Dimension::Bytes, .binary = true},
    UnitSymbol{.symbol = "S", .dimension = Dimension::Conductance},
    UnitSymbol{.symbol = "V", .dimension = Dimension::Voltage},
    UnitSymbol{.symbol = "A", .dimension = Dimension::Current},
    UnitSymbol{.symbol = "s", .dimension = Dimension::Time},
    UnitSymbol{.symbol = "J", .dimension = Dimension::Energy},
    UnitSymbol{.symbol = "W", .dimension = Dimension::Power},
    UnitSymbol{.symbol = "m", .dimension = Dimension::Length},
    UnitSymbol{.symbol = "F", .dimension = Dimension::Capacitance},
    UnitSymbol{.symbol = "B", .dimension = Dimension::Bytes, .binary = true},
};

struct Prefix {
  std::string_view text;
  int exponent;  // power of ten (power of 1024 / 3 for byte units)
};
constexpr std::array kPrefixes{
    Prefix{.text = "a", .exponent = -18}, Prefix{.text = "f", .exponent = -15},
    Prefix{.text = "p", .exponent = -12}, Prefix{.text = "n", .exponent = -9},
    Prefix{.text = "u", .exponent = -6},  Prefix{.text = "\xC2\xB5", .exponent = -6},
    Prefix{.text = "m", .exponent = -3},  Prefix{.text = "k", .exponent = 3},
    Prefix{.text = "K", .exponent = 3},   Prefix{.text = "M", .exponent = 6},
    Prefix{.text = "G", .exponent = 9},   Prefix{.text = "T", .exponent = 12},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Scale for `prefix` in front of `unit`; nullopt-like NaN when the prefix is not one.
double prefix_scale(std::string_view prefix, const UnitSymbol& unit) {
  if (prefix.empty()) return 1.0;
  for (const auto& p : kPrefixes) {
    if (p.text != prefix) continue;
    if (unit.binary) {
      if (p.exponent <= 0) return NAN;  // no fractional bytes
      return std::pow(1024.0, p.exponent / 3);
    }
    return std::pow(10.0, p.exponent * unit.prefix_power);
  }
  return NAN;
}

}  // namespace

const char* to_string(Dimension d) {
  switch (d) {
    case Dimension::Dimensionless: return "dimensionless";
    case Dimension::Conductance: return "conductance";
    case Dimension::Voltage: return "voltage";
    case Dimension::Current: return "current";
    case Dimension::Resistance: return "resistance";
    case Dimension::Frequency: return "frequency";
    case Dimension::Time: return "time";
    case Dimension::Energy: return "energy";
    case Dimension::Power: return "power";
    case Dimension::Area: return "area";
    case Dimension::Length: return "length";
    case Dimension::Capacitance: return "capacitance";
    case Dimension::DataRate: return "data rate";
    case Dimension::EnergyPerBit: return "energy per bit";
    case Dimension::Bytes: return "bytes";
    case Dimension::OpRate: return "operation rate";
  }
  return "?";
}

const char* base_unit(Dimension d) {
  switch (d) {
    case Dimension::Dimensionless: return "";
    case Dimension::Conductance: return "S";
    case Dimension::Voltage: return "V";
    case Dimension::Current: return "A";
    case Dimension::Resistance: return "Ohm";
    case Dimension::Frequency: return "Hz";
    case Dimension::Time: return "s";
    case Dimension::Energy: return "J";
    case Dimension::Power: return "W";
    case Dimension::Area: return "m2";
    case Dimension::Length: return "m";
    case Dimension::Capacitance: return "F";
    case Dimension::DataRate: return "bps";
    case Dimension::EnergyPerBit: return "J/b";
    case Dimension::Bytes: return "B";
    case Dimension::OpRate: return "OPS";
  }
  return "?";
}

Quantity parse_quantity_any(std::string_view text) {
  const std::string_view s = trim(text);
  double number = 0.0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
  if (ec != std::errc() || !std::isfinite(number))
    throw Error(ErrorKind::Parse, fmt::format("'{}' does not start with a number", text));
  const std::string_view unit = trim(std::string_view(end, s.data() + s.size() - end));
  if (unit.empty()) return {.value = number, .dimension = Dimension::Dimensionless};
  for (const auto& u : kUnits) {
    if (unit.size() < u.symbol.size() || !unit.ends_with(u.symbol)) continue;
    const double scale = prefix_scale(unit.substr(0, unit.size() - u.symbol.size()), u);
    if (std::isnan(scale)) continue;
    return {.value = number * scale * u.factor, .dimension = u.dimension};
  }
  throw Error(ErrorKind::Parse,
              fmt::format("unknown unit '{}' in '{}' (known: S V A Ohm Hz s J W m m2 F bps B/s J/b B "
                          "OPS FLOPS with prefixes f p n u m k M G T)",
                          unit, text));
}

Quantity parse_quantity(std::string_view text, Dimension expected) {
  Quantity q = parse_quantity_any(text);
  if (q.dimension != expected) {
    if (expected == Dimension::Dimensionless)
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("'{}' is a {}, but a plain number is expected", text,
                              to_string(q.dimension)));
    if (q.dimension == Dimension::Dimensionless)
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("'{}' has no unit; a {} needs one (e.g. in {})", text,
                              to_string(expected), base_unit(expected)));
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("'{}' is a {}, but a {} (unit {}) is expected", text,
                            to_string(q.dimension), to_string(expected), base_unit(expected)));
  }
  return q;
}

std::string format_quantity(double value, Dimension d, int significant) {
  if (d == Dimension::Dimensionless) return fmt::format("{:.{}g}", value, significant);
  const char* unit = base_unit(d);
  if (value == 0.0 || !std::isfinite(value)) return fmt::format("{:g} {}", value, unit);
  if (d == Dimension::Bytes) {
    static constexpr std::array<const char*, 5> kBin{"", "Ki", "Mi", "Gi", "Ti"};
    int k = 0;
    while (k + 1 < static_cast<int>(kBin.size()) && std::abs(value) >= 1024.0) {
      value /= 1024.0;
      ++k;
    }
    return fmt::format("{:.{}g} {}B", value, significant, kBin[k]);
  }
  static constexpr std::array<std::pair<int, const char*>, 11> kSi{
      {{-18, "a"}, {-15, "f"}, {-12, "p"}, {-9, "n"}, {-6, "u"}, {-3, "m"}, {0, ""}, {3, "k"},
       {6, "M"}, {9, "G"}, {12, "T"}}};
  const int power = d == Dimension::Area ? 2 : 1;
  const double mag = std::log10(std::abs(value)) / power;
  // Areas span six decades per prefix: allow a mantissa down to 0.1 ("0.72 um2").
  const double slack = d == Dimension::Area ? 0.5 : 1e-9;
  int chosen = kSi.front().first;
  const char* prefix = kSi.front().second;
  for (const auto& [e, p] : kSi) {
    if (mag >= e - slack) {
      chosen = e;
      prefix = p;
    }
  }
  if (d == Dimension::Area) return fmt::format("{:.{}g} {}m2", value / std::pow(10.0, chosen * 2),
                                               significant, prefix);
  return fmt::format("{:.{}g} {}{}", value / std::pow(10.0, chosen), significant, prefix, unit);
}

}  // namespace raceit

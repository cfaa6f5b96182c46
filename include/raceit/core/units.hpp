#pragma once
// Physical quantities with units, as written in configuration files: "150uS", "0.3V", "1GHz",
// "100ns", "20.45pJ", "0.72um2", "3.35TB/s", "989TFLOPS". Values are returned in SI base units (S, V, Hz, s, J, m², W, …).
#include <string>
#include <string_view>

namespace raceit {

enum class Dimension {
  Dimensionless,
  Conductance,  // S
  Voltage,      // V
  Current,      // A
  Resistance,   // Ohm
  Frequency,    // Hz
  Time,         // s
  Energy,       // J
  Power,        // W
  Area,         // m2 (written um2, mm2)
  Length,       // m
  Capacitance,  // F
  DataRate,     // b/s (written bps, Gbps, …)
  EnergyPerBit, // J/b (written pJ/b)
  Bytes,        // B (KB, MB, … as powers of 1024)
  OpRate,       // operations per second (written OPS, TOPS, TFLOPS)
};

const char* to_string(Dimension d);
// The SI unit symbol in which values of this dimension are stored ("S", "V", "m2", …).
const char* base_unit(Dimension d);

struct Quantity {
  double value = 0.0;  // in SI base units
  Dimension dimension = Dimension::Dimensionless;
};

// Parses "<number><prefix><unit>" (spaces allowed between number and unit). Throws Error(Parse)
// on an unknown unit or prefix and Error(InvalidArgument) when the unit's dimension differs from
// `expected`. A bare number is accepted only for Dimension::Dimensionless.
Quantity parse_quantity(std::string_view text, Dimension expected);
// Parses with whatever dimension the unit has.
Quantity parse_quantity_any(std::string_view text);

// Formats a value with an SI prefix chosen for readability: format_quantity(1.5e-4, Conductance)
// gives "150 uS".
std::string format_quantity(double value, Dimension d, int significant = 4);

}  // namespace raceit

#pragma once
// The compiler's view of an architecture: how each operator class is mapped (the `mapping` group
// of configs/arch/*.yaml, whose keys the compiler declares: mapping_param_specs()) and the
// hardware facts the mapping needs (crossbar geometry, readout, RACE array shape, counts for
// placement). Read once from a loaded ArchSpec; everything later uses this plain struct.
#include <string>

#include "raceit/acam/packing.hpp"
#include "raceit/acam/program.hpp"
#include "raceit/arch/arch.hpp"
#include "raceit/xbar/crossbar.hpp"

namespace raceit::compiler {

// Where an operator class runs.
enum class FunctionEngine { Acam, Digital };                     // element-wise f, softmax, norms
enum class DataMatMulEngine { Acam, Digital, CrossbarWrite };
enum class CalibrationMethod { MinMax, Percentile };

const char* to_string(FunctionEngine e);
const char* to_string(DataMatMulEngine e);
const char* to_string(CalibrationMethod c);

struct MappingOptions {
  // Crossbar: every field except the noise ones (mode, device, seed), which are chosen at run time,
  // and full_scale, which calibration sets per operator.
  xbar::CrossbarConfig crossbar;
  int activation_bits = 8;
  FunctionEngine function = FunctionEngine::Acam;
  int function_bits = 8;  // output bits of an element-wise function's lookups (mapping.function_bits)
  FunctionEngine softmax = FunctionEngine::Acam;
  FunctionEngine layernorm = FunctionEngine::Acam;
  DataMatMulEngine data_matmul = DataMatMulEngine::Acam;
  bool fuse = true;
  bool scale_fold = true;
  double softmax_clamp = -10.0;
  acam::OutputEncoding acam_encoding = acam::OutputEncoding::Gray;
  CalibrationMethod calibration = CalibrationMethod::MinMax;
  double percentile = 99.99;
  double nominal_range = 8.0;  // shape-only models: activations assumed on [-r, r]
  // Placement: RACE array shape and counts.
  acam::ArrayShape race_array;
  int race_arrays_per_unit = 0;
  int race_units_per_tile = 0;
  int crossbars_per_tile = 0;
  std::string crossbars_source;  // where tile.crossbars came from (file:line, --set or default), for placement's errors
  int tiles_per_chip = 0;
  bool race_replication = true;  // spare RACE arrays take copies of the busiest programs
  bool race_share = true;        // operators with identical ACAM programs share one pool of copies
  bool race_reprogram = false;   // RACE arrays rewritten per segment at run time (the cost model's: ImcSpec)
  int system_chips = 0;          // chips in the system; 0: as many as the model needs (the cost model's: ImcSpec)
};

// The mapping group's keys, with defaults: the RACE-IT mapping of DESIGN §2.3.
const std::vector<ParamSpec>& mapping_param_specs();
// Every key an architecture file may set: the hardware keys and the mapping keys (`raceit params`).
const std::vector<ParamSpec>& arch_param_specs();
// Reads an architecture file and applies "KEY=VALUE" overrides. Errors (Error(Config) or
// Error(Io)) name the file, the line and the key: unknown keys, bad units, missing keys, keys of
// the other kind, values out of range.
arch::ArchSpec load_arch(const std::string& path, const std::vector<std::string>& overrides = {});
// arch::arch_from_params, plus the mapping choices the cost model reads from the spec.
arch::ArchSpec arch_from_params(ParamSet params, const std::string& path);

// Reads the mapping from an IMC architecture. Errors (Error(Config)) name the key and where its
// value came from (file:line, --set or default): a GPU architecture, an input scheme the crossbar
// cannot run (crossbar.dac_bits neither 1 nor mapping.activation_bits), cells too small for the
// weight encoding, bits out of range.
MappingOptions mapping_options(const arch::ArchSpec& arch);

}  // namespace raceit::compiler

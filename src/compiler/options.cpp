#include "raceit/compiler/options.hpp"

#include <fmt/format.h>

#include <cmath>

#include "raceit/core/error.hpp"

namespace raceit::compiler {

const char* to_string(FunctionEngine e) { return e == FunctionEngine::Acam ? "acam" : "digital"; }
const char* to_string(DataMatMulEngine e) {
  switch (e) {
    case DataMatMulEngine::Acam: return "acam";
    case DataMatMulEngine::Digital: return "digital";
    case DataMatMulEngine::CrossbarWrite: return "crossbar-write";
  }
  return "?";
}
const char* to_string(CalibrationMethod c) { return c == CalibrationMethod::MinMax ? "minmax" : "percentile"; }

namespace {

[[noreturn]] void fail(const ParamSet& p, const std::string& key, const std::string& why) {
  throw Error(ErrorKind::Config, fmt::format("{}: key '{}': {}", p.value(key).source, key, why));
}

int bits(const ParamSet& p, const std::string& key, int lo, int hi) {
  const double v = p.number(key);
  if (v != std::floor(v) || v < lo || v > hi) fail(p, key, fmt::format("must be a whole number {}…{}, got {}", lo, hi, p.word(key)));
  return static_cast<int>(v);
}

FunctionEngine function_engine(const ParamSet& p, const std::string& key) {
  return p.word(key) == "acam" ? FunctionEngine::Acam : FunctionEngine::Digital;
}

xbar::CrossbarConfig crossbar_config(const perf::ArchSpec& arch, int activation_bits) {
  const ParamSet& p = arch.params;
  const perf::ImcSpec& c = arch.imc;
  xbar::CrossbarConfig x;
  x.rows = c.rows;
  x.cols = c.cols;
  x.w_bits = bits(p, "mapping.weight_bits", 2, 16);
  x.a_bits = activation_bits;
  x.per_channel = p.word("mapping.weight_scale") == "channel";
  x.sign = p.word("mapping.weight_sign") == "separate" ? xbar::SignScheme::SeparateArrays
                                                        : xbar::SignScheme::DifferentialPairs;
  const std::string& encoding = p.word("mapping.weight_encoding");
  const int magnitude_bits = x.w_bits - 1;
  if (encoding == "bit-slice") {
    x.encoding = xbar::WeightEncoding::BitSlice;
    x.slice_bits = c.bits_per_cell;
    if (x.slice_bits > magnitude_bits)
      fail(p, "crossbar.bits_per_cell",
           fmt::format("bit-slice stores at most the {} magnitude bits of a {}-bit weight per cell, got {}", magnitude_bits,
                       x.w_bits, c.bits_per_cell));
  } else {
    x.encoding = encoding == "single" ? xbar::WeightEncoding::Single : xbar::WeightEncoding::AnalogSlice;
    if (c.bits_per_cell < magnitude_bits)
      fail(p, "crossbar.bits_per_cell",
           fmt::format("{} keeps a {}-bit weight's {} magnitude bits in one cell, but cells hold {} bits "
                       "(use mapping.weight_encoding=bit-slice or fewer mapping.weight_bits)",
                       encoding, x.w_bits, magnitude_bits, c.bits_per_cell));
  }
  if (c.dac_bits == 1)
    x.inputs = xbar::InputScheme::BitSerial;
  else if (c.dac_bits == activation_bits)
    x.inputs = xbar::InputScheme::MultiLevel;
  else
    fail(p, "crossbar.dac_bits",
         fmt::format("the crossbar takes bit-serial inputs (1) or whole {}-bit activations (mapping.activation_bits), "
                     "got {}",
                     activation_bits, c.dac_bits));
  x.readout = c.readout == perf::Readout::Adc ? xbar::ReadoutKind::Adc : xbar::ReadoutKind::Acam;
  x.readout_bits = c.readout_bits;
  if (x.readout == xbar::ReadoutKind::Acam && x.readout_bits > 12)
    fail(p, "crossbar.readout_bits", fmt::format("a Compute-ACAM readout converts at most 12 bits, got {}", x.readout_bits));
  if (x.readout_bits < 2) fail(p, "crossbar.readout_bits", "must be at least 2");
  x.acam_encoding = acam::parse_output_encoding(p.word("mapping.acam_encoding"));
  return x;
}

}  // namespace

MappingOptions mapping_options(const perf::ArchSpec& arch) {
  if (arch.kind != perf::ArchKind::Imc)
    throw Error(ErrorKind::Config, fmt::format("{}: '{}' is a GPU architecture; the compiler maps onto in-memory-computing "
                                               "chips (kind imc)",
                                               arch.path, arch.name));
  const ParamSet& p = arch.params;
  MappingOptions m;
  m.activation_bits = bits(p, "mapping.activation_bits", 2, 12);
  m.crossbar = crossbar_config(arch, m.activation_bits);
  m.function = function_engine(p, "mapping.function");
  m.softmax = function_engine(p, "mapping.softmax");
  m.layernorm = function_engine(p, "mapping.layernorm");
  const std::string& dmm = p.word("mapping.data_matmul");
  m.data_matmul = dmm == "acam" ? DataMatMulEngine::Acam : dmm == "digital" ? DataMatMulEngine::Digital
                                                                             : DataMatMulEngine::CrossbarWrite;
  m.fuse = p.word("mapping.fuse") == "on";
  m.scale_fold = p.word("mapping.scale_fold") == "on";
  m.softmax_clamp = p.number("mapping.softmax_clamp");
  if (!(m.softmax_clamp < 0) || !std::isfinite(m.softmax_clamp))
    fail(p, "mapping.softmax_clamp", fmt::format("must be a finite negative number, got {}", p.word("mapping.softmax_clamp")));
  m.acam_encoding = m.crossbar.acam_encoding;
  m.calibration = p.word("mapping.calibration") == "minmax" ? CalibrationMethod::MinMax : CalibrationMethod::Percentile;
  m.percentile = p.number("mapping.percentile");
  if (!(m.percentile > 50 && m.percentile <= 100))
    fail(p, "mapping.percentile", fmt::format("must be in (50, 100], got {}", p.word("mapping.percentile")));
  m.nominal_range = p.number("mapping.nominal_range");
  if (!(m.nominal_range > 0) || !std::isfinite(m.nominal_range))
    fail(p, "mapping.nominal_range", fmt::format("must be a positive number, got {}", p.word("mapping.nominal_range")));
  const perf::ImcSpec& c = arch.imc;
  const bool needs_race = m.function == FunctionEngine::Acam || m.softmax == FunctionEngine::Acam ||
                          m.layernorm == FunctionEngine::Acam || m.data_matmul == DataMatMulEngine::Acam;
  if (needs_race && c.race_units == 0)
    fail(p, "tile.race_units",
         "the mapping puts functions, softmax, norms or data matmuls on RACE units, but tiles have none "
         "(set mapping.function/softmax/layernorm=digital and mapping.data_matmul=digital or crossbar-write)");
  const bool needs_multiply = m.softmax == FunctionEngine::Acam || m.layernorm == FunctionEngine::Acam ||
                              m.data_matmul == DataMatMulEngine::Acam;
  if (needs_multiply && m.activation_bits > 8)
    fail(p, "mapping.activation_bits",
         fmt::format("the 2-var RACE multiply takes 8-bit magnitudes (two nibbles each), got {} bits; map softmax, "
                     "norms and data matmuls digitally to use more",
                     m.activation_bits));
  m.race_array = {c.race_rows, c.race_cells};
  m.race_arrays_per_unit = c.race_arrays;
  m.race_units_per_tile = c.race_units;
  m.crossbars_per_tile = c.crossbars;
  m.tiles_per_chip = c.tiles;
  m.race_replication = p.word("mapping.race_replication") == "on";
  m.race_share = p.word("mapping.race_sharing") == "program";
  return m;
}

}  // namespace raceit::compiler

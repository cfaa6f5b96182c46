#include "raceit/compiler/options.hpp"

#include <fmt/format.h>

#include <cmath>

#include "raceit/core/error.hpp"
#include "raceit/core/param_rules.hpp"

namespace raceit::compiler {

namespace {

constexpr EnumNames<FunctionEngine, 2> kFunctionEngineNames{
    {{{FunctionEngine::Acam, "acam"}, {FunctionEngine::Digital, "digital"}}}};
constexpr EnumNames<DataMatMulEngine, 3> kDataMatMulEngineNames{{{{DataMatMulEngine::Acam, "acam"},
                                                                  {DataMatMulEngine::Digital, "digital"},
                                                                  {DataMatMulEngine::CrossbarWrite, "crossbar-write"}}}};
constexpr EnumNames<CalibrationMethod, 2> kCalibrationNames{
    {{{CalibrationMethod::MinMax, "minmax"}, {CalibrationMethod::Percentile, "percentile"}}}};

}  // namespace

const char* to_string(FunctionEngine e) { return kFunctionEngineNames.name(e); }
const char* to_string(DataMatMulEngine e) { return kDataMatMulEngineNames.name(e); }
const char* to_string(CalibrationMethod c) { return kCalibrationNames.name(c); }

namespace {

int bits(const ParamSet& p, const std::string& key, int lo, int hi) {
  const double v = p.number(key);
  if (v != std::floor(v) || v < lo || v > hi) fail(p, key, fmt::format("must be a whole number {}…{}, got {}", lo, hi, p.word(key)));
  return static_cast<int>(v);
}

// How the compiler maps operators onto the hardware (docs/compiler.md).
// Unlike the hardware numbers these have defaults: the RACE-IT mapping of DESIGN §2.3. Geometry,
// bits per cell, DAC resolution (input scheme), readout kind and bits, and the RACE array shape
// come from the crossbar and race groups rather than being repeated here.
std::vector<ParamSpec> make_mapping_specs() {
  return {
      {"mapping.activation_bits", Dimension::Dimensionless, "8",
       "bits of activations: crossbar inputs, Compute-ACAM inputs and outputs, data-matmul operand magnitudes"},
      {"mapping.weight_bits", Dimension::Dimensionless, "8", "bits of signed symmetric weight quantisation"},
      {"mapping.weight_encoding", Dimension::Dimensionless, "analog-slice",
       "weight cells: one per magnitude (single), plus an error cell (analog-slice), or crossbar.bits_per_cell "
       "bits per cell (bit-slice)",
       {"single", "analog-slice", "bit-slice"}},
      {"mapping.weight_sign", Dimension::Dimensionless, "separate",
       "signs in separate positive/negative arrays or in differential column pairs", {"separate", "differential"}},
      {"mapping.weight_scale", Dimension::Dimensionless, "tensor", "one weight scale per matrix or per output channel",
       {"tensor", "channel"}},
      {"mapping.function", Dimension::Dimensionless, "acam",
       "element-wise functions (GELU, SiLU, tanh, sigmoid, exp, ...): 1-var RACE lookups, or a digital unit in FP32",
       kFunctionEngineNames.words()},
      {"mapping.softmax", Dimension::Dimensionless, "acam",
       "softmax: max/subtract/sum with adders, exp and reciprocal on 1-var RACE, multiply on 2-var RACE; or digital FP32",
       kFunctionEngineNames.words()},
      {"mapping.layernorm", Dimension::Dimensionless, "acam",
       "LayerNorm/RMSNorm: sums with adders, squares and scaling on 2-var RACE, rsqrt on 1-var RACE; or digital FP32",
       kFunctionEngineNames.words()},
      {"mapping.data_matmul", Dimension::Dimensionless, "acam",
       "activation x activation products (Q.K^T, softmax.V): 2-var RACE nibble multiplies with digital accumulation, "
       "digital FP32, or one operand written into a crossbar at run time (ReTransformer style)",
       kDataMatMulEngineNames.words()},
      {"mapping.fuse", Dimension::Dimensionless, "on",
       "fuse an element-wise function into the Compute-ACAM readout of the weight matmul before it, where legal "
       "(one conversion per output: multi-level inputs, single cells in differential pairs, one row block)",
       {"on", "off"}},
      {"mapping.scale_fold", Dimension::Dimensionless, "on",
       "fold a Mul/Div by a constant scalar (1/sqrt(d_k)) into the quantiser of the softmax or data matmul reading it",
       {"on", "off"}},
      {"mapping.softmax_clamp", Dimension::Dimensionless, "-10",
       "lower end of the exp input range after max subtraction (race-it.md Q8)"},
      {"mapping.acam_encoding", Dimension::Dimensionless, "gray", "output code of every Compute-ACAM",
       {"gray", "binary"}},
      {"mapping.calibration", Dimension::Dimensionless, "minmax",
       "activation ranges from calibration: min/max, or the percentile range", kCalibrationNames.words()},
      {"mapping.percentile", Dimension::Dimensionless, "99.99",
       "with calibration percentile: the range runs from the (100-p)th to the pth percentile"},
      {"mapping.race_replication", Dimension::Dimensionless, "on",
       "RACE arrays left over once every ACAM program has its copy take further copies of the busiest programs "
       "(placement; programs are never rewritten at run time)",
       {"on", "off"}},
      {"mapping.race_reprogram", Dimension::Dimensionless, "off",
       "on: before each streaming segment every RACE array is rewritten with that segment's ACAM programs, which "
       "then share all arrays; the writes are priced (crossbar write energy and latency per RRAM device)",
       {"off", "on"}},
      {"mapping.nominal_range", Dimension::Dimensionless, "8",
       "models without weights (shape-only built-ins such as bert-base) cannot be calibrated: every activation is "
       "assumed on [-r, r]. It sizes the ACAM programs; event counts depend on shapes only"},
  };
}

FunctionEngine function_engine(const ParamSet& p, const std::string& key) { return kFunctionEngineNames.parse(p.word(key)); }

xbar::CrossbarConfig crossbar_config(const arch::ArchSpec& arch, int activation_bits) {
  const ParamSet& p = arch.params;
  const arch::ImcSpec& c = arch.imc;
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
  x.readout = c.readout == arch::Readout::Adc ? xbar::ReadoutKind::Adc : xbar::ReadoutKind::Acam;
  x.readout_bits = c.readout_bits;
  if (x.readout == xbar::ReadoutKind::Acam && x.readout_bits > 12)
    fail(p, "crossbar.readout_bits", fmt::format("a Compute-ACAM readout converts at most 12 bits, got {}", x.readout_bits));
  if (x.readout_bits < 2) fail(p, "crossbar.readout_bits", "must be at least 2");
  x.acam_encoding = acam::parse_output_encoding(p.word("mapping.acam_encoding"));
  return x;
}

}  // namespace

const std::vector<ParamSpec>& mapping_param_specs() {
  static const std::vector<ParamSpec> specs = make_mapping_specs();
  return specs;
}

const std::vector<ParamSpec>& arch_param_specs() {
  static const std::vector<ParamSpec> specs = [] {
    std::vector<ParamSpec> all = arch::hardware_param_specs();
    all.insert(all.end(), mapping_param_specs().begin(), mapping_param_specs().end());
    return all;
  }();
  return specs;
}

arch::ArchSpec load_arch(const std::string& path, const std::vector<std::string>& overrides) {
  ParamSet params = load_params(arch_param_specs(), path);
  for (const auto& o : overrides) params.set_override(o);
  return arch_from_params(std::move(params), path);
}

arch::ArchSpec arch_from_params(ParamSet params, const std::string& path) {
  arch::ArchSpec a = arch::arch_from_params(std::move(params), path);
  if (a.kind == arch::ArchKind::Imc) {
    a.imc.gray_readout = a.params.word("mapping.acam_encoding") == "gray";
    a.imc.race_reprogram = a.params.word("mapping.race_reprogram") == "on";
  }
  return a;
}

MappingOptions mapping_options(const arch::ArchSpec& arch) {
  if (arch.kind != arch::ArchKind::Imc)
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
  m.data_matmul = kDataMatMulEngineNames.parse(p.word("mapping.data_matmul"));
  m.fuse = p.word("mapping.fuse") == "on";
  m.scale_fold = p.word("mapping.scale_fold") == "on";
  m.softmax_clamp = p.number("mapping.softmax_clamp");
  if (!(m.softmax_clamp < 0) || !std::isfinite(m.softmax_clamp))
    fail(p, "mapping.softmax_clamp", fmt::format("must be a finite negative number, got {}", p.word("mapping.softmax_clamp")));
  m.acam_encoding = m.crossbar.acam_encoding;
  m.calibration = kCalibrationNames.parse(p.word("mapping.calibration"));
  m.percentile = p.number("mapping.percentile");
  if (!(m.percentile > 50 && m.percentile <= 100))
    fail(p, "mapping.percentile", fmt::format("must be in (50, 100], got {}", p.word("mapping.percentile")));
  m.nominal_range = p.number("mapping.nominal_range");
  if (!(m.nominal_range > 0) || !std::isfinite(m.nominal_range))
    fail(p, "mapping.nominal_range", fmt::format("must be a positive number, got {}", p.word("mapping.nominal_range")));
  const arch::ImcSpec& c = arch.imc;
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
  return m;
}

}  // namespace raceit::compiler

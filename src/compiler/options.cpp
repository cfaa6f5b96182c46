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

constexpr EnumNames<xbar::WeightEncoding, 3> kWeightEncodingNames{{{{xbar::WeightEncoding::Single, "single"},
                                                                    {xbar::WeightEncoding::AnalogSlice, "analog-slice"},
                                                                    {xbar::WeightEncoding::BitSlice, "bit-slice"}}}};
constexpr EnumNames<xbar::SignScheme, 2> kSignNames{
    {{{xbar::SignScheme::SeparateArrays, "separate"}, {xbar::SignScheme::DifferentialPairs, "differential"}}}};
constexpr EnumNames<bool, 2> kPerChannelNames{{{{false, "tensor"}, {true, "channel"}}}};
constexpr EnumNames<bool, 2> kShareNames{{{{true, "program"}, {false, "operator"}}}};

using Field = ParamField<MappingOptions>;
constexpr Dimension kNumber = Dimension::Dimensionless;

template <class... Args>
Binding<MappingOptions> crossbar(Args... member) {
  return bind(&MappingOptions::crossbar, bind(member...));
}

// How the compiler maps operators onto the hardware (docs/compiler.md), one row per key, in the
// order `raceit params` lists them. Unlike the hardware numbers these have defaults: the RACE-IT mapping of DESIGN §2.3. Geometry,
// bits per cell, DAC resolution (input scheme), readout kind and bits, and the RACE array shape
// come from the crossbar and race groups rather than being repeated here.
std::vector<Field> weight_fields() {
  return {
      {{.key = "mapping.activation_bits", .dimension = kNumber, .default_text = "8",
        .description = "bits of activations: crossbar inputs, Compute-ACAM inputs and outputs, data-matmul operand "
                       "magnitudes",
        .bounds = Bounds::whole(2, 12)},
       bind(&MappingOptions::activation_bits)},
      {{.key = "mapping.weight_bits", .dimension = kNumber, .default_text = "8",
        .description = "bits of signed symmetric weight quantisation", .bounds = Bounds::whole(2, 16)},
       crossbar(&xbar::CrossbarConfig::w_bits)},
      {{.key = "mapping.weight_encoding", .dimension = kNumber, .default_text = "analog-slice",
        .description = "weight cells: one per magnitude (single), plus an error cell (analog-slice), or "
                       "crossbar.bits_per_cell bits per cell (bit-slice)"},
       crossbar(&xbar::CrossbarConfig::encoding, kWeightEncodingNames)},
      {{.key = "mapping.weight_sign", .dimension = kNumber, .default_text = "separate",
        .description = "signs in separate positive/negative arrays or in differential column pairs"},
       crossbar(&xbar::CrossbarConfig::sign, kSignNames)},
      {{.key = "mapping.weight_scale", .dimension = kNumber, .default_text = "tensor",
        .description = "one weight scale per matrix or per output channel"},
       crossbar(&xbar::CrossbarConfig::per_channel, kPerChannelNames)},
  };
}

std::vector<Field> engine_fields() {
  return {
      {{.key = "mapping.function", .dimension = kNumber, .default_text = "acam",
        .description = "element-wise functions (GELU, SiLU, tanh, sigmoid, exp, ...): 1-var RACE lookups, or a "
                       "digital unit in FP32"},
       bind(&MappingOptions::function, kFunctionEngineNames)},
      {{.key = "mapping.function_bits", .dimension = kNumber, .default_text = "0",
        .description = "output bits of element-wise function lookups on RACE (0: mapping.activation_bits); more bits "
                       "resolve the function's output more finely and take more RACE rows per program",
        .bounds = Bounds::whole(0, 12)},
       bind(&MappingOptions::function_bits)},
      {{.key = "mapping.softmax", .dimension = kNumber, .default_text = "acam",
        .description = "softmax: max/subtract/sum with adders, exp and reciprocal on 1-var RACE, multiply on 2-var "
                       "RACE; or digital FP32"},
       bind(&MappingOptions::softmax, kFunctionEngineNames)},
      {{.key = "mapping.layernorm", .dimension = kNumber, .default_text = "acam",
        .description = "LayerNorm/RMSNorm: sums with adders, squares and scaling on 2-var RACE, rsqrt on 1-var "
                       "RACE; or digital FP32"},
       bind(&MappingOptions::layernorm, kFunctionEngineNames)},
      {{.key = "mapping.data_matmul", .dimension = kNumber, .default_text = "acam",
        .description = "activation x activation products (Q.K^T, softmax.V): 2-var RACE nibble multiplies with "
                       "digital accumulation, digital FP32, or one operand written into a crossbar at run time "
                       "(ReTransformer style)"},
       bind(&MappingOptions::data_matmul, kDataMatMulEngineNames)},
      {{.key = "mapping.fuse", .dimension = kNumber, .default_text = "on",
        .description = "fuse an element-wise function into the Compute-ACAM readout of the weight matmul before it, "
                       "where legal (one conversion per output: multi-level inputs, single cells in differential "
                       "pairs, one row block)"},
       bind(&MappingOptions::fuse, kOnOff)},
      {{.key = "mapping.scale_fold", .dimension = kNumber, .default_text = "on",
        .description = "fold a Mul/Div by a constant scalar (1/sqrt(d_k)) into the quantiser of the softmax or data "
                       "matmul reading it"},
       bind(&MappingOptions::scale_fold, kOnOff)},
      {{.key = "mapping.softmax_clamp", .dimension = kNumber, .default_text = "-10",
        .description = "lower end of the exp input range after max subtraction (race-it.md Q8)",
        .bounds = Bounds::negative()},
       bind(&MappingOptions::softmax_clamp)},
  };
}

std::vector<Field> calibration_and_placement_fields() {
  return {
      {{.key = "mapping.acam_encoding", .dimension = kNumber, .default_text = "gray",
        .description = "output code of every Compute-ACAM"},
       bind(&MappingOptions::acam_encoding, acam::kOutputEncodingNames)},
      {{.key = "mapping.calibration", .dimension = kNumber, .default_text = "minmax",
        .description = "activation ranges from calibration: min/max, or the percentile range"},
       bind(&MappingOptions::calibration, kCalibrationNames)},
      {{.key = "mapping.percentile", .dimension = kNumber, .default_text = "99.99",
        .description = "with calibration percentile: the range runs from the (100-p)th to the pth percentile",
        .bounds = {.min = 50, .max = 100, .min_open = true}},
       bind(&MappingOptions::percentile)},
      {{.key = "mapping.race_replication", .dimension = kNumber, .default_text = "on",
        .description = "RACE arrays left over once every ACAM program has its copy take further copies of the "
                       "busiest programs (placement; programs are never rewritten at run time)"},
       bind(&MappingOptions::race_replication, kOnOff)},
      {{.key = "mapping.analog_combine", .dimension = kNumber, .default_text = "off",
        .description = "on: each slice's main and error cells (the error scaled by 1/k) and positive and negative "
                       "sides are summed in analog before one conversion per output per slice (review finding "
                       "11): fewer conversions and shift-adds, and a shorter read"},
       crossbar(&xbar::CrossbarConfig::analog_combine, kOffOn)},
      {{.key = "mapping.race_sharing", .dimension = kNumber, .default_text = "program",
        .description = "program: the operators of one chip whose ACAM programs hold the same cells (the nibble "
                       "multiply of every attention, softmax and norm) share one pool of copies on that chip, reached "
                       "over its mesh; operator: each operator's programs have copies of their own"},
       bind(&MappingOptions::race_share, kShareNames)},
      {{.key = "mapping.race_reprogram", .dimension = kNumber, .default_text = "off",
        .description = "on: before each streaming segment every RACE array is rewritten with that segment's ACAM "
                       "programs, which then share all arrays; the writes are priced (crossbar write energy and "
                       "latency per RRAM device)"},
       bind(&MappingOptions::race_reprogram, kOffOn)},
      {{.key = "mapping.chips", .dimension = kNumber, .default_text = "0",
        .description = "chips in the system: 0 gives the model as many as it needs; N (at least that many) runs "
                       "floor(N / the model's chips) copies of its pipeline on independent inputs, so that models "
                       "compare on the same silicon",
        .bounds = Bounds::whole(0)},
       bind(&MappingOptions::system_chips)},
      {{.key = "mapping.nominal_range", .dimension = kNumber, .default_text = "8",
        .description = "models without weights (shape-only built-ins such as bert-base) cannot be calibrated: every "
                       "activation is assumed on [-r, r]. It sizes the ACAM programs; event counts depend on shapes "
                       "only",
        .bounds = Bounds::positive()},
       bind(&MappingOptions::nominal_range)},
  };
}

const std::vector<Field>& fields() {
  static const std::vector<Field> rows = [] {
    std::vector<Field> f = weight_fields();
    for (const auto& part : {engine_fields(), calibration_and_placement_fields()}) f.insert(f.end(), part.begin(), part.end());
    return f;
  }();
  return rows;
}

// The mapping keys' values, as the rows bind them (no checks across keys).
MappingOptions read_mapping(const ParamSet& p) {
  MappingOptions m;
  read_fields(p, fields(), m);
  m.crossbar.acam_encoding = m.acam_encoding;
  m.crossbar.a_bits = m.activation_bits;
  if (m.function_bits == 0) m.function_bits = m.activation_bits;
  return m;
}

// The crossbar facts the hardware gives, checked against the mapping's weight and input bits.
void complete_crossbar(const ParamSet& p, const arch::ImcSpec& c, xbar::CrossbarConfig& x) {
  x.rows = c.rows;
  x.cols = c.cols;
  const int magnitude_bits = x.w_bits - 1;
  if (x.encoding == xbar::WeightEncoding::BitSlice) {
    x.slice_bits = c.bits_per_cell;
    if (x.slice_bits > magnitude_bits)
      fail(p, "crossbar.bits_per_cell",
           fmt::format("bit-slice stores at most the {} magnitude bits of a {}-bit weight per cell, got {}", magnitude_bits,
                       x.w_bits, c.bits_per_cell));
  } else if (c.bits_per_cell < magnitude_bits) {
    fail(p, "crossbar.bits_per_cell",
         fmt::format("{} keeps a {}-bit weight's {} magnitude bits in one cell, but cells hold {} bits "
                     "(use mapping.weight_encoding=bit-slice or fewer mapping.weight_bits)",
                     p.word("mapping.weight_encoding"), x.w_bits, magnitude_bits, c.bits_per_cell));
  }
  if (c.dac_bits == 1)
    x.inputs = xbar::InputScheme::BitSerial;
  else if (c.dac_bits == x.a_bits)
    x.inputs = xbar::InputScheme::MultiLevel;
  else
    fail(p, "crossbar.dac_bits",
         fmt::format("the crossbar takes bit-serial inputs (1) or whole {}-bit activations (mapping.activation_bits), "
                     "got {}",
                     x.a_bits, c.dac_bits));
  x.readout = c.readout == arch::Readout::Adc ? xbar::ReadoutKind::Adc : xbar::ReadoutKind::Acam;
  x.readout_bits = c.readout_bits;
  if (x.readout == xbar::ReadoutKind::Acam && x.readout_bits > 12)
    fail(p, "crossbar.readout_bits", fmt::format("a Compute-ACAM readout converts at most 12 bits, got {}", x.readout_bits));
  if (x.readout_bits < 2) fail(p, "crossbar.readout_bits", "must be at least 2");
}

}  // namespace

const std::vector<ParamSpec>& mapping_param_specs() {
  static const std::vector<ParamSpec> specs = specs_of(fields());
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
    const MappingOptions m = read_mapping(a.params);
    a.imc.gray_readout = m.acam_encoding == acam::OutputEncoding::Gray;
    a.imc.race_reprogram = m.race_reprogram;
    a.imc.system_chips = m.system_chips;
    // Summed in analog: a slice's main and error cells, and the two signs.
    const xbar::CrossbarConfig& x = m.crossbar;
    if (x.analog_combine)
      a.imc.columns_per_conversion = (x.encoding == xbar::WeightEncoding::AnalogSlice ? 2 : 1) *
                                     (x.sign == xbar::SignScheme::SeparateArrays ? 2 : 1);
  }
  return a;
}

MappingOptions mapping_options(const arch::ArchSpec& arch) {
  if (arch.kind != arch::ArchKind::Imc)
    throw Error(ErrorKind::Config, fmt::format("{}: '{}' is a GPU architecture; the compiler maps onto in-memory-computing "
                                               "chips (kind imc)",
                                               arch.path, arch.name));
  const ParamSet& p = arch.params;
  MappingOptions m = read_mapping(p);
  complete_crossbar(p, arch.imc, m.crossbar);
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
  m.race_array = {.rows = c.race_rows, .cells = c.race_cells};
  m.race_arrays_per_unit = c.race_arrays;
  m.race_units_per_tile = c.race_units;
  m.crossbars_per_tile = c.crossbars;
  m.crossbars_source = p.value("tile.crossbars").source;
  m.tiles_per_chip = c.tiles;
  return m;
}

}  // namespace raceit::compiler

#pragma once
// The crossbar engine (DESIGN §2.1): a float weight matrix mapped onto R×C RRAM tiles, programmed
// with device noise, and multiplied with activations through DACs, analog column sums and a
// per-column readout (ADC or Compute-ACAM). The same model has two implementations: a reference
// path (explicit per tile, bit plane and cell) and a fast GEMM path; in ideal mode both equal the
// integer reference of integer_reference.hpp bit for bit.
//
// Units. A column's analog value is kept in "level units": Σ_i v_i·(G_i − g_min)/Δg, where v_i is
// the input level on row i (0/1 per bit plane, or the whole code for multi-level inputs) and Δg
// the conductance of one weight level. A reference column removes the g_min offset before
// conversion, so in ideal mode every column value is an integer.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "raceit/acam/frozen.hpp"
#include "raceit/core/events.hpp"
#include "raceit/core/quantiser.hpp"
#include "raceit/device/rram.hpp"

namespace raceit::xbar {

// Dense row-major float matrix.
struct Matrix {
  int rows = 0, cols = 0;
  std::vector<float> data;
  Matrix() = default;
  Matrix(int r, int c) : rows(r), cols(c), data(static_cast<std::size_t>(r) * c, 0.0f) {}
  float& at(int r, int c) { return data[static_cast<std::size_t>(r) * cols + c]; }
  float at(int r, int c) const { return data[static_cast<std::size_t>(r) * cols + c]; }
};

enum class SignScheme {
  SeparateArrays,     // positive and negative weights in two arrays, each column converted alone
  DifferentialPairs,  // G+ and G− in adjacent columns of one array, currents subtracted in analog
};
enum class WeightEncoding {
  Single,       // one cell per magnitude (2^(w_bits−1) − 1 levels)
  AnalogSlice,  // main cell plus an error cell holding the main cell's write error, rescaled
  BitSlice,     // k bits per cell, shift-add after readout
};
enum class InputScheme { BitSerial, MultiLevel };
enum class ReadoutKind { Adc, Acam };

struct CrossbarConfig {
  int rows = 128, cols = 128;  // physical cells per tile
  int w_bits = 8;              // signed symmetric weight quantisation
  bool per_channel = false;    // one weight scale per output channel instead of per tensor
  SignScheme sign = SignScheme::SeparateArrays;
  WeightEncoding encoding = WeightEncoding::AnalogSlice;
  int slice_bits = 2;          // bits per cell for BitSlice
  int a_bits = 8;              // activation bits
  bool signed_inputs = false;  // symmetric signed activations instead of unsigned with zero point
  InputScheme inputs = InputScheme::BitSerial;
  ReadoutKind readout = ReadoutKind::Adc;
  int readout_bits = 8;        // ADC or ACAM resolution per column conversion
  // Sum each slice's main and error cells (the error scaled by 1/k) and its positive and negative
  // sides in analog before one conversion per output per slice, instead of converting each
  // column alone (race-it review finding 11; the scaled currents are assumed ideal).
  bool analog_combine = false;
  double full_scale = 1.0;     // readout range as a fraction of the largest possible column value
  // Compute-ACAM readout: the columns' output code, their number of distinct noise realisations
  // (a pool shared round-robin by the physical columns: one realisation per column would cost
  // ~4 KB per column), and an element-wise function fused into the conversion (empty: identity).
  acam::OutputEncoding acam_encoding = acam::OutputEncoding::Gray;
  int acam_instances = 256;
  std::string fused_function;
  device::NoiseMode mode = device::NoiseMode::Ideal;
  device::RramModel device;
  std::uint64_t seed = 1;

  // Checks ranges and combinations; throws Error(InvalidArgument) with the reason.
  void validate() const;
  bool operator==(const CrossbarConfig&) const = default;
};

// "single" | "analog-slice" | "bit-slice:K"; sets encoding and slice_bits.
void parse_encoding(const std::string& text, CrossbarConfig& config);
// "adc:BITS" | "acam" | "acam:BITS"; sets readout and readout_bits.
void parse_readout(const std::string& text, CrossbarConfig& config);
std::string encoding_name(const CrossbarConfig& config);
std::string readout_name(const CrossbarConfig& config);

// How one weight is spread over cells, and how tiles are laid out.
struct TileLayout {
  int magnitude_slices = 1;      // cells per sign side holding magnitude bits
  int level_max = 127;           // largest level one cell stores
  double delta_g_us = 0.0;       // conductance of one level
  int groups = 1;                // conversion columns per output per row block
  int columns_per_output = 1;    // physical columns one output occupies in an array
  int outputs_per_tile = 128;
  int row_blocks = 0, col_blocks = 0;
  int arrays = 0;                // physical arrays (tiles × sign arrays)
  std::int64_t cells_per_weight = 0;
  bool operator==(const TileLayout&) const = default;
};

// One conversion column kind: which slice, whether it is the error cell, which sign array.
struct ReadoutGroup {
  int slice = 0;
  bool error_cell = false;
  int side = 0;  // +1 / −1: positive / negative array (SeparateArrays); 0: differential pair or
                 // analog_combine (both sides, main and error cells, summed before the conversion)
  double weight = 1.0;  // shift-add weight of this slice (2^(k·slice)) times the side's sign
};

// Readout range of a conversion: codes cmin…cmax, value = code·step (step a power of two). A
// Compute-ACAM readout sees the column value as input code u/step − cmin on its 2^bits grid.
struct ReadoutScale {
  double step = 1.0;
  std::int64_t cmin = 0, cmax = 255;
};

// The per-column programs and realisations of a function fused into the Compute-ACAM readout,
// compiled for one input quantiser.
struct FusedReadout {
  AffineQuantiser input;
  std::vector<acam::AcamProgram> programs;
  std::vector<acam::FrozenAcam> acams;
};

namespace detail {
struct IntegerPath;  // mvm()'s exact integer path for one crossbar (src/xbar)
}

// A weight matrix programmed onto crossbars for one noise realisation.
struct ProgrammedCrossbar {
  CrossbarConfig config;
  int in = 0, out = 0;
  TileLayout layout;
  std::vector<ReadoutGroup> groups;
  ReadoutScale scale;
  std::vector<std::int32_t> q;       // quantised weights, out × in
  std::vector<std::int64_t> q_row_sum;  // Σ_i q[j][i]: the zero-point correction's weight
  std::vector<double> w_scale;       // per output channel (all equal when per tensor)
  // Effective level matrix, in × (out·groups), column j·groups + g: (G − g_min)/Δg of output j's
  // cells in group g (differential: G+ − G−), read noise folded in for Frozen mode. Groups of one
  // output sit side by side so that one GEMM serves all of them.
  Matrix level;
  Matrix read_variance;  // PerRead only: per-read variance of each level, same layout
  // Coefficient of each converted value in its output's sum: the group's shift-add weight, times
  // 1/k for an analog-slice error column (k = its rescaling into the window). [rb][j·groups + g].
  std::vector<double> coefficient;
  // Compute-ACAM readout (identity over the readout codes) and its realisations: one in ideal
  // mode, otherwise config.acam_instances or, where fewer, one per conversion column (programming
  // and one read draw frozen per seed).
  acam::AcamProgram readout_program;
  std::vector<acam::FrozenAcam> readout_acams;
  // The fused function's readout, when prepared once (fused_readout()); otherwise every mvm()
  // call compiles it for its quantiser.
  FusedReadout fused;
  // What mvm()'s exact integer path needs besides the inputs (its level matrix in int16, its
  // readout table), prepared once by program_crossbar() where the path applies (else null, and
  // mvm() prepares it per call): ideal mode runs thousands of calls per crossbar. A crossbar
  // whose levels, coefficients or readout change after programming must reset it.
  std::shared_ptr<const detail::IntegerPath> integer_path;
};

TileLayout tile_layout(const CrossbarConfig& config, int in, int out);
std::vector<ReadoutGroup> readout_groups(const CrossbarConfig& config);
// R·v_max·level_max: the column value of a full tile of top-level cells under top-level inputs.
double largest_column_value(const CrossbarConfig& config, const TileLayout& layout);
ReadoutScale readout_scale(const CrossbarConfig& config, const TileLayout& layout);

// Quantises W (out × in) and programs it for config.seed (write noise, stuck cells, error cells).
ProgrammedCrossbar program_crossbar(const Matrix& weights, const CrossbarConfig& config,
                                    int threads = 0);

// The readout of config.fused_function for input quantiser xq: per output column j, f compiled
// over the values its readout codes stand for plus offsets[j] (empty: none; a bias folded into
// f), realised with the column's own noise. Assign it to ProgrammedCrossbar::fused to reuse it.
FusedReadout fused_readout(const ProgrammedCrossbar& xbar, const AffineQuantiser& xq, const std::vector<double>& offsets = {});

// Readout full scale (fraction of the largest possible column value) that just covers the
// columns these calibration inputs produce on ideal cells: worst-case ranges waste most codes of
// a narrow ADC or ACAM, because real column sums stay far below R·v_max·level_max.
double calibrate_full_scale(const Matrix& weights, const CrossbarConfig& config, const Matrix& calibration_inputs);
// The two halves of calibrate_full_scale, for callers that see their calibration inputs piece by
// piece: the configuration to measure columns with (ideal cells, a wide ADC, no fused function),
// and the full scale that just covers the largest |column value| mvm() reported on it.
CrossbarConfig calibration_config(const CrossbarConfig& config);
double full_scale_for_peak(const CrossbarConfig& config, const TileLayout& layout, double peak_column);

// Activation quantiser of the inputs X (batch × in): min/max over X.
AffineQuantiser input_quantiser(const Matrix& inputs, const CrossbarConfig& config);

struct MvmResult {
  Matrix output;            // batch × out, dequantised
  EventCounts events;
  double peak_column = 0;   // largest |column value| converted, in level units
};

// Fast takes an exact integer path where the cells are ideal (the same results bit for bit as
// FastFloat, the GEMM and float conversions it otherwise runs: tests compare the two).
enum class MvmPath { Reference, Fast, FastFloat };

// The events of one mvm() call on `batch` vectors (see docs/xbar.md), from the layout alone.
EventCounts mvm_events(const CrossbarConfig& config, const TileLayout& layout, int in, int out, std::uint64_t batch);

// X (batch × in) times Wᵀ → batch × out, through the programmed crossbars. With a fused
// function f the output is f(X·Wᵀ) as the ACAM columns produce it; fusion needs one conversion
// per output: multi-level inputs, single cells in differential pairs, and `in` <= tile rows. Per-read noise is
// drawn from (config.seed, call_index, …) so repeated calls differ but stay reproducible.
MvmResult mvm(const ProgrammedCrossbar& xbar, const Matrix& inputs, const AffineQuantiser& xq,
              MvmPath path = MvmPath::Fast, int threads = 0, std::uint64_t call_index = 0);
// Whether mvm()'s Fast path runs on integers for this crossbar: ideal cells, integer levels and
// coefficients, column sums within its widths, a readout on half-codes, no fused function.
bool integer_path_applies(const ProgrammedCrossbar& xbar);

}  // namespace raceit::xbar

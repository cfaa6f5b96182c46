#pragma once
// The compiled program (DESIGN §4): a plain data structure saying, for every operator of a model,
// which engine runs it and with which quantisation, ACAM programs and crossbar configuration, where
// it sits on the chip, and what it costs in hardware events. The functional executor and the cost
// model read only this; the weights themselves stay in the model, which the program names and
// checksums. Written to one versioned, self-describing JSON file (program_io.hpp) and printable as
// text. docs/compiler.md describes every field and the exact arithmetic of each engine.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "raceit/acam/program.hpp"
#include "raceit/core/events.hpp"
#include "raceit/core/quantiser.hpp"
#include "raceit/model/graph.hpp"
#include "raceit/xbar/crossbar.hpp"

namespace raceit::compiler {

using raceit::to_string;  // shapes and dtypes print alongside engines

inline constexpr int kProgramVersion = 4;  // 2: output_elements per operator; 3: RACE program copies;
                                           // 4: RACE pools shared by identical programs

// Where an operator runs.
enum class Engine {
  Crossbar,        // weight matmul on RRAM crossbars
  AcamFunction,    // element-wise f on 1-var RACE lookups
  AcamSoftmax,     // adders, exp and reciprocal on 1-var RACE, multiply on 2-var RACE
  AcamNorm,        // LayerNorm/RMSNorm: adders, 2-var squares and scaling, rsqrt on 1-var RACE
  AcamDataMatMul,  // sign-magnitude 8-bit operands, 4 nibble lookups per product, digital sums
  CrossbarWrite,   // data matmul with its second operand written into crossbars at run time
  Digital,         // a digital unit computing the FP32 reference kernel
  Fused,           // element-wise f computed by the Compute-ACAM readout of the crossbar before it
  Folded,          // a constant scalar Mul/Div absorbed into the quantiser of the operator after it
  None,            // data movement and shape arithmetic: no computation
};
const char* to_string(Engine e);
Engine engine_from_string(const std::string& text);  // Error(Parse) for an unknown name

// Weight matmul y = x·W (+ b) on crossbars (Conv is not lowered yet). W and b are read from the model.
struct CrossbarOp {
  xbar::CrossbarConfig config;   // full_scale calibrated; fused_function set when an f is fused; the
                                 // noise fields (mode, device, seed) are chosen at run time
  AffineQuantiser input;         // calibrated activation quantiser
  std::string weight, bias;      // initializer names; bias "" when absent
  bool transpose_weight = false; // W stored [N, K]
  int in = 0, out = 0;
  xbar::TileLayout layout;
  bool operator==(const CrossbarOp&) const = default;
};

// Element-wise f: x is quantised onto the program's input grid, code =
// clamp(round_half_even((x − lo)/Δ), 0, 2^bits − 1), and the output is program.dequantise(lookup).
struct FunctionOp {
  acam::AcamProgram program;
  bool operator==(const FunctionOp&) const = default;
};

// Softmax over the last axis of input_scale·x (docs/compiler.md: "Softmax").
struct SoftmaxOp {
  double input_scale = 1.0;      // a folded constant
  acam::AcamProgram exp;         // exp(input_scale·t), t = x − row max on [clamp/input_scale, 0], outputs on [0, 1]
  acam::AcamProgram reciprocal;  // 1/s over the calibrated range of s = Σ exp, outputs on [0, 1/s_min]
  acam::AcamProgram multiply;    // nibble product: exp code × reciprocal code
  bool operator==(const SoftmaxOp&) const = default;
};

// LayerNorm or RMSNorm over the last axis (docs/compiler.md: "LayerNorm and RMSNorm"). The
// quantisers are sign-magnitude: symmetric with activation_bits + 1 bits, |code − zero| <= 2^a − 1.
struct NormOp {
  bool rms = false;
  double epsilon = 0;
  std::string gamma, beta;       // weight names; beta "" when absent
  AffineQuantiser input;         // x
  AffineQuantiser centred;       // x − mean (LayerNorm; RMSNorm uses `input`)
  acam::AcamProgram rsqrt;       // 1/sqrt(v), v = variance + ε over its calibrated range, outputs on [0, max]
  AffineQuantiser normalised;    // centred · rsqrt
  AffineQuantiser gamma_q;       // γ
  acam::AcamProgram multiply;    // nibble product
  bool operator==(const NormOp&) const = default;
};

// A data-dependent matmul a·b (numpy batching). The operands are `factor` × the tensors received
// (constants folded from a Mul/Div before them), the result is output_factor × a·b (one folded
// from the Mul/Div after it); quantisers apply to the tensors as received.
struct DataMatMulOp {
  double a_factor = 1.0, b_factor = 1.0, output_factor = 1.0;
  AffineQuantiser a, b;          // AcamDataMatMul: sign-magnitude; CrossbarWrite: `a` only, with a zero point
  acam::AcamProgram multiply;    // AcamDataMatMul
  xbar::CrossbarConfig crossbar; // CrossbarWrite: b's matrices are written as weights
  bool operator==(const DataMatMulOp&) const = default;
};

using OpDetail = std::variant<std::monostate, CrossbarOp, FunctionOp, SoftmaxOp, NormOp, DataMatMulOp>;

// Tiles an operator occupies and the arrays it uses there.
struct Placement {
  int first_tile = -1;  // -1: nothing placed
  int tiles = 0;        // consecutive tiles from first_tile
  int crossbars = 0;    // crossbar arrays
  int race_arrays = 0;  // RACE arrays one copy of each of its ACAM programs occupies
  int race_spill = 0;   // cells beyond the first array of their bit group (acam::pack)
  std::vector<int> race_pools;  // the pool (Program::race_pools) serving each of its ACAM programs
                                // (compiler/place.hpp race_demand order)
  bool operator==(const Placement&) const = default;
};

struct LoweredOp {
  std::string node;              // the graph node's name
  model::OpType op = model::OpType::Identity;
  Engine engine = Engine::None;
  std::string note;              // why this engine, or what it was folded or fused into
  std::int64_t partner = -1;     // Folded: the op absorbing it (after it: into its input quantiser;
                                 // before it: into its output scale); Fused: the crossbar computing
                                 // it; a crossbar with a fused function: that function's op
  double factor = 1.0;           // Folded: the constant it multiplies by
  OpDetail detail;
  EventCounts events;            // per sample, at the shapes calibration saw (cells_programmed: 0)
  std::uint64_t cells_programmed = 0;  // RRAM cells programmed once per model
  std::int64_t output_elements = 0;    // values of its first output per sample (what leaves a pipeline stage)
  Placement placement;
  bool operator==(const LoweredOp&) const = default;
};

struct ModelRef {
  std::string name;              // built-in name or ONNX path, as given
  std::string dataset;           // the task the graph was built for (exec::task_graph(name, dataset):
                                 // use-lite on spamassassin adds its probe)
  std::string graph_name, source;
  std::string weights_checksum;  // model_checksum(graph): weights are read from the model, not copied
  bool operator==(const ModelRef&) const = default;
};

// One configuration key as resolved: its value as written and where it came from.
struct ConfigEntry {
  std::string key, value, source;
  bool operator==(const ConfigEntry&) const = default;
};

struct CalibrationInfo {
  std::string dataset, split;    // where the calibration inputs came from
  std::int64_t samples = 0;
  std::string method;            // minmax | percentile
  double percentile = 0;
  bool operator==(const CalibrationInfo&) const = default;
};

struct TileUse {
  int crossbars = 0, race_arrays = 0;
  std::vector<std::int64_t> ops;  // indices of the ops with arrays here (RACE: the ops a pool here serves)
  bool operator==(const TileUse&) const = default;
};

// Copies of one ACAM program on RACE arrays, shared by every operator whose program holds the same
// cells (mapping.race_sharing=program) or owned by one operator's program (=operator).
struct RacePool {
  int arrays = 0;              // RACE arrays one copy occupies
  int copies = 0;
  std::uint64_t lookups = 0;   // per sample, summed over the operators it serves
  int first_tile = -1;         // its copies fill tiles first_tile … first_tile + tiles − 1
  int tiles = 0;
  bool operator==(const RacePool&) const = default;
};

struct Program {
  int version = kProgramVersion;
  std::string tool_version;
  ModelRef model;
  std::string arch_name, arch_path;
  std::vector<ConfigEntry> config;     // the resolved architecture and mapping, every key
  int activation_bits = 8;             // mapping.activation_bits, which events count in
  CalibrationInfo calibration;
  std::vector<std::pair<std::string, acam::ValueRange>> ranges;  // calibrated range per float tensor
  std::vector<LoweredOp> ops;          // one per graph node, in graph order
  std::vector<TileUse> tiles;          // tiles in use, in order
  std::vector<RacePool> race_pools;    // in order of first use
  int chips = 0;                       // chips those tiles need
  bool operator==(const Program&) const = default;

  // Per-sample events of all operators.
  EventCounts total_events() const;
  // The resolved value of a configuration key as written ("" when the program has no such key).
  std::string config_value(const std::string& key) const;
};

// FNV-1a (64 bit, hex) over every initializer's name, dtype, shape and bytes, in name order.
std::string model_checksum(const model::Graph& graph);

// Throws Error(InvalidArgument) naming both when the graph is not the one the program was
// compiled from (node count, names, operators, or weights checksum).
void check_model(const Program& program, const model::Graph& graph);

// Human-readable: header, one line per operator (engine, quantisation, ACAM ranges and arrays,
// events), placement.
std::string to_text(const Program& program);

}  // namespace raceit::compiler

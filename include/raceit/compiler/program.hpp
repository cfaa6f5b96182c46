#pragma once
// The compiled program (DESIGN §4): a plain data structure saying, for every operator of a model,
// which engine runs it and with which quantisation, ACAM programs and crossbar configuration, where
// it sits on the chip, and what it costs in hardware events. The functional executor and the cost
// model read only this; the weights themselves stay in the model, which the program names and
// checksums. Written to one versioned, self-describing JSON file (program_io.hpp) and printable as
// text. docs/compiler.md describes every field and the exact arithmetic of each engine.
#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "raceit/acam/program.hpp"
#include "raceit/compiler/engines/acam_data_matmul.hpp"
#include "raceit/compiler/engines/acam_function.hpp"
#include "raceit/compiler/engines/acam_norm.hpp"
#include "raceit/compiler/engines/acam_softmax.hpp"
#include "raceit/compiler/engines/crossbar.hpp"
#include "raceit/compiler/engines/crossbar_write.hpp"
#include "raceit/compiler/engines/digital.hpp"
#include "raceit/compiler/engines/folded.hpp"
#include "raceit/compiler/engines/fused.hpp"
#include "raceit/compiler/engines/none.hpp"
#include "raceit/core/events.hpp"
#include "raceit/core/quantiser.hpp"
#include "raceit/model/graph.hpp"
#include "raceit/xbar/crossbar.hpp"

namespace raceit::compiler {

using raceit::to_string;  // shapes and dtypes print alongside engines

inline constexpr int kProgramVersion = 3;  // 2: output_elements per operator; 3: RACE program copies

// Where an operator runs: one unit per engine (compiler/engines/engine.hpp says what a unit
// provides). The alternative of LoweredOp::detail is the engine; Engine names the alternatives,
// in the same order.
using EngineOp = std::variant<NoneOp, CrossbarOp, FunctionOp, SoftmaxOp, NormOp, DataMatMulOp, CrossbarWriteOp,
                              DigitalOp, FusedOp, FoldedOp>;
enum class Engine {
  None,            // data movement and shape arithmetic: no computation
  Crossbar,        // weight matmul on RRAM crossbars
  AcamFunction,    // element-wise f on 1-var RACE lookups
  AcamSoftmax,     // adders, exp and reciprocal on 1-var RACE, multiply on 2-var RACE
  AcamNorm,        // LayerNorm/RMSNorm: adders, 2-var squares and scaling, rsqrt on 1-var RACE
  AcamDataMatMul,  // sign-magnitude 8-bit operands, 4 nibble lookups per product, digital sums
  CrossbarWrite,   // data matmul with its second operand written into crossbars at run time
  Digital,         // a digital unit computing the FP32 reference kernel
  Fused,           // element-wise f computed by the Compute-ACAM readout of the crossbar before it
  Folded,          // a constant scalar Mul/Div absorbed into the quantiser of the operator after it
};
inline constexpr std::size_t kEngines = std::variant_size_v<EngineOp>;
static_assert(static_cast<std::size_t>(Engine::Folded) + 1 == kEngines, "one Engine per alternative of EngineOp");
template <Engine e>
using EngineType = std::variant_alternative_t<static_cast<std::size_t>(e), EngineOp>;
static_assert(std::is_same_v<EngineType<Engine::None>, NoneOp> && std::is_same_v<EngineType<Engine::Crossbar>, CrossbarOp> &&
              std::is_same_v<EngineType<Engine::AcamFunction>, FunctionOp> &&
              std::is_same_v<EngineType<Engine::AcamSoftmax>, SoftmaxOp> &&
              std::is_same_v<EngineType<Engine::AcamNorm>, NormOp> &&
              std::is_same_v<EngineType<Engine::AcamDataMatMul>, DataMatMulOp> &&
              std::is_same_v<EngineType<Engine::CrossbarWrite>, CrossbarWriteOp> &&
              std::is_same_v<EngineType<Engine::Digital>, DigitalOp> && std::is_same_v<EngineType<Engine::Fused>, FusedOp> &&
              std::is_same_v<EngineType<Engine::Folded>, FoldedOp>,
              "Engine names the alternatives of EngineOp in order");
const char* to_string(Engine e);                     // the alternative's kName
Engine engine_from_string(const std::string& text);  // Error(Parse) for an unknown name
// A default-constructed detail of engine `e`.
EngineOp engine_op(Engine e);

// Tiles an operator occupies and the arrays it uses there.
struct Placement {
  int first_tile = -1;  // -1: nothing placed
  int tiles = 0;        // consecutive tiles from first_tile
  int crossbars = 0;    // crossbar arrays
  int race_arrays = 0;  // RACE arrays holding its ACAM programs
  int race_spill = 0;   // cells beyond the first array of their bit group (acam::pack)
  std::vector<int> race_replicas;  // copies of each ACAM program (compiler/place.hpp race_demand order)
  bool operator==(const Placement&) const = default;
};

struct LoweredOp {
  std::string node;              // the graph node's name
  model::OpType op = model::OpType::Identity;
  std::string note;              // why this engine, or what it was folded or fused into
  std::int64_t partner = -1;     // Folded: the op absorbing it (after it: into its input quantiser;
                                 // before it: into its output scale); Fused: the crossbar computing
                                 // it; a crossbar with a fused function: that function's op
  EngineOp detail;               // the engine and what it needs
  EventCounts events;            // per sample, at the shapes calibration saw (cells_programmed: 0)
  std::uint64_t cells_programmed = 0;  // RRAM cells programmed once per model
  std::int64_t output_elements = 0;    // values of its first output per sample (what leaves a pipeline stage)
  Placement placement;
  bool operator==(const LoweredOp&) const = default;

  Engine engine() const { return static_cast<Engine>(detail.index()); }
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
  std::vector<std::int64_t> ops;  // indices of the ops with arrays here
  bool operator==(const TileUse&) const = default;
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

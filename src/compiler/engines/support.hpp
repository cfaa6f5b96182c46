#pragma once
// What the engine units (compiler/engines/*.cpp) share with the central passes: the lowering
// pass's state (lower.cpp), the shapes events are counted at (events.cpp) and the program file's
// field reader and value writers (program_io.cpp). Private to the compiler.
#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "raceit/compiler/calibrate.hpp"
#include "raceit/compiler/lower.hpp"
#include "raceit/compiler/options.hpp"
#include "raceit/compiler/program.hpp"
#include "raceit/core/error.hpp"

namespace raceit::compiler {

// --- lowering (lower.cpp) -------------------------------------------------------------------------

const Tensor* constant(const model::Graph& graph, const std::string& name);
bool float_activation(const model::Graph& graph, const std::string& name);
// A scalar float constant's value, or NaN.
double scalar_constant(const model::Graph& graph, const std::string& name);
std::string number(double v);
// An ACAM input axis must have positive width; a tensor that calibration saw constant gets a
// small one around its value.
ValueRange widened(ValueRange r);
// Shapes of weights come from the graph's value info: shape-only graphs have no initializers for them.
const Shape& weight_shape(const model::Graph& graph, const std::string& name);
double max_abs(ValueRange r);
bool last_axis(const model::Node& node, const NodeShapes& shapes, std::int64_t fallback);

struct Lowering {
  const model::Graph& graph;
  const Calibration& calibration;
  const MappingOptions& options;
  std::vector<LoweredOp> ops;
  std::map<std::string, std::vector<std::size_t>> readers;  // value → nodes reading it
  std::map<std::string, std::size_t> producer;              // value → node writing it
  std::set<std::string> graph_outputs;
  acam::AcamProgram multiply;

  int bits() const { return options.activation_bits; }
  int sign_magnitude_bits() const { return options.activation_bits + 1; }
  ValueRange range(const std::string& name) const;
  // The tensor an input slot actually receives: a folded op passes its own input through.
  std::string received(const std::string& name) const;
  // The constant a folded producer of `name` multiplies it by (1 without one).
  double factor(const std::string& name) const;
  std::string activation_input(const model::Node& node) const;
  acam::AcamProgram compile_function(const std::string& f, ValueRange in,
                                     std::optional<ValueRange> out = std::nullopt) const;
  // A constant folded into an op's output scale, by the Folded op that reads it.
  double output_factor(std::size_t i) const;

  EngineOp choose_engine(std::size_t i, std::string& note) const;
  void fold(std::size_t i);
  void fuse(std::size_t i);
  void detail(std::size_t i);
};

// --- events (events.cpp) --------------------------------------------------------------------------

// The tensors of one call of an op: `in`, `out` elements of the first input and output, `length`
// the first input's last axis. An engine sets `moved` when it moves more than in + out elements
// through the tile buffer.
struct EventShapes {
  const LoweredOp& op;
  std::span<const Shape> inputs, outputs;
  std::uint64_t in = 0, out = 0, length = 0;
  std::uint64_t moved = 0;
};

std::uint64_t elements(const Shape& s);
std::uint64_t last(const Shape& s);
// An 8×8 product on the 2-var RACE: four nibble lookups, three adds to recombine them.
void products(EventCounts& e, std::uint64_t n);

// --- program file (program_io.cpp) ----------------------------------------------------------------

// Counts and indices in a program are at most this (no model has a billion anything per op).
inline constexpr int kMaxCount = 1 << 30;

// Reading: every access names the field's path in the document when it fails.
struct ProgramField {
  const nlohmann::json& j;
  std::string path;

  ProgramField at(const std::string& key) const {
    if (!j.is_object() || !j.contains(key)) throw Error(ErrorKind::Parse, fmt::format("program: missing field '{}.{}'", path, key));
    return {j.at(key), path + "." + key};
  }
  ProgramField at(std::size_t k) const {
    if (!j.is_array() || k >= j.size()) throw Error(ErrorKind::Parse, fmt::format("program: missing element {}[{}]", path, k));
    return {j.at(k), fmt::format("{}[{}]", path, k)};
  }
  std::size_t size() const {
    if (!j.is_array()) throw Error(ErrorKind::Parse, fmt::format("program: '{}' must be an array", path));
    return j.size();
  }
  template <class T>
  T as() const {
    // A fraction read as an integer would be undefined behaviour (a cast out of range).
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
      require(j.is_number_integer(), fmt::format("must be an integer, got {}", j.dump()));
    try {
      return j.get<T>();
    } catch (const nlohmann::json::exception&) {
      throw Error(ErrorKind::Parse, fmt::format("program: field '{}' has the wrong type ({})", path, j.type_name()));
    }
  }
  std::string text() const { return as<std::string>(); }
  // An array read element by element, so that each element's path is named.
  template <class T>
  std::vector<T> list() const {
    std::vector<T> v;
    for (std::size_t k = 0; k < size(); ++k) v.push_back(at(k).as<T>());
    return v;
  }
  // One of `names`; the value as given.
  std::string choice(std::initializer_list<const char*> names) const {
    const std::string v = text();
    for (const char* name : names)
      if (v == name) return v;
    require(false, fmt::format("unknown value '{}'", v));
    return v;
  }
  double number() const { return as<double>(); }
  // An open bound: null stands for `infinite` (−∞ for a lower bound, +∞ for an upper one).
  double bound(double infinite) const { return j.is_null() ? infinite : number(); }

  // A program is checked against what the compiler guarantees, so that a hand-edited file is
  // an error naming the field, not a silent loss of accuracy or a huge allocation.
  void require(bool ok, const std::string& problem) const {
    if (!ok) throw Error(ErrorKind::Parse, fmt::format("program: field '{}': {}", path, problem));
  }
  int integer(int lo, int hi) const {
    const auto v = as<std::int64_t>();
    require(v >= lo && v <= hi, fmt::format("must be {}…{}, got {}", lo, hi, v));
    return static_cast<int>(v);
  }
  double finite() const {
    const double v = number();
    require(std::isfinite(v), "must be a finite number");
    return v;
  }
  double positive() const {
    const double v = finite();
    require(v > 0, fmt::format("must be positive, got {}", v));
    return v;
  }
  double non_negative() const {
    const double v = finite();
    require(v >= 0, fmt::format("must not be negative, got {}", v));
    return v;
  }
  // An engine's detail object: its "kind" must be `kind`.
  void require_kind(const char* kind) const {
    const ProgramField k = at("kind");
    k.require(k.text() == kind, fmt::format("the engine's detail is '{}', got '{}'", kind, k.text()));
  }
};

nlohmann::json range_json(acam::ValueRange r);
// [lo, hi], finite, lo < hi (or lo <= hi where a constant tensor or function gives lo == hi).
acam::ValueRange read_range(const ProgramField& f, bool may_be_empty = false);
nlohmann::json quantiser_json(const AffineQuantiser& q);
AffineQuantiser read_quantiser(const ProgramField& f);
nlohmann::json program_json(const acam::AcamProgram& p);
acam::AcamProgram read_acam_program(const ProgramField& f);
// Crossbar configuration without the run-time noise fields (mode, device, seed).
nlohmann::json crossbar_config_json(const xbar::CrossbarConfig& c);
xbar::CrossbarConfig read_crossbar_config(const ProgramField& f);
nlohmann::json layout_json(const xbar::TileLayout& t);
// The layout, which must be the one tile_layout(config, in, out) gives.
xbar::TileLayout read_layout(const ProgramField& f, const xbar::CrossbarConfig& config, int in, int out);

// --- text (program.cpp) ---------------------------------------------------------------------------

std::string range_text(acam::ValueRange r);
std::string quantiser_text(const AffineQuantiser& q);
std::string program_text(const acam::AcamProgram& p);
// "; folded factors a …, b …, output …" when a data matmul carries folded constants, else "".
std::string folded_factors_text(double a, double b, double output);

}  // namespace raceit::compiler

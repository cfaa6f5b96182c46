// `raceit acam compile|eval|tour`: compile functions onto Compute-ACAMs, evaluate them under
// device noise, and the tour of the whole function library.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "output.hpp"
#include "raceit/acam/evaluate.hpp"
#include "raceit/acam/frozen.hpp"
#include "raceit/acam/multiply.hpp"
#include "raceit/acam/packing.hpp"
#include "raceit/acam/program.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/parallel.hpp"

namespace raceit::cli {

namespace {
using nlohmann::json;
using namespace raceit::acam;

struct FunctionArgs {
  std::string fn;
  std::string range, range2, out_range;
  int bits = 0;   // 0: 8 for 1-var, 4 for 2-var
  int bits2 = 0;  // 0: as bits
  int out_bits = 8;
  std::string encoding = "gray";
  std::string array = "8x50";
  int column = kReadoutColumnCells;
  bool json = false;
};

struct NoiseArgs {
  std::string mode = "frozen";
  int seeds = 5;
  std::uint64_t seed = 1;
  std::optional<double> std_scale, stuck;
  std::string device = device::default_device_preset_path();
  int threads = 0;
};

void add_function_options(CLI::App* cmd, FunctionArgs& a) {
  cmd->add_option("--fn", a.fn, "built-in name (identity exp gelu gelu_tanh silu sigmoid tanh relu "
                                "reciprocal rsqrt sqrt log square mul) or an expression in x (and y)")
      ->required();
  cmd->add_option("--range", a.range,
                  "input range of x, LO:HI (default: the built-in's; required for an expression). "
                  "Negative values work as '--range -4:4' or '--range=-4:4'");
  cmd->add_option("--range2", a.range2, "input range of y for a 2-var function, LO:HI");
  cmd->add_option("--bits", a.bits, "input bits per variable (default 8 for 1-var, 4 for 2-var)")
      ->check(CLI::Range(1, 12));
  cmd->add_option("--bits2", a.bits2, "input bits of y (default: --bits)")->check(CLI::Range(1, 6));
  cmd->add_option("--out-bits", a.out_bits, "output bits")->check(CLI::Range(1, 12))->capture_default_str();
  cmd->add_option("--out-range", a.out_range,
                  "output range LO:HI (default: min and max of f over the input grid)");
  cmd->add_option("--encoding", a.encoding, "output encoding: gray or binary")->capture_default_str();
  cmd->add_option("--array", a.array, "ACAM array shape ROWSxCELLS: rows = output bits, "
                                      "cells = ranges per row")->capture_default_str();
  cmd->add_option("--column", a.column, "cells of a single-column ACAM readout")
      ->check(CLI::Range(1, 1 << 20))->capture_default_str();
  cmd->add_flag("--json", a.json, "print one JSON object");
}

void add_noise_options(CLI::App* cmd, NoiseArgs& a) {
  cmd->add_option("--seeds", a.seeds, "number of noise realisations (seeds SEED…SEED+K-1)")
      ->check(CLI::Range(1, kMaxSeeds))->capture_default_str();
  cmd->add_option("--seed", a.seed, "first seed")->capture_default_str();
  cmd->add_option("--std-scale", a.std_scale, "multiplies every noise sigma (default: the preset's)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--stuck", a.stuck, "probability that a cell is stuck (default: the preset's)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--device", a.device, "device preset file")->capture_default_str();
  cmd->add_option("--threads", a.threads, "worker threads (0: all cores); results do not depend on it")
      ->check(CLI::Range(0, kMaxThreads))->capture_default_str();
}

ValueRange parse_range(const std::string& option, const std::string& text) {
  const auto colon = text.find(':');
  auto number = [&](std::string_view s, double& out) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
  };
  ValueRange r;
  if (colon == std::string::npos || !number(std::string_view(text).substr(0, colon), r.lo) ||
      !number(std::string_view(text).substr(colon + 1), r.hi))
    throw Error(ErrorKind::InvalidArgument,
                option + " expects LO:HI with two numbers, e.g. -4:4; got '" + text + "'");
  return r;
}

AcamProgram build_program(const FunctionArgs& a) {
  const AcamFunction f = resolve_function(a.fn);
  const BuiltinFunction* builtin = find_builtin(a.fn);
  const int vars = f.vars();
  if (vars == 1 && !a.range2.empty())
    throw Error(ErrorKind::InvalidArgument, "--range2 is only for functions of x and y");
  auto input_range = [&](const std::string& option, const std::string& text, ValueRange fallback) {
    if (!text.empty()) return parse_range(option, text);
    if (!builtin)
      throw Error(ErrorKind::InvalidArgument, option + " LO:HI is required for an expression");
    return fallback;
  };
  const ValueRange x_range = input_range("--range", a.range, builtin ? builtin->range : ValueRange{});
  OutputSpec out{.bits = a.out_bits, .range = std::nullopt, .encoding = parse_output_encoding(a.encoding)};
  // A built-in's default output range belongs to its default input ranges.
  if (!a.out_range.empty()) out.range = parse_range("--out-range", a.out_range);
  else if (builtin && a.range.empty() && a.range2.empty()) out.range = builtin->out_range;
  const int bits = a.bits > 0 ? a.bits : (vars == 1 ? 8 : 4);
  if (vars == 1) return compile_1var(f, {.bits = bits, .range = x_range}, out);
  const ValueRange y_range = input_range("--range2", a.range2, builtin ? builtin->range2 : ValueRange{});
  return compile_2var(f, {.bits = bits, .range = x_range}, {.bits = a.bits2 > 0 ? a.bits2 : bits, .range = y_range},
                      out);
}

device::RramModel load_model(const NoiseArgs& a) {
  device::RramModel m = device::load_device_preset(a.device);
  if (a.std_scale) {
    if (*a.std_scale < 0) throw Error(ErrorKind::InvalidArgument, "--std-scale must be >= 0");
    m.std_scale = *a.std_scale;
  }
  if (a.stuck) {
    if (*a.stuck < 0 || *a.stuck > 1) throw Error(ErrorKind::InvalidArgument, "--stuck must be in [0, 1]");
    m.stuck_probability = *a.stuck;
  }
  return m;
}

std::string num(double v) { return fmt::format("{:.4g}", v); }

// JSON has no infinity: an unbounded ("don't care") side is null.
json bound(double v) { return std::isinf(v) ? json(nullptr) : json(v); }
json range_json(const AcamRange& r) { return json::array({bound(r.lo), bound(r.hi)}); }
json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json program_json(const AcamProgram& p, const ArrayPacking& packing, int columns, int column_cells) {
  json cells = json::array();
  for (const auto& ranges : p.cells.ranges_per_bit) {
    json bit = json::array();
    for (const auto& r : ranges) bit.push_back(range_json(r));
    cells.push_back(bit);
  }
  for (const auto& rects : p.cells.rects_per_bit) {
    json bit = json::array();
    for (const auto& r : rects) bit.push_back({range_json(r.x), range_json(r.y)});
    cells.push_back(bit);
  }
  const auto counts = p.cells.count_per_bit();
  json j{{"function", p.function},
         {"expression", p.expression},
         {"vars", p.vars},
         {"bits", p.x.bits},
         {"range", {p.x.range.lo, p.x.range.hi}},
         {"out_bits", p.out_bits},
         {"out_range", {p.out_range.lo, p.out_range.hi}},
         {"out_lsb", p.out_step},
         {"encoding", to_string(p.encoding)},
         {"ranges_per_bit", counts},
         {"max_ranges_per_bit", counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end())},
         {"total_ranges", p.cells.total()},
         {"array", to_string(packing.shape)},
         {"arrays", packing.arrays},
         {"spill", packing.spill},
         {"segments_per_bit", packing.segments_per_bit},
         {"utilisation", packing.utilisation},
         {"readout_column_cells", column_cells},
         {"readout_columns", columns},
         {"cells", cells},
         {"table", p.table}};
  if (p.vars == 2) {
    j["bits2"] = p.y.bits;
    j["range2"] = {p.y.range.lo, p.y.range.hi};
  }
  return j;
}

json metrics_json(const std::vector<ErrorMetrics>& runs) {
  const ErrorMetrics m = mean(runs), s = stddev(runs);
  return {{"max_abs_err_lsb", m.max_abs_err_lsb}, {"max_abs_err_lsb_std", s.max_abs_err_lsb},
          {"rms_err_lsb", m.rms_err_lsb},         {"rms_err_lsb_std", s.rms_err_lsb},
          {"wrong_code_fraction", m.wrong_code_fraction},
          {"wrong_code_fraction_std", s.wrong_code_fraction},
          {"nmse", finite_or_null(m.nmse)},       {"nmse_std", finite_or_null(s.nmse)}};
}

void print_program(const AcamProgram& p, const ArrayPacking& packing, int columns, int column_cells) {
  const auto counts = p.cells.count_per_bit();
  const int most = counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end());
  std::cout << fmt::format("function  {}{}  ({}-var)\n", p.function,
                           p.function == p.expression ? "" : " = " + p.expression, p.vars);
  std::cout << fmt::format("input x   {} bits over [{}, {}]\n", p.x.bits, num(p.x.range.lo), num(p.x.range.hi));
  if (p.vars == 2)
    std::cout << fmt::format("input y   {} bits over [{}, {}]\n", p.y.bits, num(p.y.range.lo), num(p.y.range.hi));
  std::cout << fmt::format("output    {} bits over [{}, {}], LSB {}, {} code\n", p.out_bits,
                           num(p.out_range.lo), num(p.out_range.hi), num(p.out_step), to_string(p.encoding));
  std::cout << fmt::format("cells     {} {}, at most {} in one bit\n", p.cells.total(),
                           p.vars == 1 ? "ranges" : "rectangles", most);
  std::cout << fmt::format("arrays    {} of {} (spill {}, utilisation {:.1f}%); as a readout: {} "
                           "column(s) of {} cells\n\n",
                           packing.arrays, to_string(packing.shape), packing.spill,
                           100 * packing.utilisation, columns, column_cells);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t k = 0; k < counts.size(); ++k)
    rows.push_back({std::to_string(p.out_bits - 1 - static_cast<int>(k)), std::to_string(counts[k]),
                    std::to_string(packing.segments_per_bit[k])});
  std::cout << format_table({"bit", p.vars == 1 ? "ranges" : "rectangles", "row segments"}, rows, 0);
}

struct Compiled {
  AcamProgram program;
  ArrayPacking packing;
  int columns;
};

Compiled compile_from(const FunctionArgs& a) {
  AcamProgram p = build_program(a);
  ArrayPacking packing = pack(p, parse_array_shape(a.array));
  const int columns = readout_columns(p, a.column);
  return {.program = std::move(p), .packing = std::move(packing), .columns = columns};
}

void run_compile(const FunctionArgs& a) {
  const Compiled c = compile_from(a);
  if (a.json) {
    json j = program_json(c.program, c.packing, c.columns, a.column);
    j["provenance"] = provenance(invocation());
    std::cout << j.dump() << "\n";
    return;
  }
  print_program(c.program, c.packing, c.columns, a.column);
}

std::string seeds_text(const EvalResult& r) {
  if (r.seeds.empty()) return "none (ideal)";
  return fmt::format("{}…{} ({})", r.seeds.front(), r.seeds.back(), r.seeds.size());
}

void run_eval(const FunctionArgs& a, const NoiseArgs& n) {
  const Compiled c = compile_from(a);
  const device::RramModel model = load_model(n);
  const EvalOptions options{
      .mode = device::parse_noise_mode(n.mode), .seeds = n.seeds, .base_seed = n.seed, .threads = n.threads};
  const EvalResult r = evaluate(c.program, model, options);
  if (a.json) {
    json j = program_json(c.program, c.packing, c.columns, a.column);
    j["mode"] = to_string(r.mode);
    j["seeds"] = r.seeds.size();
    j["seed_list"] = r.seeds;
    j["base_seed"] = n.seed;
    j["device"] = n.device;
    j["std_scale"] = model.std_scale;
    j["stuck_probability"] = model.stuck_probability;
    j["vs_table"] = metrics_json(r.vs_table);
    j["vs_float"] = metrics_json(r.vs_float);
    for (const char* key : {"max_abs_err_lsb", "rms_err_lsb", "wrong_code_fraction", "nmse"})
      j[key] = j["vs_table"][key];
    j["provenance"] = provenance(invocation());
    std::cout << j.dump() << "\n";
    return;
  }
  print_program(c.program, c.packing, c.columns, a.column);
  std::cout << fmt::format("\nmode      {}, seeds {}\ndevice    {} (std_scale {}, stuck {})\n\n",
                           to_string(r.mode), seeds_text(r), n.device, num(model.std_scale),
                           num(model.stuck_probability));
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, runs] : {std::pair{"vs table", &r.vs_table}, {"vs float f", &r.vs_float}}) {
    const ErrorMetrics m = mean(*runs), s = stddev(*runs);
    auto cell = [&](double ErrorMetrics::*field) {
      return runs->size() > 1 ? num(m.*field) + " ± " + num(s.*field) : num(m.*field);
    };
    rows.push_back({name, cell(&ErrorMetrics::max_abs_err_lsb), cell(&ErrorMetrics::rms_err_lsb),
                    cell(&ErrorMetrics::wrong_code_fraction), cell(&ErrorMetrics::nmse)});
  }
  std::cout << format_table({"against", "max |err| LSB", "RMS err LSB", "wrong codes", "NMSE"}, rows);
  std::cout << "(mean ± standard deviation over seeds; errors in output LSB; against f a code is "
               "wrong when more than half an LSB away)\n";
}

void print_multiplier_tour(const NoiseArgs& n, const device::RramModel& model);

// The tour: every built-in 1-var function at 8 bits on its default range, the 2-var nibble
// multiply and the 8×8 multiply built from it.
void run_tour(const NoiseArgs& n) {
  const device::RramModel model = load_model(n);
  const EvalOptions frozen{
      .mode = device::NoiseMode::Frozen, .seeds = n.seeds, .base_seed = n.seed, .threads = n.threads};
  const ArrayShape shape{};
  std::cout << fmt::format(
      "raceit acam tour: built-in functions on Compute-ACAMs (8-bit in, 8-bit out, output range = "
      "min/max of f on the grid)\nnoise: frozen, seeds {}…{}, device {} (std_scale {}, stuck {}); "
      "arrays {}\n\n",
      n.seed, n.seed + n.seeds - 1, n.device, num(model.std_scale), num(model.stuck_probability),
      to_string(shape));
  std::vector<std::vector<std::string>> rows;
  for (const auto& b : builtin_functions()) {
    const AcamFunction f = resolve_function(b.name);
    if (f.vars() != 1) continue;
    const AcamProgram gray = compile_1var(f, {.bits = 8, .range = b.range},
                                          {.bits = 8, .range = b.out_range, .encoding = OutputEncoding::Gray});
    const AcamProgram binary = compile_1var(f, {.bits = 8, .range = b.range},
                                            {.bits = 8, .range = b.out_range, .encoding = OutputEncoding::Binary});
    const ArrayPacking packing = pack(gray, shape);
    const auto counts = gray.cells.count_per_bit();
    const EvalResult r = evaluate(gray, model, frozen);
    const ErrorMetrics table = mean(r.vs_table), real = mean(r.vs_float);
    rows.push_back({std::string(b.name), fmt::format("[{}, {}]", num(b.range.lo), num(b.range.hi)),
                    std::to_string(gray.cells.total()), std::to_string(binary.cells.total()),
                    std::to_string(*std::max_element(counts.begin(), counts.end())),
                    std::to_string(packing.arrays), std::to_string(packing.spill),
                    fmt::format("{:.3f}", table.rms_err_lsb), fmt::format("{:.2f}", table.max_abs_err_lsb),
                    fmt::format("{:.1f}%", 100 * table.wrong_code_fraction), fmt::format("{:.2e}", real.nmse)});
  }
  std::cout << format_table({"function", "input range", "Gray", "binary", "max/bit", "arrays",
                             "spill", "RMS LSB", "max LSB", "wrong", "NMSE vs f"},
                            rows, 2);
  std::cout << "Gray, binary: ranges needed; max/bit, arrays, spill: Gray code on " << to_string(shape)
            << " arrays; errors: Gray, frozen noise, against the quantised table (mean over seeds)\n\n";

  std::cout << "2-var mul: x, y 4-bit nibbles on [0, 15], 8-bit product on [0, 255]; rectangles per "
               "bit (MSB first), greedy cover with overlap on already-covered 1s\n";
  rows.clear();
  for (auto encoding : {OutputEncoding::Gray, OutputEncoding::Binary}) {
    const AcamProgram p = compile_nibble_product(encoding);
    const ArrayPacking packing = pack(p, shape);
    rows.push_back({to_string(encoding), fmt::format("{}", fmt::join(p.cells.count_per_bit(), " ")),
                    std::to_string(p.cells.total()), std::to_string(packing.arrays),
                    std::to_string(packing.spill)});
  }
  std::cout << format_table({"encoding", "rectangles per bit", "total", "arrays", "spill"}, rows, 2)
            << "(race-it.md §4.4 reports 266 Gray rectangles for this cover; ties between equally "
               "good rectangles are broken differently)\n\n";
  print_multiplier_tour(n, model);
}

// The tour's last part: the 8×8 signed multiply from nibble lookups, ideal and under frozen noise.
void print_multiplier_tour(const NoiseArgs& n, const device::RramModel& model) {
  const AcamProgram nibble = compile_nibble_product();
  const NibbleMultiplier ideal(nibble);
  int exact = 0;
  for (int a = -128; a <= 127; ++a)
    for (int b = -128; b <= 127; ++b) exact += ideal.multiply(a, b) == a * b;
  std::vector<int> wrong(static_cast<std::size_t>(n.seeds));
  std::vector<double> rms(wrong.size());
  parallel_for(wrong.size(), n.threads, [&](std::size_t begin, std::size_t end) {
    for (std::size_t s = begin; s < end; ++s) {
      const NibbleMultiplier noisy(nibble, realise(nibble, model, n.seed + s));
      double squared = 0;
      for (int a = -128; a <= 127; ++a)
        for (int b = -128; b <= 127; ++b) {
          const double err = noisy.multiply(a, b) - a * b;
          wrong[s] += err != 0;
          squared += err * err;
        }
      rms[s] = std::sqrt(squared / 65536);
    }
  });
  double mean_wrong = 0, mean_rms = 0;
  for (std::size_t s = 0; s < wrong.size(); ++s) {
    mean_wrong += static_cast<double>(wrong[s]) / wrong.size();
    mean_rms += rms[s] / wrong.size();
  }
  std::cout << fmt::format(
      "8x8-bit signed multiply (4 nibble lookups + shift-add, sign-magnitude), all 65536 int8 pairs:\n"
      "  ideal:  {}/65536 equal to integer multiplication{}\n"
      "  frozen: {:.1f} of 65536 products wrong, RMS error {:.3g}, mean over seeds (a 4-bit "
      "axis spaces thresholds 16 8-bit LSB apart on the data line)\n",
      exact, exact == 65536 ? " (exact)" : " (NOT EXACT)", mean_wrong, mean_rms);
}
}  // namespace

void register_acam_command(CLI::App& app) {
  auto* acam = app.add_subcommand("acam", "Compile functions onto Compute-ACAMs and evaluate them");
  acam->require_subcommand(1);

  static FunctionArgs compile_args;
  auto* compile = acam->add_subcommand(
      "compile", "Compile a function to ACAM ranges (1-var) or rectangles (2-var) and pack it");
  add_function_options(compile, compile_args);
  compile->callback([] { run_compile(compile_args); });

  static FunctionArgs eval_args;
  static NoiseArgs eval_noise;
  auto* eval = acam->add_subcommand(
      "eval", "Compile a function and measure its error over the whole input grid");
  add_function_options(eval, eval_args);
  add_noise_options(eval, eval_noise);
  eval->add_option("--mode", eval_noise.mode, "ideal, frozen or per_read")->capture_default_str();
  eval->callback([] { run_eval(eval_args, eval_noise); });

  static NoiseArgs tour_noise;
  auto* tour = acam->add_subcommand(
      "tour", "Every built-in function: ranges, arrays and error under frozen device noise");
  add_noise_options(tour, tour_noise);
  tour->callback([] { run_tour(tour_noise); });
}

}  // namespace raceit::cli

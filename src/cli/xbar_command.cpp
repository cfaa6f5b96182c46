// `raceit xbar`: one matrix through the crossbar engine, its error against the float and the
// quantised integer products, and the hardware events it cost.
#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "raceit/acam/functions.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/npy.hpp"
#include "raceit/core/metrics.hpp"
#include "raceit/core/rng.hpp"
#include "raceit/core/units.hpp"
#include "raceit/xbar/crossbar.hpp"
#include "raceit/xbar/integer_reference.hpp"

namespace raceit::cli {

namespace {

struct XbarOptions {
  int in = 768, out = 768, batch = 64;
  int rows = 128, cols = 128, w_bits = 8, a_bits = 8;
  std::string encoding = "analog-slice", inputs = "bit-serial", readout = "adc:8", mode = "frozen";
  std::string sign = "separate", path = "fast";
  std::string device = device::default_device_preset_path();
  bool per_channel = false, signed_inputs = false, json = false;
  std::string full_scale = "auto";
  double std_scale = -1, stuck = -1;
  std::string weights_file, inputs_file, fuse, acam_encoding = "gray";
  int acam_instances = 256;
  int seeds = 1, threads = 0;
  std::uint64_t seed = 1;
};

xbar::Matrix gaussian(int rows, int cols, std::uint64_t stream) {
  xbar::Matrix m(rows, cols);
  const CounterRng rng(0);  // data are the same for every noise seed
  for (std::size_t k = 0; k < m.data.size(); ++k) m.data[k] = static_cast<float>(rng.normal(stream, k));
  return m;
}

// A float32 .npy file as a matrix: 2-D as is, 1-D as one row.
xbar::Matrix matrix_from_npy(const std::string& path, const char* what) {
  const Tensor t = read_npy(path);
  if (!t.is_float() || t.rank() < 1 || t.rank() > 2)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("{}: {} must be a 1-D or 2-D float array, got {} of shape {}", path, what,
                            to_string(t.dtype()), to_string(t.shape())));
  const int rows = t.rank() == 2 ? static_cast<int>(t.dim(0)) : 1;
  xbar::Matrix m(rows, static_cast<int>(t.dim(-1)));
  const auto values = t.floats();
  std::copy(values.begin(), values.end(), m.data.begin());
  return m;
}

xbar::Matrix float_product(const xbar::Matrix& x, const xbar::Matrix& w) {
  xbar::Matrix y(x.rows, w.rows);
  for (int b = 0; b < x.rows; ++b)
    for (int j = 0; j < w.rows; ++j) {
      double s = 0;
      for (int i = 0; i < x.cols; ++i) s += static_cast<double>(x.at(b, i)) * w.at(j, i);
      y.at(b, j) = static_cast<float>(s);
    }
  return y;
}

xbar::CrossbarConfig make_config(const XbarOptions& o) {
  xbar::CrossbarConfig c;
  c.rows = o.rows;
  c.cols = o.cols;
  c.w_bits = o.w_bits;
  c.a_bits = o.a_bits;
  c.per_channel = o.per_channel;
  c.signed_inputs = o.signed_inputs;
  xbar::parse_encoding(o.encoding, c);
  xbar::parse_readout(o.readout, c);
  c.sign = o.sign == "separate" ? xbar::SignScheme::SeparateArrays : xbar::SignScheme::DifferentialPairs;
  c.inputs = o.inputs == "bit-serial" ? xbar::InputScheme::BitSerial : xbar::InputScheme::MultiLevel;
  if (o.full_scale != "auto") c.full_scale = parse_quantity(o.full_scale, Dimension::Dimensionless).value;
  c.mode = device::parse_noise_mode(o.mode);
  c.fused_function = o.fuse;
  c.acam_encoding = acam::parse_output_encoding(o.acam_encoding);
  c.acam_instances = o.acam_instances;
  c.device = device::load_device_preset(o.device);
  if (o.std_scale >= 0) c.device.std_scale = o.std_scale;
  if (o.stuck >= 0) c.device.stuck_probability = o.stuck;
  c.validate();
  return c;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / v.size();
}
double stddev(const std::vector<double>& v) {
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return v.size() > 1 ? std::sqrt(s / (v.size() - 1)) : 0.0;
}

// The seeds' results: errors against the float and the quantised integer product, and the first
// seed's events.
struct XbarRuns {
  std::vector<double> nmse, snr, max_abs, nmse_int;
  bool exact = true;
  EventCounts events;
  xbar::ProgrammedCrossbar programmed;  // the last seed's
};

// Programs and runs the crossbar once per seed.
XbarRuns run_seeds(const XbarOptions& o, xbar::CrossbarConfig c, const xbar::Matrix& w, const xbar::Matrix& x) {
  // With a fused function the references are f of the products.
  const auto fused = o.fuse.empty() ? std::optional<acam::AcamFunction>{} : acam::resolve_function(o.fuse);
  auto apply_fused = [&](xbar::Matrix m) {
    if (fused)
      for (float& v : m.data) v = static_cast<float>((*fused)(v));
    return m;
  };
  const xbar::Matrix reference = apply_fused(float_product(x, w));
  const auto xq = xbar::input_quantiser(x, c);
  const auto path = o.path == "reference" ? xbar::MvmPath::Reference : xbar::MvmPath::Fast;
  XbarRuns runs;
  for (int s = 0; s < o.seeds; ++s) {
    c.seed = o.seed + s;
    runs.programmed = xbar::program_crossbar(w, c, o.threads);
    const auto result = xbar::mvm(runs.programmed, x, xq, path, o.threads);
    const ErrorStats vs_float = compare(std::span<const float>(result.output.data), std::span<const float>(reference.data));
    const xbar::Matrix integer = apply_fused(xbar::quantised_product(runs.programmed, x, xq));
    const ErrorStats vs_int = compare(std::span<const float>(result.output.data), std::span<const float>(integer.data));
    runs.nmse.push_back(vs_float.nmse);
    runs.snr.push_back(vs_float.snr_db);
    runs.max_abs.push_back(vs_float.max_abs);
    runs.nmse_int.push_back(vs_int.nmse);
    runs.exact = runs.exact && vs_int.max_abs == 0;
    if (s == 0) runs.events = result.events;
  }
  return runs;
}

void print_xbar_json(const XbarOptions& o, const xbar::CrossbarConfig& c, const xbar::Matrix& w, const xbar::Matrix& x,
                     const XbarRuns& runs) {
  const xbar::TileLayout& t = runs.programmed.layout;
  nlohmann::json config = {
      {"in", w.cols}, {"out", w.rows}, {"batch", x.rows},
      {"weights", o.weights_file.empty() ? "random" : o.weights_file},
      {"inputs_file", o.inputs_file.empty() ? "random" : o.inputs_file}, {"rows", c.rows}, {"cols", c.cols},
      {"w_bits", c.w_bits}, {"a_bits", c.a_bits}, {"per_channel", c.per_channel},
      {"signed_inputs", c.signed_inputs}, {"encoding", xbar::encoding_name(c)}, {"sign", o.sign},
      {"inputs", o.inputs}, {"readout", xbar::readout_name(c)}, {"full_scale", c.full_scale},
      {"fused_function", o.fuse.empty() ? "identity" : o.fuse}, {"acam_encoding", o.acam_encoding},
      {"acam_instances", c.acam_instances},
      {"readout_step", runs.programmed.scale.step}, {"mode", o.mode}, {"std_scale", c.device.std_scale},
      {"stuck_probability", c.device.stuck_probability}, {"device", o.device}, {"path", o.path},
      {"seed", o.seed}, {"seeds", o.seeds}};
  nlohmann::json j = provenance(invocation());
  j["config"] = config;
  j["layout"] = {{"row_blocks", t.row_blocks}, {"col_blocks", t.col_blocks}, {"arrays", t.arrays},
                 {"outputs_per_tile", t.outputs_per_tile}, {"cells_per_weight", t.cells_per_weight}};
  j["nmse"] = mean(runs.nmse);
  j["nmse_std"] = stddev(runs.nmse);
  j["snr_db"] = mean(runs.snr);
  j["max_abs_err"] = mean(runs.max_abs);
  j["nmse_vs_integer"] = mean(runs.nmse_int);
  j["exact_vs_integer"] = runs.exact;
  nlohmann::json ev;
  for (const auto& [name, value] : runs.events.fields()) ev[std::string(name)] = value;
  j["events"] = ev;
  std::cout << j.dump(2) << "\n";
}

void print_xbar_text(const XbarOptions& o, const xbar::CrossbarConfig& c, const xbar::Matrix& w, const xbar::Matrix& x,
                     const XbarRuns& runs) {
  const xbar::TileLayout& t = runs.programmed.layout;
  std::cout << fmt::format("crossbar MVM: {}x{} weights, {} input vectors, {}x{} tiles ({} row x {} column blocks, {} arrays)\n",
                           w.rows, w.cols, x.rows, c.rows, c.cols, t.row_blocks, t.col_blocks, t.arrays);
  std::cout << fmt::format("encoding {} ({} cells/weight, {} signs), inputs {} ({} bits, {}), readout {} (step {:g} levels)\n",
                           xbar::encoding_name(c), t.cells_per_weight, o.sign, o.inputs, c.a_bits,
                           c.signed_inputs ? "signed" : "unsigned",
                           xbar::readout_name(c) + (o.fuse.empty() ? "" : " fused " + o.fuse), runs.programmed.scale.step);
  std::cout << fmt::format("mode {}, std_scale {:g}, stuck {:g}, device {}, seeds {}…{}\n\n", o.mode, c.device.std_scale,
                           c.device.stuck_probability, o.device, o.seed, o.seed + o.seeds - 1);
  auto pm = [](const std::vector<double>& v, const char* f) {
    return fmt::format(fmt::runtime(f), mean(v)) + (v.size() > 1 ? fmt::format(fmt::runtime(std::string(" ± ") + f), stddev(v)) : "");
  };
  std::cout << format_table({"error", "vs float product", "vs quantised integer product"},
                            {{"NMSE", pm(runs.nmse, "{:.3e}"), pm(runs.nmse_int, "{:.3e}")},
                             {"SNR (dB)", pm(runs.snr, "{:.2f}"), ""},
                             {"max |error|", pm(runs.max_abs, "{:.4g}"), ""},
                             {"exact", "", runs.exact ? "yes" : "no"}});
  std::cout << "\nevents (first seed; zero counts left out)\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, value] : runs.events.fields())
    if (value != 0 || name == "adc_clipped") rows.push_back({std::string(name), fmt::format("{}", value)});
  std::cout << format_table({"event", "count"}, rows);
}

void run_xbar(const XbarOptions& o) {
  if (o.in < 1 || o.out < 1 || o.batch < 1) throw Error(ErrorKind::InvalidArgument, "--in, --out and --batch must be >= 1");
  if (o.seeds < 1) throw Error(ErrorKind::InvalidArgument, "--seeds must be >= 1");
  xbar::CrossbarConfig c = make_config(o);
  const xbar::Matrix w = o.weights_file.empty() ? gaussian(o.out, o.in, streams::kData)
                                                : matrix_from_npy(o.weights_file, "weight matrix (out x in)");
  const xbar::Matrix x = o.inputs_file.empty() ? gaussian(o.batch, w.cols, streams::kData + 1)
                                               : matrix_from_npy(o.inputs_file, "input matrix (batch x in)");
  if (x.cols != w.cols)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("{}: inputs have {} features but the weight matrix has {} columns",
                            o.inputs_file.empty() ? "random inputs" : o.inputs_file, x.cols, w.cols));
  if (o.full_scale == "auto") c.full_scale = xbar::calibrate_full_scale(w, c, x);
  const XbarRuns runs = run_seeds(o, c, w, x);
  if (o.json)
    print_xbar_json(o, c, w, x, runs);
  else
    print_xbar_text(o, c, w, x, runs);
}

}  // namespace

void register_xbar_command(CLI::App& app) {
  auto o = std::make_shared<XbarOptions>();
  auto* cmd = app.add_subcommand("xbar",
                                 "Run one weight matrix through the crossbar engine: error against the float and the\n"
                                 "quantised integer products, and the hardware events. Random Gaussian data (seeded).");
  auto* in = cmd->add_option("--in", o->in, "input features (matrix columns) of the random matrix")
                 ->check(CLI::Range(1, kMaxExtent))->capture_default_str();
  auto* out = cmd->add_option("--out", o->out, "output features (matrix rows) of the random matrix")
                  ->check(CLI::Range(1, kMaxExtent))->capture_default_str();
  cmd->add_option("--batch", o->batch, "input vectors")->check(CLI::Range(1, kMaxExtent))->capture_default_str();
  cmd->add_option("--rows", o->rows, "tile rows (cells per column)")->check(CLI::Range(1, kMaxExtent))->capture_default_str();
  cmd->add_option("--cols", o->cols, "tile columns")->check(CLI::Range(1, kMaxExtent))->capture_default_str();
  cmd->add_option("--w-bits", o->w_bits, "weight bits (signed, symmetric)")->check(CLI::Range(2, 16))->capture_default_str();
  cmd->add_option("--a-bits", o->a_bits, "activation bits")->check(CLI::Range(1, 16))->capture_default_str();
  cmd->add_flag("--per-channel", o->per_channel, "one weight scale per output channel");
  cmd->add_flag("--signed-inputs", o->signed_inputs, "symmetric signed activations (default: unsigned with zero point)");
  cmd->add_option("--encoding", o->encoding, "single | analog-slice | bit-slice:K")->capture_default_str();
  cmd->add_option("--sign", o->sign, "separate (positive/negative arrays) | differential (column pairs)")
      ->check(CLI::IsMember({"separate", "differential"}))->capture_default_str();
  cmd->add_option("--inputs", o->inputs, "bit-serial (1-bit DACs, one read per bit) | multi-level (one read)")
      ->check(CLI::IsMember({"bit-serial", "multi-level"}))->capture_default_str();
  cmd->add_option("--readout", o->readout, "adc:BITS | acam[:BITS]")->capture_default_str();
  cmd->add_option("--fuse", o->fuse,
                  "element-wise function (name or expression in x) fused into an ACAM readout; needs\n"
                  "--readout acam --inputs multi-level --encoding single --sign differential and in <= rows");
  cmd->add_option("--acam-encoding", o->acam_encoding, "output code of ACAM readout columns: gray | binary")
      ->check(CLI::IsMember({"gray", "binary"}))->capture_default_str();
  cmd->add_option("--acam-instances", o->acam_instances,
                  "distinct noise realisations of ACAM readout columns (shared round-robin)")
      ->check(CLI::Range(1, kMaxExtent))->capture_default_str();
  cmd->add_option("--full-scale", o->full_scale,
                  "readout range as a fraction of the largest possible column value, or 'auto': calibrated\n"
                  "to the largest column the inputs produce on ideal cells")->capture_default_str();
  cmd->add_option("--mode", o->mode, "ideal | frozen | per_read")->check(CLI::IsMember({"ideal", "frozen", "per_read"}))->capture_default_str();
  cmd->add_option("--std-scale", o->std_scale, "multiply every noise sigma (default: device preset's)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--stuck", o->stuck, "stuck-cell probability (default: device preset's)")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--device", o->device, "device preset YAML")->capture_default_str();
  cmd->add_option("--seeds", o->seeds, "noise realisations; metrics are mean ± std")
      ->check(CLI::Range(1, kMaxSeeds))->capture_default_str();
  cmd->add_option("--seed", o->seed, "first noise seed")->capture_default_str();
  cmd->add_option("--path", o->path, "fast (GEMM) | reference (per cell)")->check(CLI::IsMember({"fast", "reference"}))->capture_default_str();
  cmd->add_option("--threads", o->threads, "worker threads (0 = RACEIT_THREADS or all cores)")
      ->check(CLI::Range(0, kMaxThreads))->capture_default_str();
  cmd->add_option("--weights", o->weights_file, "float32 .npy weight matrix (out x in) instead of random")
      ->check(CLI::ExistingFile)->excludes(in)->excludes(out);
  cmd->add_option("--inputs-file", o->inputs_file, "float32 .npy inputs (batch x in) instead of random")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--json", o->json, "print one JSON object");
  cmd->callback([o] { run_xbar(*o); });
}

}  // namespace raceit::cli

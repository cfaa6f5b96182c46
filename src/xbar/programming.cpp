// Weight quantisation and programming: targets per cell, write noise, stuck cells, analog-slice
// error cells, and the effective level matrices the MVM reads.
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "raceit/acam/functions.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/parallel.hpp"
#include "raceit/core/rng.hpp"
#include "raceit/xbar/crossbar.hpp"
#include "mvm_integer.hpp"

namespace raceit::xbar {

namespace {

using device::NoiseMode;

// A cell's conductance after programming (no read noise): exact target in ideal mode.
double program_cell(const CrossbarConfig& c, const CounterRng& rng, double target, std::uint64_t id) {
  if (c.mode == NoiseMode::Ideal) return target;
  if (c.device.stuck_probability > 0 && rng.uniform(streams::kXbarStuck, id) < c.device.stuck_probability)
    return (rng.bits64(streams::kXbarStuck, id) & 1) ? c.device.g_max_us : c.device.g_min_us;
  return c.device.programmed(target, rng.normal(streams::kXbarWrite, id));
}

// Frozen mode folds one read-noise draw into every cell.
double settle_cell(const CrossbarConfig& c, const CounterRng& rng, double g, std::uint64_t id) {
  return c.mode == NoiseMode::Frozen ? c.device.read(g, rng.normal(streams::kXbarRead, id)) : g;
}

// Identity over the readout codes 0…2^bits − 1, realised acam_instances times with noise (no
// more than there are conversion columns: the pool is read round-robin, so the others would
// never be read).
void program_readout(ProgrammedCrossbar& x) {
  const CrossbarConfig& c = x.config;
  const double top = std::ldexp(1.0, c.readout_bits) - 1;
  acam::OutputSpec spec{
      .bits = c.readout_bits, .range = acam::ValueRange{.lo = 0, .hi = top}, .encoding = c.acam_encoding};
  x.readout_program =
      acam::compile_1var(acam::resolve_function("identity"),
                         acam::InputAxis{.bits = c.readout_bits, .range = acam::ValueRange{.lo = 0, .hi = top}}, spec);
  if (c.mode == NoiseMode::Ideal) {
    x.readout_acams.emplace_back(x.readout_program);
    return;
  }
  const CounterRng rng(c.seed);
  const std::int64_t columns = static_cast<std::int64_t>(x.layout.row_blocks) * x.out * static_cast<std::int64_t>(x.groups.size());
  for (std::int64_t k = 0; k < std::min<std::int64_t>(c.acam_instances, columns); ++k) {
    const std::uint64_t seed = rng.bits64(streams::kXbarAcamReadout, k);
    x.readout_acams.emplace_back(x.readout_program, acam::realise(x.readout_program, c.device, seed));
  }
}

}  // namespace

AffineQuantiser input_quantiser(const Matrix& inputs, const CrossbarConfig& c) {
  if (inputs.data.empty()) throw Error(ErrorKind::InvalidArgument, "input matrix is empty");
  const auto [lo, hi] = std::minmax_element(inputs.data.begin(), inputs.data.end());
  if (c.signed_inputs)
    return AffineQuantiser::symmetric(std::max(std::abs(*lo), std::abs(*hi)), c.a_bits);
  return AffineQuantiser::from_range(*lo, *hi, c.a_bits);
}

namespace {
// analog_combine: the level, and its read variance, of both sides' main cells and their error
// cells scaled by `error_scale` (1/k; 0 without error cells), summed in analog.
void combined_level(const CrossbarConfig& c, double mp, double mn, double ep, double en, double error_scale, double dg,
                    double& level, double& variance) {
  const auto v = [&](double g) { return std::pow(c.device.sigma_read(g) / dg, 2); };
  level = (mp - mn) / dg + error_scale * (ep - en) / dg;
  variance = v(mp) + v(mn) + error_scale * error_scale * (v(ep) + v(en));
}

// Fusing a function into the readout needs one Compute-ACAM conversion per output.
void check_fusable(const ProgrammedCrossbar& x) {
  const CrossbarConfig& c = x.config;
  if (!c.fused_function.empty() && (c.readout != ReadoutKind::Acam || x.groups.size() != 1 ||
                                    c.inputs != InputScheme::MultiLevel || x.layout.row_blocks != 1))
    throw Error(ErrorKind::InvalidArgument,
                "fusing '" + c.fused_function + "' into the readout needs one Compute-ACAM conversion per output: "
                "readout acam, multi-level inputs, single cells in differential pairs, and at most " +
                std::to_string(c.rows) + " inputs (one tile row block); this matrix has " + std::to_string(x.in) + " inputs");
}

// Symmetric quantisation, per tensor or per output channel.
void quantise_weights(const Matrix& w, ProgrammedCrossbar& x) {
  const CrossbarConfig& c = x.config;
  const int in = x.in, out = x.out;
  for (float v : w.data)
    if (!std::isfinite(v)) throw Error(ErrorKind::InvalidArgument, "weight matrix holds a non-finite value");
  const int qmax = (1 << (c.w_bits - 1)) - 1;
  x.w_scale.assign(out, 1.0);
  double tensor_max = 0;
  for (float v : w.data) tensor_max = std::max(tensor_max, std::abs(static_cast<double>(v)));
  x.q.resize(static_cast<std::size_t>(out) * in);
  x.q_row_sum.assign(out, 0);
  for (int j = 0; j < out; ++j) {
    double m = tensor_max;
    if (c.per_channel) {
      m = 0;
      for (int i = 0; i < in; ++i) m = std::max(m, std::abs(static_cast<double>(w.at(j, i))));
    }
    x.w_scale[j] = m > 0 ? m / qmax : 1.0;
    for (int i = 0; i < in; ++i) {
      const double r = round_half_even(w.at(j, i) / x.w_scale[j]);
      x.q[static_cast<std::size_t>(j) * in + i] = static_cast<std::int32_t>(std::clamp(r, -1.0 * qmax, 1.0 * qmax));
      x.q_row_sum[j] += x.q[static_cast<std::size_t>(j) * in + i];
    }
  }
}

// Programs the cells of one slice of one row block of one output column and stores the levels
// (and read variances) the MVM reads. Cell ids depend only on (j, i, cell), so columns are
// programmed independently.
struct SliceProgrammer {
  ProgrammedCrossbar& x;
  const CounterRng& rng;
  double g_min, dg, window;
  bool analog_slice;
  int cells_per_side, groups;
  std::vector<double> main_g, main_err;  // per row of the block: [side+, side−] main cells, their write error

  std::uint64_t first_cell(std::size_t j, int i) const {
    return (j * x.in + i) * static_cast<std::uint64_t>(x.layout.cells_per_weight);
  }

  // Main cells of slice s for rows i0…i1; returns the largest write error.
  double program_main(std::size_t j, int i0, int i1, int s) {
    const CrossbarConfig& c = x.config;
    double max_err = 0;
    for (int i = i0; i < i1; ++i) {
      const std::int32_t qv = x.q[j * x.in + i];
      const int mag = std::abs(qv);
      const int lvl = c.encoding == WeightEncoding::BitSlice ? (mag >> (c.slice_bits * s)) & x.layout.level_max : mag;
      const double tp = g_min + (qv > 0 ? lvl : 0) * dg, tn = g_min + (qv < 0 ? lvl : 0) * dg;
      const std::uint64_t idp = first_cell(j, i) + s * (analog_slice ? 2 : 1);
      const std::uint64_t idn = idp + cells_per_side;
      const double gp = program_cell(c, rng, tp, idp), gn = program_cell(c, rng, tn, idn);
      const int r = i - i0;
      main_g[2 * r] = settle_cell(c, rng, gp, idp);
      main_g[2 * r + 1] = settle_cell(c, rng, gn, idn);
      main_err[r] = (gp - tp) - (gn - tn);
      max_err = std::max(max_err, std::abs(main_err[r]));
    }
    return max_err;
  }

  // Analog slicing: the error pair (G+, G−) of row i holds −(write error)·k.
  std::pair<double, double> program_error_pair(std::size_t j, int i, int r, int s, double k) const {
    if (!analog_slice) return {g_min, g_min};
    const CrossbarConfig& c = x.config;
    const std::uint64_t idp = first_cell(j, i) + s * 2 + 1, idn = idp + cells_per_side;
    const double stored = std::min(std::abs(main_err[r]) * k, window);
    const double tp = g_min + (main_err[r] < 0 ? stored : 0);
    const double tn = g_min + (main_err[r] > 0 ? stored : 0);
    return {settle_cell(c, rng, program_cell(c, rng, tp, idp), idp), settle_cell(c, rng, program_cell(c, rng, tn, idn), idn)};
  }

  // The level of readout group g at row r of the block, with its read variance.
  void group_level(const ReadoutGroup& g, int r, double ep, double en, double k, double& lvl, double& var) const {
    const CrossbarConfig& c = x.config;
    const double gp = g.error_cell ? ep : main_g[2 * r];
    const double gn = g.error_cell ? en : main_g[2 * r + 1];
    if (c.analog_combine) {
      combined_level(c, main_g[2 * r], main_g[2 * r + 1], ep, en, analog_slice ? 1 / k : 0, dg, lvl, var);
    } else if (g.side == 0) {
      lvl = (gp - gn) / dg;
      var = (std::pow(c.device.sigma_read(gp), 2) + std::pow(c.device.sigma_read(gn), 2)) / (dg * dg);
    } else {
      const double gs = g.side > 0 ? gp : gn;
      lvl = (gs - g_min) / dg;
      var = std::pow(c.device.sigma_read(gs), 2) / (dg * dg);
    }
  }

  void program(std::size_t j, int rb, int s) {
    const int i0 = rb * x.config.rows, i1 = std::min(x.in, i0 + x.config.rows);
    const double max_err = program_main(j, i0, i1, s);
    // Analog slicing: store −(write error)·k in an error pair, k filling the window.
    const double k = max_err > 0 ? window / max_err : 1.0;
    for (int gi = 0; gi < groups; ++gi) {
      const ReadoutGroup& g = x.groups[gi];
      if (g.slice == s && g.error_cell)
        x.coefficient[(static_cast<std::size_t>(rb) * x.out + j) * groups + gi] = g.weight / k;
    }
    for (int i = i0; i < i1; ++i) {
      const int r = i - i0;
      const auto [ep, en] = program_error_pair(j, i, r, s, k);
      for (int gi = 0; gi < groups; ++gi) {
        const ReadoutGroup& g = x.groups[gi];
        if (g.slice != s) continue;
        double lvl, var;
        group_level(g, r, ep, en, k, lvl, var);
        const int col = static_cast<int>(j) * groups + gi;
        x.level.at(i, col) = static_cast<float>(lvl);
        if (x.config.mode == NoiseMode::PerRead) x.read_variance.at(i, col) = static_cast<float>(var);
      }
    }
  }
};

}  // namespace

ProgrammedCrossbar program_crossbar(const Matrix& w, const CrossbarConfig& c, int threads) {
  ProgrammedCrossbar x;
  x.config = c;
  x.in = w.cols;
  x.out = w.rows;
  x.layout = tile_layout(c, x.in, x.out);
  x.groups = readout_groups(c);
  x.scale = readout_scale(c, x.layout);
  check_fusable(x);
  if (c.readout == ReadoutKind::Acam) program_readout(x);
  quantise_weights(w, x);

  const TileLayout& t = x.layout;
  const int groups = static_cast<int>(x.groups.size());
  x.level = Matrix(x.in, x.out * groups);
  if (c.mode == NoiseMode::PerRead) x.read_variance = Matrix(x.in, x.out * groups);
  x.coefficient.resize(static_cast<std::size_t>(t.row_blocks) * x.out * groups);
  for (std::size_t k = 0; k < x.coefficient.size(); ++k) x.coefficient[k] = x.groups[k % groups].weight;

  const CounterRng rng(c.seed);
  const bool analog_slice = c.encoding == WeightEncoding::AnalogSlice;
  parallel_for(x.out, threads, [&](std::size_t j0, std::size_t j1) {
    SliceProgrammer slices{.x = x,
                           .rng = rng,
                           .g_min = c.device.g_min_us,
                           .dg = t.delta_g_us,
                           .window = c.device.g_max_us - c.device.g_min_us,
                           .analog_slice = analog_slice,
                           .cells_per_side = t.magnitude_slices * (analog_slice ? 2 : 1),
                           .groups = groups,
                           .main_g = std::vector<double>(static_cast<std::size_t>(c.rows) * 2),
                           .main_err = std::vector<double>(c.rows)};
    for (std::size_t j = j0; j < j1; ++j)
      for (int rb = 0; rb < t.row_blocks; ++rb)
        for (int s = 0; s < t.magnitude_slices; ++s) slices.program(j, rb, s);
  });
  x.integer_path = detail::integer_path(x);
  return x;
}

}  // namespace raceit::xbar

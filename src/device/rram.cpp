#include "raceit/device/rram.hpp"

#include <algorithm>
#include <cmath>

#include "raceit/core/error.hpp"
#include "raceit/core/param_rules.hpp"
#include "raceit/core/source_dir.hpp"

namespace raceit::device {

const char* to_string(NoiseMode mode) {
  switch (mode) {
    case NoiseMode::Ideal: return "ideal";
    case NoiseMode::Frozen: return "frozen";
    case NoiseMode::PerRead: return "per_read";
  }
  return "?";
}

NoiseMode parse_noise_mode(const std::string& text) {
  if (text == "ideal") return NoiseMode::Ideal;
  if (text == "frozen") return NoiseMode::Frozen;
  if (text == "per_read") return NoiseMode::PerRead;
  throw Error(ErrorKind::InvalidArgument,
              "unknown noise mode '" + text + "' (expected ideal, frozen or per_read)");
}

const std::vector<ParamSpec>& rram_param_specs() {
  static const std::vector<ParamSpec> specs{
      {"conductance.g_min", Dimension::Conductance, "0.1uS", "lowest programmable conductance"},
      {"conductance.g_max", Dimension::Conductance, "150uS", "highest programmable conductance"},
      {"write_noise.exponent", Dimension::Dimensionless, "0.95",
       "a in sigma_w(G) = exp(a*ln(min(G,g_cap)) + b), G and sigma in uS"},
      {"write_noise.log_offset", Dimension::Dimensionless, "-1.86", "b in sigma_w(G)"},
      {"write_noise.g_cap", Dimension::Conductance, "2uS",
       "conductance above which programming noise stops growing"},
      {"read_noise.exponent", Dimension::Dimensionless, "0.98",
       "a in sigma_r(G) = exp(a*ln(min(G,g_cap)) + b), G and sigma in uS"},
      {"read_noise.log_offset", Dimension::Dimensionless, "-3.1", "b in sigma_r(G)"},
      {"read_noise.g_cap", Dimension::Conductance, "10uS",
       "conductance above which read noise stops growing"},
      {"std_scale", Dimension::Dimensionless, "1", "multiplies every noise sigma (0 = no noise)"},
      {"stuck_probability", Dimension::Dimensionless, "0",
       "probability that a cell is stuck (a stuck ACAM range never matches)"},
      {"acam_threshold.exponent", Dimension::Dimensionless, "0.5007",
       "a in V_th(G) = exp(a*ln G + b) + v_offset, G in uS"},
      {"acam_threshold.log_offset", Dimension::Dimensionless, "-3.7561", "b in V_th(G)"},
      {"acam_threshold.v_offset", Dimension::Voltage, "0.6836V", "V_th at G = 0"},
      {"acam_threshold.v_min", Dimension::Voltage, "0.6V", "lower clamp of V_th"},
      {"acam_threshold.v_max", Dimension::Voltage, "1.0V", "upper clamp of V_th"},
  };
  return specs;
}

RramModel RramModel::from_params(const ParamSet& p) {
  RramModel m;
  m.g_min_us = p.number("conductance.g_min") * 1e6;
  m.g_max_us = p.number("conductance.g_max") * 1e6;
  m.write_exponent = p.number("write_noise.exponent");
  m.write_log_offset = p.number("write_noise.log_offset");
  m.write_g_cap_us = p.number("write_noise.g_cap") * 1e6;
  m.read_exponent = p.number("read_noise.exponent");
  m.read_log_offset = p.number("read_noise.log_offset");
  m.read_g_cap_us = p.number("read_noise.g_cap") * 1e6;
  m.std_scale = p.number("std_scale");
  m.stuck_probability = p.number("stuck_probability");
  m.vth_exponent = p.number("acam_threshold.exponent");
  m.vth_log_offset = p.number("acam_threshold.log_offset");
  m.vth_offset_v = p.number("acam_threshold.v_offset");
  m.vth_min_v = p.number("acam_threshold.v_min");
  m.vth_max_v = p.number("acam_threshold.v_max");
  if (!(m.g_min_us >= 0 && m.g_min_us < m.g_max_us))
    fail(p, "conductance.g_max", "must exceed conductance.g_min (which must be >= 0)");
  // Beyond 100× the measured noise, conductances overflow and every result is NaN.
  if (!(m.std_scale >= 0 && m.std_scale <= 100)) fail(p, "std_scale", "must be in [0, 100] (a multiple of the measured noise)");
  if (m.stuck_probability < 0 || m.stuck_probability > 1)
    fail(p, "stuck_probability", "must be a probability in [0, 1]");
  if (m.write_g_cap_us <= 0) fail(p, "write_noise.g_cap", "must be > 0");
  if (m.read_g_cap_us <= 0) fail(p, "read_noise.g_cap", "must be > 0");
  if (!(m.vth_min_v < m.vth_max_v)) fail(p, "acam_threshold.v_max", "must exceed v_min");
  if (m.vth_exponent <= 0) fail(p, "acam_threshold.exponent", "must be > 0 (V_th rises with G)");
  return m;
}

namespace {
double sigma(double g_us, double exponent, double offset, double cap) {
  if (g_us <= 0) return 0.0;
  return std::exp(exponent * std::log(std::min(g_us, cap)) + offset);
}
}  // namespace

double RramModel::sigma_write(double g_us) const {
  return std_scale * sigma(g_us, write_exponent, write_log_offset, write_g_cap_us);
}
double RramModel::sigma_read(double g_us) const {
  return std_scale * sigma(g_us, read_exponent, read_log_offset, read_g_cap_us);
}
double RramModel::programmed(double target_us, double z) const {
  return std::max(0.0, target_us + sigma_write(target_us) * z);
}
double RramModel::read(double g_us, double z) const {
  return std::max(0.0, g_us + sigma_read(g_us) * z);
}

double RramModel::vth(double g_us) const {
  const double v = g_us > 0 ? std::exp(vth_exponent * std::log(g_us) + vth_log_offset) + vth_offset_v
                            : vth_offset_v;
  return std::clamp(v, vth_min_v, vth_max_v);
}

double RramModel::conductance_for_vth(double v) const {
  const double above = std::min(v, vth_max_v) - vth_offset_v;
  if (above <= 0) return 0.0;
  return std::exp((std::log(above) - vth_log_offset) / vth_exponent);
}

double RramModel::realised_threshold(double t, double in_lo, double in_hi, double zw,
                                     double zr) const {
  const double wlo = window_lo_v(), whi = window_hi_v();
  const double span = in_hi - in_lo;
  const double v = wlo + (t - in_lo) / span * (whi - wlo);
  const double g = conductance_for_vth(v);
  const double g_read = read(programmed(g, zw), zr);
  return in_lo + (vth(g_read) - wlo) / (whi - wlo) * span;
}

RramModel load_device_preset(const std::string& path) {
  return RramModel::from_params(load_params(rram_param_specs(), path));
}

std::string default_device_preset_path() {
  return raceit::source_dir() + "/configs/devices/taox.yaml";
}

}  // namespace raceit::device

#include "raceit/device/rram.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "raceit/core/error.hpp"
#include "raceit/core/param_rules.hpp"
#include "raceit/core/source_dir.hpp"

namespace raceit::device {

namespace {

constexpr EnumNames<NoiseMode, 3> kNoiseModeNames{
    {{{NoiseMode::Ideal, "ideal"}, {NoiseMode::Frozen, "frozen"}, {NoiseMode::PerRead, "per_read"}}}};

}  // namespace

const char* to_string(NoiseMode mode) { return kNoiseModeNames.name(mode); }

NoiseMode parse_noise_mode(const std::string& text) {
  if (const NoiseMode* mode = kNoiseModeNames.find(text)) return *mode;
  throw Error(ErrorKind::InvalidArgument,
              "unknown noise mode '" + text + "' (expected ideal, frozen or per_read)");
}

namespace {

using Field = ParamField<RramModel>;
constexpr double kMicro = 1e6;  // the fits work in µS and the presets in S

Field conductance(const std::string& key, const std::string& default_text, const std::string& description,
                  double RramModel::*member, Bounds bounds = {}) {
  return {{.key = key, .dimension = Dimension::Conductance, .default_text = default_text, .description = description,
           .bounds = bounds},
          bind(member, kMicro)};
}
Field number(const std::string& key, const std::string& default_text, const std::string& description,
             double RramModel::*member, Bounds bounds = {}) {
  return {{.key = key, .dimension = Dimension::Dimensionless, .default_text = default_text,
           .description = description, .bounds = bounds},
          bind(member)};
}
Field voltage(const std::string& key, const std::string& default_text, const std::string& description,
              double RramModel::*member) {
  return {{.key = key, .dimension = Dimension::Voltage, .default_text = default_text, .description = description},
          bind(member)};
}

// Every key of a device preset, once: documentation, bounds and the member it sets.
const std::vector<Field>& fields() {
  static const std::vector<Field> rows{
      conductance("conductance.g_min", "0.1uS", "lowest programmable conductance", &RramModel::g_min_us,
                  Bounds::non_negative()),
      conductance("conductance.g_max", "150uS", "highest programmable conductance", &RramModel::g_max_us),
      number("write_noise.exponent", "0.95", "a in sigma_w(G) = exp(a*ln(min(G,g_cap)) + b), G and sigma in uS",
             &RramModel::write_exponent),
      number("write_noise.log_offset", "-1.86", "b in sigma_w(G)", &RramModel::write_log_offset),
      conductance("write_noise.g_cap", "2uS", "conductance above which programming noise stops growing",
                  &RramModel::write_g_cap_us, Bounds::positive()),
      number("read_noise.exponent", "0.98", "a in sigma_r(G) = exp(a*ln(min(G,g_cap)) + b), G and sigma in uS",
             &RramModel::read_exponent),
      number("read_noise.log_offset", "-3.1", "b in sigma_r(G)", &RramModel::read_log_offset),
      conductance("read_noise.g_cap", "10uS", "conductance above which read noise stops growing",
                  &RramModel::read_g_cap_us, Bounds::positive()),
      // Beyond 100x the measured noise, conductances overflow and every result is NaN.
      number("std_scale", "1", "multiplies every noise sigma (0 = no noise)", &RramModel::std_scale,
             Bounds::closed(0, 100)),
      number("stuck_probability", "0", "probability that a cell is stuck (a stuck ACAM range never matches)",
             &RramModel::stuck_probability, Bounds::closed(0, 1)),
      // V_th rises with G.
      number("acam_threshold.exponent", "0.5007", "a in V_th(G) = exp(a*ln G + b) + v_offset, G in uS",
             &RramModel::vth_exponent, Bounds::positive()),
      number("acam_threshold.log_offset", "-3.7561", "b in V_th(G)", &RramModel::vth_log_offset),
      voltage("acam_threshold.v_offset", "0.6836V", "V_th at G = 0", &RramModel::vth_offset_v),
      voltage("acam_threshold.v_min", "0.6V", "lower clamp of V_th", &RramModel::vth_min_v),
      voltage("acam_threshold.v_max", "1.0V", "upper clamp of V_th", &RramModel::vth_max_v),
  };
  return rows;
}

}  // namespace

const std::vector<ParamSpec>& rram_param_specs() {
  static const std::vector<ParamSpec> specs = specs_of(fields());
  return specs;
}

namespace {
// Two keys out of order: either may be the one a user's file set (over an included preset), so
// the error names where each value comes from.
[[noreturn]] void fail_order(const ParamSet& p, const std::string& low, const std::string& high) {
  const ParamValue &a = p.value(low), &b = p.value(high);
  throw Error(ErrorKind::Config, fmt::format("{}: key '{}' = {} must be below key '{}' = {} ({})", a.source, low, a.text,
                                             high, b.text, b.source));
}
}  // namespace

RramModel RramModel::from_params(const ParamSet& p) {
  RramModel m;
  read_fields(p, fields(), m);
  if (!(m.g_min_us < m.g_max_us)) fail_order(p, "conductance.g_min", "conductance.g_max");
  if (!(m.vth_min_v < m.vth_max_v)) fail_order(p, "acam_threshold.v_min", "acam_threshold.v_max");
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

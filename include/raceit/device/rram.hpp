#pragma once
// TaOx RRAM device model (DESIGN §2.5): programming (write) noise, read noise, stuck cells, and
// the analog-CAM threshold model that turns a stored conductance into a data-line voltage.
// Formulas are fits in microsiemens, so the model works in µS internally; presets use units.
#include <string>
#include <vector>

#include "raceit/core/params.hpp"
#include "raceit/core/rng.hpp"

namespace raceit::device {

// How device noise is simulated (DESIGN §2.5).
enum class NoiseMode {
  Ideal,    // quantisation only
  Frozen,   // programming noise drawn once per seed, read noise folded in once
  PerRead,  // programming noise frozen per seed, read noise redrawn at every read or search
};
const char* to_string(NoiseMode mode);
// "ideal" | "frozen" | "per_read"; throws Error(InvalidArgument) otherwise.
NoiseMode parse_noise_mode(const std::string& text);

// Parameter keys of a device preset (configs/devices/*.yaml), with units and defaults.
const std::vector<ParamSpec>& rram_param_specs();

struct RramModel {
  // Conductance window of a programmed cell (µS).
  double g_min_us = 0.1;
  double g_max_us = 150.0;
  // σ(G) = exp(exponent·ln(min(G, g_cap)) + log_offset), G and σ in µS.
  double write_exponent = 0.95, write_log_offset = -1.86, write_g_cap_us = 2.0;
  double read_exponent = 0.98, read_log_offset = -3.1, read_g_cap_us = 10.0;
  double std_scale = 1.0;          // multiplies every σ
  double stuck_probability = 0.0;  // per cell (per ACAM range)
  // ACAM threshold: V_th(G) = exp(exponent·ln G + log_offset) + v_offset, clamped to [v_min, v_max].
  double vth_exponent = 0.5007, vth_log_offset = -3.7561, vth_offset_v = 0.6836;
  double vth_min_v = 0.6, vth_max_v = 1.0;

  static RramModel from_params(const ParamSet& params);

  double sigma_write(double g_us) const;  // includes std_scale
  double sigma_read(double g_us) const;   // includes std_scale
  // G after programming to target with a standard-normal draw z (never below 0).
  double programmed(double target_us, double z) const;
  // G as read, with a standard-normal draw z (never below 0).
  double read(double g_us, double z) const;

  // ACAM threshold model.
  double vth(double g_us) const;
  double conductance_for_vth(double v) const;  // inverse of vth on [vth(0), vth_max_v]
  double window_lo_v() const { return vth(0.0); }
  double window_hi_v() const { return vth(g_max_us); }

  // A threshold t in input units, with [in_lo, in_hi] mapped linearly onto the data-line window
  // V_th(0)…V_th(g_max), is converted to a conductance, perturbed by write draw zw and read draw
  // zr (standard normals; 0 for none), and converted back to input units.
  double realised_threshold(double t, double in_lo, double in_hi, double zw, double zr) const;
  bool operator==(const RramModel&) const = default;
};

// Loads a device preset; every key optional (defaults above), unknown keys are errors.
RramModel load_device_preset(const std::string& path);

// The built-in preset shipped in configs/devices/taox.yaml (raceit's source tree).
std::string default_device_preset_path();

}  // namespace raceit::device

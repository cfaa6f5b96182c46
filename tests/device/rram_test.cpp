#include "raceit/device/rram.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "raceit/core/error.hpp"
#include "raceit/core/rng.hpp"
#include "raceit/core/source_dir.hpp"

namespace raceit::device {

// Values quoted in shared/reference/race-it.md §2.2 for HPE's noise.py fits.
TEST(RramModel, NoiseSigmasMatchPublishedFits) {
  const RramModel m;
  EXPECT_NEAR(m.sigma_write(1.0), 0.156, 0.001);
  EXPECT_NEAR(m.sigma_write(2.0), 0.30, 0.002);
  EXPECT_DOUBLE_EQ(m.sigma_write(100.0), m.sigma_write(2.0));  // saturates
  EXPECT_NEAR(m.sigma_read(1.0), 0.045, 0.0005);
  EXPECT_NEAR(m.sigma_read(10.0), 0.43, 0.002);
  EXPECT_DOUBLE_EQ(m.sigma_read(150.0), m.sigma_read(10.0));
  EXPECT_EQ(m.sigma_write(0.0), 0.0);
  RramModel scaled = m;
  scaled.std_scale = 2.5;
  EXPECT_DOUBLE_EQ(scaled.sigma_write(1.0), 2.5 * m.sigma_write(1.0));
  EXPECT_DOUBLE_EQ(scaled.sigma_read(1.0), 2.5 * m.sigma_read(1.0));
}

TEST(RramModel, ThresholdWindowAndInverse) {
  const RramModel m;
  EXPECT_NEAR(m.window_lo_v(), 0.6836, 1e-12);
  EXPECT_NEAR(m.window_hi_v(), 0.971, 0.001);  // 287 mV window over 0…150 uS
  for (double g : {0.1, 1.0, 9.5, 38.0, 150.0}) EXPECT_NEAR(m.conductance_for_vth(m.vth(g)), g, 1e-9 * g);
  EXPECT_EQ(m.vth(1e6), 1.0);  // clamped
  EXPECT_EQ(m.conductance_for_vth(0.5), 0.0);
  // Without noise a threshold comes back where it was put.
  for (double t : {-0.5, 3.5, 127.5, 254.5}) EXPECT_NEAR(m.realised_threshold(t, -0.5, 255.5, 0, 0), t, 1e-9);
}

// The spread of realised thresholds, in 8-bit LSB of the data-line window, against the table
// computed from the same formulas in race-it.md §2.2 (1.3, 2.2, 1.7, 0.9, 0.45 LSB); 20,000
// draws each give the sample σ to about 1%, so 10% is a safe bound.
TEST(RramModel, ThresholdSigmaMatchesReferenceTable) {
  const RramModel m;
  const CounterRng rng(11);
  const std::pair<double, double> table[] = {{16, 1.38}, {32, 2.15}, {64, 1.73}, {128, 0.89}, {255, 0.449}};
  std::uint64_t index = 0;
  for (const auto& [code, sigma_lsb] : table) {
    constexpr int kN = 20000;
    double s = 0, s2 = 0;
    for (int i = 0; i < kN; ++i, ++index) {
      const double t = m.realised_threshold(code, -0.5, 255.5, rng.normal(streams::kAcamWrite, index),
                                            rng.normal(streams::kAcamRead, index));
      s += t;
      s2 += t * t;
    }
    const double mean = s / kN, sd = std::sqrt(s2 / kN - mean * mean);
    EXPECT_NEAR(sd, sigma_lsb, 0.1 * sigma_lsb) << "code " << code;
    EXPECT_NEAR(mean, code, 0.2) << "code " << code;
  }
}

// Programmed conductances have the specified σ_w (5,000 draws: ±5% on σ).
TEST(RramModel, ProgrammingDrawsHaveSpecifiedSigma) {
  const RramModel m;
  const CounterRng rng(3);
  for (double g : {0.5, 1.0, 50.0}) {
    constexpr int kN = 50000;
    double s = 0, s2 = 0;
    for (int i = 0; i < kN; ++i) {
      const double d = m.programmed(g, rng.normal(streams::kXbarWrite, i)) - g;
      s += d;
      s2 += d * d;
    }
    const double sd = std::sqrt(s2 / kN - (s / kN) * (s / kN));
    EXPECT_NEAR(sd, m.sigma_write(g), 0.03 * m.sigma_write(g)) << "G=" << g;
  }
}

TEST(DevicePreset, ShippedPresetEqualsBuiltInDefaults) {
  const RramModel loaded = load_device_preset(default_device_preset_path());
  const RramModel defaults;
  EXPECT_DOUBLE_EQ(loaded.g_max_us, defaults.g_max_us);
  EXPECT_DOUBLE_EQ(loaded.g_min_us, defaults.g_min_us);
  EXPECT_DOUBLE_EQ(loaded.write_g_cap_us, defaults.write_g_cap_us);
  EXPECT_DOUBLE_EQ(loaded.vth_offset_v, defaults.vth_offset_v);
  EXPECT_DOUBLE_EQ(loaded.read_exponent, defaults.read_exponent);
}

namespace {
std::string preset_error(const std::string& yaml) {
  const auto path = (std::filesystem::temp_directory_path() / "raceit_device_test.yaml").string();
  std::ofstream(path) << yaml;
  try {
    load_device_preset(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(DevicePreset, ErrorsNameFileLineAndKey) {
  const std::string unknown = preset_error("conductance:\n  g_max: 150uS\n  g_mux: 1uS\n");
  EXPECT_NE(unknown.find("raceit_device_test.yaml:3: unknown key 'conductance.g_mux'"),
            std::string::npos) << unknown;
  const std::string unit = preset_error("conductance:\n  g_max: 150uV\n");
  EXPECT_NE(unit.find(":2: key 'conductance.g_max'"), std::string::npos) << unit;
  EXPECT_NE(unit.find("conductance"), std::string::npos) << unit;
  const std::string range = preset_error("stuck_probability: 1.5\n");
  EXPECT_NE(range.find(":1: key 'stuck_probability'"), std::string::npos) << range;
  EXPECT_THROW(load_device_preset("/nonexistent/taox.yaml"), Error);
}

// A user's file that includes the preset and sets g_min above the preset's g_max: the error names
// the user's line, not only the preset's untouched g_max.
TEST(DevicePreset, KeysOutOfOrderNameWhereEachValueComesFrom) {
  const std::string taox = (std::filesystem::path(source_dir()) / "configs/devices/taox.yaml").string();
  const std::string e = preset_error("include: " + taox + "\nconductance:\n  g_min: 200uS\n");
  EXPECT_NE(e.find("raceit_device_test.yaml:3: key 'conductance.g_min' = 200uS must be below key 'conductance.g_max' = "
                   "150uS (" + taox + ":6)"), std::string::npos) << e;
}

}  // namespace raceit::device

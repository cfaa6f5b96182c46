// Chip roll-up against published totals, and the technology- and size-scaling rules.
#include <gtest/gtest.h>

#include <cmath>

#include "raceit/arch/arch.hpp"
#include "raceit/perf/components.hpp"
#include "raceit/compiler/options.hpp"

namespace raceit::perf {

using arch::arch_path;
using compiler::load_arch;

namespace {
ResolvedArch preset(const std::string& name, const std::vector<std::string>& overrides = {}) {
  return resolve(load_arch(arch_path(name), overrides));
}
double relative_error(double ours, double published) { return std::abs(ours - published) / published; }
}  // namespace

// ISAAC Table I (race-it.md §2.5): tile 330 mW and 0.372 mm² with 12 IMAs and a quarter router;
// chip 168 tiles plus HyperTransport, 65.8 W and 85.4 mm². Tolerance 5%.
TEST(Rollup, IsaacReproducesTableOne) {
  const ResolvedArch r = preset("isaac");
  EXPECT_EQ(r.tiles, 168);
  EXPECT_EQ(r.crossbars, 168 * 96);
  EXPECT_LT(relative_error(r.tile_peak_power, 0.330), 0.05) << r.tile_peak_power;
  EXPECT_LT(relative_error(r.tile_area, 0.372e-6), 0.05) << r.tile_area;
  EXPECT_LT(relative_error(r.peak_power, 65.8), 0.05) << r.peak_power;
  EXPECT_LT(relative_error(r.area, 85.4e-6), 0.05) << r.area;
  // The 8 ADCs of an IMA draw Table I's 16 mW and take 0.0096 mm².
  const ResolvedComponent* adc = r.find("adc");
  ASSERT_NE(adc, nullptr);
  EXPECT_NEAR(adc->peak_power() / r.tiles / 12, 16e-3, 1e-5);
  EXPECT_NEAR(adc->total_area() / r.tiles / 12, 0.0096e-6, 1e-12);
  // Links are chip-level: 10.4 W and 22.88 mm² outside the tiles.
  const ResolvedComponent* link = r.find("link");
  ASSERT_NE(link, nullptr);
  EXPECT_FALSE(link->in_tile);
  EXPECT_NEAR(link->peak_power(), 10.4, 0.01);
  EXPECT_NEAR(link->total_area(), 22.88e-6, 1e-9);
}

TEST(Rollup, TechnologyScalingRule) {
  const TechnologyScale same = technology_scale(32e-9, 0.9, 32e-9, 0.9);
  EXPECT_DOUBLE_EQ(same.energy, 1);
  EXPECT_DOUBLE_EQ(same.area, 1);
  const TechnologyScale s = technology_scale(32e-9, 0.9, 22e-9, 0.8);
  EXPECT_NEAR(s.energy, (22.0 / 32) * (0.8 / 0.9) * (0.8 / 0.9), 1e-12);
  EXPECT_NEAR(s.area, (22.0 / 32) * (22.0 / 32), 1e-12);
  EXPECT_NEAR(s.leakage, (22.0 / 32) * (0.8 / 0.9), 1e-12);
  // The seed design prices ISAAC's 32 nm ADC at 22 nm: 1.67 pJ → 0.905 pJ (race-it.md Q2).
  const ResolvedArch r = preset("raceit-adc");
  const ResolvedComponent* adc = r.find("adc");
  ASSERT_NE(adc, nullptr);
  EXPECT_NEAR(adc->action("convert").energy, 1.6667e-12 * s.energy, 1e-18);
  EXPECT_NEAR(adc->area, 1200e-12 * s.area, 1e-18);
  EXPECT_DOUBLE_EQ(adc->action("convert").interval, 0.83333e-9);  // latency is not scaled
}

TEST(Rollup, SizeScaling) {
  // Crossbar costs follow the cells: the seed design's 256x256 reference scaled to 128x128.
  const ResolvedArch r = preset("raceit");
  const ResolvedComponent* xbar = r.find("crossbar");
  ASSERT_NE(xbar, nullptr);
  EXPECT_NEAR(xbar->action("read").energy, 1.31e-3 * 64e-9 / 4, 1e-18);  // 1.31 mW over a 64 ns read
  EXPECT_NEAR(xbar->area, 0.011534e-6 / 4, 1e-15);
  // 256 columns through 2 converters: a 128 ns read of four times the cells.
  const ResolvedArch big = preset("raceit", {"crossbar.rows=256", "crossbar.cols=256"});
  EXPECT_NEAR(big.find("crossbar")->action("read").energy, 1.31e-3 * 128e-9, 1e-18);
  // ADC energy and area double per bit, its conversion time grows with the bits (SAR).
  const ResolvedArch six = preset("isaac", {"crossbar.readout_bits=6"});
  EXPECT_NEAR(six.find("adc")->action("convert").energy, 1.6667e-12 / 4, 1e-18);
  EXPECT_NEAR(six.find("adc")->action("convert").interval, 0.83333e-9 * 6 / 8, 1e-18);
  // Buffer blocks follow the capacity.
  const ResolvedArch small = preset("isaac", {"tile.buffer_bytes=32KB"});
  EXPECT_NEAR(small.find("buffer")->instances, 168 * 0.5, 1e-9);
}

TEST(Rollup, SeedDesignHardware) {
  const ResolvedArch r = preset("raceit");
  EXPECT_EQ(r.race_arrays, 256 * 4);
  EXPECT_EQ(r.find("adc"), nullptr);
  // ACAM readout column: 2^7 Gray ranges + 2 spares = the 130-cell column of race-it.md §2.3,
  // 0.17 pJ per conversion; Gray decoders: 7 XORs per readout column and per RACE array.
  const ResolvedComponent* column = r.find("acam_readout");
  ASSERT_NE(column, nullptr);
  EXPECT_NEAR(column->action("search").energy, 0.17e-12, 1e-18);
  EXPECT_NEAR(column->area, 161.8e-12, 1e-18);
  EXPECT_DOUBLE_EQ(column->instances, 256.0 * 96 * 2);
  EXPECT_DOUBLE_EQ(r.find("gray_decoder")->instances, 256.0 * 96 * 2 * 7 + 256.0 * 4 * 7);
  // RACE array, lumped model: the 130-cell column's 0.17 pJ is 130 cells at 0.44 fJ plus 130 rows'
  // periphery; an 8×50 array has 400 cells (×2 for 2-input cells) but only 8 rows: ≈0.36 pJ per
  // 2-var lookup, not 0.17 pJ × 800 / 130 = 1.05 pJ.
  const ResolvedComponent* race = r.find("race_array");
  ASSERT_NE(race, nullptr);
  const double row = 0.17e-12 / 130 - 0.44e-15;
  EXPECT_NEAR(race->action("lookup_1var").energy, 400 * 0.44e-15 + 8 * row, 1e-20);
  EXPECT_NEAR(race->action("lookup_2var").energy, 800 * 0.44e-15 + 8 * row, 1e-20);
  EXPECT_NEAR(race->action("lookup_2var").energy, 0.359e-12, 0.001e-12);
  EXPECT_NEAR(race->area, 800 * 0.72e-12 + 8 * (161.8e-12 / 130 - 0.72e-12), 1e-20);
  // Detailed model: 400 cells × 0.44 fJ + 8 rows × 0.8677 fJ (+ ×2 cells, 2 lines for 2-var).
  const ResolvedArch d = preset("raceit", {"components.acam.model=detailed"});
  EXPECT_NEAR(d.find("race_array")->action("lookup_1var").energy, 400 * 0.44e-15 + 8 * 0.8677e-15, 1e-20);
  EXPECT_NEAR(d.find("race_array")->action("lookup_2var").energy, 800 * 0.44e-15 + 8 * 0.8677e-15, 1e-20);
  EXPECT_NEAR(d.find("acam_readout")->action("search").energy, 0.17e-12, 1e-16);  // the split reproduces it
}

}  // namespace raceit::perf

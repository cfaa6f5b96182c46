// Architecture files: every preset loads and rolls up; errors name the file, the line and the key.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "raceit/core/error.hpp"
#include "raceit/core/source_dir.hpp"
#include "raceit/arch/arch.hpp"
#include "raceit/perf/components.hpp"
#include "raceit/compiler/options.hpp"

namespace raceit::perf {

using arch::ArchSpec;
using arch::ArchKind;
using arch::Readout;
using arch::BufferKind;
using arch::arch_path;
using arch::list_arch_presets;
using compiler::load_arch;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}

// A file that includes a preset and adds `text`.
std::string variant(const std::string& preset, const std::string& text) {
  return write_temp("raceit_arch_" + preset + "_variant.yaml", "include: " + arch_path(preset) + "\n" + text);
}

std::string error_of(const std::string& path, const std::vector<std::string>& overrides = {}) {
  try {
    load_arch(path, overrides);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Arch, EveryPresetLoadsAndRollsUp) {
  const auto presets = list_arch_presets();
  std::vector<std::string> names;
  for (const auto& p : presets) names.push_back(p.name);
  for (const char* expected : {"a100", "h100", "isaac", "puma", "raceit", "raceit-adc", "retransformer"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  for (const auto& p : presets) {
    SCOPED_TRACE(p.name);
    EXPECT_FALSE(p.description.empty());
    const ArchSpec spec = load_arch(p.path);
    EXPECT_EQ(spec.name, p.name);
    const ResolvedArch r = resolve(spec);
    EXPECT_TRUE(std::isfinite(r.area) && r.area > 0);
    EXPECT_TRUE(std::isfinite(r.peak_power) && r.peak_power > 0);
    for (const auto& c : r.components) {
      SCOPED_TRACE(c.name);
      EXPECT_GT(c.instances, 0);
      EXPECT_TRUE(std::isfinite(c.peak_power()) && c.peak_power() >= 0);
      for (const auto& a : c.actions) EXPECT_TRUE(a.energy >= 0 && a.interval > 0) << a.name;
    }
  }
}

TEST(Arch, PresetNamesAndPaths) {
  EXPECT_EQ(arch_path("raceit"), raceit::source_dir() + "/configs/arch/raceit.yaml");
  EXPECT_EQ(arch_path("my/arch.yaml"), "my/arch.yaml");
  try {
    arch_path("tpu");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
    EXPECT_NE(std::string(e.what()).find("unknown architecture 'tpu'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("isaac"), std::string::npos) << e.what();
  }
}

TEST(Arch, SeedDesignOrganisation) {
  const ArchSpec s = load_arch(arch_path("raceit"));
  EXPECT_EQ(s.kind, ArchKind::Imc);
  EXPECT_DOUBLE_EQ(s.node, 22e-9);
  EXPECT_DOUBLE_EQ(s.clock, 1e9);
  EXPECT_EQ(s.imc.readout, Readout::Acam);
  EXPECT_EQ(s.imc.race_units, 1);
  EXPECT_EQ(s.imc.race_arrays, 4);
  EXPECT_EQ(s.imc.race_rows, 8);
  EXPECT_EQ(s.imc.race_cells, 50);
  EXPECT_DOUBLE_EQ(s.imc.link.energy, 30e-12);     // per bit
  EXPECT_DOUBLE_EQ(s.imc.link.latency, 1 / 10e9);  // 10 Gb/s
  EXPECT_EQ(s.imc.buffer_kind, BufferKind::Sram);
  EXPECT_DOUBLE_EQ(s.imc.buffer_bytes, 65536);
  // The ADC variant includes the seed design and changes the readout only.
  const ArchSpec adc = load_arch(arch_path("raceit-adc"));
  EXPECT_EQ(adc.imc.readout, Readout::Adc);
  EXPECT_EQ(adc.imc.converters, 1);
  EXPECT_EQ(adc.imc.race_units, 1);
  EXPECT_DOUBLE_EQ(adc.imc.adc.energy, 1.6667e-12);
  EXPECT_NE(adc.params.value("crossbar.readout").source.find("raceit-adc.yaml"), std::string::npos);
  EXPECT_NE(adc.params.value("crossbar.rows").source.find("raceit.yaml"), std::string::npos);
}

TEST(Arch, GpuPresets) {
  const ArchSpec h = load_arch(arch_path("h100"));
  EXPECT_EQ(h.kind, ArchKind::Gpu);
  EXPECT_DOUBLE_EQ(h.gpu.peak_fp16, 989.4e12);
  EXPECT_DOUBLE_EQ(h.gpu.peak_int8, 1978.9e12);
  EXPECT_DOUBLE_EQ(h.gpu.memory_bandwidth, 3.35e12);  // bytes/s
  EXPECT_DOUBLE_EQ(h.gpu.tdp, 700);
  const ResolvedArch r = resolve(h);
  EXPECT_DOUBLE_EQ(r.peak_power, 700);
  EXPECT_TRUE(r.components.empty());
  EXPECT_DOUBLE_EQ(load_arch(arch_path("a100")).gpu.memory_bandwidth, 2.039e12);
}

TEST(Arch, OverridesApplyAndUnknownKeysFail) {
  const ResolvedArch full = resolve(load_arch(arch_path("isaac")));
  const ResolvedArch half = resolve(load_arch(arch_path("isaac"), {"tile.crossbars=48"}));
  EXPECT_EQ(half.crossbars * 2, full.crossbars);
  const std::string unknown = error_of(arch_path("isaac"), {"tile.crossbarz=48"});
  EXPECT_NE(unknown.find("--set: unknown key 'tile.crossbarz'"), std::string::npos) << unknown;
  const std::string range = error_of(arch_path("isaac"), {"tile.crossbars=2.5"});
  EXPECT_NE(range.find("--set: key 'tile.crossbars': must be a whole number"), std::string::npos) << range;
}

// Counts are bounded one by one and as arrays per chip: 10^8 RACE units per tile made ppa run for hours,
// 10^7 tiles took 1.7 GB, 10^8 crossbar rows 2.4 GB (before the bounds).
TEST(Arch, OrganisationCountsAreBounded) {
  const std::string rows = error_of(arch_path("raceit"), {"crossbar.rows=100000000"});
  EXPECT_NE(rows.find("key 'crossbar.rows': must be a whole number 1…65536, got 100000000"), std::string::npos) << rows;
  const std::string race = error_of(arch_path("raceit"), {"tile.race_units=65536"});  // × 256 tiles × 4 arrays
  EXPECT_NE(race.find("key 'tile.race_units': chip.tiles × tile.race_units × race.arrays = 67108864 RACE arrays per "
                      "chip; at most 2^24 = 16777216"), std::string::npos) << race;
  const std::string crossbars = error_of(arch_path("raceit"), {"chip.tiles=65536", "tile.crossbars=65536"});
  EXPECT_NE(crossbars.find("= 4294967296 crossbars per chip"), std::string::npos) << crossbars;
  EXPECT_EQ(error_of(arch_path("raceit"), {"tile.race_units=16384"}), "");  // exactly 2^24
}

TEST(Arch, MappingKeysHaveDefaultsAndAreValidated) {
  const ArchSpec raceit = load_arch(arch_path("raceit"));
  EXPECT_EQ(raceit.params.word("mapping.softmax"), "acam");
  EXPECT_EQ(raceit.params.value("mapping.softmax").source, "default");
  EXPECT_DOUBLE_EQ(raceit.params.number("mapping.activation_bits"), 8);
  const ArchSpec digital = load_arch(arch_path("raceit"), {"mapping.softmax=digital"});
  EXPECT_EQ(digital.params.word("mapping.softmax"), "digital");
  const std::string bad = error_of(arch_path("raceit"), {"mapping.data_matmul=systolic"});
  EXPECT_NE(bad.find("--set: key 'mapping.data_matmul': 'systolic' is not one of acam, digital, crossbar-write"),
            std::string::npos) << bad;
  // GPUs take no mapping, but the defaults do not make a GPU file invalid.
  EXPECT_NO_THROW(load_arch(arch_path("h100")));
  const std::string gpu_path = variant("h100", "mapping:\n  softmax: digital\n");
  const std::string gpu = error_of(gpu_path);
  EXPECT_NE(gpu.find(gpu_path + ":3: key 'mapping.softmax': belongs to imc architectures"), std::string::npos) << gpu;
}

TEST(Arch, ErrorsNameFileLineAndKey) {
  const std::string unknown_path = variant("isaac", "tile:\n  crossbarz: 3\n");
  const std::string unknown = error_of(unknown_path);
  EXPECT_NE(unknown.find(unknown_path + ":3: unknown key 'tile.crossbarz'"), std::string::npos) << unknown;

  const std::string unit_path = variant("isaac", "components:\n  adc:\n    energy: 1.6pV\n");
  const std::string unit = error_of(unit_path);
  EXPECT_NE(unit.find(unit_path + ":4: key 'components.adc.energy'"), std::string::npos) << unit;
  EXPECT_NE(unit.find("voltage"), std::string::npos) << unit;

  const std::string no_unit_path = variant("isaac", "technology:\n  clock: 1200\n");
  const std::string no_unit = error_of(no_unit_path);
  EXPECT_NE(no_unit.find(no_unit_path + ":3: key 'technology.clock'"), std::string::npos) << no_unit;

  const std::string other_kind_path = variant("isaac", "gpu:\n  tdp: 300W\n");
  const std::string other_kind = error_of(other_kind_path);
  EXPECT_NE(other_kind.find(other_kind_path + ":3: key 'gpu.tdp': belongs to gpu architectures"),
            std::string::npos) << other_kind;

  const std::string missing_path = write_temp("raceit_arch_missing.yaml",
                                              "kind: gpu\ntechnology:\n  node: 4nm\n  clock: 2GHz\n");
  const std::string missing = error_of(missing_path);
  EXPECT_NE(missing.find(missing_path + ": missing key 'gpu.peak_fp16'"), std::string::npos) << missing;

  // A group the design uses only after an override must then be complete.
  const std::string unused = error_of(arch_path("isaac"), {"crossbar.readout=acam"});
  EXPECT_NE(unused.find("missing key 'crossbar.acam_spare_ranges'"), std::string::npos) << unused;

  const std::string nofile = error_of("/nonexistent/arch.yaml");
  EXPECT_NE(nofile.find("/nonexistent/arch.yaml: no such configuration file"), std::string::npos) << nofile;
}

}  // namespace raceit::perf

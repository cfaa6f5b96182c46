#include "raceit/arch/arch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>

#include "raceit/core/error.hpp"
#include "raceit/core/param_rules.hpp"
#include "raceit/core/source_dir.hpp"

namespace raceit::arch {

namespace {

constexpr EnumNames<ArchKind, 2> kArchKindNames{{{{ArchKind::Imc, "imc"}, {ArchKind::Gpu, "gpu"}}}};
constexpr EnumNames<Readout, 2> kReadoutNames{{{{Readout::Adc, "adc"}, {Readout::Acam, "acam"}}}};
constexpr EnumNames<BufferKind, 2> kBufferKindNames{{{{BufferKind::Sram, "sram"}, {BufferKind::Edram, "edram"}}}};
constexpr EnumNames<AcamModel, 2> kAcamModelNames{{{{AcamModel::Lumped, "lumped"}, {AcamModel::Detailed, "detailed"}}}};
constexpr EnumNames<GpuSoftware, 3> kGpuSoftwareNames{
    {{{GpuSoftware::Graph, "graph"}, {GpuSoftware::Eager, "eager"}, {GpuSoftware::Fused, "fused"}}}};

}  // namespace

const char* to_string(ArchKind kind) { return kArchKindNames.name(kind); }
const char* to_string(Readout readout) { return kReadoutNames.name(readout); }
const char* to_string(BufferKind kind) { return kBufferKindNames.name(kind); }
const char* to_string(GpuSoftware software) { return kGpuSoftwareNames.name(software); }

double GpuSpec::launch() const {
  return software == GpuSoftware::Graph ? launch_graph : software == GpuSoftware::Eager ? launch_eager : launch_fused;
}

namespace {

using Field = ParamField<ArchSpec>;
constexpr Dimension kNumber = Dimension::Dimensionless;

// Bindings to members of ArchSpec::imc, ::imc.acam and ::gpu.
template <class... Args>
Binding<ArchSpec> imc(Args... member) {
  return bind(&ArchSpec::imc, bind(member...));
}
template <class T>
Binding<ArchSpec> acam(T AcamSpec::*member) {
  return imc(&ImcSpec::acam, bind(member));
}
template <class... Args>
Binding<ArchSpec> gpu(Args... member) {
  return bind(&ArchSpec::gpu, bind(member...));
}
Binding<ArchSpec> cost(ComponentSpec ImcSpec::*component, double ComponentSpec::*member) {
  return imc(component, bind(member));
}

// The seven keys every component has: per-event energy (or power) and busy time, per-instance
// area and leakage, and the technology its numbers come from.
void add_component(std::vector<Field>& f, const std::string& name, const std::string& event,
                   ComponentSpec ImcSpec::*member, const std::string& instance) {
  const std::string p = "components." + name + ".";
  f.insert(f.end(), {
      {{.key = p + "energy", .dimension = Dimension::Energy,
        .description = "energy per " + event + " (the source's own figure; or give power)",
        .bounds = Bounds::non_negative()}, cost(member, &ComponentSpec::energy)},
      {{.key = p + "power", .dimension = Dimension::Power,
        .description = "power while busy, where the source gives power: energy per event = power x the event's "
                       "duration (give energy or power, not both)",
        .bounds = Bounds::non_negative()}, cost(member, &ComponentSpec::power)},
      {{.key = p + "latency", .dimension = Dimension::Time,
        .description = "time one " + instance + " is busy per " + event + " (its initiation interval)",
        .bounds = Bounds::positive()}, cost(member, &ComponentSpec::latency)},
      {{.key = p + "area", .dimension = Dimension::Area, .description = "area of one " + instance,
        .bounds = Bounds::non_negative()}, cost(member, &ComponentSpec::area)},
      {{.key = p + "leakage", .dimension = Dimension::Power, .description = "static power of one " + instance,
        .bounds = Bounds::non_negative()}, cost(member, &ComponentSpec::leakage)},
      {{.key = p + "node", .dimension = Dimension::Length, .description = "technology node of these numbers",
        .bounds = Bounds::positive()}, cost(member, &ComponentSpec::node)},
      {{.key = p + "vdd", .dimension = Dimension::Voltage, .description = "supply voltage of these numbers",
        .bounds = Bounds::positive()}, cost(member, &ComponentSpec::vdd)},
  });
}

// The size a component's costs are for (ComponentSpec::size).
Field size_key(const std::string& key, Dimension dimension, const std::string& description,
               ComponentSpec ImcSpec::*member) {
  return {{.key = key, .dimension = dimension, .description = description, .bounds = Bounds::positive()},
          cost(member, &ComponentSpec::size)};
}

// Counts of the organisation: 65,536 of anything per chip, tile or array is far beyond published designs
// (RACE-IT: 256 tiles of 96 crossbars), and keeps the compiler's per-array work and memory bounded.
constexpr int kMaxCount = 1 << 16;
// Arrays of one kind per chip, the product of the counts: the placement's work grows with it.
constexpr double kMaxArraysPerChip = 1 << 24;

std::vector<Field> organisation_fields() {
  return {
      {{.key = "kind", .dimension = kNumber, .description = "imc: in-memory-computing chip; gpu: roofline GPU"},
       bind(&ArchSpec::kind, kArchKindNames)},
      {{.key = "technology.node", .dimension = Dimension::Length, .description = "CMOS technology node of the chip",
        .bounds = Bounds::positive()}, bind(&ArchSpec::node)},
      {{.key = "technology.clock", .dimension = Dimension::Frequency, .description = "digital clock",
        .bounds = Bounds::positive()}, bind(&ArchSpec::clock)},
      {{.key = "technology.vdd", .dimension = Dimension::Voltage, .description = "supply voltage (imc)",
        .bounds = Bounds::positive()}, bind(&ArchSpec::vdd)},
      {{.key = "chip.tiles", .dimension = kNumber, .description = "tiles per chip", .bounds = Bounds::whole(1, kMaxCount)},
       imc(&ImcSpec::tiles)},
      {{.key = "chip.links", .dimension = kNumber, .description = "chip-to-chip links per chip",
        .bounds = Bounds::whole(0)}, imc(&ImcSpec::links)},
      // One topology so far: the key documents it and rejects others; nothing reads it.
      {{.key = "noc.topology", .dimension = kNumber, .description = "on-chip network between tiles",
        .choices = {"mesh"}}},
      {{.key = "noc.tiles_per_router", .dimension = kNumber, .description = "tiles sharing one router",
        .bounds = Bounds::whole(1)}, imc(&ImcSpec::tiles_per_router)},
      {{.key = "noc.flit_bits", .dimension = kNumber,
        .description = "bits per counted network transfer (noc_flit_hops)", .bounds = Bounds::whole(1)},
       imc(&ImcSpec::flit_bits)},
      {{.key = "tile.crossbars", .dimension = kNumber, .description = "RRAM crossbar arrays per tile",
        .bounds = Bounds::whole(0, kMaxCount)}, imc(&ImcSpec::crossbars)},
      {{.key = "tile.race_units", .dimension = kNumber,
        .description = "RACE units (Compute-ACAM array groups) per tile", .bounds = Bounds::whole(0, kMaxCount)},
       imc(&ImcSpec::race_units)},
      {{.key = "tile.adders", .dimension = kNumber, .description = "digital adders per tile",
        .bounds = Bounds::whole(0)}, imc(&ImcSpec::adders)},
      {{.key = "tile.shift_adds", .dimension = kNumber, .description = "shift-and-add units per tile",
        .bounds = Bounds::whole(0)}, imc(&ImcSpec::shift_adds)},
      {{.key = "tile.vector_units", .dimension = kNumber, .description = "digital vector-unit lanes per tile",
        .bounds = Bounds::whole(0)}, imc(&ImcSpec::vector_units)},
      {{.key = "tile.sfus", .dimension = kNumber, .description = "digital special-function units per tile",
        .bounds = Bounds::whole(0)}, imc(&ImcSpec::sfus)},
      {{.key = "tile.register_bytes", .dimension = Dimension::Bytes, .description = "register capacity per tile",
        .bounds = Bounds::non_negative()}, imc(&ImcSpec::register_bytes)},
      {{.key = "tile.buffer_bytes", .dimension = Dimension::Bytes, .description = "buffer capacity per tile",
        .bounds = Bounds::non_negative()}, imc(&ImcSpec::buffer_bytes)},
      {{.key = "tile.buffer_kind", .dimension = kNumber, .description = "buffer memory technology"},
       imc(&ImcSpec::buffer_kind, kBufferKindNames)},
      {{.key = "crossbar.rows", .dimension = kNumber, .description = "rows (inputs) per crossbar",
        .bounds = Bounds::whole(1, kMaxCount)}, imc(&ImcSpec::rows)},
      {{.key = "crossbar.cols", .dimension = kNumber, .description = "columns (outputs) per crossbar",
        .bounds = Bounds::whole(1, kMaxCount)}, imc(&ImcSpec::cols)},
      {{.key = "crossbar.bits_per_cell", .dimension = kNumber, .description = "weight bits one RRAM cell stores",
        .bounds = Bounds::whole(1)}, imc(&ImcSpec::bits_per_cell)},
      {{.key = "crossbar.dac_bits", .dimension = kNumber, .description = "input DAC resolution (1 = bit-serial)",
        .bounds = Bounds::whole(1)}, imc(&ImcSpec::dac_bits)},
      {{.key = "crossbar.readout", .dimension = kNumber, .description = "column readout"},
       imc(&ImcSpec::readout, kReadoutNames)},
      {{.key = "crossbar.converters", .dimension = kNumber,
        .description = "readout converters per crossbar: ADCs (adc) or Compute-ACAM columns (acam), time-shared by "
                       "the columns",
        .bounds = Bounds::whole(1, kMaxCount)}, imc(&ImcSpec::converters)},
      {{.key = "crossbar.readout_bits", .dimension = kNumber, .description = "bits per column conversion",
        .bounds = Bounds::whole(1, 16)}, imc(&ImcSpec::readout_bits)},
      {{.key = "crossbar.acam_spare_ranges", .dimension = kNumber,
        .description = "ranges an ACAM readout column holds beyond the 2^(bits-1) of a Gray identity",
        .bounds = Bounds::whole(0)}, imc(&ImcSpec::acam_spare_ranges)},
      {{.key = "race.arrays", .dimension = kNumber, .description = "ACAM arrays per RACE unit",
        .bounds = Bounds::whole(1, kMaxCount)}, imc(&ImcSpec::race_arrays)},
      {{.key = "race.rows", .dimension = kNumber, .description = "rows per RACE array (one output bit each)",
        .bounds = Bounds::whole(1, kMaxCount)}, imc(&ImcSpec::race_rows)},
      {{.key = "race.cells", .dimension = kNumber,
        .description = "cells per RACE array row (ranges or rectangles)", .bounds = Bounds::whole(1, kMaxCount)},
       imc(&ImcSpec::race_cells)},
  };
}

std::vector<Field> acam_fields() {
  const auto energy = [](const std::string& key, const std::string& description, double AcamSpec::*member) {
    return Field{{.key = "components.acam." + key, .dimension = Dimension::Energy, .description = description,
                  .bounds = Bounds::non_negative()}, acam(member)};
  };
  const auto area = [](const std::string& key, const std::string& description, double AcamSpec::*member) {
    return Field{{.key = "components.acam." + key, .dimension = Dimension::Area, .description = description,
                  .bounds = Bounds::non_negative()}, acam(member)};
  };
  return {
      {{.key = "components.acam.model", .dimension = kNumber,
        .description = "search energy and area: lumped (per cell, periphery included) or detailed (cells + rows + "
                       "data lines)"},
       imc(&ImcSpec::acam, bind(&AcamSpec::model, kAcamModelNames))},
      energy("lumped_energy", "energy of one search over lumped_cells cells", &AcamSpec::lumped_energy),
      area("lumped_area", "area of lumped_cells cells with their periphery", &AcamSpec::lumped_area),
      {{.key = "components.acam.lumped_cells", .dimension = kNumber, .description = "cells the lumped figures are for",
        .bounds = Bounds::positive()}, acam(&AcamSpec::lumped_cells)},
      energy("cell_energy", "detailed: energy per cell per search", &AcamSpec::cell_energy),
      energy("row_energy", "detailed: sense amplifier and match-line precharge energy per row per search",
             &AcamSpec::row_energy),
      energy("line_energy", "detailed: data-line drive energy per input per search", &AcamSpec::line_energy),
      area("cell_area", "detailed: area of one cell", &AcamSpec::cell_area),
      area("row_area", "detailed: sense amplifier and precharge area per row", &AcamSpec::row_area),
      {{.key = "components.acam.two_var_factor", .dimension = kNumber,
        .description = "energy and area of a 2-input RACE cell over a 1-input cell", .bounds = Bounds::positive()},
       acam(&AcamSpec::two_var_factor)},
      {{.key = "components.acam.latency", .dimension = Dimension::Time,
        .description = "time an array or column is busy per search", .bounds = Bounds::positive()},
       acam(&AcamSpec::latency)},
      {{.key = "components.acam.leakage", .dimension = Dimension::Power, .description = "static power per cell",
        .bounds = Bounds::non_negative()}, acam(&AcamSpec::leakage)},
      {{.key = "components.acam.node", .dimension = Dimension::Length,
        .description = "technology node of these numbers", .bounds = Bounds::positive()}, acam(&AcamSpec::node)},
      {{.key = "components.acam.vdd", .dimension = Dimension::Voltage,
        .description = "supply voltage of these numbers", .bounds = Bounds::positive()}, acam(&AcamSpec::vdd)},
  };
}

std::vector<Field> component_fields() {
  std::vector<Field> f;
  add_component(f, "crossbar", "array read (one input bit plane)", &ImcSpec::crossbar, "array");
  f.insert(f.end(), {
      // The crossbar's size is rows x cols (arch_from_params derives it).
      {{.key = "components.crossbar.rows", .dimension = kNumber, .description = "rows of the array these costs are for",
        .bounds = Bounds::positive()}},
      {{.key = "components.crossbar.cols", .dimension = kNumber,
        .description = "columns of the array these costs are for", .bounds = Bounds::positive()}},
      {{.key = "components.crossbar.write_energy", .dimension = Dimension::Energy,
        .description = "energy to program one RRAM cell", .bounds = Bounds::non_negative()},
       imc(&ImcSpec::write_energy)},
      {{.key = "components.crossbar.write_latency", .dimension = Dimension::Time,
        .description = "time to program one column (its cells in parallel)", .bounds = Bounds::positive()},
       imc(&ImcSpec::write_latency)},
  });
  add_component(f, "dac", "conversion (one row driven for one read)", &ImcSpec::dac, "DAC");
  f.push_back(size_key("components.dac.bits", kNumber, "resolution these costs are for", &ImcSpec::dac));
  add_component(f, "adc", "column conversion", &ImcSpec::adc, "ADC");
  f.push_back(size_key("components.adc.bits", kNumber, "resolution these costs are for", &ImcSpec::adc));
  const std::vector<Field> acam_rows = acam_fields();
  f.insert(f.end(), acam_rows.begin(), acam_rows.end());
  add_component(f, "xor", "XOR evaluation (Gray decoding: bits-1 per output)", &ImcSpec::xor_gate, "XOR gate");
  add_component(f, "shift_add", "shift-and-accumulate of one converted value", &ImcSpec::shift_add, "shift-add unit");
  add_component(f, "adder", "addition", &ImcSpec::adder, "adder");
  add_component(f, "register", "256-bit access", &ImcSpec::register_file, "register file of `capacity`");
  f.push_back(size_key("components.register.capacity", Dimension::Bytes, "capacity these costs are for",
                       &ImcSpec::register_file));
  // Both buffer technologies describe ImcSpec::buffer; tile.buffer_kind says which group is read.
  add_component(f, "sram", "256-bit access", &ImcSpec::buffer, "SRAM buffer of `capacity`");
  f.push_back(size_key("components.sram.capacity", Dimension::Bytes, "capacity these costs are for", &ImcSpec::buffer));
  add_component(f, "edram", "256-bit access", &ImcSpec::buffer, "eDRAM buffer of `capacity`");
  f.push_back(size_key("components.edram.capacity", Dimension::Bytes, "capacity these costs are for", &ImcSpec::buffer));
  add_component(f, "tile_bus", "256-bit transfer between the buffer and the crossbars", &ImcSpec::tile_bus, "tile bus");
  add_component(f, "vector_unit", "lane operation", &ImcSpec::vector_unit, "vector-unit lane");
  add_component(f, "sfu", "function evaluation", &ImcSpec::sfu, "special-function unit");
  add_component(f, "router", "flit hop (noc.flit_bits bits through one router)", &ImcSpec::router, "router");
  f.insert(f.end(), {
      {{.key = "components.link.energy_per_bit", .dimension = Dimension::EnergyPerBit,
        .description = "energy per bit sent", .bounds = Bounds::non_negative()},
       cost(&ImcSpec::link, &ComponentSpec::energy)},
      // Its latency per bit is 1 / bandwidth (arch_from_params derives it).
      {{.key = "components.link.bandwidth", .dimension = Dimension::DataRate, .description = "bandwidth of one link",
        .bounds = Bounds::positive()}},
      {{.key = "components.link.area", .dimension = Dimension::Area,
        .description = "area of one link (PHY and controller)", .bounds = Bounds::non_negative()},
       cost(&ImcSpec::link, &ComponentSpec::area)},
      {{.key = "components.link.leakage", .dimension = Dimension::Power, .description = "static power of one link",
        .bounds = Bounds::non_negative()}, cost(&ImcSpec::link, &ComponentSpec::leakage)},
      {{.key = "components.link.node", .dimension = Dimension::Length,
        .description = "technology node of these numbers", .bounds = Bounds::positive()},
       cost(&ImcSpec::link, &ComponentSpec::node)},
      {{.key = "components.link.vdd", .dimension = Dimension::Voltage,
        .description = "supply voltage of these numbers", .bounds = Bounds::positive()},
       cost(&ImcSpec::link, &ComponentSpec::vdd)},
  });
  return f;
}

std::vector<Field> gpu_fields() {
  const auto positive = [](const std::string& key, Dimension dimension, const std::string& description,
                           double GpuSpec::*member, double scale = 1.0) {
    return Field{{.key = key, .dimension = dimension, .description = description, .bounds = Bounds::positive()},
                 gpu(member, scale)};
  };
  const auto fraction = [](const std::string& key, const std::string& description, double GpuSpec::*member) {
    return Field{{.key = key, .dimension = kNumber, .description = description, .bounds = Bounds::fraction()},
                 gpu(member)};
  };
  const auto non_negative = [](const std::string& key, Dimension dimension, const std::string& description,
                               double GpuSpec::*member) {
    return Field{{.key = key, .dimension = dimension, .description = description, .bounds = Bounds::non_negative()},
                 gpu(member)};
  };
  return {
      positive("gpu.peak_fp16", Dimension::OpRate, "dense FP16/BF16 tensor throughput", &GpuSpec::peak_fp16),
      positive("gpu.peak_int8", Dimension::OpRate, "dense INT8 tensor throughput", &GpuSpec::peak_int8),
      positive("gpu.peak_tf32", Dimension::OpRate, "dense TF32 tensor throughput (FP32 matmuls)", &GpuSpec::peak_tf32),
      {{.key = "gpu.software", .dimension = kNumber, .default_text = "graph",
        .description = "how kernels are launched: graph (PyTorch replaying a CUDA graph), eager (PyTorch from "
                       "Python), fused (TensorRT engine: element-wise operators and norms fused into the kernel "
                       "before them)"},
       gpu(&GpuSpec::software, kGpuSoftwareNames)},
      positive("gpu.memory_bandwidth", Dimension::DataRate, "peak memory bandwidth", &GpuSpec::memory_bandwidth,
               1.0 / 8),  // bits/s → bytes/s
      positive("gpu.memory_capacity", Dimension::Bytes, "device memory", &GpuSpec::memory_capacity),
      positive("gpu.tdp", Dimension::Power, "thermal design power", &GpuSpec::tdp),
      positive("gpu.die_area", Dimension::Area, "die area", &GpuSpec::die_area),
      fraction("gpu.compute_efficiency",
               "achievable fraction of peak throughput, kernels replayed from a CUDA graph or a TensorRT engine",
               &GpuSpec::compute_efficiency),
      fraction("gpu.compute_efficiency_eager",
               "achievable fraction of peak throughput, kernels launched eagerly from Python",
               &GpuSpec::compute_efficiency_eager),
      fraction("gpu.bandwidth_efficiency", "achievable fraction of peak bandwidth", &GpuSpec::bandwidth_efficiency),
      non_negative("gpu.launch_graph", Dimension::Time, "overhead per kernel replayed from a CUDA graph (GPU-side gap)",
                   &GpuSpec::launch_graph),
      non_negative("gpu.matmul_latency", Dimension::Time,
                   "fixed time of a tensor-core kernel (GEMM, fused attention): pipeline fill and drain of its tiles",
                   &GpuSpec::matmul_latency),
      non_negative("gpu.launch_eager", Dimension::Time,
                   "CPU time per module operator launched from Python (eager PyTorch: a matmul, attention, norm or "
                   "activation: the nn.Module call, its forward and the kernel launch)",
                   &GpuSpec::launch_eager),
      non_negative("gpu.launch_eager_inline", Dimension::Time,
                   "CPU time per kernel an eager forward launches inline (element-wise arithmetic, the further kernels "
                   "of an expanded operator, a KV-cache append): the operator call and the launch alone",
                   &GpuSpec::launch_eager_inline),
      non_negative("gpu.launch_fused", Dimension::Time, "overhead per kernel of a TensorRT engine",
                   &GpuSpec::launch_fused),
      non_negative("gpu.idle_power", Dimension::Power, "board power with no kernel running", &GpuSpec::idle_power),
      non_negative("gpu.dynamic_power", Dimension::Power,
                   "board power above idle while compute-bound kernels run", &GpuSpec::dynamic_power),
      non_negative("gpu.dynamic_power_memory", Dimension::Power,
                   "board power above idle while memory-bound kernels run (streaming HBM draws less than the tensor "
                   "cores)",
                   &GpuSpec::dynamic_power_memory),
  };
}

// Every hardware key, once: its documentation, bounds and the member it sets.
const std::vector<Field>& fields() {
  static const std::vector<Field> all = [] {
    std::vector<Field> f = organisation_fields();
    for (const auto& part : {component_fields(), gpu_fields()}) f.insert(f.end(), part.begin(), part.end());
    return f;
  }();
  return all;
}

bool starts_with(const std::string& key, const std::string& prefix) {
  return key.compare(0, prefix.size(), prefix) == 0;
}

// Which kind of architecture a key belongs to; both for kind, technology.node and .clock.
bool key_of_kind(const std::string& key, ArchKind kind) {
  if (key == "kind" || key == "technology.node" || key == "technology.clock") return true;
  return starts_with(key, "gpu.") == (kind == ArchKind::Gpu);
}

// A component's energy or power key: the source gives one of them (configs/arch/README.md).
bool is_energy_or_power(const std::string& key) {
  return starts_with(key, "components.") && (key.ends_with(".energy") || key.ends_with(".power"));
}

// The groups an IMC design may leave out, and when it needs them.
struct Group {
  std::string prefix;
  std::function<bool(const ImcSpec&)> used;
  std::string when;  // who needs it, for the error message
};
std::vector<Group> optional_groups() {
  auto acam_used = [](const ImcSpec& c) { return c.readout == Readout::Acam || c.race_units > 0; };
  const std::string acam_when = "with a Compute-ACAM readout or RACE units";
  return {
      {.prefix = "components.adc.",
       .used = [](const ImcSpec& c) { return c.readout == Readout::Adc; },
       .when = "with an ADC readout"},
      {.prefix = "crossbar.acam_spare_ranges",
       .used = [](const ImcSpec& c) { return c.readout == Readout::Acam; },
       .when = "with a Compute-ACAM readout"},
      {.prefix = "components.acam.", .used = acam_used, .when = acam_when},
      {.prefix = "components.xor.", .used = acam_used, .when = acam_when},
      {.prefix = "race.", .used = [](const ImcSpec& c) { return c.race_units > 0; }, .when = "with RACE units"},
      {.prefix = "components.sram.",
       .used = [](const ImcSpec& c) { return c.buffer_kind == BufferKind::Sram && c.buffer_bytes > 0; },
       .when = "with an SRAM buffer"},
      {.prefix = "components.edram.",
       .used = [](const ImcSpec& c) { return c.buffer_kind == BufferKind::Edram && c.buffer_bytes > 0; },
       .when = "with an eDRAM buffer"},
      {.prefix = "components.register.",
       .used = [](const ImcSpec& c) { return c.register_bytes > 0; },
       .when = "with registers"},
      {.prefix = "components.adder.", .used = [](const ImcSpec& c) { return c.adders > 0; }, .when = "with adders"},
      {.prefix = "components.shift_add.",
       .used = [](const ImcSpec& c) { return c.shift_adds > 0; },
       .when = "with shift-add units"},
      {.prefix = "components.vector_unit.",
       .used = [](const ImcSpec& c) { return c.vector_units > 0; },
       .when = "with vector units"},
      {.prefix = "components.sfu.",
       .used = [](const ImcSpec& c) { return c.sfus > 0; },
       .when = "with special-function units"},
      {.prefix = "components.link.",
       .used = [](const ImcSpec& c) { return c.links > 0; },
       .when = "with chip-to-chip links"},
  };
}

const Group* optional_group(const std::vector<Group>& groups, const std::string& key) {
  for (const auto& g : groups)
    if (starts_with(key, g.prefix)) return &g;
  return nullptr;
}

// `who`: the architectures that must set the key ("every imc architecture", …).
void require(const ParamSet& p, const std::string& path, const std::string& key, const std::string& who) {
  if (p.has(key)) return;
  const auto& specs = p.specs();
  const auto it = std::find_if(specs.begin(), specs.end(), [&](const ParamSpec& s) { return s.key == key; });
  throw Error(ErrorKind::Config,
              fmt::format("{}: missing key '{}' ({}, {}); {} sets it ('raceit params' lists the keys)",
                          path, key, it->description,
                          !it->choices.empty() ? fmt::format("one of {}", fmt::join(it->choices, ", "))
                          : it->dimension == Dimension::Dimensionless ? std::string("a number")
                                                                       : fmt::format("unit {}", base_unit(it->dimension)),
                          who));
}

// A used component gives exactly one of energy (per event) and power (while busy).
void check_energy_or_power(const ParamSet& p, const std::string& name) {
  const std::string k = "components." + name + ".";
  const bool energy = p.has(k + "energy"), power = p.has(k + "power");
  if (energy != power) return;
  throw Error(ErrorKind::Config,
              fmt::format("{}: component '{}' needs exactly one of '{}energy' (per event) and '{}power' (while busy); "
                          "it has {}",
                          p.has(k + "latency") ? p.value(k + "latency").source : std::string("architecture"), name, k,
                          k, energy ? "both" : "neither"));
}

// What several keys give: the crossbar's size, a link's time per bit; and the energy-or-power rule.
void derive_costs(const ParamSet& p, const std::vector<Group>& groups, ImcSpec& c) {
  for (const auto& s : p.specs()) {
    if (!starts_with(s.key, "components.") || !s.key.ends_with(".energy")) continue;
    const Group* g = optional_group(groups, s.key);
    if (!g || g->used(c)) check_energy_or_power(p, s.key.substr(11, s.key.size() - 11 - 7));
  }
  c.crossbar.size = p.number("components.crossbar.rows") * p.number("components.crossbar.cols");
  if (c.links > 0) c.link.latency = 1.0 / p.number("components.link.bandwidth");
}

}  // namespace

std::vector<Assumption> assumptions_of(const ArchSpec& spec, const std::vector<std::string>& keys) {
  std::vector<Assumption> out;
  for (const std::string& key : keys) {
    if (!spec.params.has(key)) continue;
    const ParamValue& v = spec.params.value(key);
    out.push_back({.key = key, .value = v.text, .source = v.source});
  }
  return out;
}

const std::vector<ParamSpec>& hardware_param_specs() {
  static const std::vector<ParamSpec> specs = specs_of(fields());
  return specs;
}

namespace {
void check_arrays_per_chip(const ParamSet& p, const ImcSpec& c) {
  const double crossbars = static_cast<double>(c.tiles) * c.crossbars;
  const double race_arrays = static_cast<double>(c.tiles) * c.race_units * c.race_arrays;
  if (crossbars > kMaxArraysPerChip)
    fail(p, "tile.crossbars", fmt::format("chip.tiles × tile.crossbars = {} crossbars per chip; at most 2^24 = {} are modelled",
                                          static_cast<std::int64_t>(crossbars), static_cast<std::int64_t>(kMaxArraysPerChip)));
  if (race_arrays > kMaxArraysPerChip)
    fail(p, "tile.race_units", fmt::format("chip.tiles × tile.race_units × race.arrays = {} RACE arrays per chip; at most "
                                           "2^24 = {} are modelled", static_cast<std::int64_t>(race_arrays),
                                           static_cast<std::int64_t>(kMaxArraysPerChip)));
}
}  // namespace

ArchSpec arch_from_params(ParamSet params, const std::string& path) {
  ArchSpec a;
  a.path = path;
  a.name = std::filesystem::path(path).stem().string();
  a.params = std::move(params);
  const ParamSet& p = a.params;
  require(p, path, "kind", "every architecture");
  a.kind = kArchKindNames.parse(p.word("kind"));
  const std::string kind = to_string(a.kind);
  for (const auto& s : p.specs()) {
    if (!key_of_kind(s.key, a.kind) && p.has(s.key) && p.value(s.key).source != "default")
      fail(p, s.key, fmt::format("belongs to {} architectures, but this one has kind {}",
                                 a.kind == ArchKind::Imc ? "gpu" : "imc", kind));
  }
  // Keys outside the optional groups first: they decide which optional groups are needed.
  const auto groups = optional_groups();
  for (const auto& s : p.specs())
    if (key_of_kind(s.key, a.kind) && !optional_group(groups, s.key) && !is_energy_or_power(s.key))
      require(p, path, s.key, "every " + kind + " architecture");
  read_fields(p, fields(), a,
              [&](const std::string& key) { return key_of_kind(key, a.kind) && !optional_group(groups, key); });
  if (a.kind == ArchKind::Gpu) return a;
  for (const auto& s : p.specs()) {
    const Group* g = optional_group(groups, s.key);
    if (g && g->used(a.imc) && !is_energy_or_power(s.key)) require(p, path, s.key, "an imc architecture " + g->when);
  }
  read_fields(p, fields(), a, [&](const std::string& key) {
    const Group* g = optional_group(groups, key);
    return g && g->used(a.imc);
  });
  derive_costs(p, groups, a.imc);
  check_arrays_per_chip(p, a.imc);
  return a;
}

namespace {
std::filesystem::path preset_dir() { return std::filesystem::path(source_dir()) / "configs" / "arch"; }
}  // namespace

std::string arch_path(const std::string& name_or_path) {
  if (name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".yaml"))
    return name_or_path;
  const auto path = preset_dir() / (name_or_path + ".yaml");
  if (!std::filesystem::is_regular_file(path)) {
    std::vector<std::string> names;
    for (const auto& preset : list_arch_presets()) names.push_back(preset.name);
    throw Error(ErrorKind::Io, fmt::format("unknown architecture '{}': not a preset ({}) nor a path "
                                           "(give a path with '/' or ending in .yaml)",
                                           name_or_path, fmt::join(names, ", ")));
  }
  return path.string();
}

std::string arch_description(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (std::getline(in, line) && line.starts_with("# ")) return line.substr(2);
  return "";
}

std::vector<ArchPreset> list_arch_presets() {
  std::vector<ArchPreset> presets;
  for (const auto& entry : std::filesystem::directory_iterator(preset_dir())) {
    if (entry.path().extension() != ".yaml") continue;
    presets.push_back({entry.path().stem().string(), entry.path().string(),
                       arch_description(entry.path().string())});
  }
  std::sort(presets.begin(), presets.end(),
            [](const ArchPreset& x, const ArchPreset& y) { return x.name < y.name; });
  return presets;
}

}  // namespace raceit::arch

#include "raceit/arch/arch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
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

// The six keys every component has: per-event energy and busy time, per-instance area and
// leakage, and the technology its numbers come from.
void add_component(std::vector<ParamSpec>& specs, const std::string& name, const std::string& event,
                   const std::string& instance) {
  const std::string p = "components." + name + ".";
  specs.push_back({p + "energy", Dimension::Energy, "", "energy per " + event + " (the source's own figure; or give power)"});
  specs.push_back({p + "power", Dimension::Power, "",
                   "power while busy, where the source gives power: energy per event = power x the event's duration "
                   "(give energy or power, not both)"});
  specs.push_back({p + "latency", Dimension::Time, "",
                   "time one " + instance + " is busy per " + event + " (its initiation interval)"});
  specs.push_back({p + "area", Dimension::Area, "", "area of one " + instance});
  specs.push_back({p + "leakage", Dimension::Power, "", "static power of one " + instance});
  specs.push_back({p + "node", Dimension::Length, "", "technology node of these numbers"});
  specs.push_back({p + "vdd", Dimension::Voltage, "", "supply voltage of these numbers"});
}

std::vector<ParamSpec> make_specs() {
  std::vector<ParamSpec> s{
      {"kind", Dimension::Dimensionless, "", "imc: in-memory-computing chip; gpu: roofline GPU",
       kArchKindNames.words()},
      {"technology.node", Dimension::Length, "", "CMOS technology node of the chip"},
      {"technology.clock", Dimension::Frequency, "", "digital clock"},
      {"technology.vdd", Dimension::Voltage, "", "supply voltage (imc)"},
      {"chip.tiles", Dimension::Dimensionless, "", "tiles per chip"},
      {"chip.links", Dimension::Dimensionless, "", "chip-to-chip links per chip"},
      {"noc.topology", Dimension::Dimensionless, "", "on-chip network between tiles", {"mesh"}},
      {"noc.tiles_per_router", Dimension::Dimensionless, "", "tiles sharing one router"},
      {"noc.flit_bits", Dimension::Dimensionless, "", "bits per counted network transfer (noc_flit_hops)"},
      {"tile.crossbars", Dimension::Dimensionless, "", "RRAM crossbar arrays per tile"},
      {"tile.race_units", Dimension::Dimensionless, "", "RACE units (Compute-ACAM array groups) per tile"},
      {"tile.adders", Dimension::Dimensionless, "", "digital adders per tile"},
      {"tile.shift_adds", Dimension::Dimensionless, "", "shift-and-add units per tile"},
      {"tile.vector_units", Dimension::Dimensionless, "", "digital vector-unit lanes per tile"},
      {"tile.sfus", Dimension::Dimensionless, "", "digital special-function units per tile"},
      {"tile.register_bytes", Dimension::Bytes, "", "register capacity per tile"},
      {"tile.buffer_bytes", Dimension::Bytes, "", "buffer capacity per tile"},
      {"tile.buffer_kind", Dimension::Dimensionless, "", "buffer memory technology", kBufferKindNames.words()},
      {"crossbar.rows", Dimension::Dimensionless, "", "rows (inputs) per crossbar"},
      {"crossbar.cols", Dimension::Dimensionless, "", "columns (outputs) per crossbar"},
      {"crossbar.bits_per_cell", Dimension::Dimensionless, "", "weight bits one RRAM cell stores"},
      {"crossbar.dac_bits", Dimension::Dimensionless, "", "input DAC resolution (1 = bit-serial)"},
      {"crossbar.readout", Dimension::Dimensionless, "", "column readout", kReadoutNames.words()},
      {"crossbar.converters", Dimension::Dimensionless, "",
       "readout converters per crossbar: ADCs (adc) or Compute-ACAM columns (acam), time-shared by the columns"},
      {"crossbar.readout_bits", Dimension::Dimensionless, "", "bits per column conversion"},
      {"crossbar.acam_spare_ranges", Dimension::Dimensionless, "",
       "ranges an ACAM readout column holds beyond the 2^(bits-1) of a Gray identity"},
      {"race.arrays", Dimension::Dimensionless, "", "ACAM arrays per RACE unit"},
      {"race.rows", Dimension::Dimensionless, "", "rows per RACE array (one output bit each)"},
      {"race.cells", Dimension::Dimensionless, "", "cells per RACE array row (ranges or rectangles)"},
  };
  add_component(s, "crossbar", "array read (one input bit plane)", "array");
  s.push_back({"components.crossbar.rows", Dimension::Dimensionless, "", "rows of the array these costs are for"});
  s.push_back({"components.crossbar.cols", Dimension::Dimensionless, "", "columns of the array these costs are for"});
  s.push_back({"components.crossbar.write_energy", Dimension::Energy, "", "energy to program one RRAM cell"});
  s.push_back({"components.crossbar.write_latency", Dimension::Time, "",
               "time to program one column (its cells in parallel)"});
  add_component(s, "dac", "conversion (one row driven for one read)", "DAC");
  s.push_back({"components.dac.bits", Dimension::Dimensionless, "", "resolution these costs are for"});
  add_component(s, "adc", "column conversion", "ADC");
  s.push_back({"components.adc.bits", Dimension::Dimensionless, "", "resolution these costs are for"});
  s.insert(s.end(), {
      {"components.acam.model", Dimension::Dimensionless, "",
       "search energy and area: lumped (per cell, periphery included) or detailed (cells + rows + data lines)",
       kAcamModelNames.words()},
      {"components.acam.lumped_energy", Dimension::Energy, "", "energy of one search over lumped_cells cells"},
      {"components.acam.lumped_area", Dimension::Area, "", "area of lumped_cells cells with their periphery"},
      {"components.acam.lumped_cells", Dimension::Dimensionless, "", "cells the lumped figures are for"},
      {"components.acam.cell_energy", Dimension::Energy, "", "detailed: energy per cell per search"},
      {"components.acam.row_energy", Dimension::Energy, "",
       "detailed: sense amplifier and match-line precharge energy per row per search"},
      {"components.acam.line_energy", Dimension::Energy, "", "detailed: data-line drive energy per input per search"},
      {"components.acam.cell_area", Dimension::Area, "", "detailed: area of one cell"},
      {"components.acam.row_area", Dimension::Area, "", "detailed: sense amplifier and precharge area per row"},
      {"components.acam.two_var_factor", Dimension::Dimensionless, "",
       "energy and area of a 2-input RACE cell over a 1-input cell"},
      {"components.acam.latency", Dimension::Time, "", "time an array or column is busy per search"},
      {"components.acam.leakage", Dimension::Power, "", "static power per cell"},
      {"components.acam.node", Dimension::Length, "", "technology node of these numbers"},
      {"components.acam.vdd", Dimension::Voltage, "", "supply voltage of these numbers"},
  });
  add_component(s, "xor", "XOR evaluation (Gray decoding: bits-1 per output)", "XOR gate");
  add_component(s, "shift_add", "shift-and-accumulate of one converted value", "shift-add unit");
  add_component(s, "adder", "addition", "adder");
  add_component(s, "register", "256-bit access", "register file of `capacity`");
  s.push_back({"components.register.capacity", Dimension::Bytes, "", "capacity these costs are for"});
  add_component(s, "sram", "256-bit access", "SRAM buffer of `capacity`");
  s.push_back({"components.sram.capacity", Dimension::Bytes, "", "capacity these costs are for"});
  add_component(s, "edram", "256-bit access", "eDRAM buffer of `capacity`");
  s.push_back({"components.edram.capacity", Dimension::Bytes, "", "capacity these costs are for"});
  add_component(s, "tile_bus", "256-bit transfer between the buffer and the crossbars", "tile bus");
  add_component(s, "vector_unit", "lane operation", "vector-unit lane");
  add_component(s, "sfu", "function evaluation", "special-function unit");
  add_component(s, "router", "flit hop (noc.flit_bits bits through one router)", "router");
  s.insert(s.end(), {
      {"components.link.energy_per_bit", Dimension::EnergyPerBit, "", "energy per bit sent"},
      {"components.link.bandwidth", Dimension::DataRate, "", "bandwidth of one link"},
      {"components.link.area", Dimension::Area, "", "area of one link (PHY and controller)"},
      {"components.link.leakage", Dimension::Power, "", "static power of one link"},
      {"components.link.node", Dimension::Length, "", "technology node of these numbers"},
      {"components.link.vdd", Dimension::Voltage, "", "supply voltage of these numbers"},
      {"gpu.peak_fp16", Dimension::OpRate, "", "dense FP16/BF16 tensor throughput"},
      {"gpu.peak_int8", Dimension::OpRate, "", "dense INT8 tensor throughput"},
      {"gpu.peak_tf32", Dimension::OpRate, "", "dense TF32 tensor throughput (FP32 matmuls)"},
      {"gpu.software", Dimension::Dimensionless, "graph",
       "how kernels are launched: graph (PyTorch replaying a CUDA graph), eager (PyTorch from Python), fused "
       "(TensorRT engine: element-wise operators and norms fused into the kernel before them)",
       kGpuSoftwareNames.words()},
      {"gpu.memory_bandwidth", Dimension::DataRate, "", "peak memory bandwidth"},
      {"gpu.memory_capacity", Dimension::Bytes, "", "device memory"},
      {"gpu.tdp", Dimension::Power, "", "thermal design power"},
      {"gpu.die_area", Dimension::Area, "", "die area"},
      {"gpu.compute_efficiency", Dimension::Dimensionless, "",
       "achievable fraction of peak throughput, kernels replayed from a CUDA graph or a TensorRT engine"},
      {"gpu.compute_efficiency_eager", Dimension::Dimensionless, "",
       "achievable fraction of peak throughput, kernels launched eagerly from Python"},
      {"gpu.bandwidth_efficiency", Dimension::Dimensionless, "", "achievable fraction of peak bandwidth"},
      {"gpu.launch_graph", Dimension::Time, "", "overhead per kernel replayed from a CUDA graph (GPU-side gap)"},
      {"gpu.matmul_latency", Dimension::Time, "",
       "fixed time of a tensor-core kernel (GEMM, fused attention): pipeline fill and drain of its tiles"},
      {"gpu.launch_eager", Dimension::Time, "", "CPU time per kernel launched from Python (eager PyTorch)"},
      {"gpu.launch_fused", Dimension::Time, "", "overhead per kernel of a TensorRT engine"},
      {"gpu.idle_power", Dimension::Power, "", "board power with no kernel running"},
      {"gpu.dynamic_power", Dimension::Power, "", "board power above idle while compute-bound kernels run"},
      {"gpu.dynamic_power_memory", Dimension::Power, "",
       "board power above idle while memory-bound kernels run (streaming HBM draws less than the tensor cores)"},
  });
  return s;
}

bool starts_with(const std::string& key, const std::string& prefix) {
  return key.compare(0, prefix.size(), prefix) == 0;
}

// Which kind of architecture a key belongs to; both for kind, technology.node and .clock.
bool key_of_kind(const std::string& key, ArchKind kind) {
  if (key == "kind" || key == "technology.node" || key == "technology.clock") return true;
  return starts_with(key, "gpu.") == (kind == ArchKind::Gpu);
}

double positive(const ParamSet& p, const std::string& key) {
  const double v = p.number(key);
  if (!(v > 0)) fail(p, key, fmt::format("must be > 0, got {}", p.word(key)));
  return v;
}
double non_negative(const ParamSet& p, const std::string& key) {
  const double v = p.number(key);
  if (!(v >= 0)) fail(p, key, fmt::format("must be >= 0, got {}", p.word(key)));
  return v;
}
double fraction(const ParamSet& p, const std::string& key) {
  const double v = p.number(key);
  if (!(v > 0 && v <= 1)) fail(p, key, fmt::format("must be in (0, 1], got {}", p.word(key)));
  return v;
}
int whole(const ParamSet& p, const std::string& key, int min) {
  const double v = p.number(key);
  if (v != std::floor(v) || v < min || v > 1e9)
    fail(p, key, fmt::format("must be a whole number >= {}, got {}", min, p.word(key)));
  return static_cast<int>(v);
}

// A component's energy or power key: the source gives one of them (configs/arch/README.md).
bool is_energy_or_power(const std::string& key) {
  return starts_with(key, "components.") && (key.ends_with(".energy") || key.ends_with(".power"));
}

ComponentSpec component(const ParamSet& p, const std::string& name) {
  const std::string k = "components." + name + ".";
  ComponentSpec c;
  const bool energy = p.has(k + "energy"), power = p.has(k + "power");
  if (energy == power)
    throw Error(ErrorKind::Config,
                fmt::format("{}: component '{}' needs exactly one of '{}energy' (per event) and '{}power' (while busy); "
                            "it has {}",
                            p.has(k + "latency") ? p.value(k + "latency").source : std::string("architecture"), name, k,
                            k, energy ? "both" : "neither"));
  if (energy) c.energy = non_negative(p, k + "energy");
  if (power) c.power = non_negative(p, k + "power");
  c.latency = positive(p, k + "latency");
  c.area = non_negative(p, k + "area");
  c.leakage = non_negative(p, k + "leakage");
  c.node = positive(p, k + "node");
  c.vdd = positive(p, k + "vdd");
  return c;
}

ComponentSpec sized_component(const ParamSet& p, const std::string& name, const std::string& size_key) {
  ComponentSpec c = component(p, name);
  c.size = positive(p, "components." + name + "." + size_key);
  return c;
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
      {"components.adc.", [](const ImcSpec& c) { return c.readout == Readout::Adc; }, "with an ADC readout"},
      {"crossbar.acam_spare_ranges", [](const ImcSpec& c) { return c.readout == Readout::Acam; },
       "with a Compute-ACAM readout"},
      {"components.acam.", acam_used, acam_when},
      {"components.xor.", acam_used, acam_when},
      {"race.", [](const ImcSpec& c) { return c.race_units > 0; }, "with RACE units"},
      {"components.sram.", [](const ImcSpec& c) { return c.buffer_kind == BufferKind::Sram && c.buffer_bytes > 0; },
       "with an SRAM buffer"},
      {"components.edram.", [](const ImcSpec& c) { return c.buffer_kind == BufferKind::Edram && c.buffer_bytes > 0; },
       "with an eDRAM buffer"},
      {"components.register.", [](const ImcSpec& c) { return c.register_bytes > 0; }, "with registers"},
      {"components.adder.", [](const ImcSpec& c) { return c.adders > 0; }, "with adders"},
      {"components.shift_add.", [](const ImcSpec& c) { return c.shift_adds > 0; }, "with shift-add units"},
      {"components.vector_unit.", [](const ImcSpec& c) { return c.vector_units > 0; }, "with vector units"},
      {"components.sfu.", [](const ImcSpec& c) { return c.sfus > 0; }, "with special-function units"},
      {"components.link.", [](const ImcSpec& c) { return c.links > 0; }, "with chip-to-chip links"},
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

// The design's shape: counts, geometry and choices, which decide what else it needs.
void read_organisation(const ParamSet& p, ImcSpec& c) {
  c.tiles = whole(p, "chip.tiles", 1);
  c.links = whole(p, "chip.links", 0);
  c.tiles_per_router = whole(p, "noc.tiles_per_router", 1);
  c.flit_bits = whole(p, "noc.flit_bits", 1);
  c.crossbars = whole(p, "tile.crossbars", 0);
  c.race_units = whole(p, "tile.race_units", 0);
  c.adders = whole(p, "tile.adders", 0);
  c.shift_adds = whole(p, "tile.shift_adds", 0);
  c.vector_units = whole(p, "tile.vector_units", 0);
  c.sfus = whole(p, "tile.sfus", 0);
  c.register_bytes = non_negative(p, "tile.register_bytes");
  c.buffer_bytes = non_negative(p, "tile.buffer_bytes");
  c.buffer_kind = kBufferKindNames.parse(p.word("tile.buffer_kind"));
  c.rows = whole(p, "crossbar.rows", 1);
  c.cols = whole(p, "crossbar.cols", 1);
  c.bits_per_cell = whole(p, "crossbar.bits_per_cell", 1);
  c.dac_bits = whole(p, "crossbar.dac_bits", 1);
  c.readout = kReadoutNames.parse(p.word("crossbar.readout"));
  c.converters = whole(p, "crossbar.converters", 1);
  c.readout_bits = whole(p, "crossbar.readout_bits", 1);
  if (c.readout_bits > 16) fail(p, "crossbar.readout_bits", "must be at most 16");
}

void read_costs(const ParamSet& p, ImcSpec& c) {
  c.crossbar = component(p, "crossbar");
  c.crossbar.size = positive(p, "components.crossbar.rows") * positive(p, "components.crossbar.cols");
  c.write_energy = non_negative(p, "components.crossbar.write_energy");
  c.write_latency = positive(p, "components.crossbar.write_latency");
  c.dac = sized_component(p, "dac", "bits");
  c.tile_bus = component(p, "tile_bus");
  c.router = component(p, "router");
  if (c.readout == Readout::Adc) c.adc = sized_component(p, "adc", "bits");
  if (c.readout == Readout::Acam) c.acam_spare_ranges = whole(p, "crossbar.acam_spare_ranges", 0);
  if (c.race_units > 0) {
    c.race_arrays = whole(p, "race.arrays", 1);
    c.race_rows = whole(p, "race.rows", 1);
    c.race_cells = whole(p, "race.cells", 1);
  }
  if (c.readout == Readout::Acam || c.race_units > 0) {
    AcamSpec& a = c.acam;
    a.model = kAcamModelNames.parse(p.word("components.acam.model"));
    a.lumped_energy = non_negative(p, "components.acam.lumped_energy");
    a.lumped_area = non_negative(p, "components.acam.lumped_area");
    a.lumped_cells = positive(p, "components.acam.lumped_cells");
    a.cell_energy = non_negative(p, "components.acam.cell_energy");
    a.row_energy = non_negative(p, "components.acam.row_energy");
    a.line_energy = non_negative(p, "components.acam.line_energy");
    a.cell_area = non_negative(p, "components.acam.cell_area");
    a.row_area = non_negative(p, "components.acam.row_area");
    a.two_var_factor = positive(p, "components.acam.two_var_factor");
    a.latency = positive(p, "components.acam.latency");
    a.leakage = non_negative(p, "components.acam.leakage");
    a.node = positive(p, "components.acam.node");
    a.vdd = positive(p, "components.acam.vdd");
    c.xor_gate = component(p, "xor");
  }
  if (c.shift_adds > 0) c.shift_add = component(p, "shift_add");
  if (c.adders > 0) c.adder = component(p, "adder");
  if (c.vector_units > 0) c.vector_unit = component(p, "vector_unit");
  if (c.sfus > 0) c.sfu = component(p, "sfu");
  if (c.register_bytes > 0) c.register_file = sized_component(p, "register", "capacity");
  if (c.buffer_bytes > 0)
    c.buffer = sized_component(p, c.buffer_kind == BufferKind::Sram ? "sram" : "edram", "capacity");
  if (c.links > 0) {
    c.link.energy = non_negative(p, "components.link.energy_per_bit");
    c.link.latency = 1.0 / positive(p, "components.link.bandwidth");
    c.link.area = non_negative(p, "components.link.area");
    c.link.leakage = non_negative(p, "components.link.leakage");
    c.link.node = positive(p, "components.link.node");
    c.link.vdd = positive(p, "components.link.vdd");
  }
}

GpuSpec read_gpu(const ParamSet& p) {
  GpuSpec g;
  g.peak_fp16 = positive(p, "gpu.peak_fp16");
  g.peak_int8 = positive(p, "gpu.peak_int8");
  g.peak_tf32 = positive(p, "gpu.peak_tf32");
  g.software = kGpuSoftwareNames.parse(p.word("gpu.software"));
  g.memory_bandwidth = positive(p, "gpu.memory_bandwidth") / 8;  // bits/s → bytes/s
  g.memory_capacity = positive(p, "gpu.memory_capacity");
  g.tdp = positive(p, "gpu.tdp");
  g.die_area = positive(p, "gpu.die_area");
  g.compute_efficiency = fraction(p, "gpu.compute_efficiency");
  g.compute_efficiency_eager = fraction(p, "gpu.compute_efficiency_eager");
  g.bandwidth_efficiency = fraction(p, "gpu.bandwidth_efficiency");
  g.launch_graph = non_negative(p, "gpu.launch_graph");
  g.matmul_latency = non_negative(p, "gpu.matmul_latency");
  g.launch_eager = non_negative(p, "gpu.launch_eager");
  g.launch_fused = non_negative(p, "gpu.launch_fused");
  g.idle_power = non_negative(p, "gpu.idle_power");
  g.dynamic_power = non_negative(p, "gpu.dynamic_power");
  g.dynamic_power_memory = non_negative(p, "gpu.dynamic_power_memory");
  return g;
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
  static const std::vector<ParamSpec> specs = make_specs();
  return specs;
}

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
  a.node = positive(p, "technology.node");
  a.clock = positive(p, "technology.clock");
  if (a.kind == ArchKind::Gpu) {
    a.gpu = read_gpu(p);
    return a;
  }
  a.vdd = positive(p, "technology.vdd");
  read_organisation(p, a.imc);
  for (const auto& s : p.specs()) {
    const Group* g = optional_group(groups, s.key);
    if (g && g->used(a.imc) && !is_energy_or_power(s.key)) require(p, path, s.key, "an imc architecture " + g->when);
  }
  read_costs(p, a.imc);
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

#pragma once
// Hardware architecture specifications (DESIGN §2.4, §4): the parsed, plain description of an
// in-memory-computing chip or a GPU, read from configs/arch/*.yaml. This is the "specs" half of
// Timeloop's split; components.hpp is the evaluator (technology scaling, per-component costs,
// chip roll-up) and pricing.hpp prices hardware events with it. It sits below the compiler,
// which reads the hardware facts a mapping needs from it.
//
// One schema serves both kinds: `kind: imc` files set the technology, chip, noc, tile, crossbar,
// race and components groups; `kind: gpu` files set technology.node, technology.clock and the gpu
// group. No hardware key has a default: every number a preset uses is written in its file with its
// source. The `mapping` group (how the compiler maps operators onto the hardware) is the compiler's:
// it declares those keys (compiler::mapping_param_specs) and loads whole files (compiler::load_arch).
// Groups an IMC design does not use need not be written (components.adc with an ACAM readout, the
// race group without RACE units, …). A file may start with `include: other.yaml` and override it.
#include <string>
#include <vector>

#include "raceit/core/params.hpp"

namespace raceit::arch {

enum class ArchKind { Imc, Gpu };
enum class Readout { Adc, Acam };        // how crossbar columns are converted
enum class BufferKind { Sram, Edram };   // tile buffer technology
enum class AcamModel { Lumped, Detailed };

const char* to_string(ArchKind kind);
const char* to_string(Readout readout);
const char* to_string(BufferKind kind);

// Cost data of one component as its source gives them, at the source's technology.
struct ComponentSpec {
  double energy = 0;    // J per event (each component's key descriptions say what an event is)
  double power = 0;     // W while busy, where the source gives power instead: energy per event =
                        // power × the event's duration (energy is then 0)
  double latency = 0;   // s one instance is busy per event: its initiation interval
  double area = 0;      // m² per instance
  double leakage = 0;   // W per instance, drawn whenever the chip is on
  double node = 0;      // m, technology node of the source data
  double vdd = 0;       // V, supply voltage of the source data
  double size = 0;      // the size the costs are for: cells (crossbar), bits (DAC, ADC), bytes
                        // (register, buffer); unused (0) for the other components
};

// Analog CAM costs, shared by Compute-ACAM readout columns and RACE arrays.
struct AcamSpec {
  AcamModel model = AcamModel::Lumped;
  double lumped_energy = 0, lumped_area = 0, lumped_cells = 0;  // one search of lumped_cells cells
  double cell_energy = 0, row_energy = 0, line_energy = 0;      // detailed model, per search
  double cell_area = 0, row_area = 0;
  double two_var_factor = 1;  // a 2-input cell's energy and area over a 1-input cell's
  double latency = 0;         // s per search
  double leakage = 0;         // W per cell
  double node = 0, vdd = 0;
};

struct ImcSpec {
  int tiles = 0;
  int links = 0;             // chip-to-chip links per chip
  int tiles_per_router = 0;  // mesh on-chip network; a router may be shared by several tiles
  int flit_bits = 0;         // bits per counted network transfer
  // Per tile.
  int crossbars = 0, race_units = 0, adders = 0, shift_adds = 0, vector_units = 0, sfus = 0;
  double register_bytes = 0, buffer_bytes = 0;
  BufferKind buffer_kind = BufferKind::Sram;
  // Per crossbar.
  int rows = 0, cols = 0, bits_per_cell = 0, dac_bits = 0;
  Readout readout = Readout::Adc;
  int converters = 0;        // ADCs or Compute-ACAM columns per crossbar
  int readout_bits = 0;
  int acam_spare_ranges = 0; // ranges beyond the identity's in an ACAM readout column
  // Two mapping choices the cost model needs, set by compiler::arch_from_params (defaults = the mapping's).
  bool race_reprogram = false;  // mapping.race_reprogram: RACE arrays rewritten per segment at run time
  int system_chips = 0;  // mapping.chips: chips in the system, 0: as many as the model needs
  int columns_per_conversion = 1;  // crossbar columns summed in analog before one conversion (mapping.analog_combine)
  bool gray_readout = true;  // mapping.acam_encoding: an identity needs 2^(bits−1) Gray ranges, 2^bits − 1 binary
  // Per RACE unit.
  int race_arrays = 0, race_rows = 0, race_cells = 0;
  // Component costs; a component the design does not use stays zero.
  ComponentSpec crossbar, dac, adc, xor_gate, shift_add, adder, register_file, buffer, tile_bus,
      vector_unit, sfu, router, link;  // link: energy per bit, latency per bit (1/bandwidth)
  double write_energy = 0;   // J per RRAM cell programmed
  double write_latency = 0;  // s to program one crossbar column
  AcamSpec acam;
};

// How the GPU's kernels are launched (perf/gpu.hpp): PyTorch replaying a CUDA graph, PyTorch
// launching from Python, or TensorRT's fused engine.
enum class GpuSoftware { Graph, Eager, Fused };
const char* to_string(GpuSoftware software);

struct GpuSpec {
  GpuSoftware software = GpuSoftware::Graph;
  double peak_fp16 = 0, peak_int8 = 0, peak_tf32 = 0;  // dense op/s
  double memory_bandwidth = 0;          // bytes/s
  double memory_capacity = 0;           // bytes
  double tdp = 0;                       // W
  double die_area = 0;                  // m²
  double compute_efficiency = 0;        // achievable fraction of peak throughput (graph, fused)
  double compute_efficiency_eager = 0;  // … with kernels launched eagerly
  double bandwidth_efficiency = 0;      // achievable fraction of peak memory bandwidth
  double launch_graph = 0;              // s per kernel replayed from a CUDA graph
  double matmul_latency = 0;            // s of fixed time per tensor-core kernel (GEMM, attention)
  double launch_eager = 0;              // s of CPU time per module operator launched from Python
  double launch_eager_inline = 0;       // s of CPU time per kernel launched inline in a forward
  double launch_fused = 0;              // s per kernel of a TensorRT engine
  double idle_power = 0;                // W the board draws with no kernel running
  double dynamic_power = 0;             // W more while compute-bound kernels run
  double dynamic_power_memory = 0;      // W more while memory-bound kernels run
  double launch() const;                // the per-kernel overhead of `software`
};

struct ArchSpec {
  std::string name;  // preset name, or the file's stem
  std::string path;
  ArchKind kind = ArchKind::Imc;
  double node = 0;   // m
  double clock = 0;  // Hz
  double vdd = 0;    // V (IMC only)
  ImcSpec imc;       // kind imc
  GpuSpec gpu;       // kind gpu
  ParamSet params;   // the resolved configuration, with where each value came from
};

// One configuration key a result depends on: perturbing it changes the result.
struct Assumption {
  std::string key, value, source;  // value as written; source: file and line, "default" or "override"
};
// The keys of `spec` named in `keys`, in that order, that it sets.
std::vector<Assumption> assumptions_of(const ArchSpec& spec, const std::vector<std::string>& keys);

// Every hardware key an architecture file may set, with unit and description (`raceit params`).
// The file's other keys (mapping.*) belong to the compiler: compiler::arch_param_specs() is all of them.
const std::vector<ParamSpec>& hardware_param_specs();

// Reads the hardware from the parameters of an architecture file (compiler::load_arch reads the
// file with every key, hardware and mapping, and calls this). Errors (Error(Config)) name the
// file, the line and the key: missing keys, keys of the other kind, values out of range.
ArchSpec arch_from_params(ParamSet params, const std::string& path);

// A preset name ("raceit", "isaac", …) resolves to configs/arch/NAME.yaml in raceit's source tree;
// anything containing '/' or ending in .yaml is a path. Throws Error(Io) for an unknown name.
std::string arch_path(const std::string& name_or_path);

// The one-line description of an architecture file: its first line, if that is a comment.
std::string arch_description(const std::string& path);

struct ArchPreset {
  std::string name, path;
  std::string description;  // arch_description(path)
};
// The presets shipped in configs/arch, by name.
std::vector<ArchPreset> list_arch_presets();

}  // namespace raceit::arch

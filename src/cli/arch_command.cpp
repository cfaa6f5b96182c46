// `raceit arch list|show`: the architecture presets, and one architecture resolved into its
// hardware: counts, per-component costs at the chip's technology, chip area and peak power.
#include <fmt/format.h>

#include <cmath>
#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "raceit/core/units.hpp"
#include "raceit/arch/arch.hpp"
#include "raceit/compiler/options.hpp"
#include "raceit/perf/components.hpp"

namespace raceit::cli {

namespace {

struct ShowOptions {
  std::string arch;
  std::vector<std::string> overrides;
  bool json = false;
};

// Whole counts in full; shared routers and capacity-scaled storage can be fractional.
std::string count(double n) { return n == std::floor(n) ? fmt::format("{:.0f}", n) : fmt::format("{:.4g}", n); }

std::string share(double part, double whole) {
  return whole > 0 ? fmt::format("{:.1f}%", 100 * part / whole) : "-";
}

nlohmann::json config_json(const ParamSet& params) {
  nlohmann::json config = nlohmann::json::object();
  for (const auto& s : params.specs())
    if (params.has(s.key)) config[s.key] = {{"value", params.word(s.key)}, {"source", params.value(s.key).source}};
  return config;
}

nlohmann::json gpu_summary(const arch::GpuSpec& g, const perf::ResolvedArch& r) {
  return {{"area_mm2", r.area * 1e6},
          {"peak_power_w", r.peak_power},
          {"peak_fp16_flops", g.peak_fp16},
          {"peak_int8_ops", g.peak_int8},
          {"peak_tf32_flops", g.peak_tf32},
          {"software", arch::to_string(g.software)},
          {"memory_bandwidth_bytes_per_s", g.memory_bandwidth},
          {"memory_capacity_bytes", g.memory_capacity},
          {"compute_efficiency", g.compute_efficiency},
          {"compute_efficiency_eager", g.compute_efficiency_eager},
          {"bandwidth_efficiency", g.bandwidth_efficiency},
          {"launch_graph_s", g.launch_graph},
          {"launch_eager_s", g.launch_eager},
          {"launch_eager_inline_s", g.launch_eager_inline},
          {"launch_fused_s", g.launch_fused},
          {"idle_power_w", g.idle_power},
          {"dynamic_power_w", g.dynamic_power}};
}

nlohmann::json imc_summary(const arch::ImcSpec& c, const perf::ResolvedArch& r) {
  return {{"readout", to_string(c.readout)},
          {"buffer_kind", to_string(c.buffer_kind)},
          {"tiles", r.tiles},
          {"crossbars", r.crossbars},
          {"dacs", r.dacs},
          {"readout_converters", r.converters},
          {"race_arrays", r.race_arrays},
          {"routers", r.routers},
          {"flit_bits", c.flit_bits},
          {"area_mm2", r.area * 1e6},
          {"peak_power_w", r.peak_power},
          {"leakage_w", r.leakage_power},
          {"tile_area_mm2", r.tile_area * 1e6},
          {"tile_peak_power_w", r.tile_peak_power}};
}

nlohmann::json components_json(const perf::ResolvedArch& r) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : r.components) {
    nlohmann::json actions = nlohmann::json::array();
    for (const auto& a : c.actions) actions.push_back({{"name", a.name}, {"energy_j", a.energy}, {"interval_s", a.interval}});
    list.push_back({{"name", c.name},
                    {"description", c.description},
                    {"instances", c.instances},
                    {"in_tile", c.in_tile},
                    {"actions", actions},
                    {"area_m2", c.area},
                    {"leakage_w", c.leakage},
                    {"total_area_mm2", c.total_area() * 1e6},
                    {"peak_power_w", c.peak_power()}});
  }
  return list;
}

void print_imc(const arch::ArchSpec& spec, const perf::ResolvedArch& r) {
  const arch::ImcSpec& c = spec.imc;
  std::cout << fmt::format("technology  {}, {}, {}\n", format_quantity(spec.node, Dimension::Length),
                           format_quantity(spec.vdd, Dimension::Voltage),
                           format_quantity(spec.clock, Dimension::Frequency));
  std::cout << fmt::format("chip        {} tiles, {} crossbars of {}x{}, {} {} converters, {} RACE arrays, "
                           "{} routers ({}-bit flits), {} links\n",
                           r.tiles, r.crossbars, c.rows, c.cols, r.converters, to_string(c.readout),
                           r.race_arrays, r.routers, c.flit_bits, c.links);
  std::cout << fmt::format("area        {:.2f} mm2 (tile {:.4f} mm2)\n", r.area * 1e6, r.tile_area * 1e6);
  std::cout << fmt::format("peak power  {:.3f} W (tile {:.2f} mW), leakage {:.3f} W\n\n", r.peak_power,
                           r.tile_peak_power * 1e3, r.leakage_power);
  std::vector<std::vector<std::string>> rows;
  for (const auto& comp : r.components) {
    for (std::size_t k = 0; k < comp.actions.size(); ++k) {
      const perf::Action& a = comp.actions[k];
      const bool first = k == 0;
      rows.push_back({first ? comp.name : "", a.name, first ? count(comp.instances) : "",
                      format_quantity(a.energy, Dimension::Energy), format_quantity(a.interval, Dimension::Time),
                      first ? fmt::format("{:.4f}", comp.total_area() * 1e6) : "",
                      first ? share(comp.total_area(), r.area) : "",
                      first ? format_quantity(comp.peak_power(), Dimension::Power) : "",
                      first ? share(comp.peak_power(), r.peak_power) : "", first ? comp.description : ""});
    }
  }
  std::cout << format_table({"component", "action", "instances", "energy", "busy", "area mm2", "area",
                             "peak power", "power", "description"},
                            rows, 2);
}

void print_gpu(const arch::ArchSpec& spec) {
  const arch::GpuSpec& g = spec.gpu;
  std::cout << fmt::format("technology  {}, {}\n", format_quantity(spec.node, Dimension::Length),
                           format_quantity(spec.clock, Dimension::Frequency));
  std::cout << fmt::format("peak        {:.4g} TFLOPS FP16, {:.4g} TOPS INT8, {:.4g} TFLOPS TF32 (dense); {:g} of peak "
                           "achievable ({:g} eager)\n",
                           g.peak_fp16 / 1e12, g.peak_int8 / 1e12, g.peak_tf32 / 1e12, g.compute_efficiency,
                           g.compute_efficiency_eager);
  std::cout << fmt::format("memory      {}, {:.4g} GB/s; {:g} of peak achievable\n",
                           format_quantity(g.memory_capacity, Dimension::Bytes), g.memory_bandwidth / 1e9,
                           g.bandwidth_efficiency);
  std::cout << fmt::format("power       TDP {}; idle {} + {} while kernels run\n",
                           format_quantity(g.tdp, Dimension::Power), format_quantity(g.idle_power, Dimension::Power),
                           format_quantity(g.dynamic_power, Dimension::Power));
  std::cout << fmt::format("area        {:.0f} mm2\n", g.die_area * 1e6);
  std::cout << fmt::format("software    {} (per kernel: graph {}, eager {} per module operator and {} inline, fused {})\n",
                           arch::to_string(g.software), format_quantity(g.launch_graph, Dimension::Time),
                           format_quantity(g.launch_eager, Dimension::Time),
                           format_quantity(g.launch_eager_inline, Dimension::Time),
                           format_quantity(g.launch_fused, Dimension::Time));
}

void run_show(const ShowOptions& o) {
  const std::string path = arch::arch_path(o.arch);
  const arch::ArchSpec spec = compiler::load_arch(path, o.overrides);
  const perf::ResolvedArch r = perf::resolve(spec);
  const std::string description = arch::arch_description(path);
  if (o.json) {
    nlohmann::json j = provenance(invocation());
    j["arch"] = {{"name", spec.name}, {"path", spec.path}, {"kind", to_string(spec.kind)}, {"description", description}};
    j["config"] = config_json(spec.params);
    if (spec.kind == arch::ArchKind::Gpu) {
      j["summary"] = gpu_summary(spec.gpu, r);
    } else {
      j["summary"] = imc_summary(spec.imc, r);
      j["components"] = components_json(r);
    }
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("{} ({}): {}\n", spec.name, spec.path, description);
  if (spec.kind == arch::ArchKind::Gpu)
    print_gpu(spec);
  else
    print_imc(spec, r);
}

}  // namespace

void register_arch_command(CLI::App& app) {
  auto* arch = app.add_subcommand("arch", "Hardware architectures: presets, resolved hardware, area and power");
  arch->require_subcommand(1);
  auto* list = arch->add_subcommand("list", "List the architecture presets in configs/arch");
  list->callback([] {
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : arch::list_arch_presets()) rows.push_back({p.name, p.description});
    std::cout << format_table({"preset", "description"}, rows, 2);
  });
  auto opts = std::make_shared<ShowOptions>();
  auto* show = arch->add_subcommand(
      "show", "Resolve an architecture: hardware counts, per-component costs, chip area and peak power");
  show->add_option("ARCH", opts->arch, "preset name (raceit, isaac, …; see 'raceit arch list') or a YAML path")
      ->required();
  show->add_option("--set", opts->overrides, "override a key, KEY=VALUE (repeatable; see 'raceit params')");
  show->add_flag("--json", opts->json, "print JSON with provenance, the resolved configuration and the roll-up");
  show->callback([opts] { run_show(*opts); });
}

}  // namespace raceit::cli

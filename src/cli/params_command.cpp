// `raceit params`: every configuration key with its unit, default, range and description.
#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "raceit/device/rram.hpp"
#include "raceit/arch/arch.hpp"
#include "raceit/compiler/options.hpp"

namespace raceit::cli {

namespace {
struct ParamGroup {
  const char* name;
  const char* file_hint;
  const std::vector<ParamSpec>& specs;
};

void print_group(const ParamGroup& g) {
  std::cout << fmt::format("{} ({})\n", g.name, g.file_hint);
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : g.specs) {
    std::string unit = s.choices.empty() ? base_unit(s.dimension) : fmt::format("{}", fmt::join(s.choices, "|"));
    rows.push_back({s.key, unit.empty() ? "-" : unit, s.default_text.empty() ? "(required)" : s.default_text,
                    s.choices.empty() && !s.bounds.unbounded() ? s.bounds.text() : "-", s.description});
  }
  std::cout << format_table({"key", "unit", "default", "range", "description"}, rows, 5) << "\n";
}
}  // namespace

void register_params_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "params", "List every configuration key with its unit, default, range and description");
  cmd->callback([] {
    print_group({.name = "device preset",
                 .file_hint = "configs/devices/*.yaml; nested YAML keys join with '.'",
                 .specs = device::rram_param_specs()});
    print_group({.name = "architecture",
                 .file_hint = "configs/arch/*.yaml; kind imc sets all but gpu.*, kind gpu sets kind, "
                              "technology.node, technology.clock and gpu.*; mapping.* (how the compiler maps "
                              "operators, docs/compiler.md) have defaults; see configs/arch/README.md",
                 .specs = compiler::arch_param_specs()});
  });
}

}  // namespace raceit::cli

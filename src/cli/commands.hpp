#pragma once
// Each command group adds its subcommands to the app. Callbacks throw raceit::Error on bad
// input; main() turns that into a message on stderr and exit code 2.
#include <CLI/CLI.hpp>

namespace raceit::cli {

void register_params_command(CLI::App& app);
void register_arch_command(CLI::App& app);
// info, infer, eval
void register_model_commands(CLI::App& app);
void register_xbar_command(CLI::App& app);
void register_acam_command(CLI::App& app);
// compile, show
void register_compile_commands(CLI::App& app);
// ppa, compare, sensitivity
void register_ppa_commands(CLI::App& app);
// sweep, report
void register_sweep_commands(CLI::App& app);

}  // namespace raceit::cli

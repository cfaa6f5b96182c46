// The raceit command line. Only this folder prints and chooses exit codes.
#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "raceit_eval.hpp"
#include "raceit/core/error.hpp"

int main(int argc, char** argv) {
  raceit::cli::set_invocation(argc, argv);
  CLI::App app{
      "raceit " RACEIT_VERSION
      " — simulator and compiler for RACE-IT, an analog in-memory Transformer accelerator\n"
      "(RRAM crossbars + reprogrammable Compute-ACAMs). Run 'raceit COMMAND --help' for details."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "raceit " RACEIT_VERSION);
  raceit::cli::register_params_command(app);
  raceit::cli::register_model_commands(app);
  raceit::cli::register_xbar_command(app);
  raceit::cli::register_acam_command(app);
  raceit::cli::register_arch_command(app);
  raceit::cli::register_compile_commands(app);
  raceit::cli::register_ppa_commands(app);
  raceit::cli::register_generate_command(app);
  raceit::cli::register_sweep_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const raceit::Error& e) {
    std::cerr << "raceit: " << raceit::to_string(e.kind()) << ": " << e.what() << "\n";
    return e.kind() == raceit::ErrorKind::Internal ? 3 : 2;
  } catch (const std::exception& e) {
    std::cerr << "raceit: internal error: " << e.what() << "\n";
    return 3;
  }
  return 0;
}

// `raceit compile` and `raceit show`: a model compiled for an architecture into a program file,
// and a program file printed.
#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "data_options.hpp"
#include "output.hpp"
#include "progress.hpp"
#include "raceit/compiler/program_io.hpp"
#include "raceit/exec/compile.hpp"

namespace raceit::cli {

void register_compile_commands(CLI::App& app) {
  struct CompileArgs {
    exec::CompileRequest request;
    DataOptions data;
    std::string output;
  };
  auto args = std::make_shared<CompileArgs>();
  auto* compile = app.add_subcommand(
      "compile", "Compile a model for an architecture: calibrate, map every operator onto crossbars, Compute-ACAMs "
                 "or digital units, place them on tiles, and write the program (JSON)");
  compile->add_option("--model", args->request.model, "Built-in model name or ONNX file")->required();
  compile->add_option("--arch", args->request.arch, "Architecture preset or file (configs/arch)")->capture_default_str();
  compile->add_option("--set", args->request.overrides, "Override an architecture or mapping key, KEY=VALUE (repeatable; "
                                                        "'raceit params' lists the keys)");
  compile->add_option("--calibration", args->request.calibration_samples, "Calibration samples")
      ->check(CLI::Range(std::int64_t{1}, kMaxSamples))->capture_default_str();
  compile->add_option("--seq", args->request.sequence_length,
                      "Without data: tokens per sample (dynamic dimensions after the batch; default 128); built-ins have "
                      "no weights and, like any model compiled without data, use nominal ranges (mapping.nominal_range)")
      ->check(CLI::Range(std::int64_t{1}, kMaxSequence));
  add_data_options(compile, args->data);
  compile->add_option("--threads", args->request.threads, "Worker threads (default: RACEIT_THREADS or all cores)")
      ->check(CLI::Range(0, kMaxThreads));
  compile->add_option("-o,--output", args->output, "Program file to write")->required();
  compile->callback([args] {
    exec::CompileRequest request = args->request;
    request.dataset = args->data.data;
    request.calibration_data = args->data.calibration_data;
    request.dims = parse_dims(args->data.dims);
    request.progress = progress_reporter(args->data.quiet);
    const auto compiled = exec::compile_model(request);
    compiler::write_program(args->output, compiled.program);
    const auto& p = compiled.program;
    int crossbars = 0, race = 0;
    for (const auto& t : p.tiles) {
      crossbars += t.crossbars;
      race += t.race_arrays;
    }
    const std::string calibration =
        p.calibration.samples > 0
            ? fmt::format("calibrated on {} {} samples of {}", p.calibration.samples, p.calibration.split, p.calibration.dataset)
            : fmt::format("no calibration data: nominal ranges ±{}", p.config_value("mapping.nominal_range"));
    std::cout << fmt::format("{} for {}: {} operators on {} tiles ({} crossbar arrays, {} RACE arrays, {} chip(s)); {}\nwrote {}\n",
                             p.model.name, p.arch_name, p.ops.size(), p.tiles.size(), crossbars, race, p.chips,
                             calibration, args->output);
  });

  struct ShowArgs {
    std::string program;
    bool json = false;
  };
  auto show_args = std::make_shared<ShowArgs>();
  auto* show = app.add_subcommand("show", "Print a compiled program: how every operator is mapped, its quantisation, "
                                          "ACAM programs, placement and events per sample");
  show->add_option("PROGRAM", show_args->program, "Program file written by 'raceit compile'")->required();
  show->add_flag("--json", show_args->json, "Print the program's JSON");
  show->callback([show_args] {
    const auto program = compiler::read_program(show_args->program);
    if (show_args->json)
      std::cout << compiler::to_json(program).dump(2) << "\n";
    else
      std::cout << compiler::to_text(program);
  });
}

}  // namespace raceit::cli

#pragma once
// `raceit eval` without --fp32: the RACE-IT functional executor on a compiled program. The eval
// command itself is registered in model_command.cpp; these add its RACE-IT options and run it.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

namespace raceit::cli {

struct RaceitEvalArgs {
  std::string arch = "raceit";
  std::string program;                 // a compiled program instead of compiling now
  std::vector<std::string> overrides;  // --set KEY=VALUE
  std::int64_t calibration = 64;
  std::string mode = "frozen";
  int seeds = 1;
  std::uint64_t seed = 1;
  double std_scale = -1, stuck = -1;   // < 0: the device preset's
  std::string device;
  std::int64_t error_samples = 64;
};

void add_raceit_eval_options(CLI::App* eval, const std::shared_ptr<RaceitEvalArgs>& args);

void run_raceit_eval(const std::string& model, const std::string& dataset, std::int64_t limit, int threads, bool json,
                     const RaceitEvalArgs& args);

}  // namespace raceit::cli

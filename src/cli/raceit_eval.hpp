#pragma once
// `raceit eval` without --fp32, and `raceit infer --program`: the RACE-IT functional executor on
// a compiled program. The commands themselves are registered in model_command.cpp; these add
// their RACE-IT options and run them.
#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "raceit/core/progress.hpp"
#include "raceit/core/tensor.hpp"
#include "raceit/device/rram.hpp"
#include "raceit/model/graph.hpp"

namespace raceit::cli {

struct RaceitEvalArgs {
  std::string arch = "raceit";
  std::string program;                 // a compiled program instead of compiling now
  std::vector<std::string> overrides;  // --set KEY=VALUE
  std::int64_t calibration = 64;
  std::string calibration_data;        // user files that calibrate instead of the data's train split
  std::string mode = "frozen";
  int seeds = 1;
  std::uint64_t seed = 1;
  double std_scale = -1, stuck = -1;   // < 0: the device preset's
  std::string device;
  std::int64_t error_samples = 64;
};

// What eval scores: the model, its data (a registered data set or user files) and the task.
struct EvalTarget {
  std::string model, data, labels;
  bool lm = false;  // --task lm
  std::int64_t limit = 0;
  int threads = 0;
  bool json = false;
  ProgressFn progress;
};

// --mode, --seed, --std-scale, --stuck, --device (infer --program and eval share them).
void add_device_options(CLI::App* command, const std::shared_ptr<RaceitEvalArgs>& args, const std::string& mode_help);
// The device model of --device, --std-scale and --stuck.
device::RramModel device_model(const RaceitEvalArgs& args);
void add_raceit_eval_options(CLI::App* eval, const std::shared_ptr<RaceitEvalArgs>& args);

// Scores `target`; without target.data, on the data set of the (program's) model (eval_data).
void run_raceit_eval(const EvalTarget& target, const RaceitEvalArgs& args);

// What eval scores `model` on: `data` when given, else the data set of the built-in model
// (exec::default_dataset). Error(InvalidArgument) asking for --data, with the data set names,
// when the model has none (an ONNX file).
std::string eval_data(const std::string& model, const std::string& data);
// The "data:" line's text: where the samples came from, after the data set when eval chose it.
std::string data_line(const std::string& given_data, const std::string& data, const std::string& source);

// `raceit generate` (generate_command.cpp), which shares the device options.
void register_generate_command(CLI::App& app);

// The graph inputs from --input arguments, FILE.npy (a single-input model) or NAME=FILE.npy,
// checked against the graph (model::read_inputs).
std::map<std::string, Tensor> read_input_arguments(const model::Graph& graph, const std::vector<std::string>& inputs);
// run(), whose errors (a value of the data the model rejects, such as a token id outside the
// vocabulary) also name the input files they came from.
std::vector<Tensor> run_on_input_files(const std::vector<std::string>& inputs, const std::function<std::vector<Tensor>()>& run);
// The first output to `path`, or every output as PATH/NAME.npy when `path` is a folder (an existing
// one, or one ending in '/'); reports what it wrote on stderr.
void write_outputs(const model::Graph& graph, const std::vector<Tensor>& outputs, const std::string& path);

// Runs `program` on the inputs (NAME=FILE.npy or FILE.npy) and writes what the hardware outputs:
// the first output to a .npy, or every output as OUTPUT/NAME.npy when `output` is a folder.
void run_raceit_infer(const std::string& model, const std::vector<std::string>& inputs, const std::string& output,
                      int threads, const RaceitEvalArgs& args);

}  // namespace raceit::cli

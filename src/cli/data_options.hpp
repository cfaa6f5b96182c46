#pragma once
// The data options of the commands that compile (compile, ppa, compare): --data, --calibration-data,
// --dim and --quiet. Without data an ONNX model compiles with nominal ranges.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace raceit::cli {

struct DataOptions {
  std::string data;                  // registered data set or user files
  std::string calibration_data;      // user files that calibrate instead
  std::vector<std::string> dims;     // NAME=VALUE
  bool quiet = false;
};

void add_data_options(CLI::App* command, DataOptions& options);

// NAME=VALUE pairs of --dim; Error(InvalidArgument) naming the bad one.
std::map<std::string, std::int64_t> parse_dims(const std::vector<std::string>& dims);

}  // namespace raceit::cli

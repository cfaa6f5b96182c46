#include "data_options.hpp"

#include <fmt/format.h>

#include "progress.hpp"
#include "raceit/core/error.hpp"
#include "raceit/model/dataset_registry.hpp"

namespace raceit::cli {

void add_data_options(CLI::App* command, DataOptions& options) {
  command->add_option("--data", options.data,
                      fmt::format("Calibration data: a data set ({}) or your own FILE.npy / SPEC.yaml; default: the data "
                                  "set a shipped model was trained on, else none (nominal ranges)",
                                  fmt::join(model::dataset_names(), ", ")));
  command->add_option("--calibration-data", options.calibration_data,
                      "Calibrate on these files (.npy or spec.yaml) instead of --data's training split");
  command->add_option("--dim", options.dims,
                      "Without data: a symbolic input dimension of an ONNX model, NAME=VALUE (repeatable; others after "
                      "the batch take --seq)");
  add_quiet_flag(command, options.quiet);
}

std::map<std::string, std::int64_t> parse_dims(const std::vector<std::string>& dims) {
  std::map<std::string, std::int64_t> out;
  for (const auto& d : dims) {
    const auto eq = d.find('=');
    std::size_t used = 0;
    std::int64_t value = 0;
    try {
      if (eq != std::string::npos && eq > 0) value = std::stoll(d.substr(eq + 1), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (eq == std::string::npos || eq == 0 || used == 0 || used != d.size() - eq - 1)
      throw Error(ErrorKind::InvalidArgument, fmt::format("--dim {}: expected NAME=VALUE with an integer VALUE", d));
    if (!out.emplace(d.substr(0, eq), value).second)
      throw Error(ErrorKind::InvalidArgument, fmt::format("--dim {}: '{}' given twice", d, d.substr(0, eq)));
  }
  return out;
}

}  // namespace raceit::cli

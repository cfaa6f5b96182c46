// Configuration YAML: the same text read as an architecture file and as a device file, each
// through its loader's physical-range checks.
#include <string>

#include "harness.hpp"
#include "raceit/core/params.hpp"
#include "raceit/device/rram.hpp"
#include "raceit/arch/arch.hpp"
#include "raceit/compiler/options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  raceit::fuzz::run_reader(data, size, [](std::string_view bytes) {
    raceit::compiler::arch_from_params(raceit::parse_params(raceit::compiler::arch_param_specs(), std::string(bytes), "fuzz.yaml"),
                                   "fuzz.yaml");
  });
  return raceit::fuzz::run_reader(data, size, [](std::string_view bytes) {
    raceit::device::RramModel::from_params(
        raceit::parse_params(raceit::device::rram_param_specs(), std::string(bytes), "fuzz.yaml"));
  });
}

// Program files: JSON parsing and the program's invariants.
#include "harness.hpp"
#include "raceit/compiler/program_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return raceit::fuzz::run_reader(data, size, [](std::string_view bytes) { raceit::compiler::parse_program(bytes, "fuzz.json"); });
}

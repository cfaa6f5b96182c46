// .npy reading: header, shape, dtype and data size.
#include "harness.hpp"
#include "raceit/core/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return raceit::fuzz::run_reader(data, size, [](std::string_view bytes) { raceit::parse_npy(bytes, "fuzz.npy"); });
}

// ONNX import: protobuf parsing, the checker, attribute validation, constant folding and shape
// inference, all from one file's bytes.
#include "harness.hpp"
#include "raceit/model/onnx_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return raceit::fuzz::run_reader(data, size, [](std::string_view bytes) { raceit::model::import_onnx_bytes(bytes, "fuzz.onnx"); });
}

#pragma once
// NumPy .npy files (format versions 1–3, C order, little-endian): the exchange format for
// inputs, outputs and golden data. Errors name the file and what is wrong with it.
#include <string>
#include <string_view>

#include "raceit/core/tensor.hpp"

namespace raceit {

// Reads float32/float64 (as float32), int32/int64 (as int64) and bool arrays.
Tensor read_npy(const std::string& path);
// The same from the bytes of a file; `path` names it in errors (the in-memory entry point for fuzzing).
Tensor parse_npy(std::string_view bytes, const std::string& path);
// Writes float32 ('<f4'), int64 ('<i8') or bool ('|b1') according to the tensor's dtype.
void write_npy(const std::string& path, const Tensor& tensor);

}  // namespace raceit

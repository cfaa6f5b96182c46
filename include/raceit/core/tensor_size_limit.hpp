#pragma once
// A bound on the tensors a thread may create, for code that computes from a stranger's file.
#include <cstdint>

#include "raceit/core/tensor.hpp"

namespace raceit {

// While one is alive on this thread, a tensor whose dimensions multiply (zeros left out) to more
// than `max_elements` is refused with Error(InvalidArgument): what a stranger's file describes
// (a model's constants, the stand-ins of shape inference) cannot allocate without bound, and a
// loop over an empty tensor's other dimensions cannot run for ever. Limits nest; the innermost
// applies.
class TensorSizeLimit {
 public:
  explicit TensorSizeLimit(std::int64_t max_elements);
  ~TensorSizeLimit();
  TensorSizeLimit(const TensorSizeLimit&) = delete;
  TensorSizeLimit& operator=(const TensorSizeLimit&) = delete;
  // Throws when `shape` exceeds the current limit; does nothing without one.
  static void check(const Shape& shape);

 private:
  std::int64_t previous_;
};

}  // namespace raceit

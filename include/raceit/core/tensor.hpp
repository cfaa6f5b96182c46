#pragma once
// A dense, row-major tensor of float32 or int64 values (bool is stored as int64 0/1). It is the
// value type of the model graph (weights, activations, shape arithmetic) and of .npy files.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace raceit {

enum class DType { Float32, Int64, Bool };

const char* to_string(DType dtype);

using Shape = std::vector<std::int64_t>;

// Product of the dimensions (1 for a scalar). Throws Error(InvalidArgument) on a negative dim.
std::int64_t element_count(const Shape& shape);
// "[2, 3, 4]"; a dynamic dimension (< 0) prints as "?".
std::string to_string(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor.
  Tensor(DType dtype, Shape shape);
  static Tensor from_floats(Shape shape, std::vector<float> values);
  static Tensor from_ints(Shape shape, std::vector<std::int64_t> values, DType dtype = DType::Int64);
  static Tensor scalar(float value) { return from_floats({}, {value}); }

  DType dtype() const { return dtype_; }
  bool is_float() const { return dtype_ == DType::Float32; }
  const Shape& shape() const { return shape_; }
  std::int64_t rank() const { return static_cast<std::int64_t>(shape_.size()); }
  std::int64_t dim(std::int64_t axis) const;  // negative axes count from the end
  std::int64_t size() const { return static_cast<std::int64_t>(is_float() ? floats_.size() : ints_.size()); }

  // Element access; the dtype must match (float for Float32, ints for Int64 and Bool).
  std::span<float> floats();
  std::span<const float> floats() const;
  std::span<std::int64_t> ints();
  std::span<const std::int64_t> ints() const;

  // Element i as a double / as an integer, whatever the dtype.
  double number(std::int64_t i) const;
  std::int64_t integer(std::int64_t i) const;
  // The whole tensor as integers (shape arguments such as Reshape's target).
  std::vector<std::int64_t> to_int_vector() const;

  // Same data, new shape of equal element count.
  Tensor reshaped(Shape shape) const;
  // Conversion to another dtype (float→int truncates toward zero, like ONNX Cast).
  Tensor cast(DType dtype) const;

 private:
  DType dtype_ = DType::Float32;
  Shape shape_;
  std::vector<float> floats_;
  std::vector<std::int64_t> ints_;
};

}  // namespace raceit

#include "raceit/core/tensor.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "raceit/core/enum_names.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/tensor_size_limit.hpp"

namespace raceit {

namespace {
constexpr EnumNames<DType, 3> kDTypeNames{{{{DType::Float32, "float32"}, {DType::Int64, "int64"}, {DType::Bool, "bool"}}}};
}  // namespace

const char* to_string(DType dtype) { return kDTypeNames.name(dtype); }

std::int64_t element_count(const Shape& shape) {
  std::int64_t n = 1;
  for (auto d : shape) {
    if (d < 0) throw Error(ErrorKind::InvalidArgument, "element count of a shape with a dynamic dimension " + to_string(shape));
    if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d)
      throw Error(ErrorKind::InvalidArgument, "shape " + to_string(shape) + " has more elements than a 64-bit count");
    n *= d;
  }
  return n;
}

std::string to_string(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return s + "]";
}

namespace {
thread_local std::int64_t tensor_size_limit = 0;  // 0: no limit
}  // namespace

TensorSizeLimit::TensorSizeLimit(std::int64_t max_elements) : previous_(tensor_size_limit) {
  tensor_size_limit = max_elements;
}
TensorSizeLimit::~TensorSizeLimit() { tensor_size_limit = previous_; }

void TensorSizeLimit::check(const Shape& shape) {
  if (tensor_size_limit == 0) return;
  std::int64_t extent = 1;
  for (auto d : shape) {
    if (d > 0 && extent > tensor_size_limit / d)
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("a tensor of shape {} is larger than the limit of {} elements", to_string(shape),
                              tensor_size_limit));
    if (d > 0) extent *= d;
  }
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  TensorSizeLimit::check(shape_);
  const auto n = static_cast<std::size_t>(element_count(shape_));
  if (is_float()) floats_->assign(n, 0.0f);
  else ints_->assign(n, 0);
}

Tensor Tensor::from_floats(Shape shape, std::vector<float> values) {
  TensorSizeLimit::check(shape);
  if (element_count(shape) != static_cast<std::int64_t>(values.size()))
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("{} values do not fill a tensor of shape {}", values.size(), to_string(shape)));
  Tensor t;
  t.dtype_ = DType::Float32;
  t.shape_ = std::move(shape);
  *t.floats_ = std::move(values);
  return t;
}

Tensor Tensor::from_ints(Shape shape, std::vector<std::int64_t> values, DType dtype) {
  if (dtype == DType::Float32) throw Error(ErrorKind::Internal, "Tensor::from_ints with dtype float32");
  TensorSizeLimit::check(shape);
  if (element_count(shape) != static_cast<std::int64_t>(values.size()))
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("{} values do not fill a tensor of shape {}", values.size(), to_string(shape)));
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  *t.ints_ = std::move(values);
  if (dtype == DType::Bool)
    for (auto& v : *t.ints_) v = v != 0;
  return t;
}

std::int64_t Tensor::dim(std::int64_t axis) const {
  const auto r = rank();
  if (axis < -r || axis >= r)
    throw Error(ErrorKind::InvalidArgument, fmt::format("axis {} out of range for shape {}", axis, to_string(shape_)));
  return shape_[static_cast<std::size_t>(axis < 0 ? axis + r : axis)];
}

void Tensor::make_unique() {
  if (floats_.use_count() > 1) floats_ = std::make_shared<std::vector<float>>(*floats_);
  if (ints_.use_count() > 1) ints_ = std::make_shared<std::vector<std::int64_t>>(*ints_);
}

std::span<float> Tensor::floats() {
  if (!is_float()) throw Error(ErrorKind::Internal, std::string("float access to a ") + to_string(dtype_) + " tensor");
  make_unique();
  return *floats_;
}
std::span<const float> Tensor::floats() const {
  if (!is_float()) throw Error(ErrorKind::Internal, std::string("float access to a ") + to_string(dtype_) + " tensor");
  return *floats_;
}
std::span<std::int64_t> Tensor::ints() {
  if (is_float()) throw Error(ErrorKind::Internal, "integer access to a float32 tensor");
  make_unique();
  return *ints_;
}
std::span<const std::int64_t> Tensor::ints() const {
  if (is_float()) throw Error(ErrorKind::Internal, "integer access to a float32 tensor");
  return *ints_;
}

double Tensor::number(std::int64_t i) const {
  return is_float() ? static_cast<double>((*floats_)[static_cast<std::size_t>(i)])
                    : static_cast<double>((*ints_)[static_cast<std::size_t>(i)]);
}
std::int64_t Tensor::integer(std::int64_t i) const {
  if (!is_float()) return (*ints_)[static_cast<std::size_t>(i)];
  const float v = (*floats_)[static_cast<std::size_t>(i)];
  // Converting a NaN or a float beyond 64 bits would be undefined behaviour.
  if (!(std::abs(v) < 0x1p62f))
    throw Error(ErrorKind::InvalidArgument, fmt::format("{} cannot be used as an integer", v));
  return static_cast<std::int64_t>(v);
}

std::vector<std::int64_t> Tensor::to_int_vector() const {
  std::vector<std::int64_t> out(static_cast<std::size_t>(size()));
  for (std::int64_t i = 0; i < size(); ++i) out[static_cast<std::size_t>(i)] = integer(i);
  return out;
}

Tensor Tensor::reshaped(Shape shape) const {
  TensorSizeLimit::check(shape);
  if (element_count(shape) != size())
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("cannot reshape {} to {}", to_string(shape_), to_string(shape)));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::cast(DType dtype) const {
  if (dtype == dtype_) return *this;
  Tensor out(dtype, shape_);
  for (std::int64_t i = 0; i < size(); ++i) {
    const auto k = static_cast<std::size_t>(i);
    if (dtype == DType::Float32) (*out.floats_)[k] = static_cast<float>(number(i));
    else if (dtype == DType::Bool) (*out.ints_)[k] = number(i) != 0.0;
    else (*out.ints_)[k] = integer(i);
  }
  return out;
}

}  // namespace raceit

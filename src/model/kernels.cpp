#include "raceit/model/kernels.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>

#include "raceit/core/error.hpp"
#include "raceit/model/op_traits.hpp"
#include "op_kernels.hpp"

namespace raceit::model {

namespace {

Error fail(const Node& node, const std::string& problem) {
  return Error(ErrorKind::InvalidArgument, fmt::format("node '{}' ({}): {}", node.name, to_string(node.op), problem));
}

const Tensor& need(const Node& node, std::span<const Tensor* const> inputs, std::size_t i) {
  if (i >= inputs.size() || inputs[i] == nullptr) throw fail(node, fmt::format("input {} is missing", i));
  return *inputs[i];
}

std::vector<std::int64_t> strides_of(const Shape& shape) {
  std::vector<std::int64_t> s(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

// Walks the elements of an output shape and keeps, for each broadcast operand, the offset of
// the element it contributes (stride 0 along broadcast dimensions).
class BroadcastWalker {
 public:
  BroadcastWalker(const Shape& out, const std::vector<const Shape*>& operands) : out_(out), index_(out.size(), 0) {
    const auto r = out.size();
    for (const Shape* s : operands) {
      std::vector<std::int64_t> st(r, 0);
      const auto own = strides_of(*s);
      for (std::size_t k = 0; k < s->size(); ++k) {
        const std::size_t o = r - s->size() + k;
        st[o] = (*s)[k] == 1 ? 0 : own[k];
      }
      strides_.push_back(std::move(st));
      offsets_.push_back(0);
    }
  }
  std::int64_t offset(std::size_t operand) const { return offsets_[operand]; }
  void next() {
    for (std::size_t d = out_.size(); d-- > 0;) {
      for (std::size_t o = 0; o < offsets_.size(); ++o) offsets_[o] += strides_[o][d];
      if (++index_[d] < out_[d]) return;
      for (std::size_t o = 0; o < offsets_.size(); ++o) offsets_[o] -= strides_[o][d] * out_[d];
      index_[d] = 0;
    }
  }

 private:
  Shape out_;
  std::vector<std::int64_t> index_;
  std::vector<std::vector<std::int64_t>> strides_;
  std::vector<std::int64_t> offsets_;
};

template <class T>
std::span<const T> view(const Tensor& t) {
  if constexpr (std::is_same_v<T, float>) return t.floats();
  else return t.ints();
}
template <class T>
std::span<T> view(Tensor& t) {
  if constexpr (std::is_same_v<T, float>) return t.floats();
  else return t.ints();
}

// out[i] = f(a[i'], b[i'']) over the broadcast shape.
template <class In, class Out, class F>
Tensor binary_map(const Tensor& a, const Tensor& b, DType out_dtype, const Node& node, F f) {
  const Shape shape = broadcast_shape(a.shape(), b.shape(), node);
  Tensor out(out_dtype, shape);
  auto o = view<Out>(out);
  const auto x = view<In>(a);
  const auto y = view<In>(b);
  if (a.shape() == b.shape()) {
    for (std::size_t i = 0; i < o.size(); ++i) o[i] = static_cast<Out>(f(x[i], y[i]));
  } else if (b.size() == 1) {
    for (std::size_t i = 0; i < o.size(); ++i) o[i] = static_cast<Out>(f(x[i], y[0]));
  } else if (!shape.empty()) {
    // Walk the outer dimensions; along the last one each operand steps by 1 or stays (stride 0).
    const std::int64_t inner = shape.back();
    auto outer_of = [&](const Shape& s) {
      Shape outer(shape.size() - 1, 1);
      for (std::size_t k = 0; k + 1 < s.size(); ++k) outer[outer.size() - (s.size() - 1) + k] = s[k];
      return outer;
    };
    const Shape outer = Shape(shape.begin(), shape.end() - 1), oa = outer_of(a.shape()), ob = outer_of(b.shape());
    const std::int64_t ia = a.rank() && a.shape().back() == inner ? inner : 1, ib = b.rank() && b.shape().back() == inner ? inner : 1;
    const std::int64_t sa = ia == inner && inner > 1 ? 1 : 0, sb = ib == inner && inner > 1 ? 1 : 0;
    BroadcastWalker walk(outer, {&oa, &ob});
    for (std::size_t i = 0; i < o.size(); i += static_cast<std::size_t>(inner), walk.next()) {
      const auto* px = x.data() + walk.offset(0) * ia;
      const auto* py = y.data() + walk.offset(1) * ib;
      for (std::int64_t k = 0; k < inner; ++k) o[i + k] = static_cast<Out>(f(px[k * sa], py[k * sb]));
    }
  } else {
    o[0] = static_cast<Out>(f(x[0], y[0]));
  }
  return out;
}

template <class F>
Tensor arithmetic(const Node& node, const Tensor& a, const Tensor& b, F f) {
  if (a.is_float() != b.is_float())
    throw fail(node, fmt::format("operand types differ ({} and {})", to_string(a.dtype()), to_string(b.dtype())));
  if (a.is_float()) return binary_map<float, float>(a, b, DType::Float32, node, f);
  return binary_map<std::int64_t, std::int64_t>(a, b, a.dtype(), node, f);
}

template <class F>
Tensor comparison(const Node& node, const Tensor& a, const Tensor& b, F f) {
  if (a.is_float() && b.is_float()) return binary_map<float, std::int64_t>(a, b, DType::Bool, node, f);
  if (!a.is_float() && !b.is_float()) return binary_map<std::int64_t, std::int64_t>(a, b, DType::Bool, node, f);
  throw fail(node, "operand types differ");
}

template <class F>
Tensor unary_float(const Node& node, const Tensor& x, F f) {
  if (!x.is_float()) throw fail(node, std::string("expects float32 input, got ") + to_string(x.dtype()));
  Tensor out(DType::Float32, x.shape());
  auto o = out.floats();
  const auto in = x.floats();
  for (std::size_t i = 0; i < o.size(); ++i) o[i] = f(in[i]);
  return out;
}

Tensor where(const Node& node, const Tensor& cond, const Tensor& a, const Tensor& b) {
  if (a.is_float() != b.is_float()) throw fail(node, "branch types differ");
  const Shape shape = broadcast_shape(broadcast_shape(cond.shape(), a.shape(), node), b.shape(), node);
  Tensor out(a.dtype(), shape);
  auto select = [&](auto o, auto x, auto y) {
    BroadcastWalker walk(shape, {&cond.shape(), &a.shape(), &b.shape()});
    const auto c = cond.ints();
    for (std::size_t i = 0; i < o.size(); ++i, walk.next()) o[i] = c[walk.offset(0)] != 0 ? x[walk.offset(1)] : y[walk.offset(2)];
  };
  if (a.is_float()) select(out.floats(), a.floats(), b.floats());
  else select(out.ints(), a.ints(), b.ints());
  return out;
}

// Splits `shape` around `axis` into (outer, length, inner) element counts.
struct AxisView {
  std::int64_t outer = 1, length = 1, inner = 1;
};
AxisView axis_view(const Shape& shape, std::int64_t axis) {
  AxisView v;
  for (std::int64_t d = 0; d < static_cast<std::int64_t>(shape.size()); ++d) {
    if (d < axis) v.outer *= shape[d];
    else if (d == axis) v.length = shape[d];
    else v.inner *= shape[d];
  }
  // An empty tensor has no rows: its other dimensions must not set loops running.
  if (v.length == 0 || v.inner == 0) v.outer = 0;
  return v;
}

// Vectorised element loops. Each is compiled for the x86-64 ISA levels v4 (AVX-512) and v3
// (AVX2 + FMA) and for baseline x86-64, and picked at load time by the CPU's features (GCC
// function multi-versioning; "arch=haswell" would dispatch on the CPU model and miss AMD's).
// The loops are plain arithmetic the compiler vectorises; exp and erf are polynomial
// approximations within a few ulp of libm's.
#define RACEIT_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

// e^x for x ≤ 0 (Cephes expf: x = n·ln2 + r, e^r by a degree-6 polynomial, 2^n by exponent
// bits); 0 below −87, where e^x < 2^−125 (flushing what would be denormals).
inline float exp_nonpositive(float input) {
  // Selects on values, not std::max/std::clamp (references): GCC if-converts and vectorises them.
  const float x = input > -87.0f ? input : -87.0f;  // 2^n stays a normal number
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  const float value = e * std::bit_cast<float>((static_cast<std::int32_t>(n) + 127) << 23);
  return input >= -87.0f ? value : 0.0f;
}

// erf(x) as a rational function on [−4, 4] (Eigen's fast erf), exactly ±1 beyond, as in single
// precision (so GELU is exactly 0 far out on the negative side).
inline float erf_rational(float input) {
  const float low = input > -4.0f ? input : -4.0f, x = low < 4.0f ? low : 4.0f;
  const float x2 = x * x;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  const float value = x * p / q;
  return input <= -4.0f ? -1.0f : input >= 4.0f ? 1.0f : value;
}

RACEIT_VECTOR_CLONES void gelu_loop(const float* in, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = 0.5f * in[i] * (1.0f + erf_rational(in[i] * static_cast<float>(M_SQRT1_2)));
}

// Softmax of `count` contiguous rows of `length` values; per row, eight partial maxima and sums.
RACEIT_VECTOR_CLONES void softmax_rows(const float* in, float* out, std::int64_t count, std::int64_t length) {
  constexpr std::int64_t kLanes = 8;
  for (std::int64_t r = 0; r < count; ++r) {
    const float* x = in + r * length;
    float* y = out + r * length;
    float lane_max[kLanes];
    std::fill(lane_max, lane_max + kLanes, -std::numeric_limits<float>::infinity());
    const std::int64_t body = length - length % kLanes;
    for (std::int64_t i = 0; i < body; i += kLanes)
      for (std::int64_t l = 0; l < kLanes; ++l) lane_max[l] = lane_max[l] > x[i + l] ? lane_max[l] : x[i + l];
    float max = *std::max_element(lane_max, lane_max + kLanes);
    for (std::int64_t i = body; i < length; ++i) max = std::max(max, x[i]);
    for (std::int64_t i = 0; i < length; ++i) y[i] = exp_nonpositive(x[i] - max);
    float lane_sum[kLanes] = {};
    for (std::int64_t i = 0; i < body; i += kLanes)
      for (std::int64_t l = 0; l < kLanes; ++l) lane_sum[l] += y[i + l];
    float sum = 0;
    for (float v : lane_sum) sum += v;
    for (std::int64_t i = body; i < length; ++i) sum += y[i];
    const float inv = 1.0f / sum;
    for (std::int64_t i = 0; i < length; ++i) y[i] *= inv;
  }
}

// Σ row[i] and Σ (row[i] − centre)² in double, four partial sums each.
RACEIT_VECTOR_CLONES double row_sum(const float* row, std::int64_t width) {
  double lane[4] = {};
  const std::int64_t body = width - width % 4;
  for (std::int64_t i = 0; i < body; i += 4)
    for (int l = 0; l < 4; ++l) lane[l] += row[i + l];
  double s = (lane[0] + lane[1]) + (lane[2] + lane[3]);
  for (std::int64_t i = body; i < width; ++i) s += row[i];
  return s;
}
RACEIT_VECTOR_CLONES double row_squares(const float* row, std::int64_t width, double centre) {
  double lane[4] = {};
  const std::int64_t body = width - width % 4;
  for (std::int64_t i = 0; i < body; i += 4)
    for (int l = 0; l < 4; ++l) lane[l] += (row[i + l] - centre) * (row[i + l] - centre);
  double s = (lane[0] + lane[1]) + (lane[2] + lane[3]);
  for (std::int64_t i = body; i < width; ++i) s += (row[i] - centre) * (row[i] - centre);
  return s;
}
RACEIT_VECTOR_CLONES void normalise_row(const float* row, float* out, std::int64_t width, float mean, float inv, const float* g,
                                        const float* b) {
  for (std::int64_t i = 0; i < width; ++i) out[i] = (row[i] - mean) * inv * g[i] + b[i];
}

Tensor softmax(const Node& node, const Tensor& x) {
  if (!x.is_float()) throw fail(node, "expects float32 input");
  const auto axis = normalize_axis(node.attributes.get_int("axis", -1), x.rank(), node);
  const auto v = axis_view(x.shape(), axis);
  Tensor out(DType::Float32, x.shape());
  const float* in = x.floats().data();
  float* o = out.floats().data();
  if (v.inner == 1) {
    softmax_rows(in, o, v.outer, v.length);
    return out;
  }
  // A strided axis: gather each row, reduce it contiguously, scatter it back.
  std::vector<float> row(static_cast<std::size_t>(v.length)), result(row.size());
  for (std::int64_t p = 0; p < v.outer; ++p)
    for (std::int64_t q = 0; q < v.inner; ++q) {
      const std::int64_t base = p * v.length * v.inner + q;
      for (std::int64_t i = 0; i < v.length; ++i) row[static_cast<std::size_t>(i)] = in[base + i * v.inner];
      softmax_rows(row.data(), result.data(), 1, v.length);
      for (std::int64_t i = 0; i < v.length; ++i) o[base + i * v.inner] = result[static_cast<std::size_t>(i)];
    }
  return out;
}

// Y, and when the node asks for them, ONNX's Mean and InvStdDev outputs (X's shape with the
// normalised axes set to 1).
std::vector<Tensor> layer_norm(const Node& node, const Tensor& x, const Tensor& scale, const Tensor* bias) {
  if (!x.is_float()) throw fail(node, "expects float32 input");
  const auto axis = normalize_axis(node.attributes.get_int("axis", -1), x.rank(), node);
  const double eps = node.attributes.get_float("epsilon", 1e-5);
  std::int64_t rows = 1, width = 1;
  for (std::int64_t d = 0; d < x.rank(); ++d) (d < axis ? rows : width) *= x.shape()[d];
  if (scale.size() != width && scale.size() != 1)
    throw fail(node, fmt::format("scale has {} elements, normalised width is {}", scale.size(), width));
  if (bias && bias->size() != width && bias->size() != 1)
    throw fail(node, fmt::format("bias has {} elements, normalised width is {}", bias->size(), width));
  Tensor out(DType::Float32, x.shape());
  Shape stat_shape = x.shape();
  std::fill(stat_shape.begin() + axis, stat_shape.end(), 1);
  Tensor means(DType::Float32, stat_shape), inv_stds(DType::Float32, stat_shape);
  // γ and β over the normalised width (a single value broadcasts).
  auto widen = [&](const Tensor* t, float fallback) {
    std::vector<float> w(static_cast<std::size_t>(width), fallback);
    if (t)
      for (std::int64_t i = 0; i < width; ++i) w[static_cast<std::size_t>(i)] = t->floats()[t->size() == 1 ? 0 : i];
    return w;
  };
  const std::vector<float> g = widen(&scale, 1.0f), b = widen(bias, 0.0f);
  const float* in = x.floats().data();
  float* o = out.floats().data();
  float* mean_out = means.floats().data();
  float* inv_out = inv_stds.floats().data();
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* row = in + r * width;
    // RMSNorm does not centre: its "variance" is mean(x²).
    const double mean = node.op == OpType::LayerNorm ? row_sum(row, width) / static_cast<double>(width) : 0.0;
    const double var = row_squares(row, width, mean) / static_cast<double>(width);
    const auto m = static_cast<float>(mean), inv = static_cast<float>(1.0 / std::sqrt(var + eps));
    mean_out[r] = m;
    inv_out[r] = inv;
    normalise_row(row, o + r * width, width, m, inv, g.data(), b.data());
  }
  std::vector<Tensor> result{std::move(out)};
  if (node.outputs.size() > 1) result.push_back(std::move(means));
  if (node.outputs.size() > 2) result.push_back(std::move(inv_stds));
  return result;
}

Tensor reduce(const Node& node, const Tensor& x) {
  if (reduce_is_noop(node)) return x;
  const auto reduced = reduced_axes(node, x.shape());
  Shape kept_shape;
  for (std::int64_t d = 0; d < x.rank(); ++d) kept_shape.push_back(reduced[static_cast<std::size_t>(d)] ? 1 : x.shape()[d]);
  const Tensor xf = x.cast(DType::Float32);
  std::vector<double> acc(static_cast<std::size_t>(element_count(kept_shape)),
                          node.op == OpType::ReduceMax ? -std::numeric_limits<double>::infinity() : 0.0);
  // Walk the input with the kept shape as a broadcast operand: its offset is the output slot.
  BroadcastWalker walk(x.shape(), {&kept_shape});
  const auto in = xf.floats();
  for (std::size_t i = 0; i < in.size(); ++i, walk.next()) {
    double& a = acc[static_cast<std::size_t>(walk.offset(0))];
    a = node.op == OpType::ReduceMax ? std::max(a, static_cast<double>(in[i])) : a + in[i];
  }
  const double count = static_cast<double>(x.size()) / static_cast<double>(acc.size());
  std::vector<float> values(acc.size());
  for (std::size_t i = 0; i < acc.size(); ++i)
    values[i] = static_cast<float>(node.op == OpType::ReduceMean ? acc[i] / count : acc[i]);
  return Tensor::from_floats(reduce_shape(node, x.shape()), std::move(values)).cast(x.dtype());
}

// A strided view of `x` copied out: output element at index i reads x[base + Σ i[d]·strides[d]].
// Transpose, Split and Slice are all such views.
template <class T>
void strided_copy(std::span<const T> src, std::span<T> dst, const Shape& shape, std::int64_t base,
                  const std::vector<std::int64_t>& strides) {
  if (dst.empty()) return;
  const std::size_t r = shape.size();
  if (r == 0) {
    dst[0] = src[static_cast<std::size_t>(base)];
    return;
  }
  std::vector<std::int64_t> index(r, 0);
  const std::int64_t inner = shape[r - 1], inner_stride = strides[r - 1];
  std::int64_t offset = base;
  for (std::size_t i = 0; i < dst.size(); i += static_cast<std::size_t>(inner)) {
    const T* from = src.data() + offset;
    T* to = dst.data() + i;
    for (std::int64_t k = 0; k < inner; ++k) to[k] = from[k * inner_stride];
    for (std::size_t d = r - 1; d-- > 0;) {  // odometer over the outer dimensions
      offset += strides[d];
      if (++index[d] < shape[d]) break;
      offset -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
}

Tensor strided_view(const Tensor& x, const Shape& out_shape, std::int64_t base, const std::vector<std::int64_t>& strides) {
  Tensor out(x.dtype(), out_shape);
  if (x.is_float()) strided_copy<float>(x.floats(), out.floats(), out_shape, base, strides);
  else strided_copy<std::int64_t>(x.ints(), out.ints(), out_shape, base, strides);
  return out;
}

Tensor transpose(const Node& node, const Tensor& x) {
  const auto perm = transpose_perm(node, x.rank());
  Shape out_shape;
  const auto st = strides_of(x.shape());
  std::vector<std::int64_t> strides;
  for (auto p : perm) {
    out_shape.push_back(x.shape()[static_cast<std::size_t>(p)]);
    strides.push_back(st[static_cast<std::size_t>(p)]);
  }
  return strided_view(x, out_shape, 0, strides);
}

Tensor gather(const Node& node, const Tensor& data, const Tensor& indices) {
  const auto axis = normalize_axis(node.attributes.get_int("axis", 0), data.rank(), node);
  const auto v = axis_view(data.shape(), axis);
  Tensor out(data.dtype(), gather_shape(node, data.shape(), indices.shape()));
  const auto n_idx = indices.size();
  for (std::int64_t j = 0; j < n_idx; ++j) {
    std::int64_t k = indices.integer(j);
    if (k < -v.length || k >= v.length)
      throw fail(node, fmt::format("index {} out of range for axis of length {}", k, v.length));
    if (k < 0) k += v.length;
    for (std::int64_t p = 0; p < v.outer; ++p) {
      const std::int64_t src = (p * v.length + k) * v.inner, dst = (p * n_idx + j) * v.inner;
      if (data.is_float()) std::copy_n(data.floats().data() + src, v.inner, out.floats().data() + dst);
      else std::copy_n(data.ints().data() + src, v.inner, out.ints().data() + dst);
    }
  }
  return out;
}

Tensor concat(const Node& node, std::span<const Tensor* const> inputs) {
  const Tensor& first = need(node, inputs, 0);
  const auto axis = normalize_axis(node.attributes.get_int("axis", 0), first.rank(), node);
  std::vector<const Shape*> shapes;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = need(node, inputs, i);
    if (t.dtype() != first.dtype()) throw fail(node, "inputs differ in rank or type");
    shapes.push_back(&t.shape());
  }
  const Shape out_shape = concat_shape(node, shapes);
  Tensor out(first.dtype(), out_shape);
  const auto outer = axis_view(out_shape, axis).outer;
  std::int64_t offset = 0;
  const std::int64_t out_row = element_count(out_shape) / std::max<std::int64_t>(outer, 1);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = *inputs[i];
    const std::int64_t row = outer ? t.size() / outer : 0;
    for (std::int64_t p = 0; p < outer; ++p) {
      if (t.is_float()) std::copy_n(t.floats().data() + p * row, row, out.floats().data() + p * out_row + offset);
      else std::copy_n(t.ints().data() + p * row, row, out.ints().data() + p * out_row + offset);
    }
    offset += row;
  }
  return out;
}

std::vector<Tensor> split(const Node& node, const Tensor& x) {
  const auto axis = normalize_axis(node.attributes.get_int("axis", 0), x.rank(), node);
  const auto sizes = split_sizes(node, x.shape());
  std::vector<Tensor> out;
  std::int64_t start = 0;
  const auto st = strides_of(x.shape());
  for (auto s : sizes) {
    Shape shape = x.shape();
    shape[axis] = s;
    out.push_back(strided_view(x, shape, start * st[static_cast<std::size_t>(axis)], st));
    start += s;
  }
  return out;
}

// The window a Slice reads: its shape, first index and step along every axis.
struct SliceWindow {
  Shape shape;
  std::vector<std::int64_t> begin, step;
};

SliceWindow slice_window(const Node& node, const Shape& x, std::span<const Tensor* const> inputs) {
  const auto starts = need(node, inputs, 1).to_int_vector();
  const auto ends = need(node, inputs, 2).to_int_vector();
  std::vector<std::int64_t> axes(starts.size()), steps(starts.size(), 1);
  std::iota(axes.begin(), axes.end(), 0);
  if (inputs.size() > 3 && inputs[3]) axes = inputs[3]->to_int_vector();
  if (inputs.size() > 4 && inputs[4]) steps = inputs[4]->to_int_vector();
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    throw fail(node, "starts, ends, axes and steps differ in length");
  const auto r = static_cast<std::int64_t>(x.size());
  SliceWindow w{.shape = x, .begin = std::vector<std::int64_t>(x.size(), 0), .step = std::vector<std::int64_t>(x.size(), 1)};
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const auto a = static_cast<std::size_t>(normalize_axis(axes[i], r, node));
    const std::int64_t n = x[a], s = steps[i];
    if (s == 0) throw fail(node, "step 0");
    auto clampi = [&](std::int64_t v, std::int64_t lo, std::int64_t hi) {
      if (v < 0) v += n;
      return std::clamp(v, lo, hi);
    };
    const std::int64_t b = s > 0 ? clampi(starts[i], 0, n) : clampi(starts[i], -1, n - 1);
    const std::int64_t e = s > 0 ? clampi(ends[i], 0, n) : clampi(ends[i], -1, n - 1);
    w.begin[a] = b;
    w.step[a] = s;
    w.shape[a] = s > 0 ? std::max<std::int64_t>(0, (e - b + s - 1) / s) : std::max<std::int64_t>(0, (b - e - s - 1) / -s);
  }
  return w;
}

Tensor slice(const Node& node, std::span<const Tensor* const> inputs) {
  const Tensor& x = need(node, inputs, 0);
  const SliceWindow w = slice_window(node, x.shape(), inputs);
  const auto st = strides_of(x.shape());
  std::int64_t base = 0;
  std::vector<std::int64_t> strides(st.size());
  for (std::size_t d = 0; d < st.size(); ++d) {
    base += w.begin[d] * st[d];
    strides[d] = w.step[d] * st[d];
  }
  return strided_view(x, w.shape, base, strides);
}

Tensor expand(const Node& node, const Tensor& x, const Tensor& shape) {
  const Shape out_shape = broadcast_shape(x.shape(), shape.to_int_vector(), node);
  BroadcastWalker walk(out_shape, {&x.shape()});
  Tensor out(x.dtype(), out_shape);
  auto fill = [&](auto o, auto in) {
    for (std::size_t i = 0; i < o.size(); ++i, walk.next()) o[i] = in[walk.offset(0)];
  };
  if (x.is_float()) fill(out.floats(), x.floats());
  else fill(out.ints(), x.ints());
  return out;
}

Tensor reshape(const Node& node, const Tensor& x, const Tensor& shape_tensor) {
  return x.reshaped(reshape_shape(node, x.shape(), shape_tensor.to_int_vector()));
}

Tensor constant_of_shape(const Node& node, const Tensor& shape) {
  const auto dtype = static_cast<DType>(node.attributes.get_int("dtype", static_cast<std::int64_t>(DType::Float32)));
  const double value = node.attributes.get_float("value", 0.0);
  Tensor out(dtype, shape.to_int_vector());
  if (dtype == DType::Float32) std::fill(out.floats().begin(), out.floats().end(), static_cast<float>(value));
  else std::fill(out.ints().begin(), out.ints().end(), static_cast<std::int64_t>(std::clamp(value, -0x1p62, 0x1p62)));
  return out;
}

Tensor clip(const Node& node, std::span<const Tensor* const> inputs) {
  const Tensor& x = need(node, inputs, 0);
  auto bound = [&](std::size_t i, const char* name, double fallback) {
    if (inputs.size() <= i || !inputs[i]) return node.attributes.get_float(name, fallback);
    if (inputs[i]->size() != 1) throw fail(node, fmt::format("{} must hold one value, not {}", name, inputs[i]->size()));
    return inputs[i]->number(0);
  };
  const double lo = bound(1, "min", -INFINITY), hi = bound(2, "max", INFINITY);
  if (x.is_float()) {
    const auto l = static_cast<float>(lo), h = static_cast<float>(hi);
    return unary_float(node, x, [&](float v) { return std::min(std::max(v, l), h); });
  }
  Tensor out = x;
  for (auto& v : out.ints()) v = static_cast<std::int64_t>(std::clamp(std::min(std::max(static_cast<double>(v), lo), hi), -0x1p62, 0x1p62));
  return out;
}

// Numpy matmul: rank-1 operands are promoted (and the added axis dropped), batch axes broadcast.
Tensor matmul(const Node& node, const Tensor& a, const Tensor& b) {
  if (!a.is_float() || !b.is_float()) throw fail(node, "expects float32 operands");
  const Shape out_shape = matmul_shape(a.shape(), b.shape(), node);
  const Shape as = a.rank() == 1 ? Shape{1, a.shape()[0]} : a.shape();
  const Shape bs = b.rank() == 1 ? Shape{b.shape()[0], 1} : b.shape();
  const std::int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  Shape batch = broadcast_shape(Shape(as.begin(), as.end() - 2), Shape(bs.begin(), bs.end() - 2), node);
  Shape a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  Tensor out(DType::Float32, out_shape);
  BroadcastWalker walk(batch, {&a_batch, &b_batch});
  const auto x = a.floats(), y = b.floats();
  auto o = out.floats();
  for (std::int64_t p = 0; p < element_count(batch); ++p, walk.next()) {
    const float* pa = x.data() + walk.offset(0) * m * k;
    const float* pb = y.data() + walk.offset(1) * k * n;
    float* pc = o.data() + p * m * n;
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        float s = 0;
        for (std::int64_t t = 0; t < k; ++t) s += pa[i * k + t] * pb[t * n + j];
        pc[i * n + j] = s;
      }
  }
  return out;
}

Tensor weight_matmul(const Node& node, const Tensor& x, const Tensor& stored, const Tensor* bias) {
  if (stored.rank() != 2) throw fail(node, "weight must be a matrix");
  const bool transposed = node.attributes.get_int("transpose_weight", 0) != 0;
  Node plain;
  plain.attributes.set("perm", std::vector<std::int64_t>{1, 0});
  const Tensor w = transposed ? transpose(plain, stored) : stored;
  if (x.rank() < 1 || x.shape().back() != w.shape()[0])
    throw fail(node, fmt::format("input {} does not match weight {}", to_string(x.shape()), to_string(w.shape())));
  Tensor out = matmul(node, x, w);
  if (bias) {
    if (bias->size() != w.shape()[1]) throw fail(node, "bias length differs from the weight's columns");
    auto o = out.floats();
    const auto b = bias->floats();
    const auto n = static_cast<std::size_t>(w.shape()[1]);
    for (std::size_t i = 0; i < o.size(); ++i) o[i] += b[i % n];
  }
  return out;
}

Tensor conv(const Node& node, const Tensor& x, const Tensor& w, const Tensor* bias) {
  if (x.rank() != 4 || w.rank() != 4) throw fail(node, "only 2-D convolution (NCHW) is supported");
  const auto group = node.attributes.get_int("group", 1);
  const auto strides = node.attributes.get_ints("strides", {1, 1});
  const auto dil = node.attributes.get_ints("dilations", {1, 1});
  const auto pads = node.attributes.get_ints("pads", {0, 0, 0, 0});
  const std::int64_t n = x.shape()[0], c = x.shape()[1], h = x.shape()[2], wd = x.shape()[3];
  const std::int64_t m = w.shape()[0], cg = w.shape()[1], kh = w.shape()[2], kw = w.shape()[3];
  const Shape out_shape = conv_shape(node, x.shape(), w.shape());
  if (bias && bias->size() != m) throw fail(node, fmt::format("bias has {} values for {} output channels", bias->size(), m));
  const std::int64_t oh = out_shape[2], ow = out_shape[3];
  Tensor out(DType::Float32, out_shape);
  const auto in = x.floats(), k = w.floats();
  auto o = out.floats();
  const std::int64_t mg = m / group;
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t oc = 0; oc < m; ++oc) {
      const std::int64_t g = oc / mg;
      for (std::int64_t y = 0; y < oh; ++y)
        for (std::int64_t xx = 0; xx < ow; ++xx) {
          float s = bias ? bias->floats()[oc] : 0.0f;
          for (std::int64_t ic = 0; ic < cg; ++ic)
            for (std::int64_t i = 0; i < kh; ++i) {
              const std::int64_t iy = y * strides[0] - pads[0] + i * dil[0];
              if (iy < 0 || iy >= h) continue;
              for (std::int64_t j = 0; j < kw; ++j) {
                const std::int64_t ix = xx * strides[1] - pads[1] + j * dil[1];
                if (ix < 0 || ix >= wd) continue;
                s += in[((b * c + g * cg + ic) * h + iy) * wd + ix] * k[((oc * cg + ic) * kh + i) * kw + j];
              }
            }
          o[((b * m + oc) * oh + y) * ow + xx] = s;
        }
    }
  return out;
}

// x − max − log Σ exp(x − max) over one axis.
Tensor log_softmax(const Node& node, const Tensor& x) {
  const auto axis = normalize_axis(node.attributes.get_int("axis", -1), x.rank(), node);
  const auto v = axis_view(x.shape(), axis);
  Tensor out(DType::Float32, x.shape());
  const auto in = x.floats();
  auto o = out.floats();
  for (std::int64_t p = 0; p < v.outer; ++p)
    for (std::int64_t q = 0; q < v.inner; ++q) {
      const std::int64_t base = p * v.length * v.inner + q;
      double max = -INFINITY, sum = 0;
      for (std::int64_t i = 0; i < v.length; ++i) max = std::max(max, static_cast<double>(in[base + i * v.inner]));
      for (std::int64_t i = 0; i < v.length; ++i) sum += std::exp(static_cast<double>(in[base + i * v.inner]) - max);
      const double shift = max + std::log(sum);
      for (std::int64_t i = 0; i < v.length; ++i) o[base + i * v.inner] = static_cast<float>(in[base + i * v.inner] - shift);
    }
  return out;
}

// Inference batch normalisation over axis 1: (x − mean)/√(var + ε)·scale + bias.
Tensor batch_norm(const Node& node, const Tensor& x, const Tensor& scale, const Tensor& bias, const Tensor& mean,
                  const Tensor& var) {
  if (x.rank() < 2) throw fail(node, "input needs a channel axis (rank 2 or more)");
  const std::int64_t c = x.shape()[1];
  for (const Tensor* t : {&scale, &bias, &mean, &var})
    if (t->size() != c) throw fail(node, fmt::format("per-channel input has {} values for {} channels", t->size(), c));
  const double eps = node.attributes.get_float("epsilon", 1e-5);
  const std::int64_t inner = c == 0 ? 0 : x.size() / (x.shape()[0] * c);
  Tensor out(DType::Float32, x.shape());
  const auto in = x.floats();
  auto o = out.floats();
  for (std::int64_t ch = 0; ch < c; ++ch) {
    const double k = scale.floats()[ch] / std::sqrt(static_cast<double>(var.floats()[ch]) + eps);
    const double b = bias.floats()[ch] - mean.floats()[ch] * k;
    for (std::int64_t n = 0; n < x.shape()[0]; ++n)
      for (std::int64_t i = 0; i < inner; ++i) {
        const std::int64_t at = (n * c + ch) * inner + i;
        o[at] = static_cast<float>(in[at] * k + b);
      }
  }
  return out;
}

// MaxPool and AveragePool over the two spatial axes of NCHW.
Tensor pool(const Node& node, const Tensor& x) {
  const Shape out_shape = pool_shape(node, x.shape());
  const auto k = node.attributes.get_ints("kernel_shape");
  const auto s = node.attributes.get_ints("strides", {1, 1});
  const auto p = node.attributes.get_ints("pads", {0, 0, 0, 0});
  const auto d = node.attributes.get_ints("dilations", {1, 1});
  const bool max = node.op == OpType::MaxPool, include_pad = node.attributes.get_int("count_include_pad", 0) != 0;
  const std::int64_t h = x.shape()[2], w = x.shape()[3], oh = out_shape[2], ow = out_shape[3];
  Tensor out(DType::Float32, out_shape);
  const auto in = x.floats();
  auto o = out.floats();
  for (std::int64_t plane = 0; plane < out_shape[0] * out_shape[1]; ++plane)
    for (std::int64_t y = 0; y < oh; ++y)
      for (std::int64_t xx = 0; xx < ow; ++xx) {
        double acc = max ? -INFINITY : 0.0;
        std::int64_t count = 0, padded = 0;
        for (std::int64_t i = 0; i < k[0]; ++i)
          for (std::int64_t j = 0; j < k[1]; ++j) {
            const std::int64_t iy = y * s[0] - p[0] + i * d[0], ix = xx * s[1] - p[1] + j * d[1];
            // With count_include_pad the divisor counts the explicit padding, not the ceil-mode overhang.
            if (iy < h + p[2] && ix < w + p[3]) ++padded;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const double v = in[(plane * h + iy) * w + ix];
            acc = max ? std::max(acc, v) : acc + v;
            ++count;
          }
        o[(plane * oh + y) * ow + xx] = static_cast<float>(max ? acc : acc / static_cast<double>(include_pad ? padded : std::max<std::int64_t>(count, 1)));
      }
  return out;
}

Tensor range(const Node& node, const Tensor& start, const Tensor& limit, const Tensor& delta) {
  const std::int64_t n = range_length(node, start, limit, delta);
  if (start.is_float()) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = static_cast<float>(start.number(0) + static_cast<double>(i) * delta.number(0));
    return Tensor::from_floats({n}, std::move(v));
  }
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = start.integer(0) + i * delta.integer(0);
  return Tensor::from_ints({n}, std::move(v), start.dtype());
}

// Keeps the upper (j − i ≥ k) or lower (j − i ≤ k) triangle of the last two axes, zeroing the rest.
Tensor trilu(const Node& node, const Tensor& x, const Tensor* k_input) {
  if (x.rank() < 2) throw fail(node, "input needs rank 2 or more");
  if (k_input && k_input->size() != 1) throw fail(node, "k must hold one value");
  const std::int64_t k = k_input ? k_input->integer(0) : 0;
  const bool upper = node.attributes.get_int("upper", 1) != 0;
  const std::int64_t rows = x.shape()[static_cast<std::size_t>(x.rank() - 2)], cols = x.shape().back();
  Tensor out(x.dtype(), x.shape());
  for (std::int64_t at = 0; at < x.size(); ++at) {
    const std::int64_t j = at % cols, i = (at / cols) % rows;
    const bool keep = upper ? j - i >= k : j - i <= k;
    if (x.is_float()) out.floats()[at] = keep ? x.floats()[at] : 0.0f;
    else out.ints()[at] = keep ? x.ints()[at] : 0;
  }
  return out;
}

// Patches of NCHW as rows: out[n, y·OW + x, (c·kh + i)·kw + j] = x[n, c, y·s0 − p0 + i·d0, x·s1 − p1 + j·d1]
// (0 in the padding), the column order of a Conv weight [M, C, kh, kw] flattened per output channel.
Tensor im2col(const Node& node, const Tensor& x) {
  const Shape out_shape = im2col_shape(node, x.shape());
  const auto k = node.attributes.get_ints("kernel_shape");
  const auto s = node.attributes.get_ints("strides", {1, 1});
  const auto p = node.attributes.get_ints("pads", {0, 0, 0, 0});
  const auto d = node.attributes.get_ints("dilations", {1, 1});
  const std::int64_t c = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
  const std::int64_t ow = (w + p[1] + p[3] - d[1] * (k[1] - 1) - 1) / s[1] + 1;
  Tensor out(DType::Float32, out_shape);
  const auto in = x.floats();
  auto o = out.floats();
  const std::int64_t positions = out_shape[1], width = out_shape[2];
  for (std::int64_t n = 0; n < out_shape[0]; ++n)
    for (std::int64_t pos = 0; pos < positions; ++pos) {
      const std::int64_t y = pos / ow, xx = pos % ow;
      float* row = o.data() + (n * positions + pos) * width;
      for (std::int64_t ch = 0; ch < c; ++ch)
        for (std::int64_t i = 0; i < k[0]; ++i)
          for (std::int64_t j = 0; j < k[1]; ++j) {
            const std::int64_t iy = y * s[0] - p[0] + i * d[0], ix = xx * s[1] - p[1] + j * d[1];
            const bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
            row[(ch * k[0] + i) * k[1] + j] = inside ? in[((n * c + ch) * h + iy) * w + ix] : 0.0f;
          }
    }
  return out;
}

}  // namespace

std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank, const Node& node) {
  if (axis < -rank || axis >= rank) throw fail(node, fmt::format("axis {} out of range for rank {}", axis, rank));
  return axis < 0 ? axis + rank : axis;
}

DType cast_target(const Node& node) {
  // ONNX TensorProto data types: 1 float, 11 double → float32; 6 int32, 7 int64, 2 uint8, 3 int8 → int64; 9 bool.
  switch (node.attributes.get_int("to", 1)) {
    case 1: case 11: return DType::Float32;
    case 2: case 3: case 5: case 6: case 7: return DType::Int64;
    case 9: return DType::Bool;
    default: throw Error(ErrorKind::Unsupported, fmt::format("node '{}' (Cast): unsupported target type {}", node.name,
                                                             node.attributes.get_int("to", 1)));
  }
}

bool reduce_is_noop(const Node& node) {
  return node.attributes.get_ints("axes").empty() && node.attributes.get_int("noop_with_empty_axes", 0) != 0;
}

std::vector<bool> reduced_axes(const Node& node, const Shape& x) {
  const auto rank = static_cast<std::int64_t>(x.size());
  if (node.attributes.has("spatial_rank") && node.attributes.get_int("spatial_rank", 0) != rank)
    throw Error(ErrorKind::Unsupported, fmt::format("node '{}' ({}): global pooling is supported over NCHW (rank 4) only, the input is {}",
                                                    node.name, to_string(node.op), to_string(x)));
  const auto axes = node.attributes.get_ints("axes");
  std::vector<bool> reduced(x.size(), axes.empty());
  for (auto a : axes) reduced[static_cast<std::size_t>(normalize_axis(a, rank, node))] = true;
  return reduced;
}

Shape reduce_shape(const Node& node, const Shape& x) {
  if (reduce_is_noop(node)) return x;
  const bool keepdims = node.attributes.get_int("keepdims", 1) != 0;
  const auto reduced = reduced_axes(node, x);
  Shape out;
  for (std::size_t d = 0; d < x.size(); ++d)
    if (!reduced[d] || keepdims) out.push_back(reduced[d] ? 1 : x[d]);
  return out;
}

std::vector<std::int64_t> transpose_perm(const Node& node, std::int64_t rank) {
  auto perm = node.attributes.get_ints("perm");
  if (perm.empty()) {
    perm.resize(static_cast<std::size_t>(rank));
    std::iota(perm.rbegin(), perm.rend(), 0);
  }
  if (static_cast<std::int64_t>(perm.size()) != rank) throw fail(node, "perm length differs from the input rank");
  std::vector<bool> seen(static_cast<std::size_t>(rank), false);
  for (auto& p : perm) {
    p = normalize_axis(p, rank, node);
    if (seen[static_cast<std::size_t>(p)]) throw fail(node, "perm repeats an axis");
    seen[static_cast<std::size_t>(p)] = true;
  }
  return perm;
}

Shape gather_shape(const Node& node, const Shape& data, const Shape& indices) {
  const auto axis = normalize_axis(node.attributes.get_int("axis", 0), static_cast<std::int64_t>(data.size()), node);
  Shape out(data.begin(), data.begin() + axis);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), data.begin() + axis + 1, data.end());
  return out;
}

Shape concat_shape(const Node& node, std::span<const Shape* const> inputs) {
  if (inputs.empty()) throw fail(node, "input 0 is missing");
  const Shape& first = *inputs[0];
  const auto rank = static_cast<std::int64_t>(first.size());
  const auto axis = normalize_axis(node.attributes.get_int("axis", 0), rank, node);
  Shape out = first;
  out[axis] = 0;
  for (const Shape* s : inputs) {
    if (static_cast<std::int64_t>(s->size()) != rank) throw fail(node, "inputs differ in rank or type");
    for (std::int64_t d = 0; d < rank; ++d)
      if (d != axis && (*s)[d] != first[d])
        throw fail(node, fmt::format("input shapes {} and {} do not concatenate on axis {}", to_string(first), to_string(*s), axis));
    out[axis] += (*s)[axis];
  }
  return out;
}

std::vector<std::int64_t> split_sizes(const Node& node, const Shape& x) {
  const auto axis = normalize_axis(node.attributes.get_int("axis", 0), static_cast<std::int64_t>(x.size()), node);
  auto sizes = node.attributes.get_ints("split");
  const auto parts = static_cast<std::int64_t>(node.outputs.size());
  const auto length = x[axis];
  if (sizes.empty()) {
    const std::int64_t chunk = (length + parts - 1) / parts;
    for (std::int64_t i = 0; i < parts; ++i) sizes.push_back(std::min(chunk, length - i * chunk));
  }
  if (static_cast<std::int64_t>(sizes.size()) != parts || std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0}) != length ||
      std::any_of(sizes.begin(), sizes.end(), [](std::int64_t v) { return v < 0; }))
    throw fail(node, fmt::format("split sizes do not divide an axis of length {} into {} parts", length, parts));
  return sizes;
}

Shape slice_shape(const Node& node, const Shape& x, std::span<const Tensor* const> inputs) {
  return slice_window(node, x, inputs).shape;
}

Shape reshape_shape(const Node& node, const Shape& x, std::vector<std::int64_t> shape) {
  const bool allow_zero = node.attributes.get_int("allowzero", 0) != 0;
  std::int64_t known = 1, infer = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allow_zero) {
      if (i >= x.size()) throw fail(node, "0 in target shape beyond the input rank");
      shape[i] = x[i];
    }
    if (shape[i] == -1) {
      if (infer >= 0) throw fail(node, "more than one -1 in target shape");
      infer = static_cast<std::int64_t>(i);
    } else if (shape[i] < 0) {
      throw fail(node, fmt::format("negative dimension {} in target shape", shape[i]));
    } else if (shape[i] > 0 && known > (std::int64_t{1} << 62) / shape[i]) {
      throw fail(node, fmt::format("target shape {} has more than 2^62 elements", to_string(shape)));
    } else {
      known *= shape[i];
    }
  }
  const std::int64_t size = element_count(x);
  if (infer >= 0) {
    if (known == 0 || size % known != 0) throw fail(node, fmt::format("cannot reshape {} to {}", to_string(x), to_string(shape)));
    shape[static_cast<std::size_t>(infer)] = size / known;
  }
  if (element_count(shape) != size) throw fail(node, fmt::format("cannot reshape {} to {}", to_string(x), to_string(shape)));
  return shape;
}

Shape unsqueeze_shape(const Node& node, const Shape& x) {
  const auto axes = node.attributes.get_ints("axes");
  const auto r = static_cast<std::int64_t>(x.size() + axes.size());
  std::vector<bool> inserted(static_cast<std::size_t>(r), false);
  for (auto a : axes) {
    const auto d = static_cast<std::size_t>(normalize_axis(a, r, node));
    if (inserted[d]) throw fail(node, "axes repeat an axis");
    inserted[d] = true;
  }
  Shape shape;
  std::size_t k = 0;
  for (std::int64_t d = 0; d < r; ++d) shape.push_back(inserted[static_cast<std::size_t>(d)] ? 1 : x[k++]);
  return shape;
}

Shape squeeze_shape(const Node& node, const Shape& x) {
  const auto axes = node.attributes.get_ints("axes");
  const auto rank = static_cast<std::int64_t>(x.size());
  std::vector<bool> removed(x.size(), false);
  for (auto a : axes) {
    const auto d = normalize_axis(a, rank, node);
    if (x[d] != 1) throw fail(node, fmt::format("cannot squeeze axis {} of length {}", d, x[d]));
    removed[static_cast<std::size_t>(d)] = true;
  }
  Shape shape;
  for (std::size_t d = 0; d < x.size(); ++d)
    if (!(axes.empty() ? x[d] == 1 : removed[d])) shape.push_back(x[d]);
  return shape;
}

Shape conv_shape(const Node& node, const Shape& x, const Shape& w) {
  if (x.size() != 4 || w.size() != 4) throw fail(node, "only 2-D convolution (NCHW) is supported");
  if (node.attributes.has("auto_pad") && std::get<std::string>(node.attributes.all().at("auto_pad")) != "NOTSET")
    throw Error(ErrorKind::Unsupported, fmt::format("node '{}' (Conv): auto_pad is not supported", node.name));
  const auto group = node.attributes.get_int("group", 1);
  const auto s = node.attributes.get_ints("strides", {1, 1});
  const auto d = node.attributes.get_ints("dilations", {1, 1});
  const auto p = node.attributes.get_ints("pads", {0, 0, 0, 0});
  if (s.size() != 2 || d.size() != 2 || p.size() != 4) throw fail(node, "strides, dilations or pads have the wrong length");
  if (group < 1 || x[1] != w[1] * group || w[0] % group != 0) throw fail(node, "channel counts do not match the weight and group");
  const std::int64_t oh = (x[2] + p[0] + p[2] - d[0] * (w[2] - 1) - 1) / s[0] + 1;
  const std::int64_t ow = (x[3] + p[1] + p[3] - d[1] * (w[3] - 1) - 1) / s[1] + 1;
  if (oh < 1 || ow < 1) throw fail(node, "the kernel is larger than the padded input");
  return {x[0], w[0], oh, ow};
}

namespace {

// Output extent of a sliding window along one axis (ceil_mode: a last window that starts inside
// the input or its leading padding counts, as in PyTorch).
std::int64_t window_count(std::int64_t in, std::int64_t pad_total, std::int64_t pad_begin, std::int64_t kernel, std::int64_t stride,
                          std::int64_t dilation, bool ceil_mode) {
  const std::int64_t span = in + pad_total - dilation * (kernel - 1) - 1;
  if (span < 0) return 0;
  std::int64_t n = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceil_mode && (n - 1) * stride >= in + pad_begin) --n;
  return n;
}

// The 2-D window attributes of a pool or an Im2Col: kernel_shape required, 2 strides and dilations
// at least 1, 4 pads at least 0.
void check_window(const Node& node, const Shape& x) {
  if (x.size() != 4) throw fail(node, fmt::format("only 2-D windows over NCHW are supported, input is {}", to_string(x)));
  if (node.attributes.has("auto_pad") && node.attributes.all().at("auto_pad") != AttributeValue(std::string("NOTSET")))
    throw Error(ErrorKind::Unsupported, fmt::format("node '{}' ({}): auto_pad is not supported", node.name, to_string(node.op)));
  const auto k = node.attributes.get_ints("kernel_shape");
  const auto s = node.attributes.get_ints("strides", {1, 1});
  const auto d = node.attributes.get_ints("dilations", {1, 1});
  const auto p = node.attributes.get_ints("pads", {0, 0, 0, 0});
  auto all_at_least = [](const std::vector<std::int64_t>& v, std::int64_t lo) {
    return std::all_of(v.begin(), v.end(), [&](std::int64_t e) { return e >= lo && e <= (std::int64_t{1} << 24); });
  };
  if (k.size() != 2 || s.size() != 2 || d.size() != 2 || p.size() != 4 || !all_at_least(k, 1) || !all_at_least(s, 1) ||
      !all_at_least(d, 1) || !all_at_least(p, 0))
    throw fail(node, "kernel_shape, strides, dilations (2 values, ≥ 1) or pads (4 values, ≥ 0) are missing or out of range");
}

}  // namespace

Shape pool_shape(const Node& node, const Shape& x) {
  check_window(node, x);
  const auto k = node.attributes.get_ints("kernel_shape");
  const auto s = node.attributes.get_ints("strides", {1, 1});
  const auto d = node.attributes.get_ints("dilations", {1, 1});
  const auto p = node.attributes.get_ints("pads", {0, 0, 0, 0});
  const bool ceil_mode = node.attributes.get_int("ceil_mode", 0) != 0;
  const std::int64_t oh = window_count(x[2], p[0] + p[2], p[0], k[0], s[0], d[0], ceil_mode);
  const std::int64_t ow = window_count(x[3], p[1] + p[3], p[1], k[1], s[1], d[1], ceil_mode);
  if (oh < 1 || ow < 1) throw fail(node, "the window is larger than the padded input");
  return {x[0], x[1], oh, ow};
}

Shape im2col_shape(const Node& node, const Shape& x) {
  const Shape pooled = pool_shape(node, x);
  const auto k = node.attributes.get_ints("kernel_shape");
  return {x[0], pooled[2] * pooled[3], x[1] * k[0] * k[1]};
}

std::int64_t range_length(const Node& node, const Tensor& start, const Tensor& limit, const Tensor& delta) {
  if (start.size() != 1 || limit.size() != 1 || delta.size() != 1) throw fail(node, "start, limit and delta must be scalars");
  const double step = delta.number(0);
  if (step == 0 || !std::isfinite(step)) throw fail(node, "delta is 0 or not finite");
  const double n = std::ceil((limit.number(0) - start.number(0)) / step);
  if (!(n < 0x1p40)) throw fail(node, fmt::format("{} elements", n));
  return std::max<std::int64_t>(0, static_cast<std::int64_t>(n));
}

std::vector<std::int64_t> shape_operator_dims(const Node& node, const Shape& shape) {
  const auto r = static_cast<std::int64_t>(shape.size());
  auto clamp_axis = [&](std::int64_t a) { return std::clamp(a < 0 ? a + r : a, std::int64_t{0}, r); };
  const auto start = clamp_axis(node.attributes.get_int("start", 0));
  const auto end = clamp_axis(node.attributes.get_int("end", r));
  return {shape.begin() + start, shape.begin() + std::max(start, end)};
}

float gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * static_cast<float>(M_SQRT1_2))); }

Shape broadcast_shape(const Shape& a, const Shape& b, const Node& node) {
  const std::size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (std::size_t i = 0; i < r; ++i) {
    const std::int64_t x = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const std::int64_t y = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (x != y && x != 1 && y != 1)
      throw fail(node, fmt::format("shapes {} and {} do not broadcast", to_string(a), to_string(b)));
    out[i] = x == 1 ? y : x;
  }
  return out;
}

Shape matmul_shape(const Shape& a, const Shape& b, const Node& node) {
  if (a.empty() || b.empty()) throw fail(node, "matmul of a scalar");
  const Shape as = a.size() == 1 ? Shape{1, a[0]} : a;
  const Shape bs = b.size() == 1 ? Shape{b[0], 1} : b;
  if (as.back() != bs[bs.size() - 2])
    throw fail(node, fmt::format("inner dimensions of {} and {} differ", to_string(a), to_string(b)));
  Shape out = broadcast_shape(Shape(as.begin(), as.end() - 2), Shape(bs.begin(), bs.end() - 2), node);
  if (a.size() > 1) out.push_back(as[as.size() - 2]);
  if (b.size() > 1) out.push_back(bs.back());
  return out;
}

// One kernel per operator, listed in model/op_traits.cpp's table.
namespace kernels {

namespace {

const Tensor* optional(Inputs in, std::size_t i) { return i < in.size() ? in[i] : nullptr; }

template <class F>
std::vector<Tensor> unary(const Node& node, Inputs in, F f) {
  return {unary_float(node, need(node, in, 0), f)};
}

template <class F>
std::vector<Tensor> binary(const Node& node, Inputs in, F f) {
  return {arithmetic(node, need(node, in, 0), need(node, in, 1), f)};
}

template <class F>
std::vector<Tensor> compare(const Node& node, Inputs in, F f) {
  return {comparison(node, need(node, in, 0), need(node, in, 1), f)};
}

}  // namespace

std::vector<Tensor> weight_matmul(const Node& n, Inputs in) {
  return {model::weight_matmul(n, need(n, in, 0), need(n, in, 1), optional(in, 2))};
}
std::vector<Tensor> data_matmul(const Node& n, Inputs in) { return {matmul(n, need(n, in, 0), need(n, in, 1))}; }
std::vector<Tensor> conv(const Node& n, Inputs in) { return {model::conv(n, need(n, in, 0), need(n, in, 1), optional(in, 2))}; }
std::vector<Tensor> gelu(const Node& n, Inputs in) {
  const Tensor& x = need(n, in, 0);
  if (!x.is_float()) throw fail(n, "expects float32 input");
  if (n.attributes.has("approximate") && n.attributes.all().at("approximate") == AttributeValue(std::string("tanh")))
    return unary(n, in, [](float v) {  // ONNX Gelu(approximate="tanh"), Hugging Face's gelu_new
      const double d = v;
      return static_cast<float>(0.5 * d * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (d + 0.044715 * d * d * d))));
    });
  Tensor out(DType::Float32, x.shape());
  gelu_loop(x.floats().data(), out.floats().data(), out.floats().size());
  return {out};
}
std::vector<Tensor> silu(const Node& n, Inputs in) {
  return unary(n, in, [](float v) { return v / (1.0f + std::exp(-v)); });
}
std::vector<Tensor> norm(const Node& n, Inputs in) { return layer_norm(n, need(n, in, 0), need(n, in, 1), optional(in, 2)); }
// Softmax and LogSoftmax before opset 13 ("flatten"): over all axes from `axis` on, as rows.
template <class F>
Tensor over_rows(const Node& n, const Tensor& x, F f) {
  if (n.attributes.get_int("flatten", 0) == 0) return f(n, x);
  const auto axis = normalize_axis(n.attributes.get_int("axis", 1), x.rank(), n);
  std::int64_t rows = 1;
  for (std::int64_t d = 0; d < axis; ++d) rows *= x.shape()[d];
  Node last = n;
  last.attributes.set("axis", std::int64_t{-1});
  return f(last, x.reshaped({rows, rows == 0 ? 0 : x.size() / rows})).reshaped(x.shape());
}

std::vector<Tensor> softmax(const Node& n, Inputs in) { return {over_rows(n, need(n, in, 0), model::softmax)}; }
std::vector<Tensor> add(const Node& n, Inputs in) { return binary(n, in, [](auto a, auto b) { return a + b; }); }
std::vector<Tensor> sub(const Node& n, Inputs in) { return binary(n, in, [](auto a, auto b) { return a - b; }); }
std::vector<Tensor> mul(const Node& n, Inputs in) { return binary(n, in, [](auto a, auto b) { return a * b; }); }
std::vector<Tensor> div(const Node& n, Inputs in) {
  if (!need(n, in, 1).is_float())
    for (auto v : need(n, in, 1).ints())
      if (v == 0) throw fail(n, "integer division by zero");
  return binary(n, in, [](auto a, auto b) { return a / b; });
}
std::vector<Tensor> pow(const Node& n, Inputs in) {
  if (!need(n, in, 0).is_float()) throw fail(n, "expects a float32 base");
  return {binary_map<float, float>(need(n, in, 0), need(n, in, 1).cast(DType::Float32), DType::Float32, n,
                                   [](float a, float b) { return b == 2.0f ? a * a : std::pow(a, b); })};
}
std::vector<Tensor> equal(const Node& n, Inputs in) { return compare(n, in, [](auto a, auto b) { return a == b; }); }
std::vector<Tensor> less(const Node& n, Inputs in) { return compare(n, in, [](auto a, auto b) { return a < b; }); }
std::vector<Tensor> greater(const Node& n, Inputs in) { return compare(n, in, [](auto a, auto b) { return a > b; }); }
std::vector<Tensor> where(const Node& n, Inputs in) {
  return {model::where(n, need(n, in, 0), need(n, in, 1), need(n, in, 2))};
}
std::vector<Tensor> sqrt(const Node& n, Inputs in) { return unary(n, in, [](float v) { return std::sqrt(v); }); }
std::vector<Tensor> reciprocal(const Node& n, Inputs in) { return unary(n, in, [](float v) { return 1.0f / v; }); }
std::vector<Tensor> exp(const Node& n, Inputs in) { return unary(n, in, [](float v) { return std::exp(v); }); }
std::vector<Tensor> erf(const Node& n, Inputs in) { return unary(n, in, [](float v) { return std::erf(v); }); }
std::vector<Tensor> relu(const Node& n, Inputs in) { return unary(n, in, [](float v) { return std::max(v, 0.0f); }); }
std::vector<Tensor> tanh(const Node& n, Inputs in) { return unary(n, in, [](float v) { return std::tanh(v); }); }
std::vector<Tensor> sigmoid(const Node& n, Inputs in) {
  return unary(n, in, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
}
std::vector<Tensor> neg(const Node& n, Inputs in) {
  if (need(n, in, 0).is_float()) return unary(n, in, [](float v) { return -v; });
  Tensor out = need(n, in, 0);
  for (auto& v : out.ints()) v = -v;
  return {out};
}
std::vector<Tensor> logical_not(const Node& n, Inputs in) {
  if (need(n, in, 0).dtype() != DType::Bool) throw fail(n, "expects a bool input");
  Tensor out = need(n, in, 0);
  for (auto& v : out.ints()) v = !v;
  return {out};
}
std::vector<Tensor> cast(const Node& n, Inputs in) { return {need(n, in, 0).cast(cast_target(n))}; }
std::vector<Tensor> clip(const Node& n, Inputs in) { return {model::clip(n, in)}; }
std::vector<Tensor> reduce(const Node& n, Inputs in) { return {model::reduce(n, need(n, in, 0))}; }
std::vector<Tensor> reshape(const Node& n, Inputs in) { return {model::reshape(n, need(n, in, 0), need(n, in, 1))}; }
std::vector<Tensor> transpose(const Node& n, Inputs in) { return {model::transpose(n, need(n, in, 0))}; }
std::vector<Tensor> split(const Node& n, Inputs in) { return model::split(n, need(n, in, 0)); }
std::vector<Tensor> concat(const Node& n, Inputs in) { return {model::concat(n, in)}; }
std::vector<Tensor> gather(const Node& n, Inputs in) { return {model::gather(n, need(n, in, 0), need(n, in, 1))}; }
std::vector<Tensor> unsqueeze(const Node& n, Inputs in) {
  return {need(n, in, 0).reshaped(unsqueeze_shape(n, need(n, in, 0).shape()))};
}
std::vector<Tensor> squeeze(const Node& n, Inputs in) {
  return {need(n, in, 0).reshaped(squeeze_shape(n, need(n, in, 0).shape()))};
}
std::vector<Tensor> shape(const Node& n, Inputs in) {
  const auto dims = shape_operator_dims(n, need(n, in, 0).shape());
  return {Tensor::from_ints({static_cast<std::int64_t>(dims.size())}, dims)};
}
std::vector<Tensor> constant_of_shape(const Node& n, Inputs in) { return {model::constant_of_shape(n, need(n, in, 0))}; }
std::vector<Tensor> expand(const Node& n, Inputs in) { return {model::expand(n, need(n, in, 0), need(n, in, 1))}; }
std::vector<Tensor> slice(const Node& n, Inputs in) { return {model::slice(n, in)}; }
std::vector<Tensor> identity(const Node& n, Inputs in) { return {need(n, in, 0)}; }

std::vector<Tensor> hard_sigmoid(const Node& n, Inputs in) {
  const auto alpha = static_cast<float>(n.attributes.get_float("alpha", 0.2)), beta = static_cast<float>(n.attributes.get_float("beta", 0.5));
  return unary(n, in, [=](float v) { return std::clamp(alpha * v + beta, 0.0f, 1.0f); });
}
std::vector<Tensor> hard_swish(const Node& n, Inputs in) {
  return unary(n, in, [](float v) { return v * std::clamp(v / 6.0f + 0.5f, 0.0f, 1.0f); });
}
std::vector<Tensor> softplus(const Node& n, Inputs in) {
  return unary(n, in, [](float v) { return std::max(v, 0.0f) + std::log1p(std::exp(-std::abs(v))); });
}
std::vector<Tensor> log_softmax(const Node& n, Inputs in) { return {over_rows(n, need(n, in, 0), model::log_softmax)}; }
std::vector<Tensor> cos(const Node& n, Inputs in) { return unary(n, in, [](float v) { return std::cos(v); }); }
std::vector<Tensor> sin(const Node& n, Inputs in) { return unary(n, in, [](float v) { return std::sin(v); }); }
std::vector<Tensor> batch_norm(const Node& n, Inputs in) {
  return {model::batch_norm(n, need(n, in, 0), need(n, in, 1), need(n, in, 2), need(n, in, 3), need(n, in, 4))};
}
std::vector<Tensor> pool(const Node& n, Inputs in) { return {model::pool(n, need(n, in, 0))}; }
std::vector<Tensor> range(const Node& n, Inputs in) { return {model::range(n, need(n, in, 0), need(n, in, 1), need(n, in, 2))}; }
std::vector<Tensor> trilu(const Node& n, Inputs in) { return {model::trilu(n, need(n, in, 0), optional(in, 1))}; }
std::vector<Tensor> im2col(const Node& n, Inputs in) { return {model::im2col(n, need(n, in, 0))}; }

}  // namespace kernels

std::vector<Tensor> evaluate_node(const Node& node, std::span<const Tensor* const> inputs) {
  const OpTraits& traits = op_traits(node.op);
  if (inputs.size() < traits.min_inputs || (traits.max_inputs != kVariadic && inputs.size() > traits.max_inputs))
    throw fail(node, fmt::format("has {} inputs, the operator takes {} to {}", inputs.size(), traits.min_inputs, traits.max_inputs));
  // Operators of float arithmetic only: a file may give them integer operands (a fuzz finding).
  switch (node.op) {
    case OpType::WeightMatMul: case OpType::Conv: case OpType::LayerNorm: case OpType::RmsNorm: case OpType::Softmax:
    case OpType::LogSoftmax: case OpType::BatchNorm: case OpType::MaxPool: case OpType::AveragePool: case OpType::Im2Col:
      for (std::size_t i = 0; i < inputs.size(); ++i)
        if (inputs[i] && !inputs[i]->is_float())
          throw fail(node, fmt::format("input {} is {}, the operator takes float32", i, to_string(inputs[i]->dtype())));
      break;
    default: break;
  }
  return traits.kernel(node, inputs);
}

}  // namespace raceit::model

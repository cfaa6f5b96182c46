// The semantic operators that have no ONNX node test (RmsNorm, Silu, Gelu, transposed-weight
// WeightMatMul) against their formulas evaluated in double precision.
#include "raceit/model/kernels.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace raceit::model {
namespace {

Node make_node(OpType op, Attributes attributes = {}) { return Node{"n", op, {}, {"y"}, std::move(attributes), ""}; }

TEST(Kernels, RmsNormMatchesFormula) {
  const Tensor x = Tensor::from_floats({2, 3}, {1, -2, 3, 0.5f, 0.25f, -4});
  const Tensor g = Tensor::from_floats({3}, {1, 2, 0.5f});
  Attributes a;
  a.set("epsilon", 1e-5);
  const Tensor* in[] = {&x, &g};
  const Tensor y = evaluate_node(make_node(OpType::RmsNorm, a), in)[0];
  for (int r = 0; r < 2; ++r) {
    double ms = 0;
    for (int i = 0; i < 3; ++i) ms += x.number(r * 3 + i) * x.number(r * 3 + i) / 3;
    for (int i = 0; i < 3; ++i)
      EXPECT_NEAR(y.number(r * 3 + i), x.number(r * 3 + i) / std::sqrt(ms + 1e-5) * g.number(i), 1e-6);
  }
}

TEST(Kernels, SiluAndGeluMatchFormulas) {
  const Tensor x = Tensor::from_floats({5}, {-3, -0.5f, 0, 0.7f, 4});
  const Tensor* in[] = {&x};
  const Tensor silu = evaluate_node(make_node(OpType::Silu), in)[0];
  const Tensor gelu = evaluate_node(make_node(OpType::Gelu), in)[0];
  for (int i = 0; i < 5; ++i) {
    const double v = x.number(i);
    EXPECT_NEAR(silu.number(i), v / (1 + std::exp(-v)), 1e-6);
    EXPECT_NEAR(gelu.number(i), 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))), 1e-6);
  }
}

// The vectorised GELU (rational erf) on a dense grid over [−8, 8] and beyond: within 1e-6
// absolute plus 4 float ulps of the double-precision formula (the rational erf's error in the
// negative tail, where 1 + erf(x) cancels, is about 3e-7), and exactly 0 far out on that side.
TEST(Kernels, VectorisedGeluIsWithinUlpsOfTheFormula) {
  std::vector<float> v;
  for (int i = -40000; i <= 40000; ++i) v.push_back(static_cast<float>(i) * 2e-4f);
  for (float x : {-1e4f, -20.0f, 20.0f, 1e4f}) v.push_back(x);
  const auto n = static_cast<std::int64_t>(v.size());
  const Tensor x = Tensor::from_floats({n}, v);
  const Tensor* in[] = {&x};
  const Tensor y = evaluate_node(make_node(OpType::Gelu), in)[0];
  for (std::int64_t i = 0; i < n; ++i) {
    const double e = 0.5 * x.number(i) * (1 + std::erf(x.number(i) / std::sqrt(2.0)));
    ASSERT_NEAR(y.number(i), e, 1e-6 + 4 * std::abs(e) * 0x1p-23) << "x = " << x.number(i);
  }
  EXPECT_EQ(y.number(n - 4), 0.0);
}

// Softmax rows of several lengths (vector body and tail), along the last and a middle axis:
// within 1e-6 relative of the formula in double precision from the float differences x − max
// (the rounding any float softmax starts from), rows summing to 1.
TEST(Kernels, VectorisedSoftmaxMatchesFormula) {
  for (std::int64_t length : {1, 5, 8, 37, 197}) {
    std::vector<float> v;
    for (std::int64_t i = 0; i < 3 * length * 2; ++i) v.push_back(static_cast<float>(std::sin(0.37 * static_cast<double>(i)) * 30));
    const Tensor x = Tensor::from_floats({3, length, 2}, v);
    for (std::int64_t axis : {1, 2}) {
      Attributes a;
      a.set("axis", axis);
      const Tensor* in[] = {&x};
      const Tensor y = evaluate_node(make_node(OpType::Softmax, a), in)[0];
      const std::int64_t len = axis == 1 ? length : 2, stride = axis == 1 ? 2 : 1;
      for (std::int64_t p = 0; p < 3; ++p)
        for (std::int64_t q = 0; q < (axis == 1 ? 2 : length); ++q) {
          const std::int64_t base = axis == 1 ? p * length * 2 + q : (p * length + q) * 2;
          double max = -1e300, sum = 0, total = 0;
          for (std::int64_t i = 0; i < len; ++i) max = std::max(max, x.number(base + i * stride));
          auto shifted = [&](std::int64_t i) {
            return static_cast<double>(static_cast<float>(x.number(base + i * stride)) - static_cast<float>(max));
          };
          for (std::int64_t i = 0; i < len; ++i) sum += std::exp(shifted(i));
          for (std::int64_t i = 0; i < len; ++i) {
            const double e = std::exp(shifted(i)) / sum;
            ASSERT_NEAR(y.number(base + i * stride), e, 1e-6 * e + 1e-30) << "length " << length << " axis " << axis;
            total += y.number(base + i * stride);
          }
          EXPECT_NEAR(total, 1.0, 1e-6);
        }
    }
  }
}

TEST(Kernels, TransposedWeightMatMulUsesTheStoredRows) {
  const Tensor x = Tensor::from_floats({1, 2}, {1, 2});
  const Tensor w = Tensor::from_floats({3, 2}, {1, 0, 0, 1, 1, 1});  // [N, K]
  Attributes a;
  a.set("transpose_weight", std::int64_t{1});
  const Tensor* in[] = {&x, &w};
  const Tensor y = evaluate_node(make_node(OpType::WeightMatMul, a), in)[0];
  ASSERT_EQ(y.shape(), (Shape{1, 3}));
  EXPECT_EQ(y.number(0), 1);
  EXPECT_EQ(y.number(1), 2);
  EXPECT_EQ(y.number(2), 3);
}

// An empty tensor whose other dimensions multiply to 10^15: Softmax and Gather over it touch no
// element and must not loop over the empty rows (this was a hang).
TEST(Kernels, EmptyTensorsWithHugeOtherDimensionsFinishAtOnce) {
  const Tensor x(DType::Float32, {100'000'000, 0, 10'000'000});
  const Tensor* in[] = {&x};
  Attributes a;
  a.set("axis", std::int64_t{1});
  EXPECT_EQ(evaluate_node(make_node(OpType::Softmax, a), in)[0].shape(), x.shape());
  const Tensor wide(DType::Float32, {100'000'000, 10'000'000, 0});
  const Tensor* wide_in[] = {&wide};
  EXPECT_EQ(evaluate_node(make_node(OpType::Softmax, a), wide_in)[0].size(), 0);
}

}  // namespace
}  // namespace raceit::model

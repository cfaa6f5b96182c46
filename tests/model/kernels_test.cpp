// The semantic operators that have no ONNX node test (RmsNorm, Silu, Gelu, transposed-weight
// WeightMatMul) against their formulas evaluated in double precision.
#include "raceit/model/kernels.hpp"

#include <gtest/gtest.h>

#include <cmath>

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

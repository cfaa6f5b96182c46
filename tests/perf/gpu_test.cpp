#include "raceit/perf/gpu.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "raceit/core/error.hpp"
#include "raceit/model/architectures.hpp"

namespace raceit::perf {

namespace {
// x[B, 64] · W[64, 32] → GELU → softmax: one matmul kernel with GELU fused, one softmax kernel.
model::Graph tiny_graph() {
  model::Graph g;
  g.name = "tiny";
  g.inputs = {"x"};
  g.outputs = {"s"};
  g.values["x"] = {DType::Float32, {-1, 64}};
  g.values["W"] = {DType::Float32, {64, 32}};
  g.values["y"] = {DType::Float32, {-1, 32}};
  g.values["z"] = {DType::Float32, {-1, 32}};
  g.values["s"] = {DType::Float32, {-1, 32}};
  g.weight_names = {"W"};
  g.nodes.push_back({"mm", model::OpType::WeightMatMul, {"x", "W"}, {"y"}, {}, ""});
  g.nodes.push_back({"act", model::OpType::Gelu, {"y"}, {"z"}, {}, ""});
  model::Attributes axis;
  axis.set("axis", std::int64_t{-1});
  g.nodes.push_back({"sm", model::OpType::Softmax, {"z"}, {"s"}, axis, ""});
  return g;
}
}  // namespace

// Hand-derived roofline, batch 2, INT8, on the h100 preset.
TEST(GpuRoofline, HandDerivedKernels) {
  const ArchSpec h100 = load_arch(arch_path("h100"));
  GpuOptions o;
  o.batch = 2;
  const GpuEstimate e = estimate_gpu(tiny_graph(), h100, o);
  ASSERT_EQ(e.ops.size(), 3u);
  EXPECT_EQ(e.kernels, 2);
  EXPECT_DOUBLE_EQ(e.ops[0].ops, 2.0 * 2 * 32 * 64 + 8.0 * 2 * 32);  // matmul + fused GELU
  EXPECT_DOUBLE_EQ(e.ops[0].bytes, 2 * 64 + 2 * 32 + 64 * 32);
  EXPECT_EQ(e.ops[1].bound, "fused");
  EXPECT_DOUBLE_EQ(e.ops[2].ops, 5.0 * 2 * 32);
  EXPECT_DOUBLE_EQ(e.ops[2].bytes, 2 * 32 + 2 * 32);
  const GpuSpec& g = h100.gpu;
  const double peak = g.peak_int8 * g.compute_efficiency, bw = g.memory_bandwidth * g.bandwidth_efficiency;
  const double expected = std::max(e.ops[0].ops / peak, e.ops[0].bytes / bw) + std::max(e.ops[2].ops / peak, e.ops[2].bytes / bw) +
                          2 * g.kernel_launch;
  EXPECT_DOUBLE_EQ(e.latency, expected);
  EXPECT_EQ(e.ops[0].bound, "launch");  // tiny kernels at batch 2 are all launch overhead
  EXPECT_DOUBLE_EQ(e.energy, e.latency * g.power_fraction * g.tdp);
  o.fuse_elementwise = false;
  EXPECT_EQ(estimate_gpu(tiny_graph(), h100, o).kernels, 3);
}

// BERT-base at 128 tokens: its weight matmuls are compute- or memory-bound, not launch-bound,
// once the batch is large; batch 1 is dominated by launches (the regime of RACE-IT's claims).
TEST(GpuRoofline, BertBaseRegimes) {
  const ArchSpec h100 = load_arch(arch_path("h100"));
  const model::Graph bert = model::build_architecture(model::architecture_config("bert-base"));
  GpuOptions o;
  const GpuEstimate one = estimate_gpu(bert, h100, o);
  o.batch = 256;
  const GpuEstimate many = estimate_gpu(bert, h100, o);
  EXPECT_EQ(one.kernels, many.kernels);
  EXPECT_GT(one.kernels, 12 * 5);
  EXPECT_LT(many.latency / 256, one.latency);  // batching amortises launches
  const auto launch_bound = std::count_if(one.ops.begin(), one.ops.end(), [](const GpuOpCost& c) { return c.bound == "launch"; });
  EXPECT_GT(launch_bound, one.kernels / 2);
  EXPECT_THROW(estimate_gpu(bert, load_arch(arch_path("raceit")), o), Error);
}

}  // namespace raceit::perf

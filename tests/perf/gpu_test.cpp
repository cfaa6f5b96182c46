#include "raceit/perf/gpu.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "raceit/core/error.hpp"
#include "raceit/model/architectures.hpp"
#include "raceit/compiler/options.hpp"

namespace raceit::perf {

using arch::ArchSpec;
using arch::GpuSpec;
using arch::GpuSoftware;
using arch::arch_path;
using compiler::load_arch;

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

// Hand-derived roofline, batch 2, INT8, on the h100 preset, in each software mode.
TEST(GpuRoofline, HandDerivedKernels) {
  const ArchSpec graph = load_arch(arch_path("h100"));
  GpuOptions o;
  o.batch = 2;
  const GpuSpec& g = graph.gpu;
  const double peak = g.peak_int8 * g.compute_efficiency, bw = g.memory_bandwidth * g.bandwidth_efficiency;
  const auto busy = [&](double ops, double bytes) { return std::max(ops / peak, bytes / bw); };
  // Dynamic power over a kernel's busy time: compute-bound at dynamic_power, memory-bound at dynamic_power_memory.
  const auto power = [&](double ops, double bytes) { return ops / peak >= bytes / bw ? g.dynamic_power : g.dynamic_power_memory; };
  const double mm = busy(2.0 * 2 * 32 * 64, 2 * 64 + 2 * 32 + 64 * 32), act = busy(8.0 * 2 * 32, 2 * 32 + 2 * 32),
               sm = busy(5.0 * 2 * 32, 2 * 32 + 2 * 32);
  const double dynamic = mm * power(2.0 * 2 * 32 * 64, 2 * 64 + 2 * 32 + 64 * 32) + act * power(8.0 * 2 * 32, 2 * 32 + 2 * 32) +
                         sm * power(5.0 * 2 * 32, 2 * 32 + 2 * 32);

  // graph: three kernels, one gap each, and the GEMM's fixed time (latency, not busy time);
  // energy = idle over the latency + dynamic over the busy time.
  const GpuEstimate e = estimate_gpu(tiny_graph(), graph, o);
  ASSERT_EQ(e.ops.size(), 3u);
  EXPECT_EQ(e.kernels, 3);
  EXPECT_EQ(e.software, GpuSoftware::Graph);
  EXPECT_DOUBLE_EQ(e.ops[0].bytes, 2 * 64 + 2 * 32 + 64 * 32);
  EXPECT_NEAR(e.busy, mm + act + sm, 1e-18);
  EXPECT_TRUE(e.ops[0].tensor_core);
  EXPECT_FALSE(e.ops[1].tensor_core);
  EXPECT_NEAR(e.latency, mm + act + sm + 3 * g.launch_graph + g.matmul_latency, 1e-15);
  EXPECT_EQ(e.ops[0].bound, "launch");  // tiny kernels at batch 2 are all overhead
  EXPECT_NEAR(e.energy, g.idle_power * e.latency + dynamic, 1e-15);

  // fused: GELU joins the matmul's kernel.
  const GpuEstimate fused = estimate_gpu(tiny_graph(), load_arch(arch_path("h100"), {"gpu.software=fused"}), o);
  EXPECT_EQ(fused.kernels, 2);
  EXPECT_EQ(fused.ops[1].bound, "fused");
  EXPECT_DOUBLE_EQ(fused.ops[0].ops, 2.0 * 2 * 32 * 64 + 8.0 * 2 * 32);
  EXPECT_NEAR(fused.latency, busy(fused.ops[0].ops, fused.ops[0].bytes) + sm + 2 * g.launch_fused + g.matmul_latency, 1e-15);

  // eager: the CPU's launches bound it (three module operators: matmul, GELU, softmax).
  const GpuEstimate eager = estimate_gpu(tiny_graph(), load_arch(arch_path("h100"), {"gpu.software=eager"}), o);
  EXPECT_EQ(eager.kernels, 3);
  EXPECT_NEAR(eager.latency, 3 * g.launch_eager, 1e-15);
  EXPECT_NEAR(eager.energy, g.idle_power * eager.latency + dynamic, 1e-15);
}

// Eager CPU, hand-derived: x[2, 32] · W → + x (a residual add written inline) → tanh GELU (Hugging
// Face's NewGELUActivation: one module, eight kernels). The matmul and the GELU are module
// operators (launch_eager each); the add and the GELU's seven further kernels are inline
// (launch_eager_inline each). At batch 2 the CPU bounds the latency; graph mode spends no CPU.
TEST(GpuRoofline, EagerCpuPerModuleOperatorAndInlineKernel) {
  model::Graph g;
  g.name = "residual";
  g.inputs = {"x"};
  g.outputs = {"z"};
  for (const char* v : {"x", "y", "r", "z"}) g.values[v] = {DType::Float32, {-1, 32}};
  g.values["W"] = {DType::Float32, {32, 32}};
  g.weight_names = {"W"};
  g.nodes.push_back({"mm", model::OpType::WeightMatMul, {"x", "W"}, {"y"}, {}, ""});
  g.nodes.push_back({"residual", model::OpType::Add, {"y", "x"}, {"r"}, {}, ""});
  model::Attributes tanh;
  tanh.set("approximate", std::string("tanh"));
  g.nodes.push_back({"gelu", model::OpType::Gelu, {"r"}, {"z"}, tanh, ""});
  const GpuOptions o{.sequence_length = 1, .batch = 2, .precision = GpuPrecision::Fp16};
  const ArchSpec h100 = load_arch(arch_path("h100"), {"gpu.software=eager"});
  const GpuSpec& s = h100.gpu;
  const GpuEstimate e = estimate_gpu(g, h100, o);
  EXPECT_EQ(e.kernels, 1 + 1 + 8);
  EXPECT_TRUE(e.ops[0].module);
  EXPECT_FALSE(e.ops[1].module);
  EXPECT_TRUE(e.ops[2].module);
  EXPECT_DOUBLE_EQ(e.ops[0].cpu, s.launch_eager);
  EXPECT_DOUBLE_EQ(e.ops[1].cpu, s.launch_eager_inline);
  EXPECT_DOUBLE_EQ(e.ops[2].cpu, s.launch_eager + 7 * s.launch_eager_inline);
  EXPECT_NEAR(e.latency, 2 * 67e-6 + 8 * 29e-6, 1e-12);  // the preset's 67 µs and 29 µs
  const GpuEstimate graph = estimate_gpu(g, load_arch(arch_path("h100")), o);
  EXPECT_EQ(graph.kernels, e.kernels);
  for (const GpuOpCost& c : graph.ops) EXPECT_EQ(c.cpu, 0.0) << c.node;
  EXPECT_LT(graph.latency, e.latency);
}

// Eager BERT-base lists the overhead keys that bound it: the CPU's at batch 1 (raising either to
// 87 µs lengthens the run), the GPU's at batch 64 in FP32 (the kernels outlast the 9 ms of launches).
TEST(GpuRoofline, EagerAssumptionsFollowTheBound) {
  const model::Graph bert = model::build_architecture(model::architecture_config("bert-base"));
  const auto listed = [](const GpuEstimate& e, const std::string& key) {
    return std::any_of(e.assumptions.begin(), e.assumptions.end(), [&](const arch::Assumption& a) { return a.key == key; });
  };
  const GpuOptions one{.sequence_length = 128, .batch = 1, .precision = GpuPrecision::Fp16};
  const GpuEstimate cpu_bound = estimate_gpu(bert, load_arch(arch_path("h100"), {"gpu.software=eager"}), one);
  for (const char* key : {"gpu.launch_eager", "gpu.launch_eager_inline"}) {
    EXPECT_TRUE(listed(cpu_bound, key)) << key;
    const ArchSpec tripled = load_arch(arch_path("h100"), {"gpu.software=eager", std::string(key) + "=87us"});
    EXPECT_GT(estimate_gpu(bert, tripled, one).latency, cpu_bound.latency) << key;
  }
  EXPECT_FALSE(listed(cpu_bound, "gpu.launch_graph"));
  EXPECT_FALSE(listed(cpu_bound, "gpu.matmul_latency"));
  const GpuOptions many{.sequence_length = 128, .batch = 64, .precision = GpuPrecision::Fp32};
  const GpuEstimate gpu_bound = estimate_gpu(bert, load_arch(arch_path("h100"), {"gpu.software=eager"}), many);
  EXPECT_TRUE(listed(gpu_bound, "gpu.launch_graph"));
  EXPECT_TRUE(listed(gpu_bound, "gpu.matmul_latency"));
  EXPECT_FALSE(listed(gpu_bound, "gpu.launch_eager"));
  EXPECT_FALSE(listed(gpu_bound, "gpu.launch_eager_inline"));
}

// Fused attention: Q·Kᵀ, its scale, softmax and ·V are one kernel in every mode; the scores never
// reach memory.
TEST(GpuRoofline, AttentionIsOneKernel) {
  const model::Graph bert = model::build_architecture(model::architecture_config("bert-base"));
  for (const char* software : {"graph", "eager", "fused"}) {
    const GpuEstimate e = estimate_gpu(bert, load_arch(arch_path("h100"), {std::string("gpu.software=") + software}));
    const auto scores = std::find_if(e.ops.begin(), e.ops.end(), [](const GpuOpCost& c) { return c.node == "layer0.attn.scores"; });
    ASSERT_NE(scores, e.ops.end());
    EXPECT_TRUE(scores->kernel) << software;
    for (const char* part : {"layer0.attn.scaled", "layer0.attn.probs", "layer0.attn.context"}) {
      const auto it = std::find_if(e.ops.begin(), e.ops.end(), [&](const GpuOpCost& c) { return c.node == part; });
      ASSERT_NE(it, e.ops.end()) << part;
      EXPECT_EQ(it->bound, "fused") << software << " " << part;
    }
  }
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
  EXPECT_GT(many.power, one.power);             // and keeps the GPU busier
  const auto launch_bound = std::count_if(one.ops.begin(), one.ops.end(), [](const GpuOpCost& c) { return c.bound == "launch"; });
  EXPECT_GT(launch_bound, one.kernels / 2);
  EXPECT_THROW(estimate_gpu(bert, load_arch(arch_path("raceit")), o), Error);
}

}  // namespace raceit::perf

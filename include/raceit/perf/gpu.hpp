#pragma once
// GPU baseline (kind: gpu presets): a roofline per kernel, with the software that launches the
// kernels and a utilisation power model, fitted to one measured H100 (shared/reference/gpu,
// copied to tests/perf/data; configs/arch/README.md lists each fitted constant and its rows).
//
// Kernels. Every node with computation is a kernel, except where the software fuses it
// (gpu.software):
//   graph, eager  PyTorch: a weight matmul's bias is in its GEMM; attention (Q·Kᵀ, its scale and
//                 mask, softmax, ·V) is one fused kernel (scaled_dot_product_attention); every
//                 other operator is its own kernel (a tanh-approximated GELU eight, as Hugging
//                 Face's NewGELUActivation).
//   fused         TensorRT: as above, and element-wise operators and norms join the kernel
//                 before them (epilogue fusion, fused skip-layer-norm).
// Data movement (reshape, transpose, gather, …) is taken as free (views or fused copies).
//   busy(kernel) = max(ops / (peak · compute_efficiency), bytes / (bandwidth · bandwidth_efficiency))
//                  (compute_efficiency_eager in eager mode: the measured eager kernels ran faster
//                  than the same forward replayed as a graph at batch 64)
//   fixed(kernel) = matmul_latency for a GEMM or the fused attention (tensor-core kernels: at
//                  small batches a few output tiles on a few SMs), else 0; latency, not busy time
//   graph:  latency = Σ (busy + fixed + launch_graph)  CUDA graph replay, one gap per kernel
//   fused:  latency = Σ (busy + fixed + launch_fused)
//   eager:  latency = max(Σ cpu, Σ (busy + fixed + launch_graph)); the CPU issues the kernels, the
//           GPU runs them as they come. cpu(kernel) = launch_eager for an operator PyTorch reaches
//           through an nn.Module (matmul, attention, norm, activation, softmax, pooling: the module
//           call and its Python forward), launch_eager_inline for each further kernel it launches
//           and for every kernel of inline arithmetic (residual adds, RoPE, gates, a cache append)
//   energy  = idle_power · latency + Σ busy · (dynamic_power, or dynamic_power_memory for a
//           memory-bound kernel): the board draws idle power throughout and more while kernels
//           run, less when they stream memory than when the tensor cores compute
// Decode steps (model::ArchitectureConfig::past_tokens): the fused attention reads the cached keys
// and values; appending the new token's to the cache is one kernel per cache (eager: torch.cat
// copies it whole; graph and fused: a static cache written in place).
// ops = 2·MACs for matmuls; for element-wise work, operations per output value (below). Bytes
// are activations read and written plus weights read, at the precision's bytes per value.
#include <cstdint>
#include <string>
#include <vector>

#include "raceit/model/graph.hpp"
#include "raceit/arch/arch.hpp"

namespace raceit::perf {

// int8: TensorRT INT8; fp16 (and bf16); fp32: FP32 storage with TF32 tensor-core matmuls (PyTorch
// with allow_tf32, as the measured rows).
enum class GpuPrecision { Int8, Fp16, Fp32 };
const char* to_string(GpuPrecision p);
GpuPrecision parse_gpu_precision(const std::string& text);  // "int8" | "fp16" | "bf16" | "fp32"

struct GpuOptions {
  std::int64_t sequence_length = 128;
  std::int64_t batch = 1;
  GpuPrecision precision = GpuPrecision::Int8;  // NL-DPE ran the H100 with TensorRT INT8
};

struct GpuOpCost {
  std::string node;
  model::OpType op;
  double ops = 0, bytes = 0;
  double time = 0;        // s, busy time plus the per-kernel overhead (0 for fused and free nodes)
  bool kernel = false;    // launched as its own kernel
  bool tensor_core = false;  // a GEMM or fused attention (gpu.matmul_latency)
  bool module = false;    // reached through an nn.Module in eager PyTorch (gpu.launch_eager), else inline
  double cpu = 0;         // s of CPU time eager PyTorch spends issuing it (0 in graph and fused)
  int launches = 0;       // kernels the software runs for it (a tanh GELU in PyTorch: 8)
  std::string bound;      // "compute", "memory", "launch" (overhead dominates), "fused", "free"
};

struct GpuEstimate {
  arch::GpuSoftware software = arch::GpuSoftware::Graph;
  double latency = 0;       // s per batch
  double busy = 0;          // s the kernels compute (Σ busy)
  double energy = 0;        // J per batch
  double power = 0;         // W, average
  std::int64_t kernels = 0;
  std::vector<GpuOpCost> ops;  // one per graph node
  std::vector<arch::Assumption> assumptions;  // the keys the estimate depends on
  std::vector<std::string> notes;       // precision, software rules, batch
};

// Operations a GPU spends per output value of an element-wise or normalisation node (a
// transcendental counts as several FMA-pipe operations).
double gpu_ops_per_output(model::OpType op);

GpuEstimate estimate_gpu(const model::Graph& graph, const arch::ArchSpec& spec, const GpuOptions& options = {});

}  // namespace raceit::perf

#pragma once
// GPU baseline: a roofline estimate per operator of a model graph (kind: gpu presets).
//
// Each node with computation is one kernel unless it is element-wise arithmetic or an
// element-wise function that the previous kernel absorbs (TensorRT-style epilogue fusion, on by
// default): a fused node adds its operations but neither a launch nor memory traffic. Data
// movement (reshape, transpose, gather, …) is taken as free (views or fused copies).
//   time(kernel) = max(ops / (peak · compute_efficiency), bytes / (bandwidth · bandwidth_efficiency))
//                  + kernel_launch
//   energy = Σ time · power_fraction · TDP
// ops = 2·MACs for matmuls; for element-wise work, operations per output value (below). Bytes
// are activations read and written plus weights read, at the precision's bytes per value.
#include <cstdint>
#include <string>
#include <vector>

#include "raceit/model/graph.hpp"
#include "raceit/perf/arch.hpp"

namespace raceit::perf {

enum class GpuPrecision { Int8, Fp16 };
const char* to_string(GpuPrecision p);
GpuPrecision parse_gpu_precision(const std::string& text);  // "int8" | "fp16"

struct GpuOptions {
  std::int64_t sequence_length = 128;
  std::int64_t batch = 1;
  GpuPrecision precision = GpuPrecision::Int8;  // NL-DPE ran the H100 with TensorRT INT8
  bool fuse_elementwise = true;
};

struct GpuOpCost {
  std::string node;
  model::OpType op;
  double ops = 0, bytes = 0;
  double time = 0;        // s, including the launch (0 for fused and data-movement nodes)
  bool kernel = false;    // launched as its own kernel
  std::string bound;      // "compute", "memory", "launch" (launch overhead dominates), "fused", "free"
};

struct GpuEstimate {
  double latency = 0;       // s per batch
  double energy = 0;        // J per batch
  double power = 0;         // W, average
  std::int64_t kernels = 0;
  std::vector<GpuOpCost> ops;  // one per graph node
  std::vector<std::string> assumptions;  // every parameter the estimate depends on, with its value
};

// Operations a GPU spends per output value of an element-wise or normalisation node (a
// transcendental counts as several FMA-pipe operations).
double gpu_ops_per_output(model::OpType op);

GpuEstimate estimate_gpu(const model::Graph& graph, const ArchSpec& spec, const GpuOptions& options = {});

}  // namespace raceit::perf
